"""Mobile phone numbers: the numbers voice-enabled SIM cards get, their call settings and messaging settings."""

from functools import partial
from typing import Any

from ..words import clean, quoted
from . import shapes
from .model import (
    restores,
    Effect, Operation, Param, Read, StateUnknown, array, body, boolean, enum, nullable, obj, pages, string,
)

op = partial(Operation, toolset="mobile_phone_numbers")

# The API types these ids as plain strings (int64 in its examples). Digits only: `messaging` is a sibling path
# (/mobile_phone_numbers/messaging) that a free-form id would reach instead of a number.
NUMBER_ID = Param(name="mobile_phone_number_id", location="path", wire="mobile_phone_number_id", required=True,
                  schema={"type": "string", "pattern": "^[0-9]{1,32}$", "maxLength": 32})
INT64_ID = nullable(string(max_length=32, pattern="^[0-9]{1,32}$"))
PATH_NOTE = ("The API description keys this path under /v2/mobile_phone_numbers, which with the /v2 base URL "
             "would call /v2/v2/... (the SDKs do); the docs list /mobile_phone_numbers under /v2, which the "
             "entry follows.")

async def _number(arguments: dict[str, Any], read: Read) -> dict[str, Any]:
    found = await read("get_mobile_phone_number", {"mobile_phone_number_id": arguments["mobile_phone_number_id"]})
    if not isinstance(found, dict):
        raise StateUnknown("the mobile number")
    return found


def _number_name(found: dict[str, Any], arguments: dict[str, Any]) -> str:
    return f"mobile number {quoted(found.get('phone_number') or arguments['mobile_phone_number_id'], 32)}"


def _on(value: Any) -> bool | None:
    """A feature's state as the record shows it: a flag, or noise suppression's direction ("disabled" is off)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value != "disabled"
    return None


# Paid features an update can turn on: (argument, its on/off field or None for a flag of its own, name).
PAID = (
    ("call_forwarding", "call_forwarding_enabled", "call forwarding (each forwarded call is a billed call leg)"),
    ("call_recording", "inbound_call_recording_enabled", "call recording"),
    ("cnam_listing", "cnam_listing_enabled", "a CNAM listing"),
    ("caller_id_name_enabled", None, "caller ID name lookups"),
    ("noise_suppression", None, "noise suppression"),
)


async def _starts_paid_features(arguments: dict[str, Any], read: Read) -> str | None:
    wanted = [(arg, field, label) for arg, field, label in PAID
              if (arguments.get(arg, {}).get(field) if field else arguments.get(arg)) is True]
    if not wanted:
        return None
    found = await _number(arguments, read)
    started = []
    for arg, field, label in wanted:
        now = _on(found.get(arg, {}).get(field) if field and isinstance(found.get(arg), dict) else
                  None if field else found.get(arg))
        if now is None:
            raise StateUnknown(f"whether {label.split(' (')[0]} is on")
        if not now:
            started.append(label)
    if not started:
        return None
    return f"Turns on {', '.join(started)} for {_number_name(found, arguments)}: Telnyx charges for these."


def _app(value: Any) -> Any:
    return value.get("interception_app_id") if isinstance(value, dict) else None


async def _reroutes_calls(arguments: dict[str, Any], read: Read) -> str | None:
    forwarding = arguments.get("call_forwarding") or {}
    found = await _number(arguments, read)
    moved = []
    if "connection_id" in arguments and arguments["connection_id"] != found.get("connection_id"):
        moved.append(f"moves it from voice connection {quoted(found.get('connection_id') or 'none', 32)} to "
                     f"{quoted(arguments['connection_id'] or 'none', 32)}")
    for side in ("inbound", "outbound"):
        if side in arguments and "interception_app_id" in arguments[side] \
                and arguments[side]["interception_app_id"] != _app(found.get(side)):
            app = arguments[side]["interception_app_id"] or "none"
            moved.append(f"hands its {side} calls to application {quoted(app, 32)}")
    if forwarding:
        current = found.get("call_forwarding")
        if not isinstance(current, dict) or not isinstance(current.get("call_forwarding_enabled"), bool):
            raise StateUnknown("its call forwarding")
        was_on, kind_was, target_was = (current["call_forwarding_enabled"], current.get("forwarding_type"),
                                        current.get("forwards_to"))
        on = forwarding.get("call_forwarding_enabled", was_on)
        kind, target = forwarding.get("forwarding_type", kind_was), forwarding.get("forwards_to", target_was)
        if on and ((kind == "always" and not (was_on and kind_was == "always" and target == target_was))
                   or (was_on and target != target_was)):
            moved.append(f"forwards its calls ({clean(kind or 'always', 16)}) to {quoted(target or 'none', 32)}"
                         + (", so its device no longer rings" if kind == "always" else ""))
    if arguments.get("inbound_call_screening") == "reject_calls" \
            and found.get("inbound_call_screening") != "reject_calls":
        moved.append("rejects inbound calls that fail call screening (caller reputation, unauthenticated caller ID)")
    if not moved:
        return None
    return f"Changes where the calls of {_number_name(found, arguments)} go: {'; '.join(moved)}."


STARTS_PAID = Effect(kind="billable", arguments=tuple(arg for arg, _, _ in PAID), test=_starts_paid_features,
                     when="it turns on forwarding, recording, CNAM listing, caller ID names or noise suppression")
REROUTES = Effect(kind="destructive", arguments=("connection_id", "inbound", "outbound", "call_forwarding",
                                                 "inbound_call_screening"),
                  test=_reroutes_calls, when="its calls would go elsewhere or be rejected")


OPERATIONS = [
    op(
        name="list_mobile_phone_numbers", title="List mobile numbers", method="GET",
        path="/mobile_phone_numbers",
        description="Phone numbers of voice-enabled SIMs with their call settings.",
        search_words=(
            "voice numbers", "numbers we own", "volte numbers",
        ),
        kind="read", reason="Reads only.", wire_note=PATH_NOTE,
        params=pages(),
        returns=shapes.MOBILE_PHONE_NUMBER, returns_list=True, paginated=True,
    ),
    op(
        name="get_mobile_phone_number", title="Get a mobile number", method="GET",
        path="/mobile_phone_numbers/{mobile_phone_number_id}",
        description="One mobile number: its voice connection, call forwarding, recording, screening.",
        search_words=(
            "number settings", "forwarding", "call recording", "voicemail", "screening",
            "settings of a mobile number", "which sim has this number",
        ),
        kind="read", reason="Reads only.", wire_note=PATH_NOTE,
        params=(NUMBER_ID,), returns=shapes.MOBILE_PHONE_NUMBER,
    ),
    op(
        name="update_mobile_phone_number", title="Update a mobile number", method="PATCH",
        compensation=restores("get_mobile_phone_number", "mobile_phone_number_id", {name: name for name in ("call_forwarding", "call_recording", "caller_id_name_enabled", "cnam_listing", "connection_id", "customer_reference", "inbound", "outbound", "inbound_call_screening", "noise_suppression", "tags")}, "update_mobile_phone_number"),
        path="/mobile_phone_numbers/{mobile_phone_number_id}",
        description="Change a mobile number's call settings, voice connection or tags.",
        search_words=(
            "forward calls", "record calls", "cnam", "caller name", "call screening", "block robocalls",
            "noise cancel",
            "turn on call recording", "mp3 recording", "caller id name",
        ),
        kind="write", reason="Tags, a customer reference, turning a feature off or keeping a setting cost nothing "
                             "and cut nothing. The effect rules ask when a paid feature is turned on (a forwarded "
                             "call is a billed call leg; recording, CNAM listing, caller ID names and noise "
                             "suppression are billed) or when calls would go elsewhere (another connection, an "
                             "interception application, a forwarding target or always-forwarding) or be rejected "
                             "(call screening set to reject_calls; flag_calls lets them ring).",
        effects=(STARTS_PAID, REROUTES),
        wire_note=PATH_NOTE + " noise_suppression is a boolean here but an enum in the number's record; "
                              "the entry sends what the update accepts.",
        params=(
            NUMBER_ID,
            body("call_forwarding", obj({
                "call_forwarding_enabled": (boolean(), ""),
                "forwarding_type": (enum("always", "on-failure"), ""),
                "forwards_to": (nullable(string(max_length=32)), "+E.164"),
            })),
            body("call_recording", obj({
                "inbound_call_recording_enabled": (boolean(), ""),
                "inbound_call_recording_channels": (enum("single", "dual"), ""),
                "inbound_call_recording_format": (enum("wav", "mp3"), ""),
            })),
            body("caller_id_name_enabled", boolean()),
            body("cnam_listing", obj({
                "cnam_listing_enabled": (boolean(), ""),
                "cnam_listing_details": (nullable(string(max_length=15)), ""),
            })),
            body("connection_id", INT64_ID, "A mobile voice connection id."),
            body("customer_reference", nullable(string(max_length=128))),
            body("inbound", obj({"interception_app_id": (INT64_ID, "")})),
            body("outbound", obj({"interception_app_id": (INT64_ID, "")})),
            body("inbound_call_screening", enum("disabled", "reject_calls", "flag_calls")),
            body("noise_suppression", boolean()),
            body("tags", array(string(max_length=128), max_items=100), "Replaces its tags."),
        ),
        returns=shapes.MOBILE_PHONE_NUMBER,
    ),
    op(
        name="list_mobile_phone_number_messaging_settings", title="List mobile numbers' messaging settings",
        method="GET", path="/mobile_phone_numbers/messaging",
        description="Messaging settings of mobile numbers: profile, SMS features.",
        search_words=(
            "sms", "text messages", "messaging profile", "mms", "sms enabled",
            "messaging profiles", "which messaging profile",
        ),
        kind="read", reason="Reads only.",
        params=pages(),
        returns=shapes.MOBILE_PHONE_NUMBER_MESSAGING, returns_list=True, paginated=True,
    ),
    op(
        name="get_mobile_phone_number_messaging_settings", title="Get a mobile number's messaging settings",
        method="GET", path="/mobile_phone_numbers/{mobile_phone_number_id}/messaging",
        description="One mobile number's messaging profile and SMS features.",
        search_words=(
            "sms", "text messages", "messaging profile", "can it text",
        ),
        kind="read", reason="Reads only.",
        params=(NUMBER_ID,), returns=shapes.MOBILE_PHONE_NUMBER_MESSAGING,
    ),
]
