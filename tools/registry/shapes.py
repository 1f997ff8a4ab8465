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
PRIVATE_WIRELESS_GATEWAY = record(
    id="string", record_type="string", name="string", network_id="string", region_code="string",
    ip_range="string", status={"value": "string", "error_code": "string", "error_description": "string"},
    assigned_resources=[{"record_type": "string", "count": "integer"}], **STAMPS,
)
MOBILE_NETWORK_OPERATOR = record(
    id="string", record_type="string", name="string", country_code="string", mcc="string", mnc="string",
    tadig="string", network_preferences_enabled="boolean",
)
TRAFFIC_POLICY_PROFILE = record(
    id="string", record_type="string", type="string", services=["string"], ip_ranges=["string"],
    domains=["string"], limit_bw_kbps="integer", **STAMPS,
)
TRAFFIC_POLICY_SERVICE = record(id="string", name="string", group="string", resource_type="string")
WDR_REPORT = record(
    id="string", record_type="string", start_time="string", end_time="string", status="string",
    report_url="string", **STAMPS,
)
DATA_VOLUME = {"amount": "number", "unit": "string"}
WIRELESS_DETAIL_RECORD = record(
    id="string", record_type="string", created_at="string", duration_seconds="number", sim_card_id="string",
    sim_group_id="string", sim_group_name="string", imsi="string", phone_number="string", mcc="string",
    mnc="string", uplink_data=DATA_VOLUME, downlink_data=DATA_VOLUME, cost=MONEY, rate=MONEY,
)
SIM_CARD_USAGE_RECORD = record(
    id="string", record_type="string", created_at="string", closed_at="string", sim_card_id="string",
    sim_card_tags="string", sim_group_id="string", sim_group_name="string", imsi="string", phone_number="string",
    ip_address="string", mcc="string", mnc="string", uplink_data="number", downlink_data="number",
    data_unit="string", data_rate="string", data_cost="number", currency="string",
)
MOBILE_PHONE_NUMBER = record(
    id="string", record_type="string", phone_number="string", sim_card_id="string", status="string",
    country_iso_alpha2="string",
    mobile_voice_enabled="boolean", connection_id="string", connection_name="string", connection_type="string",
    customer_reference="string", tags=["string"], caller_id_name_enabled="boolean",
    inbound_call_screening="string", noise_suppression="string",
    call_forwarding={"call_forwarding_enabled": "boolean", "forwarding_type": "string", "forwards_to": "string"},
    call_recording={"inbound_call_recording_enabled": "boolean", "inbound_call_recording_channels": "string",
                    "inbound_call_recording_format": "string"},
    cnam_listing={"cnam_listing_enabled": "boolean", "cnam_listing_details": "string"},
    inbound={"interception_app_id": "string", "interception_app_name": "string"},
    outbound={"interception_app_id": "string", "interception_app_name": "string"}, **STAMPS,
)
MOBILE_PHONE_NUMBER_MESSAGING = record(
    id="string", record_type="string", phone_number="string", country_code="string", type="string",
    messaging_profile_id="string", messaging_product="string", traffic_type="string", organization_id="string",
    tags=["string"], features="object", **STAMPS,
)

PAGE_META = {
    "type": "object",
    "description": "Paging: ask for page_number + 1 while it is below total_pages.",
    "properties": {k: {"type": "integer"} for k in ("page_number", "page_size", "total_pages", "total_results")},
}
