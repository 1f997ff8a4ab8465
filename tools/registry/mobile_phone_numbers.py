"""Mobile phone numbers: the numbers voice-enabled SIM cards get, their call settings and messaging settings."""

from functools import partial

from . import shapes
from .model import Operation, Param, array, body, boolean, enum, nullable, obj, pages, string

op = partial(Operation, toolset="mobile_phone_numbers")

# The API types these ids as plain strings (int64 in its examples). Digits only: `messaging` is a sibling path
# (/mobile_phone_numbers/messaging) that a free-form id would reach instead of a number.
NUMBER_ID = Param(name="mobile_phone_number_id", location="path", wire="mobile_phone_number_id", required=True,
                  schema={"type": "string", "pattern": "^[0-9]{1,32}$", "maxLength": 32})
INT64_ID = nullable(string(max_length=32, pattern="^[0-9]{1,32}$"))
PATH_NOTE = ("The API description keys this path under /v2/mobile_phone_numbers, which with the /v2 base URL "
             "would call /v2/v2/... (the SDKs do); the docs list /mobile_phone_numbers under /v2, which the "
             "entry follows.")

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
        path="/mobile_phone_numbers/{mobile_phone_number_id}",
        description="Change a number's call forwarding, recording, caller ID name, screening, connection or tags.",
        search_words=(
            "forward calls", "record calls", "cnam", "caller name", "call screening", "block robocalls",
            "noise cancel",
            "turn on call recording", "mp3 recording", "caller id name",
        ),
        kind="billable", reason="Forwarding makes a billed call leg, recording and CNAM listing are paid "
                                "features, and a new connection re-routes live calls; Telnyx publishes no "
                                "prices, so every change is asked for.",
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
