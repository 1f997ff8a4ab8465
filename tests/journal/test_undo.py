"""undo_change on the sandbox: apply then undo leaves every touched resource exactly as before; a resource
changed in between is `conflict` and left alone; what cannot be undone says so and sends nothing."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from mcp import Client

from plan_rig import PlanRig, asking
from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.server.gate import Gate
from telnyx_iot_mcp.tools.registry import OPERATIONS

# Each example builds a sandbox fleet and runs two plans over MCP: a few per class in the default run.
EXAMPLES = settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
pytestmark = pytest.mark.timeout(600)

# Every reversible class of SIM change a plan can make, with arguments drawn for it.
SIM_CHANGES: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "enable_sim_card": st.just({}),
    "disable_sim_card": st.just({}),
    "set_sim_card_standby": st.just({}),
    "set_sim_card_public_ip": st.just({}),
    "enable_sim_card_voice": st.just({}),
    "disable_sim_card_voice": st.just({}),
    "update_sim_card": st.fixed_dictionaries({}, optional={
        "tags": st.lists(st.sampled_from(["a", "b", "north", "spare"]), max_size=3, unique=True),
        "data_limit": st.builds(lambda n: {"amount": str(n), "unit": "MB"}, st.integers(50_000, 90_000)),
        "authorized_imeis": st.lists(st.sampled_from(["351991032822582", "490154203237518"]), max_size=2, unique=True),
    }).filter(bool),
}


async def sim_state(rig: PlanRig, sim_id: str) -> dict[str, Any]:
    """Everything a SIM change can alter, read straight from the sandbox."""
    sim = (await rig.direct.get(f"/sim_cards/{sim_id}")).json()["data"]
    ip = await rig.direct.get(f"/sim_cards/{sim_id}/public_ip")
    return {"status": sim["status"]["value"], "group": sim.get("sim_card_group_id"), "tags": sorted(sim.get("tags") or []),
            "data_limit": sim.get("data_limit"), "imeis": sorted(sim.get("authorized_imeis") or []),
            "voice": sim.get("voice_enabled"), "public_ip": ip.json()["data"].get("ip") if ip.status_code == 200 else None}


async def apply_then_undo(operation: str, arguments: dict[str, Any], picks: list[int], meddle: list[int]):
    rig = PlanRig(sim_count=24)
    sims = (await rig.sims())
    chosen = [sims[i % len(sims)]["id"] for i in picks]
    chosen = list(dict.fromkeys(chosen))
    before = {sim: await sim_state(rig, sim) for sim in chosen}
    async with Client(rig.server, elicitation_callback=asking("accept", [])) as client:
        applied = await client.call_tool("apply_to_sim_cards", {"operation": operation, "sim_card_ids": chosen,
                                                                "arguments": arguments, "wait": True})
        assert not applied.is_error, applied.content[0].text
        rows = {r["sim_card_id"]: r for r in applied.structured_content["data"]}
        changed = [sim for sim in chosen if rows[sim]["outcome"] == "done"]
        meddled = {}
        for index in meddle:  # someone else changes what the change changed, between the change and its undo
            if changed:
                sim = changed[index % len(changed)]
                if operation == "update_sim_card":
                    answer = await rig.direct.patch(f"/sim_cards/{sim}", json={"data_limit": {"amount": "12345",
                                                                                             "unit": "MB"}})
                else:
                    answer = await rig.direct.post(f"/sim_cards/{sim}/actions/enable")
                assert answer.status_code in (200, 202), answer.text
                meddled[sim] = await sim_state(rig, sim)
        after_change = {sim: await sim_state(rig, sim) for sim in chosen}
        change_id = applied.structured_content.get("change_id")
        undone = await client.call_tool("undo_change", {"change_id": change_id, "wait": True}) if change_id else None
    now = {sim: await sim_state(rig, sim) for sim in chosen}
    await rig.aclose()
    return before, after_change, now, rows, meddled, undone


@pytest.mark.parametrize("operation", sorted(SIM_CHANGES))
def test_apply_then_undo_leaves_every_sim_as_before(operation):
    @EXAMPLES
    @given(arguments=SIM_CHANGES[operation], picks=st.lists(st.integers(0, 23), min_size=1, max_size=6))
    def check(arguments, picks):
        before, _, now, rows, _, undone = anyio.run(apply_then_undo, operation, arguments, picks, [])
        if undone is not None:
            assert not undone.is_error, undone.content[0].text
            outcomes = {r["id"]: r["outcome"] for r in undone.structured_content["data"]}
            assert "conflict" not in outcomes.values() and "not_undoable" not in outcomes.values(), outcomes
        for sim, was in before.items():
            assert now[sim] == was, (sim, rows[sim], was, now[sim])

    check()


def test_a_sim_changed_since_is_a_conflict_and_left_alone():
    @EXAMPLES
    @given(operation=st.sampled_from(["set_sim_card_standby", "disable_sim_card", "update_sim_card"]),
           picks=st.lists(st.integers(0, 23), min_size=2, max_size=6),
           meddle=st.lists(st.integers(0, 5), min_size=1, max_size=3))
    def check(operation, picks, meddle):
        arguments = {"data_limit": {"amount": "77777", "unit": "MB"}} if operation == "update_sim_card" else {}
        before, _, now, rows, meddled, undone = anyio.run(apply_then_undo, operation, arguments, picks, meddle)
        if undone is None:
            return
        outcomes = {r["id"]: r for r in undone.structured_content["data"]}
        for sim, was in before.items():
            if sim in meddled:
                assert outcomes[sim]["outcome"] == "conflict", outcomes[sim]
                assert now[sim] == meddled[sim]  # left exactly as the other person left it
            else:
                assert now[sim] == was
    check()


@pytest.mark.anyio
async def test_status_changed_since_is_a_conflict_every_time():
    rig = PlanRig(sim_count=20)
    group, sims = await rig.group_of(5)
    async with Client(rig.server, elicitation_callback=asking("accept", [])) as client:
        applied = await client.call_tool("apply_to_sim_cards", {"operation": "set_sim_card_standby",
                                                                "filter": {"sim_card_group_id": group}, "wait": True})
        for sim in sims[:2]:  # someone puts two of them back on by hand, and one of those is then disabled
            assert (await rig.direct.post(f"/sim_cards/{sim['id']}/actions/enable")).status_code == 202
        assert (await rig.direct.post(f"/sim_cards/{sims[1]['id']}/actions/disable")).status_code == 202
        sent_before = len(rig.changes())
        undone = await client.call_tool("undo_change", {"change_id": applied.structured_content["change_id"],
                                                        "wait": True})
    rows = {r["id"]: r for r in undone.structured_content["data"]}
    assert [rows[s["id"]]["outcome"] for s in sims] == ["conflict", "conflict", "done", "done", "done"]
    assert "status.value is now" in rows[sims[0]["id"]]["reason"]
    assert [await rig.status(s["id"]) for s in sims] == ["enabled", "disabled", "enabled", "enabled", "enabled"]
    assert len(rig.changes()) - sent_before == 3  # nothing sent for the two conflicts
    await rig.aclose()


@pytest.mark.anyio
async def test_group_settings_are_put_back():
    rig = PlanRig(sim_count=12)
    group = (await rig.direct.post("/sim_card_groups", json={"name": "Undo group"})).json()["data"]
    blocklist = (await rig.direct.get("/wireless_blocklists")).json()["data"][0]
    async with Client(rig.server, elicitation_callback=asking("accept", [])) as client:
        renamed = await client.call_tool("update_sim_card_group", {"sim_card_group_id": group["id"], "name": "New name"})
        blocked = await client.call_tool("set_group_wireless_blocklist", {"sim_card_group_id": group["id"],
                                                                          "wireless_blocklist_id": blocklist["id"]})
        assert not blocked.is_error, blocked.content[0].text
        for result in (blocked, renamed):  # newest first, as a person would
            undone = await client.call_tool("undo_change", {"change_id": result.structured_content["change_id"]})
            assert not undone.is_error and undone.structured_content["meta"]["counts"] == {"done": 1}, \
                undone.content[0].text
    now = (await rig.direct.get(f"/sim_card_groups/{group['id']}")).json()["data"]
    assert now["name"] == "Undo group" and not now.get("wireless_blocklist_id")
    await rig.aclose()


@pytest.mark.anyio
async def test_a_create_is_undone_by_deleting_it_and_an_undo_can_be_undone():
    rig = PlanRig(sim_count=12)
    sim = (await rig.sims(status="enabled"))[0]
    async with Client(rig.server, elicitation_callback=asking("accept", [])) as client:
        created = await client.call_tool("create_sim_card_group", {"name": "Temporary"})
        group_id = created.structured_content["data"]["id"]
        undone = await client.call_tool("undo_change", {"change_id": created.structured_content["change_id"]})
        assert undone.structured_content["data"][0]["operation"] == "delete_sim_card_group"
        assert (await rig.direct.get(f"/sim_card_groups/{group_id}")).status_code == 404
        tagged = await client.call_tool("update_sim_card", {"sim_card_id": sim["id"], "tags": ["x"]})
        undo = await client.call_tool("undo_change", {"change_id": tagged.structured_content["change_id"]})
        redo = await client.call_tool("undo_change", {"change_id": undo.structured_content["change_id"]})
        assert not redo.is_error, redo.content[0].text
    assert (await rig.direct.get(f"/sim_cards/{sim['id']}")).json()["data"]["tags"] == ["x"]
    await rig.aclose()


@pytest.mark.anyio
async def test_irreversible_changes_say_so_with_the_cost_and_send_nothing():
    rig = PlanRig(sim_count=12)
    async with Client(rig.server, elicitation_callback=asking("accept", [])) as client:
        bought = await client.call_tool("purchase_esims", {"amount": 2})
        assert not bought.is_error, bought.content[0].text
        sent = len(rig.changes())
        refused = await client.call_tool("undo_change", {"change_id": bought.structured_content["change_id"]})
    assert refused.is_error and refused.structured_content["error"]["kind"] == "irreversible"
    text = refused.content[0].text
    assert "cannot be undone" in text and "charged" in text and "Nothing was sent" in text
    assert len(rig.changes()) == sent
    await rig.aclose()


def test_reversible_tools_publish_recovery_metadata():
    async def listed():
        rig = PlanRig(sim_count=4)
        async with Client(rig.server) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
        await rig.aclose()
        return tools

    tools = anyio.run(listed)
    assert tools["disable_sim_card"].meta["recovery"] == {
        "strategy": "compensation",
        "compensatingOperation": {"operationId": "undo_change", "parameters": {"change_id": "$response.body#/change_id"}}}
    assert "recovery" not in (tools["delete_sim_card"].meta or {})
    assert "recovery" not in (tools["purchase_esims"].meta or {})
    reversible = {n for n, op in OPERATIONS.items() if op.compensation and op.compensation.reversible}
    assert {n for n, t in tools.items() if (t.meta or {}).get("recovery")} == reversible
    assert json.dumps(tools["disable_sim_card"].output_schema).count("change_id") == 1
