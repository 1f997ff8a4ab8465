"""A plan stopped midway and finished by resume_change is undone by one undo_change of the plan: one preview,
one yes, every SIM the plan and its resume changed put back as it was before the plan, each SIM sent at most
once, a SIM changed since left alone (`conflict`). The resume alone can still be undone on its own; neither is
undone twice."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from mcp import Client

from plan_rig import PlanRig, asking
from telnyx_iot_mcp.server.commands import changes_table
from test_resume_gate import stop_after_two_started
from test_undo import sim_state

pytestmark = pytest.mark.anyio


def sends_per_sim(rig: PlanRig, since: int = 0) -> Counter:
    return Counter(r.url.path.split("/")[3] for r in rig.changes()[since:])


async def stopped_then_resumed(rig: PlanRig, group: str, between=None) -> tuple[str, str, set[str]]:
    """A standby plan over the SIMs of `group` stopped by the server's stop after its first two SIMs were started,
    then resumed (after `between`, if given): the plan's change_id, the resume's, and the SIMs the resume sent."""
    stop_after_two_started(rig)
    async with Client(rig.server, elicitation_callback=asking("accept", [])) as client:
        stopped = await client.call_tool("apply_to_sim_cards", {"operation": "set_sim_card_standby",
                                                                "filter": {"sim_card_group_id": group}})
        rig.hold, rig.audit.stopping = None, None
        counts = stopped.structured_content["meta"]["counts"]
        assert counts.get("not_started", 0) >= 1 and counts.get("submitted", 0) >= 2, counts
        if between is not None:
            await between(stopped.structured_content["data"])
        sent = len(rig.changes())
        resumed = await client.call_tool("resume_change", {"change_id": stopped.structured_content["change_id"],
                                                           "wait": True})
    assert not resumed.is_error and resumed.structured_content["meta"]["counts"].get("done"), resumed.content[0].text
    return stopped.structured_content["change_id"], resumed.structured_content["change_id"], \
        set(sends_per_sim(rig, sent))


async def fleet(rig: PlanRig, disabled: bool = True) -> tuple[str, list[str]]:
    """A group of 8 SIMs, two of them disabled: the standby plan leaves them all alike, the undo must tell them
    apart."""
    group, sims = await rig.group_of(8)
    for sim in sims[::4] if disabled else []:
        assert (await rig.direct.post(f"/sim_cards/{sim['id']}/actions/disable")).status_code == 202
    return group, [s["id"] for s in sims]


async def test_one_undo_of_a_resumed_plan_puts_back_every_sim_of_the_plan_and_its_resume():
    rig = PlanRig(sim_count=24)
    group, sims = await fleet(rig)
    before = {sim: await sim_state(rig, sim) for sim in sims}
    plan_id, resume_id, resumed = await stopped_then_resumed(rig, group)
    assert resumed and set(sims) - resumed  # each change reached some of the SIMs
    assert {(await sim_state(rig, sim))["status"] for sim in sims} == {"standby"}
    sent, seen = len(rig.changes()), []
    async with Client(rig.server, elicitation_callback=asking("accept", seen)) as client:
        undone = await client.call_tool("undo_change", {"change_id": plan_id, "wait": True})
        assert not undone.is_error, undone.content[0].text
        undo_id = undone.structured_content["change_id"]
        again = {c: await client.call_tool("undo_change", {"change_id": c}) for c in (plan_id, resume_id)}
        listed = {c["change_id"]: c for c in (await client.call_tool("list_changes", {})).structured_content["data"]}
        resume_again = await client.call_tool("resume_change", {"change_id": resume_id})
    assert len(seen) == 1 and f"and its resume {resume_id}: {len(sims)} resources to send" in seen[0].message, \
        seen[0].message
    assert {r["id"]: r["outcome"] for r in undone.structured_content["data"]} == {sim: "done" for sim in sims}
    assert {sim: await sim_state(rig, sim) for sim in sims} == before  # state diff 0
    assert sends_per_sim(rig, sent) == Counter({sim: 1 for sim in sims})  # each SIM sent once
    for change_id, refused in again.items():  # neither is undone twice: the refusal names the undo
        assert refused.is_error and refused.structured_content["error"]["kind"] == "already_undone", refused.content
        assert undo_id in refused.content[0].text and change_id in refused.content[0].text
    assert resume_again.is_error and undo_id in resume_again.content[0].text
    assert len(rig.changes()) == sent + len(sims)  # the refusals sent nothing
    assert listed[undo_id]["undoes"] == plan_id and listed[undo_id]["undoes_resumes"] == [resume_id]
    assert listed[plan_id]["undone_by"] == listed[resume_id]["undone_by"] == undo_id
    assert not listed[plan_id]["undoable"] and not listed[resume_id]["undoable"]
    table = io.StringIO()
    assert await changes_table(rig.server, 20, table) == 0
    assert f"(undoes {plan_id} and {resume_id})" in next(line for line in table.getvalue().splitlines()
                                                           if line.startswith(undo_id))
    await rig.aclose()


async def test_the_resume_alone_is_undone_on_its_own_then_the_plan_without_it():
    rig = PlanRig(sim_count=24)
    group, sims = await fleet(rig)
    before = {sim: await sim_state(rig, sim) for sim in sims}
    plan_id, resume_id, resumed = await stopped_then_resumed(rig, group)
    sent = len(rig.changes())
    async with Client(rig.server, elicitation_callback=asking("accept", [])) as client:
        of_resume = await client.call_tool("undo_change", {"change_id": resume_id, "wait": True})
        assert not of_resume.is_error, of_resume.content[0].text
        after_resume_undone = {sim: await sim_state(rig, sim) for sim in sims}
        of_plan = await client.call_tool("undo_change", {"change_id": plan_id, "wait": True})
    assert {r["id"] for r in of_resume.structured_content["data"]} == resumed  # only what the resume did
    assert {sim: s["status"] for sim, s in after_resume_undone.items()} == {
        sim: before[sim]["status"] if sim in resumed else "standby" for sim in sims}
    assert {r["id"] for r in of_plan.structured_content["data"] if r["outcome"] == "done"} == set(sims) - resumed
    assert "conflict" not in of_plan.structured_content["meta"]["counts"], of_plan.content[0].text
    assert {sim: await sim_state(rig, sim) for sim in sims} == before
    assert sends_per_sim(rig, sent) == Counter({sim: 1 for sim in sims})
    await rig.aclose()


async def test_a_sim_changed_after_the_resume_is_a_conflict_and_left_alone():
    """One SIM the plan reached and one the resume reached are put back on by hand after the resume: both are
    `conflict`, sent nothing. A SIM disabled by hand between the stop and the resume, then put on standby by the
    resume, goes back to what the resume found (disabled)."""
    rig = PlanRig(sim_count=24)
    group, sims = await fleet(rig, disabled=False)
    before = {sim: await sim_state(rig, sim) for sim in sims}
    meddled_first: list[str] = []

    async def meddle(rows):
        sim = next(r["sim_card_id"] for r in rows if r["outcome"] == "not_started")
        assert (await rig.direct.post(f"/sim_cards/{sim}/actions/disable")).status_code == 202
        meddled_first.append(sim)

    plan_id, _, resumed = await stopped_then_resumed(rig, group, between=meddle)
    by_plan = sorted(set(sims) - resumed)[0]
    by_resume = sorted(resumed - set(meddled_first))[0]
    for sim in (by_plan, by_resume):
        assert (await rig.direct.post(f"/sim_cards/{sim}/actions/enable")).status_code == 202
    meddled = {sim: await sim_state(rig, sim) for sim in (by_plan, by_resume)}
    sent = len(rig.changes())
    async with Client(rig.server, elicitation_callback=asking("accept", [])) as client:
        undone = await client.call_tool("undo_change", {"change_id": plan_id, "wait": True})
    rows = {r["id"]: r for r in undone.structured_content["data"]}
    assert {sim: rows[sim]["outcome"] for sim in meddled} == {by_plan: "conflict", by_resume: "conflict"}
    assert "status.value is now" in rows[by_resume]["reason"]
    assert {sim: await sim_state(rig, sim) for sim in meddled} == meddled  # left as the other person left it
    assert set(sends_per_sim(rig, sent)) == set(sims) - set(meddled)
    assert (await sim_state(rig, meddled_first[0]))["status"] == "disabled"  # the resume's state before
    for sim in set(sims) - set(meddled) - set(meddled_first):
        assert await sim_state(rig, sim) == before[sim]
    await rig.aclose()


async def test_a_change_whose_undo_telnyx_refused_at_every_resource_can_be_undone_again():
    """Nothing was put back: the change is not undone yet. One step that may have taken effect is enough to refuse."""
    import time

    from telnyx_iot_mcp.server.journal import Journal, MemoryBackend
    from telnyx_iot_mcp.server.undo import undone_already
    from telnyx_iot_mcp.tools.errors import ToolError

    changes = Journal(MemoryBackend())
    expires = time.time() + 60
    await changes.backend.put({"change_id": "chg_undo", "time": "2026-12-07T06:00:01"}, expires)
    await changes.backend.put({"change_id": "chg_change", "time": "2026-12-07T06:00:00", "undone_by": "chg_undo"},
                              expires)
    rows = {"a": {"id": "a", "outcome": "failed"}, "b": {"id": "b", "outcome": "failed"}}
    await changes.backend.rows("chg_undo", rows, expires)
    await undone_already(changes, None, await changes.get("chg_change", None))
    await changes.backend.rows("chg_undo", {"b": {"id": "b", "outcome": "unknown"}}, expires)
    with pytest.raises(ToolError) as refused:
        await undone_already(changes, None, await changes.get("chg_change", None))
    assert refused.value.payload["kind"] == "already_undone" and "chg_undo" in refused.value.message
