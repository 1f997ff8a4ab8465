"""What the API returns: one compact JSON Schema per record type, for the tools' output schemas.

Fields are nullable and none is required, so a response may omit fields or trim them (the `fields`
argument). tools/schema.py publishes the names and nesting of these records, not their scalar types.
"""

from __future__ import annotations

from typing import Any

Spec = str | dict[str, "Spec"] | list["Spec"]


def _field(spec: Spec) -> dict[str, Any]:
    if isinstance(spec, dict):
        return {"type": ["object", "null"], "properties": {k: _field(v) for k, v in spec.items()}}
    if isinstance(spec, list):
        return {"type": ["array", "null"], "items": _field(spec[0]) if spec else {}}
    return {"type": [spec, "null"]}


def record(**fields: Spec) -> dict[str, Any]:
    return {"type": "object", "properties": {k: _field(v) for k, v in fields.items()}}


AMOUNT = {"amount": "string", "unit": "string"}
MONEY = {"amount": "string", "currency": "string"}
STAMPS = {"created_at": "string", "updated_at": "string"}

SIM_CARD = record(
    id="string", record_type="string", iccid="string", imsi="string", msisdn="string", eid="string",
    type="string", status={"value": "string", "reason": "string"}, sim_card_group_id="string",
    tags=["string"], authorized_imeis=["string"], current_imei="string", voice_enabled="boolean",
    data_limit=AMOUNT, current_billing_period_consumed_data=AMOUNT, live_data_session="string",
    ipv4="string", ipv6="string", actions_in_progress="boolean", esim_installation_status="string",
    current_mcc="string", current_mnc="string", sim_card_group="object", pin_puk_codes="object", **STAMPS,
)
SIM_CARD_GROUP = record(
    id="string", record_type="string", name="string", default="boolean", sim_card_count="integer",
    data_limit=AMOUNT, consumed_data=AMOUNT, private_wireless_gateway_id="string",
    wireless_blocklist_id="string", iccids=["string"], **STAMPS,
)
SIM_CARD_ACTION = record(
    id="string", record_type="string", action_type="string", sim_card_id="string",
    status={"value": "string", "reason": "string"}, settings="object", **STAMPS,
)
BULK_SIM_CARD_ACTION = record(
    id="string", record_type="string", action_type="string", settings="object",
    sim_card_actions_summary=[{"count": "integer", "status": "string"}], **STAMPS,
)
SIM_CARD_GROUP_ACTION = record(
    id="string", record_type="string", type="string", sim_card_group_id="string", status="string",
    settings="object", **STAMPS,
)
SIM_CARD_ORDER = record(
    id="string", record_type="string", status="string", quantity="integer", cost=MONEY,
    order_address="object", tracking_url="string", **STAMPS,
)
SIM_CARD_ORDER_PREVIEW = record(
    record_type="string", quantity="integer", sim_cards_cost=MONEY, shipping_cost=MONEY, total_cost=MONEY,
)
DATA_USAGE_NOTIFICATION = record(
    id="string", record_type="string", sim_card_id="string", threshold=AMOUNT, **STAMPS,
)
OTA_UPDATE = record(
    id="string", record_type="string", sim_card_id="string", status="string", type="string",
    settings="object", **STAMPS,
)
WIRELESS_BLOCKLIST = record(
    id="string", record_type="string", name="string", type="string", values=["string"], **STAMPS,
)
BLOCKLIST_VALUE = record(code="string", name="string")
REGION = record(code="string", name="string", inserted_at="string", updated_at="string")
PUBLIC_IP = record(
    record_type="string", sim_card_id="string", ip="string", region_code="string", type="string", **STAMPS,
)
ACTIVATION_CODE = record(record_type="string", activation_code="string")
DEVICE_DETAILS = record(
    record_type="string", imei="string", brand_name="string", model_name="string",
    device_type="string", operating_system="string",
)
CONNECTIVITY_LOG = record(
    id="integer", record_type="string", sim_card_id="string", log_type="string", state="string",
    imei="string", imsi="string", ipv4="string", ipv6="string", apn="string", cell_id="string",
    mobile_country_code="string", mobile_network_code="string", radio_access_technology="string",
    start_time="string", stop_time="string", last_seen="string", created_at="string",
)
REGISTRATION_CODE_VALIDATION = record(
    record_type="string", registration_code="string", valid="boolean", invalid_detail="string",
)
MOBILE_VOICE_CONNECTION = record(
    id="string", record_type="string", connection_name="string", active="boolean", tags=["string"],
    inbound={"channel_limit": "integer"},
    outbound={"channel_limit": "integer", "outbound_voice_profile_id": "string"},
    webhook_api_version="string", webhook_event_url="string", webhook_event_failover_url="string",
    webhook_timeout_secs="integer", **STAMPS,
)
MIGRATION_SOURCE = record(
    id="string", provider="string", bucket_name="string", source_region="string",
)
MIGRATION_SOURCE_COVERAGE = record(provider="string", source_region="string")
MIGRATION = record(
    id="string", source_id="string", target_bucket_name="string", target_region="string",
    refresh="boolean", status="string", bytes_migrated="integer", bytes_to_migrate="integer",
    speed="integer", eta="string", last_copy="string", created_at="string",
)

PAGE_META = {
    "type": "object",
    "description": "Paging: ask for page_number + 1 while it is below total_pages.",
    "properties": {k: {"type": "integer"} for k in ("page_number", "page_size", "total_pages", "total_results")},
}
