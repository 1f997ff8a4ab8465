"""Every tool, called through a real MCP client session in both protocol eras, against a local HTTP API."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from api_mock import canned_body
from confirmations import yes_person
from samples import SAMPLE_UUID, sample_arguments
from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.tools.client import TelnyxClient
from telnyx_iot_mcp.tools.registry import OPERATIONS

pytestmark = pytest.mark.anyio
MODES = ["auto", "legacy"]
NAMES = sorted(OPERATIONS)


def expected_wire(name: str, arguments: dict[str, Any]) -> tuple[str, list[tuple[str, str]], dict | None]:
    """The path, query and body the API must receive for these arguments, from the registry's wire names."""
    op = OPERATIONS[name]
    path, query, body = "/v2" + op.path, [], {}
    for p in op.params:
        if p.name not in arguments:
            continue
        value = arguments[p.name]
        if p.location == "path":
            path = path.replace("{" + p.name + "}", value)
        elif p.location == "query" and isinstance(value, list) and not p.wire.endswith("]"):
            query.extend((p.wire, item) for item in value)  # a top-level array: `sort=a&sort=b`
        elif p.location == "query":
            text = ",".join(value) if isinstance(value, list) else str(value).lower() if isinstance(value, bool) else str(value)
            query.append((p.wire, text))
        else:
            body[p.wire] = value
    return path, sorted([*query, *op.fixed_query]), body or None


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", NAMES)
async def test_tool_sends_the_right_request_and_returns_the_api_data(api_mock, name, mode):
    arguments = sample_arguments(name, full=True)
    if name == "delete_sim_card":
        arguments["report_lost"] = False  # the typed-confirmation path is the gate's own test
    client = TelnyxClient(base_url=api_mock.url, api_key="test-key")
    async with Client(create_server(client), mode=mode, elicitation_callback=yes_person) as session:
        result = await session.call_tool(name, arguments)
    await client.aclose()

    assert not result.is_error, result.content[0].text
    op = OPERATIONS[name]
    path, query, body = expected_wire(name, arguments)
    # (a confirmation's preview may read the same path first, with other query parameters)
    sent = [r for r in api_mock.requests if r.method == op.method and r.path == path and sorted(r.query) == query]
    assert len(sent) == 1, [(r.method, r.path, r.query) for r in api_mock.requests]
    assert sent[0].json == body
    assert sent[0].headers["authorization"] == "Bearer test-key"
    expected = canned_body(op)
    # the API's data, less the secret fields its registry entry keeps back (those asked for were accepted)
    hidden = {s.field for s in op.secrets} - {s.field for s in op.reveals(arguments)}

    def shown(record: Any) -> Any:
        return {k: v for k, v in record.items() if k not in hidden} if isinstance(record, dict) else record

    data = expected["data"]
    assert result.structured_content["data"] == ([shown(r) for r in data] if isinstance(data, list) else shown(data))
    assert result.structured_content.get("meta") == expected.get("meta")


@pytest.mark.parametrize("mode", MODES)
async def test_list_sim_cards_query_string_on_the_wire(api_mock, mode):
    client = TelnyxClient(base_url=api_mock.url, api_key="k")
    async with Client(create_server(client), mode=mode) as session:
        result = await session.call_tool("list_sim_cards", {
            "sim_card_group_id": SAMPLE_UUID, "status": ["enabled", "standby"], "include_sim_card_group": True,
            "sort": "-current_billing_period_consumed_data.amount", "page_number": 2, "page_size": 250,
        })
    await client.aclose()
    assert not result.is_error
    assert sorted(api_mock.requests[-1].query) == sorted([
        ("filter[sim_card_group_id]", SAMPLE_UUID), ("filter[status]", "enabled,standby"),
        ("include_sim_card_group", "true"), ("sort", "-current_billing_period_consumed_data.amount"),
        ("page[number]", "2"), ("page[size]", "250"),
    ])
    assert result.structured_content["meta"]["total_pages"] == 1


async def test_paths_that_the_seed_document_gets_wrong(api_mock):
    client = TelnyxClient(base_url=api_mock.url, api_key="k")
    async with Client(create_server(client), mode="auto") as session:
        await session.call_tool("update_wireless_blocklist", {"blocklist_id": SAMPLE_UUID, "name": "EU only"})
        await session.call_tool("list_mobile_voice_connections", {})
    await client.aclose()
    assert [(r.method, r.path) for r in api_mock.requests] == [
        ("GET", f"/v2/wireless_blocklists/{SAMPLE_UUID}"),  # the state before, for the change journal
        ("PATCH", f"/v2/wireless_blocklists/{SAMPLE_UUID}"),
        ("GET", "/v2/mobile_voice_connections"),
    ]
