"""Wireless detail records: every data session with its network, bytes, rate and cost, searched directly
or exported as a report file that is ready a moment later."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import fleet, usage
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


def records(sb: Sandbox, call: Call, start: float | None, end: float | None, match: dict[str, Any]) -> Any:
    """The sessions in [start, end) of the SIMs and networks `match` names, oldest first, made page by page."""
    return usage.history(sb).listing(call.now, start, end, match)


def _time(value: str, name: str) -> float:
    """An ISO 8601 date or date-time, as a UTC timestamp."""
    from datetime import datetime, timezone

    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise unprocessable(f"{name}: {value!r} is not an ISO 8601 date or date-time such as "
                            "2026-11-01T00:00:00Z", parameter=name) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def _sorted(items: Any, sort: list[str], name: str) -> Any:
    """Oldest first as listed, newest first reversed; any other order needs every record made."""
    for key in sort:
        if key.lstrip("-") not in ("created_at", "duration_seconds", "mcc", "mnc", "sim_card_id", "imsi"):
            raise unprocessable(f"{name}: cannot sort by {key.lstrip('-')!r}", parameter=name)
    if sort in (["created_at"], []):
        return items
    if sort == ["-created_at"]:
        return Reversed(items)
    records = items[0:len(items)]
    for key in reversed(sort):
        records = sorted(records, key=lambda r: r[key.lstrip("-")], reverse=key.startswith("-"))
    return records


class Reversed:
    """A listing newest first, still made page by page."""

    def __init__(self, items: Any) -> None:
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        start, stop, _ = window.indices(len(self))
        n = len(self.items)
        return self.items[n - stop:n - start][::-1]


@handles("GetPaginatedWdrs")
def list_wireless_detail_records(sb: Sandbox, call: Call) -> Result:
    start = _time(call.q("start_date"), "start_date") if call.q("start_date") else None
    end = _time(call.q("end_date"), "end_date") if call.q("end_date") else None
    match = {name: call.q(name) for name in SEARCH_FIELDS if name != "id" and call.q(name) is not None}
    listed = records(sb, call, start, end, match)
    if call.q("id") is not None:  # one record by id: look through them all
        listed = [r for r in listed[0:len(listed)] if r["id"] == call.q("id")]
    return page(call, _sorted(listed, call.q("sort") or ["created_at"], "sort"), public)


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
    days = DATE_RANGES.get(call.q("filter[date_range]") or "")
    if call.q("filter[date_range]") and days is None:
        return page(call, [], usage_record)  # ranges in the future
    start = call.now - days * fleet.DAY if days is not None else None
    end = None
    match: dict[str, Any] = {}
    for name, value in call.query.items():
        if name.endswith("[gte]"):
            start = max(start or 0.0, _time(value, name))
        elif name.endswith("[lte]"):
            end = _time(value, name) + 1e-3
        elif name.startswith("filter[") and name[7:-1] in SEARCH_FIELDS:
            match[name[7:-1]] = value
    record_id = match.pop("id", None)
    listed: Any = records(sb, call, start, end, match)
    if record_id is not None:
        listed = [r for r in listed[0:len(listed)] if r["id"] == record_id]
    return page(call, _sorted(listed, call.q("sort") or ["-created_at"], "sort"), usage_record)


@handles("GetWdrReports")
def list_wdr_reports(sb: Sandbox, call: Call) -> Result:
    return page(call, list(sb.store.all(REPORTS)), public)


@handles("CreateWdrReport")
def create_wdr_report(sb: Sandbox, call: Call) -> Result:
    body = call.body or {}
    end = iso(_time(body["end_time"], "end_time")) if body.get("end_time") else iso(call.now)
    start = iso(_time(body["start_time"], "start_time")) if body.get("start_time") else iso(call.now - 30 * fleet.DAY)
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
