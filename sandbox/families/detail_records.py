"""Wireless detail records: every data session with its network, bytes, rate and cost, searched directly
or exported as a report file that is ready a moment later."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import fleet
from ..handlers import Call, Handlers, Result, page, require, stamp
from ..lifecycle import due_time, finisher
from ..store import Doc, iso, public
from ..validation import unprocessable

if TYPE_CHECKING:
    from ..app import Sandbox

handles = Handlers()
REPORTS = "wdr_reports"
SEARCH_FIELDS = ("id", "mcc", "mnc", "imsi", "sim_group_name", "sim_group_id", "sim_card_id", "phone_number")
DATE_RANGES = {"last_week": 7, "this_week": 7, "last_month": 30, "this_month": 30, "yesterday": 1, "today": 1}


def all_records(sb: Sandbox) -> list[dict[str, Any]]:
    """Every SIM's sessions, oldest first (generated on demand from the seed, like connectivity logs)."""
    groups = {g["id"]: g["name"] for g in sb.store.all("sim_card_groups")}
    records = [r for sim in sb.store.all("sim_cards")
               for r in fleet.detail_records(sb.seed, sim, groups.get(sim.get("sim_card_group_id")))]
    return sorted(records, key=lambda r: r["created_at"])


def _time(value: str, name: str) -> str:
    """An ISO 8601 date or date-time, as a sortable UTC string."""
    from datetime import datetime, timezone

    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise unprocessable(f"{name}: {value!r} is not an ISO 8601 date or date-time such as "
                            "2026-11-01T00:00:00Z", parameter=name) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return iso(parsed.timestamp())


def _sorted(records: list[dict[str, Any]], sort: list[str], name: str) -> list[dict[str, Any]]:
    for key in reversed(sort):
        field = key.lstrip("-")
        if field not in ("created_at", "duration_seconds", "mcc", "mnc", "sim_card_id", "imsi"):
            raise unprocessable(f"{name}: cannot sort by {field!r}", parameter=name)
        records = sorted(records, key=lambda r: r[field], reverse=key.startswith("-"))
    return records


@handles("GetPaginatedWdrs")
def list_wireless_detail_records(sb: Sandbox, call: Call) -> Result:
    records = all_records(sb)
    if call.q("start_date"):
        start = _time(call.q("start_date"), "start_date")
        records = [r for r in records if r["created_at"] >= start]
    if call.q("end_date"):
        end = _time(call.q("end_date"), "end_date")
        records = [r for r in records if r["created_at"] < end]
    for name in SEARCH_FIELDS:
        if call.q(name) is not None:
            records = [r for r in records if r[name] == call.q(name)]
    return page(call, _sorted(records, call.q("sort") or ["created_at"], "sort"), public)


def usage_record(record: dict[str, Any]) -> dict[str, Any]:
    """A session as the cross-product detail-record search shows it (record type `sim_card_usage`)."""
    return {
        "id": record["id"], "record_type": "sim_card_usage", "created_at": record["created_at"],
        "closed_at": record["_closed_at"], "sim_card_id": record["sim_card_id"], "sim_card_tags": record["_tags"],
        "sim_group_id": record["sim_group_id"], "sim_group_name": record["sim_group_name"],
        "imsi": record["imsi"], "phone_number": record["phone_number"], "ip_address": None,
        "mcc": record["mcc"], "mnc": record["mnc"], "uplink_data": record["uplink_data"]["amount"],
        "downlink_data": record["downlink_data"]["amount"], "data_unit": "MB",
        "data_rate": record["rate"]["amount"], "data_cost": float(record["cost"]["amount"]),
        "currency": record["cost"]["currency"],
    }


@handles("SearchDetailRecords")
def list_sim_card_usage_records(sb: Sandbox, call: Call) -> Result:
    if call.q("filter[record_type]") != "wireless":  # the sandbox has SIM records only
        return page(call, [], usage_record)
    records = all_records(sb)
    days = DATE_RANGES.get(call.q("filter[date_range]") or "")
    if call.q("filter[date_range]") and days is None:
        return page(call, [], usage_record)  # ranges in the future
    if days is not None:
        records = [r for r in records if r["created_at"] >= iso(fleet.FLEET_EPOCH - days * fleet.DAY)]
    for name, value in call.query.items():
        if name.endswith("[gte]"):
            records = [r for r in records if r["created_at"] >= _time(value, name)]
        elif name.endswith("[lte]"):
            records = [r for r in records if r["created_at"] <= _time(value, name)]
        elif name.startswith("filter[") and name[7:-1] in SEARCH_FIELDS:
            records = [r for r in records if r[name[7:-1]] == value]
    return page(call, _sorted(records, call.q("sort") or ["-created_at"], "sort"), usage_record)


@handles("GetWdrReports")
def list_wdr_reports(sb: Sandbox, call: Call) -> Result:
    return page(call, list(sb.store.all(REPORTS)), public)


@handles("CreateWdrReport")
def create_wdr_report(sb: Sandbox, call: Call) -> Result:
    body = call.body or {}
    end = _time(body["end_time"], "end_time") if body.get("end_time") else iso(call.now)
    start = _time(body["start_time"], "start_time") if body.get("start_time") else iso(call.now - 30 * fleet.DAY)
    if start >= end:
        raise unprocessable("start_time must be before end_time", pointer="/start_time")
    doc: Doc = {"id": sb.store.new_id(), "record_type": "detail_records_report", "start_time": start,
                "end_time": end, "status": "pending", "_due": due_time(sb, call.now)}
    sb.store.put(REPORTS, stamp(call, doc))
    sb.store.schedule(REPORTS, doc)
    return Result(public(doc))


@finisher(REPORTS)
def _complete(sb: Sandbox, doc: Doc, at: str) -> None:
    doc["status"] = "complete"
    doc["report_url"] = f"https://sandbox.telnyx.invalid/reports/wdr/{doc['id']}.csv"
    doc["updated_at"] = at
    sb.store.put(REPORTS, doc)


@handles("GetWdrReport")
def get_wdr_report(sb: Sandbox, call: Call) -> Result:
    return Result(public(require(sb, REPORTS, call.id, "Detail records report")))


@handles("DeleteWdrReport")
def delete_wdr_report(sb: Sandbox, call: Call) -> Result:
    doc = require(sb, REPORTS, call.id, "Detail records report")
    sb.store.delete(REPORTS, doc["id"])
    doc.pop("_due", None)
    return Result({**{k: v for k, v in public(doc).items() if k != "report_url"}, "status": "deleted"})
