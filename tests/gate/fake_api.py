"""A recording stand-in for the Telnyx API behind `TelnyxClient(transport=httpx.MockTransport(...))`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx

from telnyx_iot_mcp.tools.client import TelnyxClient
from telnyx_iot_mcp.tools.registry import OPERATIONS, Operation

BASE_URL = "https://api.telnyx.test/v2"
SIM_ID = "6a09cdc3-8948-47f0-aa62-74ac943d6c58"
GROUP_ID = "0b6a5d2e-5a0f-4c4b-9a59-9d0d1c3c1f10"
EMPTY_GROUP_ID = "1b6a5d2e-5a0f-4c4b-9a59-9d0d1c3c1f11"
BLOCKLIST_ID = "2c6a5d2e-5a0f-4c4b-9a59-9d0d1c3c1f12"
OTHER_ID = "3d6a5d2e-5a0f-4c4b-9a59-9d0d1c3c1f13"
MISSING_ID = "4e6a5d2e-5a0f-4c4b-9a59-9d0d1c3c1f14"
GATEWAY_ID = "5f6a5d2e-5a0f-4c4b-9a59-9d0d1c3c1f15"
PROFILE_ID = "6a6a5d2e-5a0f-4c4b-9a59-9d0d1c3c1f16"
REPORT_ID = "7b6a5d2e-5a0f-4c4b-9a59-9d0d1c3c1f17"
NUMBER_ID = "2126210528794641864"
ICCID = "89441000300000001234"
GROUP_NAME = "Trackers"
IMEI = "490154203237518"
DROP = object()  # a field given this value in `overrides` or `by_id` is left out of the record
GROUP_SIZES = {GROUP_ID: 12, EMPTY_GROUP_ID: 0}  # what list_sim_cards filtered by the group counts

# Valid arguments for every gated tool (a test checks this covers exactly the registry's gated operations).
GATED_SAMPLES: dict[str, dict[str, Any]] = {
    "delete_sim_card": {"sim_card_id": SIM_ID},
    "disable_sim_card": {"sim_card_id": SIM_ID},
    "set_sim_card_standby": {"sim_card_id": SIM_ID},
    "remove_sim_card_public_ip": {"sim_card_id": SIM_ID},
    "bulk_disable_voice": {"sim_card_group_id": GROUP_ID},
    "delete_sim_card_group": {"sim_card_group_id": EMPTY_GROUP_ID},
    "set_group_private_wireless_gateway": {"sim_card_group_id": GROUP_ID, "private_wireless_gateway_id": GATEWAY_ID},
    "remove_group_private_wireless_gateway": {"sim_card_group_id": GROUP_ID},
    "set_group_wireless_blocklist": {"sim_card_group_id": GROUP_ID, "wireless_blocklist_id": BLOCKLIST_ID},
    "delete_wireless_blocklist": {"blocklist_id": BLOCKLIST_ID},
    "delete_data_usage_notification": {"notification_id": OTHER_ID},
    "delete_migration_source": {"migration_source_id": "src_1234"},
    "stop_migration": {"migration_id": "mig_1234"},
    "delete_mobile_voice_connection": {"connection_id": "1293384261075731499"},
    "purchase_esims": {"amount": 5},
    "create_sim_card_order": {"address_id": "addr_1234", "quantity": 10},
    "set_sim_card_public_ip": {"sim_card_id": SIM_ID, "region_code": "dc2"},
    "enable_sim_card": {"sim_card_id": SIM_ID},
    "bulk_set_public_ips": {"sim_card_ids": [SIM_ID, OTHER_ID]},
    "bulk_enable_voice": {"sim_card_group_id": GROUP_ID},
    "enable_sim_card_voice": {"sim_card_id": SIM_ID, "connection_id": "1293384261075731499"},
    "disable_sim_card_voice": {"sim_card_id": SIM_ID},
    "create_private_wireless_gateway": {"network_id": OTHER_ID, "name": "Plant", "region_code": "dc2"},
    "delete_private_wireless_gateway": {"private_wireless_gateway_id": GATEWAY_ID},
    "delete_traffic_policy_profile": {"traffic_policy_profile_id": PROFILE_ID},
    "delete_wdr_report": {"report_id": REPORT_ID},
}
# The most dangerous calls: the user must type this to confirm.
TYPED_SAMPLES: dict[str, tuple[dict[str, Any], str]] = {
    "delete_sim_card": ({"sim_card_id": SIM_ID, "report_lost": True}, ICCID[-4:]),
    "delete_sim_card_group": ({"sim_card_group_id": GROUP_ID}, GROUP_NAME),
}

RECORDS: dict[str, dict[str, Any]] = {
    "get_sim_card": {"id": SIM_ID, "iccid": ICCID, "type": "esim", "status": {"value": "enabled"},
                     "sim_card_group_id": GROUP_ID, "sim_card_group": {"id": GROUP_ID, "name": GROUP_NAME},
                     "current_billing_period_consumed_data": {"amount": "1228.8", "unit": "MB"},
                     "current_imei": IMEI},
    # The single-group endpoint does not return a SIM count: previews count with list_sim_cards.
    "get_sim_card_group": {"id": GROUP_ID, "name": GROUP_NAME, "consumed_data": {"amount": "5000", "unit": "MB"},
                           "data_limit": None, "wireless_blocklist_id": None, "private_wireless_gateway_id": None},
    "get_wireless_blocklist": {"id": BLOCKLIST_ID, "name": "No roaming", "type": "country", "values": ["CA", "MX"]},
    "get_data_usage_notification": {"id": OTHER_ID, "sim_card_id": SIM_ID, "threshold": {"amount": "500", "unit": "MB"}},
    "get_mobile_voice_connection": {"id": "1293384261075731499", "connection_name": "Fleet voice", "active": True},
    "get_migration_source": {"id": "src_1234", "provider": "aws", "bucket_name": "logs", "source_region": "us-east-1"},
    "get_migration": {"id": "mig_1234", "target_bucket_name": "archive", "status": "migrating",
                      "bytes_migrated": 40, "bytes_to_migrate": 100},
    "get_private_wireless_gateway": {"id": GATEWAY_ID, "name": "Chicago metering", "region_code": "dc2",
                                     "ip_range": "100.64.1.0/24", "status": {"value": "provisioned"}},
    "get_traffic_policy_profile": {"id": PROFILE_ID, "type": "whitelist", "services": ["mqtt"],
                                   "ip_ranges": ["203.0.113.0/24", "198.51.100.0/24"], "domains": []},
    "get_wdr_report": {"id": REPORT_ID, "start_time": "2026-10-01T00:00:00Z", "end_time": "2026-11-01T00:00:00Z",
                       "status": "complete"},
    "get_mobile_phone_number": {"id": NUMBER_ID, "phone_number": "+13125550199", "sim_card_id": SIM_ID},
    "preview_sim_card_order": {"quantity": 10, "sim_cards_cost": {"amount": "10.00", "currency": "USD"},
                               "shipping_cost": {"amount": "2.50", "currency": "USD"},
                               "total_cost": {"amount": "12.50", "currency": "USD"}},
}

_ROUTES = sorted(
    ((op.method, re.compile("^/v2" + re.sub(r"{\w+}", "[^/]+", op.path) + "$"), op) for op in OPERATIONS.values()),
    key=lambda row: row[1].pattern.count("[^/]+"),  # literal paths before templated ones
)


def operation_of(method: str, path: str) -> Operation | None:
    return next((op for m, rx, op in _ROUTES if m == method and rx.match(path)), None)


@dataclass
class Sent:
    method: str
    path: str
    query: str
    body: Any
    op: Operation | None


@dataclass
class FakeApi:
    requests: list[Sent] = field(default_factory=list)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)  # tool -> fields to change in its record
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)  # an id in the path -> fields to change
    failing: set[str] = field(default_factory=set)  # tools answered with 403
    totals: bool = True  # lists say meta.total_results

    def handle(self, request: httpx.Request) -> httpx.Response:
        op = operation_of(request.method, request.url.path)
        body = json.loads(request.content) if request.content else None
        self.requests.append(Sent(request.method, request.url.path, request.url.query.decode(), body, op))
        headers = {"x-request-id": f"req-{len(self.requests)}"}
        if op is None:
            return httpx.Response(404, json={"errors": [{"code": "10005", "title": "Not found"}]}, headers=headers)
        if MISSING_ID in request.url.path:
            return httpx.Response(404, json={"errors": [{"code": "10005", "title": "Resource not found"}]},
                                  headers=headers)
        if op.name in self.failing:
            return httpx.Response(403, json={"errors": [{"code": "10010", "title": "Forbidden"}]}, headers=headers)
        record = {**RECORDS.get(op.name, {"id": OTHER_ID}), **self.overrides.get(op.name, {})}
        if op.name == "get_sim_card":  # the SIM the path names, its id as the API spells ids (lower case)
            record["id"] = request.url.path.rsplit("/", 1)[-1].lower()
        if op.name == "get_sim_card_group" and EMPTY_GROUP_ID in request.url.path:
            record.update(id=EMPTY_GROUP_ID, name="Spare")
        for target, fields in self.by_id.items():
            if target in request.url.path:
                record.update(fields)
        record = {k: v for k, v in record.items() if v is not DROP}
        data: Any = [record] if op.returns_list else record
        payload: dict[str, Any] = {"data": data}
        if op.paginated:
            total = GROUP_SIZES.get(request.url.params.get("filter[sim_card_group_id]"), 1)
            payload["data"] = data[:total]
            payload["meta"] = {"page_number": 1, "page_size": 20, "total_pages": 1, "total_results": total}
            if not self.totals:
                del payload["meta"]["total_results"]
        return httpx.Response(200, json=payload, headers=headers)

    def client(self) -> TelnyxClient:
        return TelnyxClient(base_url=BASE_URL, api_key="KEY0123456789abcdef",
                            transport=httpx.MockTransport(self.handle))

    def changes(self) -> list[Sent]:
        """Requests that change something: any that is not a read operation."""
        return [r for r in self.requests if r.op is None or not r.op.read_only]

    def gated(self) -> list[Sent]:
        return [r for r in self.requests if r.op is not None and r.op.gated]
