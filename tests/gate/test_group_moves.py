"""Moving a SIM to another group puts it under that group's data limit, wireless blocklist and private gateway:
`update_sim_card` with `sim_card_group_id` asks when the move would stop its data or change its blocklist or
gateway, alone and through a change plan; a move that changes none of these runs without a question."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from fake_api import DROP, BLOCKLIST_ID, GATEWAY_ID, GROUP_ID, OTHER_ID, SIM_ID
from gate_rig import ERAS, Rig, answering
from plan_rig import PlanRig, asking
from telnyx_iot_mcp.server.app import create_server

pytestmark = pytest.mark.anyio

TARGET = "8f6a5d2e-5a0f-4c4b-9a59-9d0d1c3c1f18"
OTHER_GATEWAY = "9a6a5d2e-5a0f-4c4b-9a59-9d0d1c3c1f19"
NONE = {"data_limit": None, "wireless_blocklist_id": None, "private_wireless_gateway_id": None}
EMPTY = {"consumed_data": {"amount": "0", "unit": "MB"}}


def limit(amount: str, unit: str = "MB", used: str = "0") -> dict[str, Any]:
    return {"data_limit": {"amount": amount, "unit": unit}, "consumed_data": {"amount": used, "unit": "MB"}}


# case -> (the SIM's group now, the target group, words the question shows); the SIM used 259.7 MB this period
ASKS: dict[str, tuple[dict[str, Any], dict[str, Any], str]] = {
    "limit below the SIM's use": (NONE, {**NONE, **limit("200")},
        'Moves SIM 8944...1234 into group "Spares": its 200 MB data limit is below the 259.7 MB the SIM used this '
        "period, so its data stops at once."),
    "limit just above the SIM's use": (NONE, {**NONE, **limit("265")},
        "its 265 MB data limit is just above the 259.7 MB the SIM used this period, so its data stops soon"),
    "shared limit the group nearly used": (NONE, {**NONE, **limit("5", "GB", used="5000")},
        "its 5 GB data limit is below the 5.1 GB the group's SIMs and this one used this period, so data stops at "
        "once if they share it, as Telnyx's docs say"),
    "limit in a unit not read": (NONE, {**NONE, **limit("1", "TB")},
        "the target group's data limit could not be read), so the server asks"),
    "blocklist added": (NONE, {**NONE, **EMPTY, "wireless_blocklist_id": BLOCKLIST_ID},
        'wireless blocklist "No roaming" applies (devices lose service where it blocks)'),
    "blocklist swapped": ({**NONE, "wireless_blocklist_id": OTHER_ID},
                          {**NONE, **EMPTY, "wireless_blocklist_id": BLOCKLIST_ID},
        'wireless blocklist "No roaming" replaces "Old list"'),
    "blocklist lifted": ({**NONE, "wireless_blocklist_id": BLOCKLIST_ID}, {**NONE, **EMPTY},
        'wireless blocklist "No roaming" no longer applies (the device may roam, and be billed, where it blocked)'),
    "gateway added": (NONE, {**NONE, **EMPTY, "private_wireless_gateway_id": GATEWAY_ID},
        'private wireless gateway "Chicago metering" applies (its data is routed to that private network'),
    "gateway changed": ({**NONE, "private_wireless_gateway_id": OTHER_GATEWAY},
                        {**NONE, **EMPTY, "private_wireless_gateway_id": GATEWAY_ID},
        'private wireless gateway "Chicago metering" replaces "Old gateway" (its data is re-routed'),
    "gateway removed": ({**NONE, "private_wireless_gateway_id": GATEWAY_ID}, {**NONE, **EMPTY},
        'private wireless gateway "Chicago metering" no longer applies (it loses that private network)'),
    "target without blocklist and gateway fields": (NONE, {"data_limit": None, **EMPTY, "wireless_blocklist_id": DROP},
        "the target group's blocklist and gateway could not be read"),
}
# the same move that cuts nothing: (the SIM's group now, the target group, the SIM's status)
HARMLESS: dict[str, tuple[dict[str, Any], dict[str, Any], str]] = {
    "roomy limit": (NONE, {**NONE, **limit("10", "GB")}, "enabled"),
    "limit the margin above use": (NONE, {**NONE, **limit("286")}, "enabled"),  # 10% of 259.7 MB is 26 MB
    "same blocklist and gateway": ({**NONE, "wireless_blocklist_id": BLOCKLIST_ID, "private_wireless_gateway_id": GATEWAY_ID},
                                   {**NONE, **EMPTY, "wireless_blocklist_id": BLOCKLIST_ID,
                                    "private_wireless_gateway_id": GATEWAY_ID}, "enabled"),
    "disabled SIM into a limit and a blocklist": (NONE, {**NONE, **limit("1"), "wireless_blocklist_id": BLOCKLIST_ID},
                                                  "disabled"),
}


def rig_for(current: dict[str, Any], target: dict[str, Any], status: str = "enabled") -> Rig:
    rig = Rig()
    rig.api.overrides["get_sim_card"] = {"status": {"value": status},
                                         "current_billing_period_consumed_data": {"amount": "259.7", "unit": "MB"}}
    rig.api.by_id[GROUP_ID] = current
    rig.api.by_id[TARGET] = {"id": TARGET, "name": "Spares", **target}
    rig.api.by_id[OTHER_ID] = {"name": "Old list"}
    rig.api.by_id[OTHER_GATEWAY] = {"name": "Old gateway"}
    return rig


def single() -> tuple[str, dict[str, Any]]:
    return "update_sim_card", {"sim_card_id": SIM_ID, "sim_card_group_id": TARGET}


def plan() -> tuple[str, dict[str, Any]]:
    return "apply_to_sim_cards", {"operation": "update_sim_card", "sim_card_ids": [SIM_ID],
                                  "arguments": {"sim_card_group_id": TARGET}}


@pytest.mark.parametrize("how", [single, plan])
@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize("case", sorted(ASKS))
async def test_a_move_that_cuts_service_asks_and_a_no_sends_nothing(case, mode, how):
    current, target, words = ASKS[case]
    rig, seen = rig_for(current, target), []
    tool, arguments = how()
    async with Client(rig.server, mode=mode, elicitation_callback=answering("decline", seen)) as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error and result.structured_content["error"]["kind"] == "declined"
    assert len(seen) == 1 and words in seen[0][0].message, seen[0][0].message
    assert rig.api.changes() == []  # checked at the HTTP level: only reads went out


@pytest.mark.parametrize("how", [single, plan])
@pytest.mark.parametrize("case", sorted(HARMLESS))
async def test_the_same_move_that_cuts_nothing_runs_without_asking(case, how):
    current, target, status = HARMLESS[case]
    rig, seen = rig_for(current, target, status), []
    tool, arguments = how()
    async with Client(rig.server, mode="legacy", elicitation_callback=answering("decline", seen)) as client:
        result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content[0].text
    assert seen == []
    assert [(r.method, r.body) for r in rig.api.changes()] == [("PATCH", {"sim_card_group_id": TARGET})]


@pytest.mark.parametrize("how", [single, plan])
async def test_elicit_only_refuses_a_move_that_cuts_service_from_a_client_that_cannot_ask(how):
    rig = rig_for(NONE, {**NONE, **limit("200")})
    rig.gate.policy = "elicit-only"
    tool, arguments = how()
    async with Client(rig.server, mode="legacy") as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error and result.structured_content["error"]["kind"] == "confirmation_unavailable"
    assert rig.api.changes() == []


async def test_a_blocklist_whose_name_cannot_be_read_is_named_by_its_id():
    rig, seen = rig_for(NONE, {**NONE, **EMPTY, "wireless_blocklist_id": BLOCKLIST_ID}), []
    rig.api.failing.add("get_wireless_blocklist")
    async with Client(rig.server, mode="legacy", elicitation_callback=answering("decline", seen)) as client:
        await client.call_tool(*single())
    assert len(seen) == 1 and f'wireless blocklist "{BLOCKLIST_ID}" applies' in seen[0][0].message
    assert rig.api.changes() == []


async def test_a_move_runs_once_after_a_yes():
    rig, seen = rig_for(NONE, {**NONE, **EMPTY, "private_wireless_gateway_id": GATEWAY_ID}), []
    async with Client(rig.server, mode="auto", elicitation_callback=answering("accept", seen, api=rig.api)) as client:
        result = await client.call_tool(*single())
    assert not result.is_error, result.content[0].text
    assert len(seen) == 1 and len(rig.api.changes()) == 1
    assert [(e["confirmation"], e["kind"]) for e in rig.audit.entries if e["outcome"] == "ok"] == [
        ("elicitation", "destructive")]


@pytest.mark.parametrize("mode", ERAS)
async def test_a_plan_moving_35_sims_into_a_group_with_a_smaller_limit_asks_and_a_no_sends_nothing(mode):
    """The issue's reproduction: elicit-only, every question declined. It used to move all 35 unasked."""
    rig, seen = PlanRig(policy="elicit-only"), []
    group, members = await rig.group_of(35)
    used = sorted(float(s["current_billing_period_consumed_data"]["amount"]) for s in members)
    cap = f"{used[22]:.2f}"  # the 12 heaviest users are over it
    target = (await rig.direct.post("/sim_card_groups", json={"name": "Capped", "data_limit": {
        "amount": cap, "unit": "MB"}})).json()["data"]
    async with Client(rig.server, mode=mode, elicitation_callback=asking("decline", seen)) as client:
        result = await client.call_tool("apply_to_sim_cards", {
            "operation": "update_sim_card", "filter": {"sim_card_group_id": group},
            "arguments": {"sim_card_group_id": target["id"]}})
    assert result.is_error and result.structured_content["error"]["kind"] == "declined"
    assert len(seen) == 1 and "of 35 SIM cards this is more than a setting" in seen[0].message
    assert 'into group "Capped"' in seen[0].message and "so its data stops at once" in seen[0].message
    assert rig.changes() == []
    assert {await rig.status(s["id"]) for s in members} == {"enabled"}
    await rig.aclose()


async def test_a_plan_moving_35_sims_into_a_group_without_limits_runs_unasked():
    rig, seen = PlanRig(policy="elicit-only"), []
    group, members = await rig.group_of(35)
    target = (await rig.direct.post("/sim_card_groups", json={"name": "Open"})).json()["data"]
    async with Client(rig.server, mode="legacy", elicitation_callback=asking("decline", seen)) as client:
        result = await client.call_tool("apply_to_sim_cards", {
            "operation": "update_sim_card", "filter": {"sim_card_group_id": group},
            "arguments": {"sim_card_group_id": target["id"]}})
    assert not result.is_error, result.content[0].text
    assert seen == [] and len(rig.changes()) == 35
    assert {s["id"] for s in await rig.sims(sim_card_group_id=target["id"])} == {s["id"] for s in members}
    assert {await rig.status(s["id"]) for s in members} == {"enabled"}
    await rig.aclose()


async def _move_plan(rig: PlanRig, seen: list, group: str, target: str, mode: str = "legacy"):
    async with Client(rig.server, mode=mode, elicitation_callback=asking("decline", seen)) as client:
        return await client.call_tool("apply_to_sim_cards", {
            "operation": "update_sim_card", "filter": {"sim_card_group_id": group},
            "arguments": {"sim_card_group_id": target}})


@pytest.mark.parametrize("mode", ERAS)
async def test_sims_that_each_fit_a_shared_limit_but_not_together_ask(mode):
    """Each SIM alone is well under the target's limit; moved as one plan they use more than it holds."""
    rig, seen = PlanRig(policy="elicit-only"), []
    group, members = await rig.group_of(20)
    used = [float(s["current_billing_period_consumed_data"]["amount"]) for s in members]
    cap = max(2 * max(used), 0.8 * sum(used))
    assert max(used) + max(0.1 * max(used), 10) < cap < sum(used), "the fleet's use does not fit this case"
    target = (await rig.direct.post("/sim_card_groups", json={"name": "Pool", "data_limit": {
        "amount": f"{cap:.2f}", "unit": "MB"}})).json()["data"]
    result = await _move_plan(rig, seen, group, target["id"], mode)
    assert result.is_error and result.structured_content["error"]["kind"] == "declined"
    assert len(seen) == 1 and "more than a setting" not in seen[0].message  # no SIM trips the rule alone
    assert 'Moves 20 SIM cards into group "Pool": together with the group they used' in seen[0].message
    assert "data stops at once for the whole group if its SIMs share it" in seen[0].message
    assert rig.changes() == []
    await rig.aclose()


async def test_sims_that_fit_a_shared_limit_together_move_unasked():
    rig, seen = PlanRig(policy="elicit-only"), []
    group, members = await rig.group_of(20)
    total = sum(float(s["current_billing_period_consumed_data"]["amount"]) for s in members)
    target = (await rig.direct.post("/sim_card_groups", json={"name": "Pool", "data_limit": {
        "amount": f"{2 * total + 20:.2f}", "unit": "MB"}})).json()["data"]
    result = await _move_plan(rig, seen, group, target["id"])
    assert not result.is_error, result.content[0].text
    assert seen == [] and len(rig.changes()) == 20
    await rig.aclose()


@pytest.mark.parametrize("name, words", [("Berlin Warehouse", "wireless blocklist"),
                                         ("Smart Meters", "private wireless gateway")])
async def test_on_the_sandbox_a_move_under_a_blocklist_or_gateway_asks_and_one_to_a_plain_group_does_not(name, words):
    rig, seen = PlanRig(policy="elicit-only"), []
    _, (sim,) = await rig.group_of(1)
    groups = (await rig.direct.get("/sim_card_groups", params={"filter[name]": name})).json()["data"]
    open_group = (await rig.direct.post("/sim_card_groups", json={"name": "Open"})).json()["data"]
    async with Client(rig.server, mode="legacy", elicitation_callback=asking("decline", seen)) as client:
        asked = await client.call_tool("update_sim_card", {"sim_card_id": sim["id"],
                                                           "sim_card_group_id": groups[0]["id"]})
        assert asked.is_error and len(seen) == 1 and f"{words} " in seen[0].message and " applies (" in seen[0].message
        assert rig.changes() == []
        moved = await client.call_tool("update_sim_card", {"sim_card_id": sim["id"],
                                                           "sim_card_group_id": open_group["id"]})
    assert not moved.is_error and len(seen) == 1, moved.content[0].text
    assert (await rig.direct.get(f"/sim_cards/{sim['id']}")).json()["data"]["sim_card_group_id"] == open_group["id"]
    await rig.aclose()


@pytest.mark.parametrize("operation, arguments", [
    ("update_sim_card", {"sim_card_id": SIM_ID, "sim_card_group_id": TARGET}),
    ("apply_to_sim_cards", {"operation": "update_sim_card", "sim_card_ids": [SIM_ID],
                            "arguments": {"sim_card_group_id": TARGET}}),
])
async def test_dynamic_mode_runs_the_same_rule(operation, arguments):
    rig, seen = rig_for(NONE, {**NONE, **limit("200")}), []
    server = create_server(rig.api.client(), None, gate=rig.gate, tools_mode="dynamic")
    async with Client(server, mode="legacy", elicitation_callback=answering("decline", seen)) as client:
        result = await client.call_tool("call_operation", {"operation": operation, "arguments": arguments})
    assert result.is_error and len(seen) == 1 and "its 200 MB data limit is below" in seen[0][0].message
    assert rig.api.changes() == []
