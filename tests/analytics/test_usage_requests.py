"""Every request the usage tools send is one the OpenAPI facts files accept and stays on its operation's URL:
the tools run through a real MCP client against the sandbox, each request checked before the sandbox answers it."""

from __future__ import annotations

import time

import httpx
import pytest
from mcp import Client

from spec_check import accepted_by_spec, path_pattern, stays_inside
from telnyx_iot_mcp.sandbox import create_app
from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.tools.client import TelnyxClient
from telnyx_iot_mcp.tools.registry import OPERATIONS

pytestmark = pytest.mark.anyio
BASE = httpx.URL("http://sandbox/v2")
ROUTES = sorted(((op, path_pattern(op)) for op in OPERATIONS.values()), key=lambda r: r[1].pattern.count("[^/]+"))


class Checked:
    """The sandbox behind a check of each request against the facts files."""

    def __init__(self) -> None:
        self.sandbox = create_app(clock=time.time).state.sandbox
        self.sent: list[tuple[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.raw_path.decode().split("?")[0]
        op = next(op for op, rx in ROUTES if op.method == request.method and rx.match(path))
        stays_inside(op, request, BASE)
        accepted_by_spec(op, request)
        self.sent.append((op.name, str(request.url)))
        status, body, headers = self.sandbox.handle(request.method, path, request.url.params.multi_items(),
                                                    request.content, request.headers.get("authorization"))
        return httpx.Response(status, json=body, headers=headers)


async def test_the_usage_tools_send_only_requests_the_facts_files_accept():
    api = Checked()
    client = TelnyxClient(base_url=str(BASE), api_key="KEY0123456789usage", transport=httpx.MockTransport(api))
    sims = [s for s in api.sandbox.store.all("sim_cards") if "current_imei" in s][:3]
    group = sims[0]["sim_card_group_id"]
    calls = [
        ("find_usage_anomalies", {}),
        ("find_usage_anomalies", {"sim_card_group_id": group, "kinds": ["spike", "silent"], "days": 10}),
        ("find_usage_anomalies", {"sim_card_ids": [s["id"] for s in sims], "start": "2026-11-01", "end": "2026-11-20"}),
        ("forecast_data_limits", {"tags": ["tracker"]}),
        ("forecast_data_limits", {"sim_card_ids": [sims[0]["id"]]}),
        ("usage_report", {"by": ["country", "operator", "group_day"], "top": 3}),
        ("usage_report", {"sim_card_group_id": group, "days": 30}),
    ]
    async with Client(create_server(client)) as session:
        for name, arguments in calls:
            result = await session.call_tool(name, arguments)
            assert not result.is_error, (name, result.content[0].text)
    await client.aclose()
    used = {name for name, _ in api.sent}
    assert used == {"list_sim_card_groups", "list_sim_cards", "get_sim_card", "list_wireless_detail_records",
                    "list_mobile_network_operators"}, used
    wdrs = [url for name, url in api.sent if name == "list_wireless_detail_records"]
    assert all("page%5Bsize%5D=250" in url or "page[size]=250" in url for url in wdrs)
    assert any("sim_card_id=" in url for url in wdrs) and any("sim_group_id=" in url for url in wdrs)
