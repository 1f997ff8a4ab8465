"""Mobile phone numbers: one per voice-enabled SIM card, with call and messaging settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import fleet
from ..handlers import Call, Handlers, Result, page, require, stamp
from ..store import Doc, public
from ..validation import unprocessable

if TYPE_CHECKING:
    from ..app import Sandbox

handles = Handlers()
COLL = "mobile_phone_numbers"
NESTED = ("call_forwarding", "call_recording", "cnam_listing", "inbound", "outbound")


def assign_number(sb: Sandbox, sim: Doc, at: str, connection_id: str | None) -> None:
    """Voice on a SIM gives it a number (kept when voice goes off again)."""
    if not any(n["sim_card_id"] == sim["id"] for n in sb.store.all(COLL)):
        number_id = str(2126210528794642000 + sb.store.count(COLL))
        sb.store.put(COLL, fleet.mobile_phone_number(number_id, sim, created_at=at, connection_id=connection_id))


def messaging(doc: Doc) -> Doc:
    return {"id": doc["id"], "record_type": "messaging_settings", "phone_number": doc["phone_number"],
            "country_code": doc["country_iso_alpha2"], "type": "longcode", "messaging_profile_id": None,
            "messaging_product": "P2P", "traffic_type": "P2P", "organization_id": "sandbox",
            "tags": doc["tags"], "features": {"sms": None}, "created_at": doc["created_at"],
            "updated_at": doc["updated_at"]}


@handles("listMobilePhoneNumbers")
def list_mobile_phone_numbers(sb: Sandbox, call: Call) -> Result:
    return page(call, list(sb.store.all(COLL)), public)


@handles("retrieveMobilePhoneNumber")
def get_mobile_phone_number(sb: Sandbox, call: Call) -> Result:
    return Result(public(require(sb, COLL, call.id, "Mobile phone number")))


@handles("updateMobilePhoneNumber")
def update_mobile_phone_number(sb: Sandbox, call: Call) -> Result:
    doc = require(sb, COLL, call.id, "Mobile phone number")
    body: dict[str, Any] = call.body or {}
    forwarding = {**doc["call_forwarding"], **body.get("call_forwarding", {})}
    if forwarding["call_forwarding_enabled"] and not forwarding.get("forwards_to"):
        raise unprocessable("call_forwarding.forwards_to: forwarding needs a number to forward to",
                            pointer="/call_forwarding/forwards_to")
    connection = body.get("connection_id")
    if connection is not None and sb.store.get("mobile_voice_connections", connection) is None:
        raise unprocessable(f"connection_id: no mobile voice connection with id {connection!r}",
                            pointer="/connection_id")
    for key, value in body.items():
        if key == "noise_suppression":  # sent as a switch, shown as which legs it covers
            doc[key] = "both" if value else "disabled"
        else:
            doc[key] = {**doc[key], **value} if key in NESTED else value
    return Result(public(sb.store.put(COLL, stamp(call, doc, created=False))))


@handles("ListMobilePhoneNumbersWithMessagingSettings")
def list_mobile_phone_number_messaging_settings(sb: Sandbox, call: Call) -> Result:
    return page(call, list(sb.store.all(COLL)), messaging)


@handles("GetMobilePhoneNumberMessagingSettings")
def get_mobile_phone_number_messaging_settings(sb: Sandbox, call: Call) -> Result:
    return Result(messaging(require(sb, COLL, call.id, "Mobile phone number")))
