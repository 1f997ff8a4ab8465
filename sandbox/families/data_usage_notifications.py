"""Data usage notifications: per-SIM thresholds that alert when usage crosses them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..handlers import Call, Handlers, Result, decimal, eq, exists, list_docs, require, stamp
from ..store import Doc, public
from ..validation import unprocessable

if TYPE_CHECKING:
    from ..app import Sandbox

handles = Handlers()
COLL = "sim_card_data_usage_notifications"


def _threshold(body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, str]:
    threshold = {**(current or {}), **body["threshold"]}
    for part in ("amount", "unit"):
        if part not in threshold:
            raise unprocessable(f"threshold.{part} is required", pointer=f"/threshold/{part}")
    decimal(threshold["amount"], "/threshold/amount")
    return {"amount": threshold["amount"], "unit": threshold["unit"]}


@handles("ListDataUsageNotifications")
def list_data_usage_notifications(sb: Sandbox, call: Call) -> Result:
    return list_docs(sb, call, COLL, {"filter[sim_card_id]": eq("sim_card_id")})


@handles("PostSimCardDataUsageNotification")
def create_data_usage_notification(sb: Sandbox, call: Call) -> Result:
    body = call.body or {}
    exists(sb, "sim_cards", body["sim_card_id"], "SIM card", "/sim_card_id")
    doc: Doc = {"id": sb.store.new_id(), "record_type": "sim_card_data_usage_notification",
                "sim_card_id": body["sim_card_id"], "threshold": _threshold(body, None)}
    return Result(public(sb.store.put(COLL, stamp(call, doc))))


@handles("GetSimCardDataUsageNotification")
def get_data_usage_notification(sb: Sandbox, call: Call) -> Result:
    return Result(public(require(sb, COLL, call.id, "Data usage notification")))


@handles("PatchSimCardDataUsageNotification")
def update_data_usage_notification(sb: Sandbox, call: Call) -> Result:
    doc = require(sb, COLL, call.id, "Data usage notification")
    body = call.body or {}
    if "sim_card_id" in body:
        exists(sb, "sim_cards", body["sim_card_id"], "SIM card", "/sim_card_id")
    if "threshold" in body:
        doc["threshold"] = _threshold(body, doc["threshold"])
    if "sim_card_id" in body:
        doc["sim_card_id"] = body["sim_card_id"]
    stamp(call, doc, created=False)
    return Result(public(sb.store.put(COLL, doc)))


@handles("DeleteSimCardDataUsageNotifications")
def delete_data_usage_notification(sb: Sandbox, call: Call) -> Result:
    require(sb, COLL, call.id, "Data usage notification")
    return Result(public(sb.store.delete(COLL, call.id) or {}))
