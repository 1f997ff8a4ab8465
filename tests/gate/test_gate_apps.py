"""MCP Apps: the confirmation card for hosts that draw Apps but cannot elicit, and nothing new for the others."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp import Client, types
from mcp.client import advertise

from fake_api import GATED_SAMPLES, TYPED_SAMPLES
from gate_rig import ERAS, Rig, answering
from telnyx_iot_mcp.server.apps import APP_URI, CONFIRM_TOOL, CONFIRMATION_META, EXTENSION_ID, app_html
from telnyx_iot_mcp.tools.schema import CONFIRMATION_TOKEN

pytestmark = pytest.mark.anyio
APPS = [advertise(EXTENSION_ID, {"mimeTypes": ["text/html;profile=mcp-app"]})]
SNAPSHOT = Path(__file__).resolve().parents[1] / "snapshots" / "tool_catalog.json"
SNAPSHOT_NAMES = [t["name"] for t in json.loads(SNAPSHOT.read_text(encoding="utf-8"))]


def card_of(result: types.CallToolResult) -> dict:
    assert not result.is_error, result.content
    return result.meta[CONFIRMATION_META]


def answered(card: dict, typed: str | None = None) -> dict:
    """confirm_change's arguments as the App sends them on Confirm: the form of the card, filled in (a tick, or
    the text asked for, as the form's description says it, or `typed`)."""
    content = {}
    for key, field in card["elicitation"]["requestedSchema"]["properties"].items():
        content[key] = True if field["type"] == "boolean" else (
            typed if typed is not None else field["description"].removeprefix("Type exactly: "))
    return {"tool": card["operation"], "arguments": card["arguments"], "confirmation": card["token"], "content": content}


def model_facing(result: types.CallToolResult) -> str:
    return json.dumps([c.model_dump(mode="json") for c in result.content]) + json.dumps(result.structured_content)


@pytest.mark.parametrize("mode", ERAS)
async def test_a_client_without_apps_sees_no_change(mode):
    rig = Rig()
    async with Client(rig.server, mode=mode) as session:
        tools = (await session.list_tools()).tools
        result = await session.call_tool("disable_sim_card", GATED_SAMPLES["disable_sim_card"])
        refused = await session.call_tool(CONFIRM_TOOL, {"tool": "disable_sim_card", "arguments": {}, "confirmation": "x"})
    assert [t.name for t in tools] == SNAPSHOT_NAMES and CONFIRM_TOOL not in {t.name for t in tools}
    assert all(not (t.meta or {}).get("ui") for t in tools if t.name != "show_fleet_dashboard")
    assert result.structured_content["confirmation_required"]["confirmation_token"]  # the token path, as before
    assert refused.is_error and "does not exist" in refused.content[0].text
    assert rig.api.gated() == []


@pytest.mark.parametrize("mode", ERAS)
async def test_an_apps_host_lists_the_card_on_gated_tools_and_the_app_only_confirm_tool(mode):
    rig = Rig()
    async with Client(rig.server, mode=mode, extensions=APPS) as session:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        resources = (await session.list_resources()).resources
        html = (await session.read_resource(APP_URI)).contents[0]
    assert tools[CONFIRM_TOOL].meta["ui"] == {"resourceUri": APP_URI, "visibility": ["app"]}
    for name in GATED_SAMPLES:
        assert tools[name].meta["ui"]["resourceUri"] == APP_URI
    assert tools["show_fleet_dashboard"].meta["ui"]["resourceUri"] == APP_URI
    assert not (tools["list_sim_cards"].meta or {}).get("ui")
    assert [str(r.uri) for r in resources] == [APP_URI] and html.mime_type == "text/html;profile=mcp-app"
    assert html.text == app_html()


@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize("name", sorted(GATED_SAMPLES))
async def test_the_card_gives_the_model_nothing_to_confirm_with_and_confirm_runs_the_call_once(mode, name):
    rig = Rig()
    arguments = GATED_SAMPLES[name]
    async with Client(rig.server, mode=mode, extensions=APPS) as session:
        shown = await session.call_tool(name, arguments)
        card = card_of(shown)
        # What the model reads holds no token, and says to wait for the user.
        assert card["token"] not in model_facing(shown) and "confirmation_token" not in model_facing(shown)
        assert "Waiting for the user" in shown.content[0].text and rig.api.gated() == []
        # The card's token is no confirmation token: the model cannot use it on the tool itself.
        misuse = await session.call_tool(name, {**arguments, CONFIRMATION_TOKEN: card["token"]})
        assert not misuse.is_error and CONFIRMATION_META in misuse.meta and rig.api.gated() == []
        confirm = answered(card)
        done = await session.call_tool(card["tool"], confirm)
        again = await session.call_tool(card["tool"], confirm)
    assert card["operation"] == name and card["arguments"] == arguments
    assert not done.is_error, done.content
    assert len(rig.api.gated()) == 1 and rig.api.gated()[0].op.name == name
    assert again.is_error and "already used" in again.content[0].text
    assert [e["confirmation"] for e in rig.audit.entries if e["outcome"] == "ok"] == ["app-card"]


async def test_the_card_token_is_bound_to_its_call_and_expires():
    rig = Rig()
    async with Client(rig.server, extensions=APPS) as session:
        card = card_of(await session.call_tool("disable_sim_card", GATED_SAMPLES["disable_sim_card"]))
        other = await session.call_tool(CONFIRM_TOOL, {**answered(card), "tool": "delete_sim_card"})
        changed = await session.call_tool(CONFIRM_TOOL, {**answered(card), "arguments": {
            "sim_card_id": "3d6a5d2e-5a0f-4c4b-9a59-9d0d1c3c1f13"}})
        unticked = await session.call_tool(CONFIRM_TOOL, {**answered(card), "content": {"confirm": False}})
        card = card_of(await session.call_tool("disable_sim_card", GATED_SAMPLES["disable_sim_card"]))
        rig.clock.now += 301
        late = await session.call_tool(CONFIRM_TOOL, answered(card))
    assert other.is_error and "different tool" in other.content[0].text
    assert changed.is_error and "different tool or different arguments" in changed.content[0].text
    assert unticked.is_error and "did not tick" in unticked.content[0].text
    assert late.is_error and "expired" in late.content[0].text
    assert rig.api.gated() == []


@pytest.mark.parametrize("name", sorted(TYPED_SAMPLES))
async def test_the_most_dangerous_calls_need_the_typed_answer_on_the_card_too(name):
    arguments, expected = TYPED_SAMPLES[name]
    rig = Rig()
    async with Client(rig.server, extensions=APPS) as session:
        card = card_of(await session.call_tool(name, arguments))
        wrong = await session.call_tool(CONFIRM_TOOL, answered(card, "nope"))
        card = card_of(await session.call_tool(name, arguments))
        right = await session.call_tool(CONFIRM_TOOL, answered(card, expected))
    field = card["elicitation"]["requestedSchema"]["properties"]["confirm"]
    assert field["type"] == "string" and field["description"] == f"Type exactly: {expected}"
    assert wrong.is_error and "did not match" in wrong.content[0].text
    assert not right.is_error and len(rig.api.gated()) == 1


@pytest.mark.parametrize("mode", ERAS)
async def test_an_apps_host_that_can_elicit_is_asked_by_elicitation(mode):
    rig = Rig()
    seen: list = []
    async with Client(rig.server, mode=mode, extensions=APPS,
                      elicitation_callback=answering("accept", seen)) as session:
        result = await session.call_tool("disable_sim_card", GATED_SAMPLES["disable_sim_card"])
    assert not result.is_error and CONFIRMATION_META not in (result.meta or {})
    assert len(seen) == 1 and len(rig.api.gated()) == 1


async def test_the_card_is_refused_in_read_only_mode_and_for_tools_that_are_not_gated():
    rig = Rig()
    async with Client(rig.server, extensions=APPS) as session:
        card = card_of(await session.call_tool("disable_sim_card", GATED_SAMPLES["disable_sim_card"]))
        ungated = await session.call_tool(CONFIRM_TOOL, {**answered(card), "tool": "list_sim_cards", "arguments": {}})
    read_only = Rig(read_only=True)
    read_only.tokens = rig.tokens
    read_only.gate.tokens = rig.tokens
    async with Client(read_only.server, extensions=APPS) as session:
        refused = await session.call_tool(CONFIRM_TOOL, answered(card))
    assert ungated.is_error and rig.api.gated() == []
    assert refused.is_error and read_only.api.requests == []


async def test_dynamic_mode_draws_the_card_on_call_operation_too():
    from telnyx_iot_mcp.server.app import create_server

    rig = Rig()
    server = create_server(rig.api.client(), gate=rig.gate, tools_mode="dynamic")
    async with Client(server, extensions=APPS) as session:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        call = tools["call_operation"]
        name_argument = next(k for k in call.input_schema["required"])
        shown = await session.call_tool("call_operation", {name_argument: "disable_sim_card",
                                                           "arguments": GATED_SAMPLES["disable_sim_card"]})
        card = card_of(shown)
        done = await session.call_tool(CONFIRM_TOOL, answered(card))
    assert call.meta["ui"]["resourceUri"] == APP_URI and CONFIRM_TOOL in tools
    assert card["token"] not in model_facing(shown) and "Waiting for the user" in shown.content[0].text
    assert not done.is_error and len(rig.api.gated()) == 1
