"""undo_change goes through the gate like any plan: one question or token bound to its steps, both protocol eras,
dynamic mode; refused in read-only mode; a no sends nothing."""

from __future__ import annotations

import pytest
from mcp import Client

from plan_rig import PlanRig, asking
from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.server.gate import Gate
from telnyx_iot_mcp.server.selection import select
from telnyx_iot_mcp.server.settings import Settings

pytestmark = pytest.mark.anyio
MODES = ["auto", "legacy"]  # the 2026-07-28 era and the 2025-11-25 handshake


async def standby_plan(rig: PlanRig, count: int = 3) -> tuple[str, list[dict]]:
    group, sims = await rig.group_of(count)
    async with Client(rig.server, elicitation_callback=asking("accept", [])) as client:
        applied = await client.call_tool("apply_to_sim_cards", {"operation": "set_sim_card_standby",
                                                                "filter": {"sim_card_group_id": group}, "wait": True})
    return applied.structured_content["change_id"], sims


@pytest.mark.parametrize("mode", MODES)
async def test_undo_asks_once_and_a_no_sends_nothing(mode):
    rig = PlanRig(sim_count=16)
    change_id, sims = await standby_plan(rig)
    sent = len(rig.changes())
    seen: list = []
    async with Client(rig.server, mode=mode, elicitation_callback=asking("decline", seen)) as client:
        declined = await client.call_tool("undo_change", {"change_id": change_id})
    assert len(seen) == 1 and "Undo change" in seen[0].message and "Enable a SIM card 3" in seen[0].message
    assert "declined" in declined.content[0].text and len(rig.changes()) == sent
    async with Client(rig.server, mode=mode, elicitation_callback=asking("accept", seen)) as client:
        undone = await client.call_tool("undo_change", {"change_id": change_id, "wait": True})
    assert undone.structured_content["meta"]["counts"] == {"done": 3} and len(seen) == 2
    assert [await rig.status(s["id"]) for s in sims] == ["enabled"] * 3
    ends = [line["outcome"] for line in rig.audit.entries if line["tool"] == "undo_change" and line["event"] == "end"]
    assert [o for o in ends if o != "awaiting_confirmation"] == ["declined", "ok"]
    await rig.aclose()


async def test_undo_by_token_is_bound_to_its_steps():
    rig = PlanRig(sim_count=16)
    change_id, sims = await standby_plan(rig)
    sent = len(rig.changes())
    async with Client(rig.server) as client:  # no elicitation: a token
        asked = await client.call_tool("undo_change", {"change_id": change_id})
        token = asked.structured_content["confirmation_required"]["confirmation_token"]
        assert len(rig.changes()) == sent
        assert (await rig.direct.post(f"/sim_cards/{sims[0]['id']}/actions/enable")).status_code == 202
        moved = await client.call_tool("undo_change", {"change_id": change_id, "confirmation_token": token})
        assert moved.is_error and moved.structured_content["error"]["kind"] == "targets_changed"
        assert len(rig.changes()) == sent  # the hand-made enable went straight to the sandbox
        asked = await client.call_tool("undo_change", {"change_id": change_id})
        token = asked.structured_content["confirmation_required"]["confirmation_token"]
        undone = await client.call_tool("undo_change", {"change_id": change_id, "confirmation_token": token})
        sent = len(rig.changes())
        again = await client.call_tool("undo_change", {"change_id": change_id, "confirmation_token": token})
    assert undone.structured_content["meta"]["counts"] == {"conflict": 1, "submitted": 2}
    # undone already: a second undo is refused, naming the undo, and sends nothing
    assert again.is_error and again.structured_content["error"]["kind"] == "already_undone"
    assert undone.structured_content["change_id"] in again.content[0].text and len(rig.changes()) == sent
    await rig.aclose()


async def test_read_only_server_neither_lists_nor_runs_undo():
    rig = PlanRig(sim_count=16)
    change_id, _ = await standby_plan(rig)
    gate = Gate(rig.client, audit=rig.audit, tokens=rig.tokens, read_only=True)
    server = create_server(rig.client, select(Settings(read_only=True)), gate=gate)
    sent = len(rig.changes())
    async with Client(server, elicitation_callback=asking("accept", [])) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        refused = await client.call_tool("undo_change", {"change_id": change_id})
    assert "undo_change" not in names and {"list_changes", "get_change"} <= names
    assert refused.is_error and "read-only" in refused.content[0].text and len(rig.changes()) == sent
    await rig.aclose()


async def test_undo_in_dynamic_mode():
    rig = PlanRig(sim_count=16)
    change_id, sims = await standby_plan(rig)
    rig_server = create_server(rig.client, gate=rig.gate, tools_mode="dynamic")
    async with Client(rig.server, elicitation_callback=asking("accept", [])) as client:
        listed = (await client.call_tool("list_changes", {})).structured_content["data"]
    assert listed[0]["change_id"] == change_id
    # the dynamic server shares the static one's journal only through a store; here it has its own, so the
    # change is made through it
    group, more = await rig.group_of(2, name="Dynamic group")
    async with Client(rig_server, elicitation_callback=asking("accept", [])) as client:
        applied = await client.call_tool("call_operation", {"operation": "apply_to_sim_cards", "arguments": {
            "operation": "disable_sim_card", "filter": {"sim_card_group_id": group}, "wait": True}})
        undone = await client.call_tool("call_operation", {"operation": "undo_change", "arguments": {
            "change_id": applied.structured_content["change_id"], "wait": True}})
    assert undone.structured_content["meta"]["counts"] == {"done": 2}, undone.content[0].text
    assert [await rig.status(s["id"]) for s in more] == ["enabled", "enabled"]
    await rig.aclose()
