"""Fleet stories a user tells the assistant, run through MCP on the sandbox, checking the state they leave."""

from __future__ import annotations

import httpx
import pytest
from mcp import Client

from confirmations import yes_person
from telnyx_iot_mcp.sandbox import create_app
from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.tools.client import TelnyxClient

pytestmark = pytest.mark.anyio


async def test_a_group_through_limits_moves_deletion_and_re_enabling(fleet):
    group = (await fleet.call("create_sim_card_group", {"name": "Berlin Pilots"}))["data"]
    assert group["sim_card_count"] == 0
    sims = (await fleet.call("list_sim_cards", {"status": ["enabled"], "page_size": 3}))["data"]
    for sim in sims:
        await fleet.call("update_sim_card", {"sim_card_id": sim["id"], "sim_card_group_id": group["id"]})
    group = (await fleet.call("get_sim_card_group", {"sim_card_group_id": group["id"], "include_iccids": True}))["data"]
    assert group["sim_card_count"] == 3

    async def status(sim_id: str) -> str:
        return (await fleet.call("get_sim_card", {"sim_card_id": sim_id}))["data"]["status"]["value"]

    # The group's SIMs share its limit: one below what they used together stops every one of them.
    used = {s["id"]: float(s["current_billing_period_consumed_data"]["amount"]) for s in sims}
    heavy = max(used, key=used.__getitem__)
    light = min(used, key=used.__getitem__)
    assert float(group["consumed_data"]["amount"]) == pytest.approx(sum(used.values()), abs=0.01)
    cap = sum(used.values()) - used[light] / 2
    await fleet.call("update_sim_card_group", {"sim_card_group_id": group["id"],
                                                "data_limit": {"amount": f"{cap:.2f}", "unit": "MB"}})
    assert [await status(s["id"]) for s in sims] == ["data_limit_exceeded"] * 3
    refused = await fleet.fails("disable_sim_card", {"sim_card_id": light})
    assert "70000" in refused and "group's shared data limit" in refused
    # Raising the limit releases them, with no action.
    await fleet.call("update_sim_card_group", {"sim_card_group_id": group["id"],
                                                "data_limit": {"amount": "50", "unit": "GB"}})
    assert [await status(s["id"]) for s in sims] == ["enabled"] * 3

    note = (await fleet.call("create_data_usage_notification",
                             {"sim_card_id": light, "threshold": {"amount": "1", "unit": "GB"}}))["data"]
    listed = (await fleet.call("list_data_usage_notifications", {"sim_card_id": light}))["data"]
    assert note["id"] in [n["id"] for n in listed]

    action = (await fleet.call("disable_sim_card", {"sim_card_id": light}))["data"]
    assert action["status"]["value"] == "in-progress"
    assert await status(light) == "disabling"
    fleet.later()
    done = (await fleet.call("get_sim_card_action", {"action_id": action["id"]}))["data"]
    assert done["status"]["value"] == "completed"
    assert await status(light) == "disabled"

    # Deleting the group moves its SIMs to the default group, where they can be enabled again.
    default = next(g for g in (await fleet.call("list_sim_card_groups", {}))["data"] if g["default"])
    await fleet.call("delete_sim_card_group", {"sim_card_group_id": group["id"]})
    gone = await fleet.fails("get_sim_card_group", {"sim_card_group_id": group["id"]})
    assert "404" in gone
    for sim in sims:
        moved = (await fleet.call("get_sim_card", {"sim_card_id": sim["id"]}))["data"]
        assert moved["sim_card_group_id"] == default["id"]
    await fleet.call("enable_sim_card", {"sim_card_id": light})
    fleet.later()
    assert await status(light) == "enabled"

    await fleet.call("delete_data_usage_notification", {"notification_id": note["id"]})
    gone = await fleet.fails("get_data_usage_notification", {"notification_id": note["id"]})
    assert "404" in gone


async def test_bulk_voice_off_creates_one_action_per_sim(fleet):
    groups = {g["name"]: g for g in (await fleet.call("list_sim_card_groups", {}))["data"]}
    trackers = groups["Trackers"]
    bulk = (await fleet.call("bulk_disable_voice", {"sim_card_group_id": trackers["id"]}))["data"]
    per_sim = await fleet.call("list_sim_card_actions", {"bulk_sim_card_action_id": bulk["id"], "page_size": 250})
    assert per_sim["meta"]["total_results"] == trackers["sim_card_count"]
    fleet.later()
    followed = (await fleet.call("get_bulk_sim_card_action", {"action_id": bulk["id"]}))["data"]
    summary = {s["status"]: s["count"] for s in followed["sim_card_actions_summary"]}
    assert summary.get("completed") == trackers["sim_card_count"]


async def test_lock_a_group_to_a_blocklist_and_lift_it(fleet):
    group = (await fleet.call("create_sim_card_group", {"name": "Roamers"}))["data"]
    blocklist = (await fleet.call("create_wireless_blocklist", {"name": "No roaming in FR", "type": "country",
                                                                 "values": ["FR"]}))["data"]
    action = (await fleet.call("set_group_wireless_blocklist",
                               {"sim_card_group_id": group["id"], "wireless_blocklist_id": blocklist["id"]}))["data"]
    assert action["status"] == "in-progress"
    fleet.later()
    assert (await fleet.call("get_sim_card_group_action", {"action_id": action["id"]}))["data"]["status"] == "completed"
    current = (await fleet.call("get_sim_card_group", {"sim_card_group_id": group["id"]}))["data"]
    assert current["wireless_blocklist_id"] == blocklist["id"]
    await fleet.call("remove_group_wireless_blocklist", {"sim_card_group_id": group["id"]})
    fleet.later()
    current = (await fleet.call("get_sim_card_group", {"sim_card_group_id": group["id"]}))["data"]
    assert current["wireless_blocklist_id"] is None
    await fleet.call("delete_wireless_blocklist", {"blocklist_id": blocklist["id"]})
    await fleet.call("delete_sim_card_group", {"sim_card_group_id": group["id"]})
    assert "404" in await fleet.fails("get_sim_card_group", {"sim_card_group_id": group["id"]})


async def test_order_and_migration(fleet):
    address = (await fleet.call("list_sim_card_orders", {}))["data"][0]["order_address"]["id"]
    preview = (await fleet.call("preview_sim_card_order", {"quantity": 200, "address_id": address}))["data"]
    order = (await fleet.call("create_sim_card_order", {"quantity": 200, "address_id": address}))["data"]
    assert order["quantity"] == 200 and order["cost"]["amount"] == preview["total_cost"]["amount"]

    running = [m for m in (await fleet.call("list_migrations", {}))["data"] if m["status"] == "migrating"]
    assert running
    before = running[0]["bytes_migrated"]
    fleet.later(600)
    progressed = (await fleet.call("get_migration", {"migration_id": running[0]["id"]}))["data"]
    assert progressed["bytes_migrated"] > before
    stopped = (await fleet.call("stop_migration", {"migration_id": running[0]["id"]}))["data"]
    assert stopped["status"] == "stopped"


async def test_fleet_survives_a_restart_with_a_state_file(tmp_path):
    state = str(tmp_path / "fleet.db")

    async def session_on(path):
        client = TelnyxClient(base_url="http://sandbox/v2", transport=httpx.ASGITransport(app=create_app(state_path=path)))
        return client, Client(create_server(client), mode="auto", elicitation_callback=yes_person)

    client, session = await session_on(state)
    async with session as s:
        made = (await s.call_tool("create_sim_card_group", {"name": "Kept"})).structured_content["data"]
    await client.aclose()

    client, session = await session_on(state)
    async with session as s:
        again = await s.call_tool("get_sim_card_group", {"sim_card_group_id": made["id"]})
    await client.aclose()
    assert not again.is_error and again.structured_content["data"]["name"] == "Kept"


async def test_fleet_survives_a_restart_of_the_server_process(tmp_path):
    from mcp import StdioServerParameters

    from processes import SCRIPT, clean_env

    params = StdioServerParameters(command=SCRIPT, args=["--sandbox-state", str(tmp_path / "fleet.db")],
                                   env=clean_env())
    async with Client(params, mode="legacy") as session:
        made = (await session.call_tool("create_sim_card_group", {"name": "Across restarts"})).structured_content
    async with Client(params, mode="legacy") as session:
        again = await session.call_tool("get_sim_card_group", {"sim_card_group_id": made["data"]["id"]})
    assert not again.is_error and again.structured_content["data"]["name"] == "Across restarts"
