"""Fleet prompts: each names tools that exist, renders its arguments, and is served over MCP."""

from __future__ import annotations

import re

import httpx
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from telnyx_iot_mcp.prompts import PLACEHOLDER, PromptError, load, parse
from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.server.selection import CATALOG, select
from telnyx_iot_mcp.server.settings import Settings
from telnyx_iot_mcp.tools.client import TelnyxClient

PROMPTS = load()
WORKFLOWS = {"fleet_health_report", "investigate_sim_connectivity", "disable_sims_over_limit",
             "provision_devices", "lock_group_to_blocklist", "roaming_usage_report"}


def client() -> TelnyxClient:
    return TelnyxClient(base_url="http://unused/v2", transport=httpx.MockTransport(lambda r: httpx.Response(500)))


def values(name: str) -> dict[str, str]:
    return {a.name: f"<{a.name}>" for a in PROMPTS[name].arguments}


def test_the_fleet_workflows_are_there():
    assert WORKFLOWS <= set(PROMPTS)


@pytest.mark.parametrize("name", PROMPTS)
def test_tools_it_names_exist_and_are_mentioned(name):
    template = PROMPTS[name]
    assert template.tools and set(template.tools) <= set(CATALOG), set(template.tools) - set(CATALOG)
    for tool in template.tools:
        assert f"`{tool}`" in template.body, f"{name} lists {tool} but never tells how to use it"
    mentioned = set(re.findall(r"`([a-z_]+)`", template.body)) & set(CATALOG)
    assert mentioned == set(template.tools), "every tool the body uses is declared in front matter"


@pytest.mark.parametrize("name", PROMPTS)
def test_renders_every_argument(name):
    text = PROMPTS[name].render(values(name))
    assert not PLACEHOLDER.search(text)
    for argument in values(name).values():
        assert argument in text


def test_defaults_fill_optional_arguments_and_required_ones_are_checked():
    template = PROMPTS["disable_sims_over_limit"]
    assert "each SIM's own data_limit" in template.render({"sim_card_group_id": "g-1"})
    with pytest.raises(PromptError, match="missing required argument.*sim_card_group_id"):
        template.render({})
    with pytest.raises(PromptError, match="unknown argument.*colour"):
        template.render({"sim_card_group_id": "g-1", "colour": "red"})


def test_a_template_with_an_undeclared_placeholder_is_refused():
    with pytest.raises(PromptError, match="undeclared argument.*who"):
        parse('+++\nname = "x"\ndescription = "d"\n+++\nHello {{who}}\n')


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_served_over_mcp(mode):
    async with Client(create_server(client()), mode=mode) as mcp:
        listed = {p.name: p for p in (await mcp.list_prompts()).prompts}
        got = await mcp.get_prompt("investigate_sim_connectivity", {"sim": "8931041002329313360"})
        with pytest.raises(MCPError, match="missing required argument.*sim"):
            await mcp.get_prompt("investigate_sim_connectivity", {})
        with pytest.raises(MCPError, match="does not exist"):
            await mcp.get_prompt("no_such_prompt", {})
    assert set(listed) == set(PROMPTS)
    assert [a.name for a in listed["lock_group_to_blocklist"].arguments] == ["sim_card_group_id", "countries"]
    assert all(a.required for a in listed["lock_group_to_blocklist"].arguments)
    assert "8931041002329313360" in got.messages[0].content.text and got.messages[0].role == "user"


@pytest.mark.anyio
async def test_read_only_servers_offer_only_prompts_whose_tools_they_have():
    chosen = select(Settings(read_only=True))
    names = {e.name for e in chosen}
    async with Client(create_server(client(), chosen)) as mcp:
        listed = {p.name for p in (await mcp.list_prompts()).prompts}
        with pytest.raises(MCPError, match="does not offer"):
            await mcp.get_prompt("disable_sims_over_limit", {"sim_card_group_id": "g"})
    assert listed == {n for n, t in PROMPTS.items() if set(t.tools) <= names}
    assert "fleet_health_report" in listed and "disable_sims_over_limit" not in listed


@pytest.mark.anyio
async def test_dynamic_mode_says_how_to_reach_the_tools():
    async with Client(create_server(client(), tools_mode="dynamic")) as mcp:
        got = await mcp.get_prompt("fleet_health_report", {})
    assert "call_operation" in got.messages[0].content.text


def test_fleet_wide_disabling_asks_once_through_a_plan():
    template = PROMPTS["disable_sims_over_limit"]
    text = template.render({"sim_card_group_id": "g-1"})
    assert "apply_to_sim_cards" in template.tools and "disable_sim_card" not in template.tools
    assert "asks me once" in text and "Do not call one tool per SIM" in text
