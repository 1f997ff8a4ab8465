"""Selection binds change plans: toolsets, --tools, --exclude-tools and read-only bound the operations a plan
may run, in static and dynamic mode, and the plan tool's `operation` lists only those."""

from __future__ import annotations

import pytest
from mcp import Client

from plan_rig import PlanRig, asking
from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.server.selection import SelectionError, select
from telnyx_iot_mcp.server.settings import Settings
from telnyx_iot_mcp.tools.local import PLAN_OPERATIONS

pytestmark = pytest.mark.anyio


def served(rig: PlanRig, settings: Settings, tools_mode: str = "static"):
    return create_server(rig.client, select(settings), gate=rig.gate, tools_mode=tools_mode)


@pytest.mark.parametrize("tools_mode", ["static", "dynamic"])
async def test_a_plan_naming_an_excluded_operation_is_refused_by_name(tools_mode):
    rig, seen = PlanRig(sim_count=10), []
    sims = [s["id"] for s in await rig.sims(status="enabled")][:3]
    plan = {"operation": "delete_sim_card", "sim_card_ids": sims}
    server = served(rig, Settings(exclude_tools=["delete_sim_card", "disable_sim_card"]), tools_mode)
    async with Client(server, mode="legacy", elicitation_callback=asking("accept", seen)) as client:
        if tools_mode == "dynamic":
            result = await client.call_tool("call_operation", {"operation": "apply_to_sim_cards", "arguments": plan})
        else:
            result = await client.call_tool("apply_to_sim_cards", plan)
    assert result.is_error and result.structured_content["error"]["kind"] == "invalid_arguments"
    text = result.content[0].text
    assert "delete_sim_card is not offered" in text and "set_sim_card_standby" in text and "disable_sim_card," not in text
    assert seen == [] and rig.sent == []
    await rig.aclose()


@pytest.mark.parametrize("settings, operations", [
    (Settings(), list(PLAN_OPERATIONS)),
    (Settings(exclude_tools=["delete_sim_card"]), [n for n in PLAN_OPERATIONS if n != "delete_sim_card"]),
    (Settings(tools=["apply_to_sim_cards", "set_sim_card_standby", "enable_sim_card"]),
     [n for n in PLAN_OPERATIONS if n in ("set_sim_card_standby", "enable_sim_card")]),
    (Settings(toolsets=["sim_cards"], exclude_tools=["update_sim_card", "delete_sim_card", "enable_sim_card_voice",
                                                     "disable_sim_card_voice"]),
     ["enable_sim_card", "disable_sim_card", "set_sim_card_standby", "set_sim_card_public_ip",
      "remove_sim_card_public_ip"]),
])
async def test_the_operation_enum_follows_the_selection(settings, operations):
    rig = PlanRig(sim_count=5)
    async with Client(served(rig, settings), mode="legacy") as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
    async with Client(served(rig, settings, "dynamic"), mode="legacy") as client:
        described = (await client.call_tool("describe_operation", {"operation": "apply_to_sim_cards"})).structured_content
    assert listed["apply_to_sim_cards"].input_schema["properties"]["operation"]["enum"] == operations
    assert described["input_schema"]["properties"]["operation"]["enum"] == operations
    await rig.aclose()


def test_a_plan_tool_that_could_run_nothing_is_not_offered():
    every_plan_operation = Settings(toolsets=["sim_cards"], exclude_tools=list(PLAN_OPERATIONS))
    assert "apply_to_sim_cards" not in [e.name for e in select(every_plan_operation)]
    with pytest.raises(SelectionError, match="apply_to_sim_cards runs the selected SIM operations"):
        select(Settings(tools=["apply_to_sim_cards"]))
