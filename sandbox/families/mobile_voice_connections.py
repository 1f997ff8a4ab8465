"""Mobile voice connections: the IMS voice connections SIM cards place calls through."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..handlers import Call, Handlers, Result, contains, page, require, stamp
from ..store import Doc, public
from ..validation import unprocessable

if TYPE_CHECKING:
    from ..app import Sandbox

handles = Handlers()
COLL = "mobile_voice_connections"


@handles("listMobileVoiceConnections")
def list_mobile_voice_connections(sb: Sandbox, call: Call) -> Result:
    needle = call.q("filter[connection_name][contains]")
    docs = [d for d in sb.store.all(COLL)
            if needle is None or contains(d.get("connection_name"), needle)]
    sort = call.q("sort")
    if sort:
        name = sort.lstrip("-")
        if name not in ("created_at", "updated_at", "connection_name", "active"):
            raise unprocessable(f"sort: cannot sort by {name!r}; use created_at, updated_at, "
                                "connection_name or active (prefix - for descending)",
                                parameter="sort")
        docs.sort(key=lambda d: (d.get(name) is None, d.get(name) or ""),
                  reverse=sort.startswith("-"))
    return page(call, docs, public)


@handles("createMobileVoiceConnection")
def create_mobile_voice_connection(sb: Sandbox, call: Call) -> Result:
    body = call.body or {}
    doc: Doc = {
        "id": sb.store.new_numeric_id(),
        "record_type": "mobile_voice_connection",
        "connection_name": body.get("connection_name", "Telnyx Mobile Voice IMS"),
        "active": body.get("active", True),
        "inbound": {"channel_limit": None, **body.get("inbound", {})},
        "outbound": {"channel_limit": None, "outbound_voice_profile_id": None,
                     **body.get("outbound", {})},
        "tags": list(body.get("tags", [])),
        "webhook_api_version": body.get("webhook_api_version", "2"),
        "webhook_event_url": body.get("webhook_event_url"),
        "webhook_event_failover_url": body.get("webhook_event_failover_url"),
        "webhook_timeout_secs": body.get("webhook_timeout_secs"),
    }
    return Result(public(sb.store.put(COLL, stamp(call, doc))))


@handles("retrieveMobileVoiceConnection")
def get_mobile_voice_connection(sb: Sandbox, call: Call) -> Result:
    return Result(public(require(sb, COLL, call.id, "Mobile voice connection")))


@handles("updateMobileVoiceConnection")
def update_mobile_voice_connection(sb: Sandbox, call: Call) -> Result:
    doc = require(sb, COLL, call.id, "Mobile voice connection")
    for key, value in (call.body or {}).items():
        doc[key] = {**doc[key], **value} if key in ("inbound", "outbound") else value
    return Result(public(sb.store.put(COLL, stamp(call, doc, created=False))))


@handles("deleteMobileVoiceConnection")
def delete_mobile_voice_connection(sb: Sandbox, call: Call) -> Result:
    doc = require(sb, COLL, call.id, "Mobile voice connection")
    sb.store.delete(COLL, doc["id"])
    return Result(public(doc))
