"""Arguments as agent frameworks and strict-mode models send them, and results as their clients check them.

The real converters run in the compatibility suite (tests/compat, `pytest -m compat`); these tests pin the
server's side of the contract on every tool."""

from __future__ import annotations

import keyword
import re
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from mcp import Client, types

from api_mock import ApiMock
from samples import sample_arguments
from telnyx_iot_mcp.server.app import create_server, text_result, via_call_operation
from telnyx_iot_mcp.server.dynamic import DYNAMIC_TOOLS
from telnyx_iot_mcp.server.event_methods import EventService
from telnyx_iot_mcp.server.gate import Gate, asks_by_form
from telnyx_iot_mcp.server.journal import Journal, MemoryBackend
from telnyx_iot_mcp.server.plans import unanswered_note
from telnyx_iot_mcp.sandbox import create_app
from telnyx_iot_mcp.server.selection import CATALOG, select
from telnyx_iot_mcp.server.watcher import SqliteWatchState
from telnyx_iot_mcp.server.settings import Settings
from telnyx_iot_mcp.tools.client import TelnyxClient
from telnyx_iot_mcp.tools.local import LOCAL_TOOLS as LOCAL_TOOLS_BY_NAME, MAX_WAIT_SECONDS
from telnyx_iot_mcp.tools.registry import OPERATIONS, TOOLSETS
from telnyx_iot_mcp.tools.schema import (CONFIRMATION_TOKEN, FILLABLE, empty_is_unset, input_schema, output_schema,
                                         published_input_schema, unfilled)

pytestmark = pytest.mark.anyio
SIM = "6a09cdc3-8948-47f0-aa62-74ac943d6c58"
CHANGE = "chg_0123456789abcdef"
STOPPED = "chg_fedcba9876543210"  # a plan stopped before any of its SIMs was sent
SUBSCRIPTION = "sub_0123456789abcdef01234567"
LOCAL_SAMPLES = {"wait_for_action": {"action_id": SIM, "kind": "sim_card", "timeout_seconds": 1},
                 "apply_to_sim_cards": {"operation": "set_sim_card_standby", "sim_card_ids": [SIM]},
                 "get_change": {"change_id": CHANGE}, "undo_change": {"change_id": CHANGE},
                 "resume_change": {"change_id": STOPPED},
                 "remove_event_subscription": {"subscription_id": SUBSCRIPTION}}
# The journal's tools read the state store: a journal holding one change (that reached no resource) answers them
# without a request to the API. So do the event subscription tools, from a watch state holding one of the caller's.
JOURNAL_READS = {"list_changes", "get_change", "undo_change", "resume_change", "list_event_subscriptions",
                 "remove_event_subscription"}


def journal_with_a_change() -> Journal:
    backend = MemoryBackend()
    backend.changes[CHANGE] = (time.time() + 60, {"change_id": CHANGE, "time": "2026-01-01T00:00:00Z",
                                                  "tool": "disable_sim_card", "operation": "disable_sim_card",
                                                  "account": "no-key", "status": "done"})
    backend.changes[STOPPED] = (time.time() + 60, {"change_id": STOPPED, "time": "2026-01-01T00:00:00Z",
                                                   "tool": "apply_to_sim_cards", "operation": "disable_sim_card",
                                                   "account": "no-key", "status": "stopped"})
    return Journal(backend)


async def events_with_a_subscription(client: TelnyxClient) -> EventService:
    async def caller() -> str:
        return "the-caller"

    state = SqliteWatchState(Path(tempfile.mkdtemp(prefix="telnyx-iot-watch-test-")) / "watch.db")
    await state.put_subscription(SUBSCRIPTION, {
        "principal": "the-caller", "name": "sim_card.silent", "arguments": {}, "url": "https://hooks.example.com/in",
        "secret": "whsec_" + "A" * 44, "expires": 4_000_000_000.0, "active": True, "failures": 0, "retry_at": 0.0,
        "cursor": 0, "last_delivery": None, "last_error": None})
    return EventService(client, state, api_key=None, interval=60, allow_private=False, caller=caller)


def mock_client(mock: ApiMock) -> TelnyxClient:
    return TelnyxClient(base_url="http://api/v2", transport=httpx.ASGITransport(app=mock.app()))


def wire(mock: ApiMock) -> list[tuple[str, str, list, Any]]:
    return [(r.method, r.path, r.query, r.json) for r in mock.requests]


def takes_null(schema: dict[str, Any]) -> bool:
    return any(branch.get("type") == "null" for branch in schema.get("anyOf", []))


def strict(schema: Any) -> Any:
    """What OpenAI's strict mode makes of a schema: every property of every object required."""
    if isinstance(schema, dict):
        out = {k: strict(v) for k, v in schema.items()}
        if isinstance(out.get("properties"), dict):
            out["required"] = list(out["properties"])
        return out
    return [strict(v) for v in schema] if isinstance(schema, list) else schema


def filled(schema: dict[str, Any]) -> Any:
    """What a strict model sends for an argument it does not mean to use: null where the schema takes it,
    else the emptiest value of the type."""
    if takes_null(schema):
        return None
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][-1]
    return {"boolean": False, "array": [], "string": ""}.get(schema.get("type"), schema.get("minimum", 1))


def strict_call(schema: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """`given` with every other property of `schema` (nested too) filled as a strict model would."""
    if "properties" not in schema:  # an object or null: the object
        schema = next(branch for branch in schema["anyOf"] if branch.get("type") == "object")
    return {k: (strict_call(sub, given[k]) if isinstance(given.get(k), dict) else given[k]) if k in given
            else filled(sub) for k, sub in schema["properties"].items()}


async def run(mock: ApiMock, name: str, arguments: dict[str, Any], **server: Any) -> types.CallToolResult:
    client = mock_client(mock)
    server.setdefault("changes", journal_with_a_change())
    if "events" not in server:
        server["events"] = await events_with_a_subscription(client)
    async with Client(create_server(client, gate=Gate(client, policy="off"), **server)) as mcp:
        return await mcp.call_tool(name, arguments)


@pytest.mark.parametrize("name", CATALOG)
async def test_null_means_not_given_for_every_optional_argument(name):
    """mcp-use and LlamaIndex send null for each optional argument the model left out."""
    schema = published_input_schema(name)
    required = sample_arguments(name) if name in OPERATIONS else LOCAL_SAMPLES.get(name, {})
    nulls = {k: None for k in schema["properties"] if k not in required}
    plain, with_nulls = ApiMock(), ApiMock()
    first = await run(plain, name, required)
    second = await run(with_nulls, name, {**required, **nulls})
    assert not second.is_error, second.content[0].text
    assert wire(with_nulls) == wire(plain) and (wire(plain) or name in JOURNAL_READS), name
    assert first.structured_content["data"] == second.structured_content["data"]


@pytest.mark.parametrize("name", CATALOG)
async def test_a_strict_mode_call_of_every_tool_is_valid_and_runs(name):
    """A strict model must send every argument: null for the nullable ones, any value for the others."""
    published = published_input_schema(name)
    required = set(published.get("required", []))
    for argument, sub in published["properties"].items():  # a value a model picks there would change the call
        if argument not in required and not takes_null(sub):
            default = "default" in input_schema(name)["properties"][argument]
            assert (sub.get("type") in ("boolean", "integer", "number", "array") or argument == CONFIRMATION_TOKEN
                    or argument in empty_is_unset(name) or (argument == "sort" and "enum" in sub) or default), argument
            assert (name not in OPERATIONS or OPERATIONS[name].read_only or argument in FILLABLE
                    or default), argument
    base = sample_arguments(name) if name in OPERATIONS else LOCAL_SAMPLES.get(name, {})
    call = strict_call(published, base)
    call.update({k: v for k, v in LOCAL_SAMPLES.get(name, {}).items() if k == "timeout_seconds"})
    Draft202012Validator(strict(published)).validate(call)
    mock = ApiMock()
    result = await run(mock, name, call)
    assert not result.is_error, result.content[0].text
    for request in mock.requests:
        assert all(value != "" for _, value in request.query), request.query


EMPTY_FILTERS = [name for name in CATALOG if name in OPERATIONS and empty_is_unset(name)]


@pytest.mark.parametrize("name", EMPTY_FILTERS)
async def test_an_empty_filter_on_a_read_is_no_filter(name):
    """A strict model fills a text filter with "" and a list filter with []: the read sends what it sends
    without them (the API would take "" as a filter, and the server's own limits refuse an empty list)."""
    base = sample_arguments(name)
    empties = {arg: [] if input_schema(name)["properties"][arg]["type"] == "array" else ""
               for arg in empty_is_unset(name) if arg not in base}
    assert empties and all(not takes_null(published_input_schema(name)["properties"][arg]) for arg in empties)
    plain, with_empties = ApiMock(), ApiMock()
    first = await run(plain, name, base)
    second = await run(with_empties, name, {**base, **empties})
    assert not second.is_error, second.content[0].text
    assert wire(with_empties) == wire(plain) and wire(plain), name


def test_only_reads_and_selections_drop_empty_values():
    """On a change, "" and [] are values (tags [] clears a SIM's tags): no write drops one it sends. A plan's
    selectors are not sent: an empty list of SIMs or an empty filter field selects nothing."""
    writes = [name for name in CATALOG if not (OPERATIONS.get(name) or LOCAL_TOOLS_BY_NAME[name]).read_only]
    assert writes and {name for name in writes if empty_is_unset(name)} == {"apply_to_sim_cards"}
    assert empty_is_unset("apply_to_sim_cards") == {"sim_card_ids", "iccids", "filter.sim_card_group_id",
                                                    "filter.status", "filter.iccid", "filter.msisdn", "filter.tags"}
    assert "list_sim_cards" in EMPTY_FILTERS and {"iccid", "tags", "status"} <= empty_is_unset("list_sim_cards")
    plan = {"operation": "update_sim_card", "sim_card_ids": [], "iccids": [SIM],
            "filter": {"sim_card_group_id": "", "status": [], "tags": ["x"]}, "arguments": {"tags": [], "sim_card_group_id": ""}}
    assert unfilled("apply_to_sim_cards", plan) == {"operation": "update_sim_card", "iccids": [SIM], "filter": {"tags": ["x"]},
                                                    "arguments": {"tags": [], "sim_card_group_id": ""}}
    assert unfilled("show_fleet_dashboard", {"sim_card_group_id": "", "top": 5}) == {"top": 5}


async def test_a_strict_plan_selects_by_its_one_filled_selector():
    """A strict model fills every selector of `apply_to_sim_cards` ("" and [] where it has no wish, and "" for
    the token it does not have yet): the plan covers exactly the group's SIMs, and the token it hands out runs
    it. A filter whose fields are all empty is refused, never read as every SIM."""
    client = TelnyxClient(base_url="http://sandbox/v2", transport=httpx.ASGITransport(app=create_app()))
    schema = published_input_schema("apply_to_sim_cards")
    async with Client(create_server(client)) as mcp:
        group = (await mcp.call_tool("list_sim_card_groups", {})).structured_content["data"][1]["id"]
        members = (await mcp.call_tool("list_sim_cards", {"sim_card_group_id": group, "page_size": 250})).structured_content["data"]
        call = strict_call(schema, {"operation": "set_sim_card_standby", "filter": {"sim_card_group_id": group}})
        assert call["sim_card_ids"] == [] and call["filter"]["status"] == [] and call[CONFIRMATION_TOKEN] == ""
        Draft202012Validator(strict(schema)).validate(call)
        asked = (await mcp.call_tool("apply_to_sim_cards", call)).structured_content["confirmation_required"]
        done = await mcp.call_tool("apply_to_sim_cards", {**call, CONFIRMATION_TOKEN: asked["confirmation_token"]})
        refused = await mcp.call_tool("apply_to_sim_cards", strict_call(schema, {"operation": "set_sim_card_standby",
                                                                                  "filter": {}}))
    standby = sum(sim["status"]["value"] == "standby" for sim in members)
    assert f": {len(members) - standby} SIM cards" in asked["message"] and 0 < len(members) - standby
    assert sorted(r["sim_card_id"] for r in done.structured_content["data"]) == sorted(sim["id"] for sim in members)
    assert refused.is_error and "filter" in refused.content[0].text, refused.content[0].text


async def test_an_empty_confirmation_token_is_no_token():
    mock = ApiMock()
    async with Client(create_server(mock_client(mock))) as mcp:
        first = await mcp.call_tool("disable_sim_card", {"sim_card_id": SIM, CONFIRMATION_TOKEN: ""})
        asked = first.structured_content["confirmation_required"]
        nothing_sent = [r for r in mock.requests if r.method != "GET"]
        second = await mcp.call_tool("disable_sim_card", {"sim_card_id": SIM, CONFIRMATION_TOKEN: asked["confirmation_token"]})
    assert nothing_sent == [] and not second.is_error, second.content[0].text
    assert [r.path for r in mock.requests if r.method == "POST"] == [f"/v2/sim_cards/{SIM}/actions/disable"]


@pytest.mark.parametrize(("name", "field", "empty"), [
    ("update_sim_card", "authorized_imeis", []),
    ("update_mobile_voice_connection", "webhook_event_url", ""),
    ("update_mobile_voice_connection", "webhook_event_failover_url", ""),
    ("update_traffic_policy_profile", "limit_bw_kbps", 0),  # the API takes 512, 1024 or null
])
async def test_an_empty_value_clears_a_field_the_api_clears_with_null(name, field, empty):
    """null is "not given" everywhere, so it cannot also mean "clear": an empty value does, sent as null."""
    target = sample_arguments(name)
    assert published_input_schema(name)["properties"][field]["description"]  # says how to clear it
    cleared, untouched = ApiMock(), ApiMock()
    assert not (await run(cleared, name, {**target, field: empty})).is_error
    assert not (await run(untouched, name, {**target, field: None})).is_error
    assert cleared.writes()[0].json[field] is None
    assert field not in (untouched.writes()[0].json or {})


def test_no_argument_name_trips_a_framework():
    """LangChain drops a Python keyword argument and smolagents cannot write one; mcp-use's OpenAI adapter
    lets `name` override its executor's own argument, which in dynamic mode picked the operation."""
    schemas = [published_input_schema(name) for name in CATALOG] + [tool.input_schema for tool in DYNAMIC_TOOLS]
    for schema in schemas:
        for argument in schema["properties"]:
            assert argument.isidentifier() and not keyword.iskeyword(argument), argument
    for tool in DYNAMIC_TOOLS:
        assert "name" not in tool.input_schema["properties"], tool.name


def capabilities(elicitation: types.ElicitationCapability | None):
    declared = types.ClientCapabilities(elicitation=elicitation)
    return SimpleNamespace(session=SimpleNamespace(client_capabilities=declared))


def test_a_form_is_asked_only_of_clients_that_declared_form_elicitation():
    assert asks_by_form(capabilities(types.ElicitationCapability()))  # `{}`: form, from before modes existed
    assert asks_by_form(capabilities(types.ElicitationCapability(form={})))
    assert asks_by_form(capabilities(types.ElicitationCapability(form={}, url={})))
    assert not asks_by_form(capabilities(types.ElicitationCapability(url={})))  # it would refuse a form
    assert not asks_by_form(capabilities(None))
    assert not asks_by_form(SimpleNamespace(session=SimpleNamespace(client_capabilities=None)))


def test_one_wait_fits_the_official_clients_default_timeout():
    """The TypeScript SDK ends a request after 60 s, progress or not: a longer wait is another call."""
    timeout = published_input_schema("wait_for_action")["properties"]["timeout_seconds"]
    assert MAX_WAIT_SECONDS <= 50 and input_schema("wait_for_action")["properties"]["timeout_seconds"]["maximum"] == MAX_WAIT_SECONDS
    assert timeout["default"] <= MAX_WAIT_SECONDS and "again" in timeout["description"]


@pytest.mark.parametrize("name", [n for n, op in OPERATIONS.items() if op.method == "DELETE"])
@pytest.mark.parametrize("answer", [(204, None), (200, {"data": None})])
async def test_a_delete_answered_without_a_record_passes_the_output_schema(name, answer):
    """The client checks structured content against the output schema after the delete was sent."""
    mock = ApiMock(replies=[answer] * 3)
    client = mock_client(mock)
    async with Client(create_server(client, gate=Gate(client, policy="off"))) as mcp:
        await mcp.list_tools()  # the client learns the output schemas, and checks results against them
        result = await mcp.call_tool(name, sample_arguments(name))
    assert not result.is_error, result.content[0].text
    assert result.structured_content["data"] is None
    Draft202012Validator(output_schema(name)).validate(result.structured_content)


SELECTIONS = [{}, {"read_only": True}, *({"toolsets": [name]} for name in TOOLSETS)]


def named_tools(text: str) -> set[str]:
    return {name for name in CATALOG if re.search(rf"\b{name}\b", text)}


@pytest.mark.parametrize("mode", ["static", "dynamic"])
@pytest.mark.parametrize("selection", SELECTIONS, ids=lambda s: "-".join(f"{k}={v}" for k, v in s.items()) or "all")
async def test_the_instructions_name_only_tools_the_server_offers(selection, mode):
    """Toolsets and read-only mode leave tools out: the instructions must not send the model to one of them."""
    offered = {entry.name for entry in select(Settings(**selection))}
    async with Client(create_server(mock_client(ApiMock()), operations=select(Settings(**selection)),
                                    tools_mode=mode)) as mcp:
        listed = {tool.name for tool in (await mcp.list_tools()).tools}
        instructions = mcp.instructions or ""
    assert named_tools(instructions) <= offered, named_tools(instructions) - offered
    assert listed == ({t.name for t in DYNAMIC_TOOLS} if mode == "dynamic" else offered)
    if "wait_for_action" in offered:
        assert "wait_for_action" in instructions


@pytest.mark.parametrize("selection", [{}, {"toolsets": ["sim_cards"]}], ids=["all", "sim_cards"])
async def test_a_plan_result_names_only_tools_the_server_offers(selection):
    """apply_to_sim_cards is in the sim_cards toolset, wait_for_action and list_sim_card_actions are not."""
    offered = {entry.name for entry in select(Settings(**selection))}
    client = TelnyxClient(base_url="http://sandbox/v2", transport=httpx.ASGITransport(app=create_app(seed=3)))
    server = create_server(client, gate=Gate(client, policy="off"), operations=select(Settings(**selection)))
    async with Client(server) as mcp:
        listed = await mcp.call_tool("list_sim_cards", {"page_size": 3, "status": ["enabled"]})
        ids = [sim["id"] for sim in listed.structured_content["data"]]
        result = await mcp.call_tool("apply_to_sim_cards", {"operation": "set_sim_card_standby", "sim_card_ids": ids})
    assert not result.is_error, result.content[0].text
    note = result.structured_content["meta"]["note"]
    assert named_tools(note) <= offered and ("wait=true" in note)
    assert ("wait_for_action" in note) is ("wait_for_action" in offered)


@pytest.mark.parametrize("tools", [None, ["apply_to_sim_cards", "set_sim_card_standby"]], ids=["all", "only-the-plan"])
async def test_a_plan_error_names_only_tools_the_server_offers(tools):
    """A plan naming an unknown SIM is refused with a hint; `--tools apply_to_sim_cards,set_sim_card_standby`
    lists no list_sim_cards."""
    selected = select(Settings(tools=tools) if tools else Settings())
    offered = {entry.name for entry in selected}
    async with Client(create_server(mock_client(ApiMock(replies=[(404, {"errors": []})] * 3)),
                                    operations=selected)) as mcp:
        result = await mcp.call_tool("apply_to_sim_cards", {"operation": "set_sim_card_standby", "sim_card_ids": [SIM]})
    assert result.is_error and result.structured_content["error"]["kind"] == "not_found", result.content[0].text
    hint = result.structured_content["error"]["hint"]
    assert named_tools(hint) <= offered and ("list_sim_cards" in hint) is ("list_sim_cards" in offered), hint


def test_the_note_on_unanswered_plan_requests_names_reads_as_dynamic_mode_runs_them():
    note = {"data": [], "meta": {"note": unanswered_note(CATALOG)}}
    renamed = via_call_operation(text_result(note), CATALOG).structured_content["meta"]["note"]
    for read in ("get_sim_card", "list_sim_card_actions"):
        assert f'call_operation(operation="{read}")' in renamed and read in unanswered_note(CATALOG)
    assert not re.search(r'(?<!operation=")\b(get_sim_card|list_sim_card_actions)\b', renamed), renamed
    assert named_tools(unanswered_note({"apply_to_sim_cards"})) == set()
