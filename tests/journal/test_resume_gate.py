"""resume_change goes through the gate like any plan: one question or a token bound to the resolved set, both
protocol eras, dynamic mode; refused in read-only mode and for a change that finished; a no sends nothing. The
SIMs a stopped plan may have reached are read first and sent only if the change did not take."""

from __future__ import annotations

from collections import Counter

import anyio
import pytest
from mcp import Client

from plan_rig import PlanRig, asking
from telnyx_iot_mcp.server import plans
from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.server.gate import Gate
from telnyx_iot_mcp.server.selection import select
from telnyx_iot_mcp.server.settings import Settings

pytestmark = pytest.mark.anyio
MODES = ["auto", "legacy"]  # the 2026-07-28 era and the 2025-11-25 handshake
STOPPED = "the server was stopped (SIGTERM)"


def sends_per_sim(rig: PlanRig) -> Counter:
    return Counter(r.url.path.split("/")[3] for r in rig.changes())


def stop_after_two_started(rig: PlanRig) -> list[str]:
    """The server's stop comes once the plan's first two SIMs were started; those two are answered after it.
    Returns the paths of the requests started."""
    started: list[str] = []
    release = anyio.Event()

    async def hold(request):
        started.append(request.url.path)
        if len(started) == 2:
            rig.audit.stopping = STOPPED
            release.set()
        await release.wait()

    rig.hold = hold
    return started


async def stopped_plan(rig: PlanRig, count: int = 8, server=None) -> tuple[str, list[dict]]:
    """A standby plan stopped by the server's stop after its first two SIMs were started."""
    group, sims = await rig.group_of(count)
    stop_after_two_started(rig)
    async with Client(server or rig.server, elicitation_callback=asking("accept", [])) as client:
        stopped = await client.call_tool("apply_to_sim_cards", {"operation": "set_sim_card_standby",
                                                                "filter": {"sim_card_group_id": group}})
    rig.hold, rig.audit.stopping = None, None
    counts = stopped.structured_content["meta"]["counts"]
    assert counts.get("not_started", 0) >= count - 4 and counts.get("submitted", 0) >= 2, counts
    assert "resume_change" in stopped.structured_content["meta"]["note"]
    return stopped.structured_content["change_id"], sims


@pytest.mark.parametrize("mode", MODES)
async def test_resume_asks_once_and_a_no_sends_nothing(mode):
    rig = PlanRig(sim_count=24)
    change_id, sims = await stopped_plan(rig)
    sent = len(rig.changes())
    seen: list = []
    async with Client(rig.server, mode=mode, elicitation_callback=asking("decline", seen)) as client:
        declined = await client.call_tool("resume_change", {"change_id": change_id})
    assert len(seen) == 1 and "Resume change" in seen[0].message and f"Put a SIM card on standby {8 - sent}" \
        in seen[0].message, seen[0].message
    assert "declined" in declined.content[0].text and len(rig.changes()) == sent
    async with Client(rig.server, mode=mode, elicitation_callback=asking("accept", seen)) as client:
        resumed = await client.call_tool("resume_change", {"change_id": change_id, "wait": True})
        again = await client.call_tool("resume_change", {"change_id": change_id})
        shown = (await client.call_tool("get_change", {"change_id": resumed.structured_content["change_id"]}))
    assert resumed.structured_content["meta"]["counts"] == {"done": 8 - sent, "skipped": sent}, resumed.content[0].text
    assert len(seen) == 2
    assert sends_per_sim(rig) == Counter({s["id"]: 1 for s in sims})  # every SIM changed exactly once
    assert [await rig.status(s["id"]) for s in sims] == ["standby"] * 8
    assert shown.structured_content["data"]["resumes"] == change_id
    assert again.is_error and again.structured_content["error"]["kind"] == "nothing_to_resume"
    assert resumed.structured_content["change_id"] in again.content[0].text
    ends = [line["outcome"] for line in rig.audit.entries if line["tool"] == "resume_change" and line["event"] == "end"]
    assert [o for o in ends if o != "awaiting_confirmation"] == ["declined", "ok"]
    await rig.aclose()


async def test_resume_by_token_is_bound_to_the_resolved_set():
    rig = PlanRig(sim_count=24)
    change_id, sims = await stopped_plan(rig)
    sent = sends_per_sim(rig)
    left = [s for s in sims if s["id"] not in sent]
    async with Client(rig.server) as client:  # no elicitation: a token
        asked = await client.call_tool("resume_change", {"change_id": change_id})
        token = asked.structured_content["confirmation_required"]["confirmation_token"]
        assert len(rig.changes()) == len(sent)
        # someone puts one of the SIMs left on standby by hand: the yes was for another set
        assert (await rig.direct.post(f"/sim_cards/{left[0]['id']}/actions/set_standby")).status_code == 202
        moved = await client.call_tool("resume_change", {"change_id": change_id, "confirmation_token": token})
        assert moved.is_error and moved.structured_content["error"]["kind"] == "targets_changed"
        assert len(rig.changes()) == len(sent)
        asked = await client.call_tool("resume_change", {"change_id": change_id})
        token = asked.structured_content["confirmation_required"]["confirmation_token"]
        resumed = await client.call_tool("resume_change", {"change_id": change_id, "confirmation_token": token})
    assert resumed.structured_content["meta"]["counts"] == {"submitted": len(left) - 1, "skipped": len(sent) + 1}
    assert sends_per_sim(rig) == Counter({s["id"]: 1 for s in sims if s["id"] != left[0]["id"]})
    await rig.aclose()


async def test_a_finished_change_is_refused_and_nothing_is_sent():
    rig = PlanRig(sim_count=16)
    group, _ = await rig.group_of(3)
    async with Client(rig.server, elicitation_callback=asking("accept", [])) as client:
        applied = await client.call_tool("apply_to_sim_cards", {"operation": "set_sim_card_standby",
                                                                "filter": {"sim_card_group_id": group}})
        sent = len(rig.changes())
        refused = await client.call_tool("resume_change", {"change_id": applied.structured_content["change_id"]})
        unknown = await client.call_tool("resume_change", {"change_id": "chg_0000000000000000"})
    assert refused.is_error and refused.structured_content["error"]["kind"] == "nothing_to_resume"
    assert "finished" in refused.content[0].text and "Nothing was sent" in refused.content[0].text
    assert unknown.is_error and unknown.structured_content["error"]["kind"] == "not_found"
    assert len(rig.changes()) == sent
    await rig.aclose()


async def test_sims_left_in_flight_are_read_and_sent_only_if_the_change_did_not_take(monkeypatch):
    """Two requests never answered when the server stopped (cut after the finish window, `unknown`): Telnyx
    applied the first, never got the second. The resume reads both and sends the second only."""
    monkeypatch.setattr(plans, "FINISH_SECONDS", 0.3)
    rig = PlanRig(sim_count=16)
    group, sims = await rig.group_of(2)
    held: list[str] = []

    async def hold(request):
        held.append(request.url.path)
        if len(held) == 1:  # it reaches Telnyx, the answer never comes back
            assert (await rig.direct.post(request.url.path.removeprefix("/v2"))).status_code == 202
        if len(held) == 2:
            rig.audit.stopping = STOPPED
        await anyio.sleep(30)

    rig.hold = hold
    async with Client(rig.server, elicitation_callback=asking("accept", [])) as client:
        with anyio.fail_after(10):
            stopped = await client.call_tool("apply_to_sim_cards", {"operation": "set_sim_card_standby",
                                                                    "filter": {"sim_card_group_id": group}})
    rig.hold, rig.audit.stopping = None, None
    assert stopped.structured_content["meta"]["counts"] == {"unknown": 2}
    assert all("may have taken effect" in r["reason"] for r in stopped.structured_content["data"])
    reached = held[0].split("/")[3]
    async with Client(rig.server, elicitation_callback=asking("accept", [])) as client:
        resumed = await client.call_tool("resume_change", {"change_id": stopped.structured_content["change_id"],
                                                           "wait": True})
    outcomes = {r["id"]: r["outcome"] for r in resumed.structured_content["data"]}
    assert outcomes[reached] == "skipped" and list(outcomes.values()).count("done") == 1, outcomes
    assert [r.url.path.split("/")[3] for r in rig.changes()[2:]] == [s["id"] for s in sims if s["id"] != reached]
    assert [await rig.status(s["id"]) for s in sims] == ["standby", "standby"]
    await rig.aclose()


async def test_read_only_server_neither_lists_nor_runs_resume():
    rig = PlanRig(sim_count=24)
    change_id, _ = await stopped_plan(rig)
    gate = Gate(rig.client, audit=rig.audit, tokens=rig.tokens, read_only=True)
    server = create_server(rig.client, select(Settings(read_only=True)), gate=gate)
    sent = len(rig.changes())
    async with Client(server, elicitation_callback=asking("accept", [])) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        refused = await client.call_tool("resume_change", {"change_id": change_id})
    assert "resume_change" not in names and "read-only" in refused.content[0].text and refused.is_error
    assert len(rig.changes()) == sent
    await rig.aclose()


async def test_resume_in_dynamic_mode():
    rig = PlanRig(sim_count=24)
    server = create_server(rig.client, gate=rig.gate, tools_mode="dynamic")
    group, sims = await rig.group_of(6)
    started = stop_after_two_started(rig)
    async with Client(server, elicitation_callback=asking("accept", [])) as client:
        stopped = await client.call_tool("call_operation", {"operation": "apply_to_sim_cards", "arguments": {
            "operation": "disable_sim_card", "filter": {"sim_card_group_id": group}}})
        rig.hold, rig.audit.stopping = None, None
        resumed = await client.call_tool("call_operation", {"operation": "resume_change", "arguments": {
            "change_id": stopped.structured_content["change_id"], "wait": True}})
    assert 'call_operation(operation="resume_change")' in stopped.structured_content["meta"]["note"]
    assert resumed.structured_content["meta"]["counts"].get("done") == 6 - len(started), resumed.content[0].text
    assert sends_per_sim(rig) == Counter({s["id"]: 1 for s in sims})
    assert [await rig.status(s["id"]) for s in sims] == ["disabled"] * 6
    await rig.aclose()


async def test_resume_by_the_app_card():
    """A host that draws MCP Apps but cannot elicit: the card's Confirm runs the resume, once."""
    from mcp.client import advertise

    from telnyx_iot_mcp.server.apps import CONFIRM_TOOL, CONFIRMATION_META, EXTENSION_ID

    rig = PlanRig(sim_count=24)
    change_id, sims = await stopped_plan(rig)
    sent = len(rig.changes())
    apps = [advertise(EXTENSION_ID, {"mimeTypes": ["text/html;profile=mcp-app"]})]
    async with Client(rig.server, extensions=apps) as client:
        shown = await client.call_tool("resume_change", {"change_id": change_id})
        card = shown.meta[CONFIRMATION_META]
        assert card["operation"] == "resume_change" and "Resume change" in card["elicitation"]["message"]
        assert card["token"] not in shown.content[0].text and len(rig.changes()) == sent
        confirm = {"tool": "resume_change", "arguments": card["arguments"], "confirmation": card["token"],
                   "content": {"confirm": True}}
        done = await client.call_tool(CONFIRM_TOOL, confirm)
        again = await client.call_tool(CONFIRM_TOOL, confirm)
    assert done.structured_content["meta"]["counts"] == {"submitted": 8 - sent, "skipped": sent}, done.content
    assert again.is_error and sends_per_sim(rig) == Counter({s["id"]: 1 for s in sims})
    await rig.aclose()


async def test_a_change_still_running_is_refused():
    rig = PlanRig(sim_count=16)
    group, _ = await rig.group_of(4)
    release, held = anyio.Event(), anyio.Event()

    async def hold(request):
        held.set()
        await release.wait()

    rig.hold = hold
    async with anyio.create_task_group() as tasks:
        async def apply() -> None:
            async with Client(rig.server, elicitation_callback=asking("accept", [])) as client:
                await client.call_tool("apply_to_sim_cards", {"operation": "set_sim_card_standby",
                                                              "filter": {"sim_card_group_id": group}})

        tasks.start_soon(apply)
        await held.wait()
        sent = len(rig.changes())
        async with Client(rig.server, elicitation_callback=asking("accept", [])) as client:
            [running] = (await client.call_tool("list_changes", {})).structured_content["data"]
            refused = await client.call_tool("resume_change", {"change_id": running["change_id"]})
        assert running["status"] == "running" and len(rig.changes()) == sent
        release.set()
    assert refused.is_error and refused.structured_content["error"]["kind"] == "still_running"
    assert "by this server" in refused.content[0].text and "Nothing was sent" in refused.content[0].text
    await rig.aclose()


async def test_no_change_starts_once_the_server_is_stopping():
    rig = PlanRig(sim_count=16)
    sim = (await rig.sims(status="enabled"))[0]
    rig.audit.stopping = STOPPED
    async with Client(rig.server, elicitation_callback=asking("accept", [])) as client:
        refused = await client.call_tool("update_sim_card", {"sim_card_id": sim["id"], "tags": ["late"]})
        read = await client.call_tool("get_sim_card", {"sim_card_id": sim["id"]})
    assert refused.is_error and "stopping" in refused.content[0].text and not read.is_error
    assert rig.changes() == []
    await rig.aclose()


def test_a_change_sent_by_another_live_server_process_is_still_running(tmp_path):
    """The runner of a change marked running: another telnyx-iot-mcp process alive on this machine (two clients
    on one state dir) holds it; once that process is gone (kill -9) the change can be resumed."""
    import socket
    import subprocess
    import time
    from pathlib import Path

    from processes import SCRIPT, clean_env
    from telnyx_iot_mcp.server.journal import Journal, MemoryBackend

    other = subprocess.Popen([SCRIPT, "--sandbox"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, env=clean_env(HOME=str(tmp_path)))
    try:
        deadline = time.monotonic() + 10
        while b"telnyx" not in Path(f"/proc/{other.pid}/cmdline").read_bytes():  # until it has started
            assert time.monotonic() < deadline
            time.sleep(0.01)
        change = {"change_id": "chg_0123456789abcdef", "status": "running",
                  "runner": f"{socket.gethostname()}:{other.pid}"}
        assert "on this machine" in Journal(MemoryBackend()).still_running(change)
    finally:
        other.kill()
        other.wait()
    assert Journal(MemoryBackend()).still_running(change) is None
    assert Journal(MemoryBackend()).still_running({**change, "status": "stopped"}) is None


async def test_a_plan_whose_client_went_away_is_resumed():
    """The client cancels the call mid-plan (or goes away): the change ends `cancelled`, its rows as they stood;
    resume_change reads the SIMs left in flight (never reached here) and sends them and the rest."""
    rig = PlanRig(sim_count=24)
    group, sims = await rig.group_of(6)
    held: list[str] = []
    stuck = anyio.Event()

    async def hold(request):
        held.append(request.url.path.split("/")[3])
        if len(held) > 2:  # the third and fourth never get through
            if len(held) == 4:
                stuck.set()
            await anyio.sleep(60)

    rig.hold = hold
    async with Client(rig.server, elicitation_callback=asking("accept", [])) as client:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(client.call_tool, "apply_to_sim_cards", {"operation": "set_sim_card_standby",
                                                                      "filter": {"sim_card_group_id": group}})
            await stuck.wait()
            tasks.cancel_scope.cancel()  # the client gives up
        rig.hold = None
        with anyio.fail_after(10):
            while not (listed := (await client.call_tool("list_changes", {})).structured_content["data"]) \
                    or listed[0]["status"] == "running":
                await anyio.sleep(0.05)
        resumed = await client.call_tool("resume_change", {"change_id": listed[0]["change_id"], "wait": True})
    assert listed[0]["status"] == "cancelled"
    assert resumed.structured_content["meta"]["counts"] == {"done": 4, "skipped": 2}, resumed.content[0].text
    sends = sends_per_sim(rig)
    assert {sim: sends[sim] for sim in held[:2]} == {sim: 1 for sim in held[:2]}  # reached: not sent again
    assert all(sends[s["id"]] >= 1 for s in sims)
    assert [await rig.status(s["id"]) for s in sims] == ["standby"] * 6
    await rig.aclose()


async def test_a_resume_stopped_by_the_server_answers_and_is_resumed_in_turn():
    rig = PlanRig(sim_count=32)
    change_id, sims = await stopped_plan(rig, count=12)
    stop_after_two_started(rig)
    async with Client(rig.server, elicitation_callback=asking("accept", [])) as client:
        cut = await client.call_tool("resume_change", {"change_id": change_id})
    rig.hold, rig.audit.stopping = None, None
    assert not cut.is_error, cut.content[0].text
    counts = cut.structured_content["meta"]["counts"]
    assert counts.get("not_started", 0) >= 1 and "resume_change" in cut.structured_content["meta"]["note"], counts
    async with Client(rig.server, elicitation_callback=asking("accept", [])) as client:
        last = await client.call_tool("resume_change", {"change_id": cut.structured_content["change_id"]})
    assert last.structured_content["meta"]["counts"]["submitted"] == counts["not_started"], last.content[0].text
    assert sends_per_sim(rig) == Counter({s["id"]: 1 for s in sims})
    await rig.aclose()


async def test_another_replica_sees_a_running_change_by_its_beat(monkeypatch):
    """Replicas share the journal (Redis): one cannot see the other's process, so a running change says it is
    alive every few seconds; a change whose beats stopped (its replica killed) can be resumed."""
    import time

    from telnyx_iot_mcp.server import journal
    from telnyx_iot_mcp.server.journal import Journal, MemoryBackend

    monkeypatch.setattr(journal, "BEAT_SECONDS", 0.1)
    rig = PlanRig(sim_count=16)
    changes = Journal(MemoryBackend())
    server = create_server(rig.client, gate=rig.gate, changes=changes)
    group, _ = await rig.group_of(4)
    release, held = anyio.Event(), anyio.Event()

    async def hold(request):
        held.set()
        await release.wait()

    rig.hold = hold
    replica = Journal(changes.backend)  # another replica on the same store
    async with anyio.create_task_group() as tasks:
        async def apply() -> None:
            async with Client(server, elicitation_callback=asking("accept", [])) as client:
                await client.call_tool("apply_to_sim_cards", {"operation": "set_sim_card_standby",
                                                              "filter": {"sim_card_group_id": group}})

        tasks.start_soon(apply)
        await held.wait()
        await anyio.sleep(0.5)  # five beats: the one written at the start is stale by now
        [change_id] = list(changes.backend.changes)
        change = {**await changes.backend.get(change_id), "runner": "replica-b:1"}
        seen = replica.still_running(change)
        release.set()
    assert seen is not None and seen.startswith("by the server on replica-b"), seen
    assert replica.still_running({**change, "beat": time.time() - 1}) is None  # 10 beats missed: cut off
    assert replica.still_running(await changes.backend.get(change_id)) is None  # it ended
    await rig.aclose()
