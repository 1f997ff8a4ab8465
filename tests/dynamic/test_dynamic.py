"""Dynamic mode: a tiny tool list, and every operation reachable through call_operation, validated and gated
exactly like its static tool."""

from __future__ import annotations

import json

import httpx
import pytest
from mcp import Client, types

from api_mock import ApiMock
from samples import sample_arguments
from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.server.selection import CATALOG, select
from telnyx_iot_mcp.server.settings import Settings
from telnyx_iot_mcp.tools.client import TelnyxClient
from telnyx_iot_mcp.tools.registry import OPERATIONS
from telnyx_iot_mcp.tools.schema import output_schema, published_input_schema

pytestmark = pytest.mark.anyio
MODES = ["auto", "legacy"]


def mock_client(mock: ApiMock) -> TelnyxClient:
    return TelnyxClient(base_url="http://api/v2", transport=httpx.ASGITransport(app=mock.app()))


async def accept(context, params: types.ElicitRequestParams) -> types.ElicitResult:
    """Says yes, typing what a typed challenge asks for ("Type exactly: X")."""
    content = {}
    for name, field in params.requested_schema["properties"].items():
        content[name] = True if field["type"] == "boolean" else field["description"].split("Type exactly: ", 1)[1]
    return types.ElicitResult(action="accept", content=content)


async def decline(context, params) -> types.ElicitResult:
    return types.ElicitResult(action="decline")


def sent(mock: ApiMock, name: str) -> list:
    """The requests of operation `name` itself (a gate preview may read other endpoints first)."""
    return [r for r in mock.requests if mock.match(r.method, r.path) is OPERATIONS[name]]


def wire(result: types.CallToolResult) -> tuple:
    """The result; a change's id is new each time, so only whether it has one."""
    content = dict(result.structured_content or {})
    if content.pop("change_id", None) is not None:
        content["change_id"] = "(an id)"
    return result.is_error, content


async def test_tools_list_is_tiny():
    server = create_server(mock_client(ApiMock()), tools_mode="dynamic")
    async with Client(server) as mcp:
        tools = (await mcp.list_tools()).tools
    text = json.dumps([t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools],
                      separators=(",", ":"))
    static = json.dumps([t.model_dump(mode="json", by_alias=True, exclude_none=True)
                         for t in (await _static_tools())], separators=(",", ":"))
    print(f"\ndynamic tools/list: {len(tools)} tools, {len(text)} bytes (static: {len(static)} bytes)")
    assert [t.name for t in tools] == ["search_operations", "describe_operation", "call_operation"]
    assert len(text) < 2048


async def _static_tools():
    async with Client(create_server(mock_client(ApiMock()))) as mcp:
        return (await mcp.list_tools()).tools


async def test_search_by_words_toolset_and_class():
    async with Client(create_server(mock_client(ApiMock()), tools_mode="dynamic")) as mcp:
        words = (await mcp.call_tool("search_operations", {"query": "disable sim"})).structured_content["data"]
        actions = (await mcp.call_tool("search_operations", {"toolset": "actions"})).structured_content["data"]
        billable = (await mcp.call_tool("search_operations", {"kind": "billable"})).structured_content["data"]
        bad = await mcp.call_tool("search_operations", {"kind": "dangerous"})
    assert words[0]["name"] == "disable_sim_card"
    assert set(words[0]) - {"apart"} == {"name", "title", "class", "toolset", "description"}
    assert [d["name"] for d in actions] == [e.name for e in CATALOG.values() if e.toolset == "actions"]
    assert [d["name"] for d in billable] == [e.name for e in CATALOG.values() if e.kind == "billable"]
    assert bad.is_error and "kind" in bad.content[0].text


@pytest.mark.parametrize(("query", "expected"), [
    ("block roaming in a country for the group", "set_group_wireless_blocklist"),
    ("disabled sims", "disable_sim_card"),
    ("order sim cards", "create_sim_card_order"),
])
async def test_search_finds_operations_as_people_word_them(query, expected):
    async with Client(create_server(mock_client(ApiMock()), tools_mode="dynamic")) as mcp:
        found = (await mcp.call_tool("search_operations", {"query": query})).structured_content["data"]
    assert expected in [d["name"] for d in found[:3]], [d["name"] for d in found]


async def test_catalog_respects_the_selection():
    chosen = select(Settings(read_only=True, toolsets=["sim_cards"]))
    async with Client(create_server(mock_client(ApiMock()), chosen, tools_mode="dynamic")) as mcp:
        found = (await mcp.call_tool("search_operations", {})).structured_content
        hidden = await mcp.call_tool("describe_operation", {"operation": "disable_sim_card"})
        refused = await mcp.call_tool("call_operation", {"operation": "disable_sim_card",
                                                         "arguments": sample_arguments("disable_sim_card")})
    assert [d["name"] for d in found["data"]] == [e.name for e in chosen][:20]
    assert hidden.is_error and "not offered" in hidden.content[0].text
    assert refused.is_error and "not offered" in refused.content[0].text


@pytest.mark.parametrize("name", list(CATALOG))
async def test_describe_every_operation(name):
    async with Client(create_server(mock_client(ApiMock()), tools_mode="dynamic")) as mcp:
        described = (await mcp.call_tool("describe_operation", {"operation": name})).structured_content
    entry = CATALOG[name]
    # the same schemas the static tool publishes
    assert described["input_schema"] == published_input_schema(name)
    assert described["output_schema"] == output_schema(name)
    assert described["class"] == entry.kind and described["asks_confirmation"] == entry.may_ask


@pytest.mark.parametrize("mode", MODES)
async def test_every_operation_runs_the_same_as_its_static_tool(mode):
    """Same arguments, same confirmation answers: same result and the same requests on the wire."""
    static_mock, dynamic_mock = ApiMock(), ApiMock()
    static_server = create_server(mock_client(static_mock))
    dynamic_server = create_server(mock_client(dynamic_mock), tools_mode="dynamic")
    async with Client(static_server, mode=mode, elicitation_callback=accept) as static, \
            Client(dynamic_server, mode=mode, elicitation_callback=accept) as dynamic:
        for name in OPERATIONS:
            arguments = sample_arguments(name, full=True)
            direct = await static.call_tool(name, arguments)
            through = await dynamic.call_tool("call_operation", {"operation": name, "arguments": arguments})
            assert wire(through) == wire(direct), name
            assert not through.is_error, (name, through.content[0].text)
            assert [(r.method, r.path, r.query, r.json) for r in dynamic_mock.requests] == \
                   [(r.method, r.path, r.query, r.json) for r in static_mock.requests], name
            static_mock.requests.clear()
            dynamic_mock.requests.clear()


@pytest.mark.parametrize("name", [n for n, op in OPERATIONS.items() if op.params][:66])
async def test_invalid_arguments_are_refused_the_same_way(name):
    arguments = {**sample_arguments(name), "no_such_argument": 1}
    mock = ApiMock()
    async with Client(create_server(mock_client(mock)), elicitation_callback=accept) as static, \
            Client(create_server(mock_client(mock), tools_mode="dynamic"), elicitation_callback=accept) as dynamic:
        direct = await static.call_tool(name, arguments)
        through = await dynamic.call_tool("call_operation", {"operation": name, "arguments": arguments})
    assert through.is_error and wire(through) == wire(direct)
    assert "no_such_argument" in through.content[0].text and mock.requests == []


@pytest.mark.parametrize("mode", MODES)
async def test_gated_call_declined_sends_nothing(mode):
    mock = ApiMock()
    async with Client(create_server(mock_client(mock), tools_mode="dynamic"), mode=mode,
                      elicitation_callback=decline) as mcp:
        result = await mcp.call_tool("call_operation", {"operation": "disable_sim_card",
                                                        "arguments": sample_arguments("disable_sim_card")})
    assert result.is_error and "disable_sim_card" in result.content[0].text
    assert sent(mock, "disable_sim_card") == []


@pytest.mark.parametrize("name", [n for n, op in OPERATIONS.items() if op.gated])
async def test_gated_call_without_elicitation_takes_the_token_route(name):
    mock = ApiMock()
    arguments = sample_arguments(name, full=True)
    async with Client(create_server(mock_client(mock), tools_mode="dynamic")) as mcp:
        first = await mcp.call_tool("call_operation", {"operation": name, "arguments": arguments})
        assert not first.is_error and sent(mock, name) == []
        token = first.structured_content["confirmation_required"]["confirmation_token"]
        # it says to repeat the call through a tool this mode lists, not through the unlisted static tool
        assert f'call call_operation(operation="{name}") again' in first.content[0].text
        assert f"call {name} again" not in first.content[0].text
        second = await mcp.call_tool("call_operation", {"operation": name, "arguments": {**arguments, "confirmation_token": token}})
        replay = await mcp.call_tool("call_operation", {"operation": name, "arguments": {**arguments, "confirmation_token": token}})
    assert not second.is_error, second.content[0].text
    assert len(sent(mock, name)) == 1
    assert replay.is_error and len(sent(mock, name)) == 1


async def test_local_tools_are_reached_through_call_operation_too():
    mock = ApiMock()
    async with Client(create_server(mock_client(mock), tools_mode="dynamic")) as mcp:
        result = await mcp.call_tool("call_operation", {"operation": "wait_for_action", "arguments": {
            "action_id": "6a09cdc3-8948-47f0-aa62-74ac943d6c58", "kind": "group", "timeout_seconds": 1,
            "interval_seconds": 0.5}})
        invalid = await mcp.call_tool("call_operation", {"operation": "wait_for_action", "arguments": {"kind": "bulk"}})
    assert not result.is_error and result.structured_content["meta"]["polls"] >= 1
    assert {r.path for r in mock.requests} == {"/v2/sim_card_group_actions/6a09cdc3-8948-47f0-aa62-74ac943d6c58"}
    assert invalid.is_error and "action_id" in invalid.content[0].text
