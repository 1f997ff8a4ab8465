"""Which tools a configuration offers: expectations derived from the registry, plus a few spot checks."""

from __future__ import annotations

import httpx
import pytest
from mcp import Client

from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.server.selection import CATALOG, SelectionError, select
from telnyx_iot_mcp.server.settings import Settings
from telnyx_iot_mcp.tools.client import TelnyxClient
from telnyx_iot_mcp.tools.local import LOCAL_TOOLS, PLAN_OPERATIONS
from telnyx_iot_mcp.tools.registry import OPERATIONS, TOOLSETS


def names(settings: Settings) -> list[str]:
    return [entry.name for entry in select(settings)]


def expected(toolsets=(), tools=(), exclude=(), read_only=False) -> list[str]:
    chosen = set(toolsets) or (set() if tools else set(TOOLSETS))
    names = [e.name for e in CATALOG.values()
             if (e.toolset in chosen or e.name in tools) and e.name not in exclude and (e.read_only or not read_only)]
    if not set(PLAN_OPERATIONS) & set(names):  # a change plan could run nothing
        names = [n for n in names if n != "apply_to_sim_cards"]
    return names


def test_default_offers_the_whole_catalog():
    assert names(Settings()) == list(OPERATIONS) + list(LOCAL_TOOLS)


@pytest.mark.parametrize("read_only", [False, True])
@pytest.mark.parametrize("toolset", TOOLSETS)
def test_each_toolset_alone(toolset, read_only):
    got = names(Settings(toolsets=[toolset], read_only=read_only))
    assert got == expected([toolset], read_only=read_only)
    assert got and all(CATALOG[n].toolset == toolset for n in got)


@pytest.mark.parametrize("read_only", [False, True])
@pytest.mark.parametrize("pair", [(a, b) for i, a in enumerate(TOOLSETS) for b in TOOLSETS[i + 1:]])
def test_pairs_of_toolsets(pair, read_only):
    assert names(Settings(toolsets=list(pair), read_only=read_only)) == expected(pair, read_only=read_only)


def test_read_only_keeps_exactly_the_reads():
    got = names(Settings(read_only=True))
    assert got == [e.name for e in CATALOG.values() if e.kind == "read"]
    assert "list_sim_cards" in got and "wait_for_action" in got
    assert "disable_sim_card" not in got and "create_sim_card_order" not in got


def test_tools_alone_offers_just_those():
    assert names(Settings(tools=["get_sim_card", "wait_for_action"])) == ["get_sim_card", "wait_for_action"]


def test_tools_add_to_toolsets_and_exclusions_win():
    got = names(Settings(toolsets=["wireless"], tools=["get_sim_card"], exclude_tools=["delete_wireless_blocklist"]))
    assert got == expected(["wireless"], ["get_sim_card"], ["delete_wireless_blocklist"])
    assert "get_sim_card" in got and "delete_wireless_blocklist" not in got


def test_read_only_removes_a_named_write_tool():
    assert names(Settings(tools=["disable_sim_card", "get_sim_card"], read_only=True)) == ["get_sim_card"]


def test_exclude_from_everything():
    got = names(Settings(exclude_tools=["delete_sim_card", "purchase_esims"]))
    assert got == [n for n in CATALOG if n not in ("delete_sim_card", "purchase_esims")]


@pytest.mark.parametrize("settings, named", [
    (dict(toolsets=["sim_cards", "simcards"]), "simcards"),
    (dict(tools=["list_sims"]), "list_sims"),
    (dict(exclude_tools=["get_sim_card", "nope_tool"]), "nope_tool"),
])
def test_unknown_names_are_an_error_naming_them(settings, named):
    with pytest.raises(SelectionError, match=named):
        select(Settings(**settings))


def test_environment_variables(monkeypatch):
    monkeypatch.setenv("TELNYX_IOT_MCP_TOOLSETS", "actions, wireless")
    monkeypatch.setenv("TELNYX_IOT_MCP_EXCLUDE_TOOLS", "wait_for_action")
    monkeypatch.setenv("TELNYX_IOT_MCP_READ_ONLY", "true")
    monkeypatch.setenv("TELNYX_IOT_MCP_TOOLS_MODE", "dynamic")
    settings = Settings()
    assert settings.toolsets == ["actions", "wireless"] and settings.tools_mode == "dynamic"
    assert names(settings) == expected(["actions", "wireless"], exclude=["wait_for_action"], read_only=True)



@pytest.mark.anyio
@pytest.mark.parametrize("settings", [
    dict(), dict(read_only=True), dict(toolsets=["orders", "actions"]), dict(tools=["get_sim_card"]),
    dict(toolsets=["sim_cards"], read_only=True, exclude_tools=["get_sim_card"]),
])
async def test_server_lists_exactly_the_selection(settings):
    chosen = select(Settings(**settings))
    client = TelnyxClient(base_url="http://unused/v2", transport=httpx.MockTransport(lambda r: httpx.Response(500)))
    async with Client(create_server(client, chosen)) as mcp:
        listed = [t.name for t in (await mcp.list_tools()).tools]
        refused = await mcp.call_tool("delete_sim_card", {"sim_card_id": "6a09cdc3-8948-47f0-aa62-74ac943d6c58"})
    assert listed == [e.name for e in chosen]
    if "delete_sim_card" not in listed:
        assert refused.is_error and "not offered" in refused.content[0].text
