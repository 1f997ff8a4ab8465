"""search_operations ranks the offered operations for a request in plain words, from each entry's search words."""

from __future__ import annotations

import pytest
from mcp import Client

from api_mock import ApiMock
from test_dynamic import mock_client
from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.server.dynamic import search
from telnyx_iot_mcp.server.search import SearchIndex
from telnyx_iot_mcp.server.selection import CATALOG, select
from telnyx_iot_mcp.server.settings import Settings
from telnyx_iot_mcp.tools.registry import TOOLSETS

pytestmark = pytest.mark.anyio

# One request per toolset, worded as an operator would, and the operation it asks for.
BY_TOOLSET = {
    "sim_cards": ("pause billing on a sim we are not using right now", "set_sim_card_standby"),
    "sim_card_groups": ("stop the trucks from roaming in Switzerland", "set_group_wireless_blocklist"),
    "actions": ("did my disable request finish", "get_sim_card_action"),
    "orders": ("how much would 200 sims shipped to berlin cost", "preview_sim_card_order"),
    "data_usage_notifications": ("tell me when a sim goes over 2 GB", "create_data_usage_notification"),
    "ota_updates": ("what network preferences were pushed over the air", "list_ota_updates"),
    "wireless": ("which countries can I put on a blocklist and their codes", "list_wireless_blocklist_values"),
    "mobile_voice_connections": ("change the webhook url of our voice connection", "update_mobile_voice_connection"),
    "storage_migrations": ("copy our s3 bucket to telnyx", "create_migration"),
    # toolsets being added to the registry: tested once it holds them
    "private_wireless_gateways": ("is our new private gateway provisioned yet", "get_private_wireless_gateway"),
    "traffic_policy_profiles": ("which policies limit what our devices can reach", "list_traffic_policy_profiles"),
    "detail_records": ("export last month's data sessions as a file", "create_wdr_report"),
    "mobile_phone_numbers": ("forward calls from a sim's number to our office", "update_mobile_phone_number"),
}


async def found(query: str, **selection) -> list[dict]:
    server = create_server(mock_client(ApiMock()), select(Settings(**selection)), tools_mode="dynamic")
    async with Client(server) as mcp:
        result = await mcp.call_tool("search_operations", {"query": query})
    assert not result.is_error, result.content
    return result.structured_content["data"]


def test_every_toolset_has_a_request():
    assert set(TOOLSETS) <= set(BY_TOOLSET)


@pytest.mark.parametrize("toolset", [t for t in BY_TOOLSET if t in TOOLSETS])
async def test_a_plain_request_finds_its_operation_in_each_toolset(toolset):
    query, expected = BY_TOOLSET[toolset]
    whole = await found(query)
    alone = await found(query, toolsets=[toolset])
    assert expected in [d["name"] for d in whole[:3]], [d["name"] for d in whole]
    assert expected in [d["name"] for d in alone[:3]] and {d["toolset"] for d in alone} == {toolset}


async def test_results_leave_out_what_the_server_does_not_offer():
    names = [d["name"] for d in await found("turn off the sim in the truck that was stolen", read_only=True)]
    assert names and "disable_sim_card" not in names
    assert all(CATALOG[n].read_only for n in names)


async def test_near_ties_say_what_tells_them_apart():
    data = await found("did my disable request finish")
    apart = {d["name"]: d.get("apart") for d in data}
    assert set(data[0]) == {"name", "title", "class", "toolset", "description", "apart"}
    assert apart["get_sim_card_action"] == "needs action_id"
    assert apart["list_sim_card_actions"] == "needs no arguments"
    clear = await found("QR code to install an esim")
    assert clear[0]["name"] == "get_sim_card_activation_code" and "apart" not in clear[0]


def test_words_nobody_uses_return_a_note_not_an_error():
    result = search(CATALOG, "xyzzy plugh")
    assert result["data"] == [] and "other words" in result["meta"]["note"]


def test_ids_numbers_spelling_and_typos_do_not_change_the_answer():
    def first(query: str) -> str:
        return search(CATALOG, query)["data"][0]["name"]

    assert first("disable sim 6a09cdc3-8948-47f0-aa62-74ac943d6c58") == first("disable sim") == "disable_sim_card"
    assert first("authorise another imei on the sim") == first("authorize another imei on the sim") == "update_sim_card"
    assert first("disabel the sim") == first("disable the sim")
    assert first("put 89310410106543789301 on standby") == "set_sim_card_standby"


def test_the_search_words_in_an_entry_are_what_ranks_it():
    query = "hibernate"  # only in set_sim_card_standby's search words
    assert SearchIndex(CATALOG.values()).rank(query)[0].entry.name == "set_sim_card_standby"
    without = [e.model_copy(update={"search_words": ()}) if e.name == "set_sim_card_standby" else e
               for e in CATALOG.values()]
    assert "set_sim_card_standby" not in [m.entry.name for m in SearchIndex(without).rank(query)]


def test_filters_rank_within_a_toolset_or_class():
    billable = search(CATALOG, "static ip", kind="billable")["data"]
    assert [d["name"] for d in billable][:2] == ["set_sim_card_public_ip", "bulk_set_public_ips"]
    assert {d["class"] for d in billable} == {"billable"}


def test_every_entry_carries_search_words():
    for entry in CATALOG.values():
        assert entry.search_words, f"{entry.name} has no search words"
        assert len(set(entry.search_words)) == len(entry.search_words), entry.name
