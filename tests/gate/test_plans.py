"""Change plans on the sandbox: many SIMs, one question bound to the resolved set, per-SIM outcomes."""

from __future__ import annotations

import anyio
import pytest
from mcp import Client

from audit_lines import lines_of

from gate_rig import ERAS
from plan_rig import PlanRig, asking
from telnyx_iot_mcp.server import plans

pytestmark = pytest.mark.anyio


def payload(result):
    return result.structured_content


@pytest.mark.parametrize("mode", ERAS)
async def test_forty_sims_of_a_group_to_standby_with_exactly_one_question(mode):
    rig, seen, progress = PlanRig(), [], []
    group, members = await rig.group_of(40)

    async def on_progress(done, total, message):
        progress.append((done, total, message))

    async with Client(rig.server, mode=mode, elicitation_callback=asking("accept", seen)) as client:
        result = await client.call_tool("apply_to_sim_cards", {
            "operation": "set_sim_card_standby", "filter": {"sim_card_group_id": group}}, progress_callback=on_progress)
    assert not result.is_error, result.content[0].text
    assert len(seen) == 1
    question = seen[0].message
    assert "40 SIM cards" in question and "by status: enabled 40" in question and '"Plan group" 40' in question
    assert "and 35 more" in question and "Disconnects a live device." in question
    rows = payload(result)["data"]
    assert len(rows) == 40 and {r["outcome"] for r in rows} <= {"submitted", "done"}
    assert all(r["action_id"] for r in rows)
    posted = [r for r in rig.changes() if r.url.path.endswith("/actions/set_standby")]
    assert len(posted) == 40 == len({r.url.path for r in posted})  # each SIM once
    assert [await rig.status(s["id"]) for s in members] == ["standby"] * 40
    assert len(progress) == 40 and progress[-1][:2] == (40, 40)
    plan_lines = [e for e in rig.audit.entries if e["tool"] == "apply_to_sim_cards" and e["outcome"] == "ok"]
    sim_lines = [e for e in rig.audit.entries if e["tool"] == "set_sim_card_standby"]
    assert len(plan_lines) == 1 and plan_lines[0]["confirmation"] == "elicitation"
    assert {e["confirmation"] for e in sim_lines} == {"elicitation"}
    events = {s["id"]: [(e["event"], e["outcome"]) for e in sim_lines if e["arguments"]["sim_card_id"] == s["id"]]
              for s in members}  # each SIM: a line before its request is sent, one once it is answered
    assert set(map(tuple, events.values())) == {(("send", None), ("end", "ok"))}
    await rig.aclose()


async def test_a_plan_larger_than_one_model_answer_is_resolved_whole():
    """The size cap is for what a model reads: the server's own read of the targets is never cut."""
    rig, seen = PlanRig(), []
    group, members = await rig.group_of(30)
    rig.client.max_result_bytes = 8_000  # a few SIM records with their group
    async with Client(rig.server, mode="legacy", elicitation_callback=asking("accept", seen)) as client:
        result = await client.call_tool("apply_to_sim_cards", {
            "operation": "set_sim_card_standby", "filter": {"sim_card_group_id": group}})
    assert len(seen) == 1 and "30 SIM cards" in seen[0].message
    assert len([r for r in rig.changes() if r.url.path.endswith("/actions/set_standby")]) == 30
    assert [await rig.status(s["id"]) for s in members] == ["standby"] * 30
    assert not result.is_error and len(payload(result)["data"]) == 30, result.content[0].text
    await rig.aclose()


@pytest.mark.parametrize("mode", ERAS)
async def test_decline_sends_nothing(mode):
    rig, seen = PlanRig(), []
    group, members = await rig.group_of(10)
    async with Client(rig.server, mode=mode, elicitation_callback=asking("decline", seen)) as client:
        result = await client.call_tool("apply_to_sim_cards", {"operation": "disable_sim_card",
                                                               "sim_card_ids": [s["id"] for s in members]})
    assert result.is_error and payload(result)["error"]["kind"] == "declined" and len(seen) == 1
    assert rig.changes() == []  # only reads reached the API
    assert [await rig.status(s["id"]) for s in members] == ["enabled"] * 10
    await rig.aclose()


@pytest.mark.parametrize("mode", ERAS)
async def test_a_filter_plan_whose_fleet_changes_before_the_answer_is_refused(mode):
    rig, seen = PlanRig(), []
    group, members = await rig.group_of(8)
    outsider = next(s for s in await rig.sims(status="enabled") if s["sim_card_group_id"] != group)

    async def another_sim_joins():
        await rig.direct.patch(f"/sim_cards/{outsider['id']}", json={"sim_card_group_id": group})

    async with Client(rig.server, mode=mode,
                      elicitation_callback=asking("accept", seen, before_answer=another_sim_joins)) as client:
        result = await client.call_tool("apply_to_sim_cards", {
            "operation": "disable_sim_card", "filter": {"sim_card_group_id": group}})
    assert result.is_error and payload(result)["error"]["kind"] == "targets_changed", result.content[0].text
    assert "asked anew" in result.content[0].text or "ask anew" in result.content[0].text
    assert rig.changes() == []
    await rig.aclose()


@pytest.mark.parametrize("mode", ERAS)
async def test_partial_failures_come_back_per_sim_and_do_not_stop_the_others(mode):
    rig, seen = PlanRig(action_delay=30), []  # the sandbox clock stands still: actions stay in progress
    group, members = await rig.group_of(12)
    busy = members[:2]
    for sim in busy:  # an action in progress: Telnyx refuses another status change for these two
        assert (await rig.direct.post(f"/sim_cards/{sim['id']}/actions/disable")).status_code == 202
    async with Client(rig.server, mode=mode, elicitation_callback=asking("accept", seen)) as client:
        result = await client.call_tool("apply_to_sim_cards", {
            "operation": "set_sim_card_standby", "filter": {"sim_card_group_id": group}})
    assert not result.is_error, result.content[0].text
    rows = {r["sim_card_id"]: r for r in payload(result)["data"]}
    assert len(seen) == 1 and "by status: enabled 10, disabling 2" in seen[0].message
    for sim in busy:
        assert rows[sim["id"]]["outcome"] == "failed" and "wait for its current action" in rows[sim["id"]]["reason"]
    assert [rows[s["id"]]["outcome"] for s in members[2:]] == ["submitted"] * 10
    assert payload(result)["meta"]["counts"] == {"failed": 2, "submitted": 10}
    failed_lines = [e for e in rig.audit.entries if e["tool"] == "set_sim_card_standby" and e["outcome"] == "error"]
    assert len(failed_lines) == 2
    await rig.aclose()


async def test_sims_already_there_are_skipped_and_an_empty_plan_asks_nothing():
    rig, seen = PlanRig(), []
    group, members = await rig.group_of(10)
    async with Client(rig.server, mode="legacy", elicitation_callback=asking("accept", seen)) as client:
        result = await client.call_tool("apply_to_sim_cards", {
            "operation": "enable_sim_card", "sim_card_ids": [s["id"] for s in members]})
    rows = payload(result)["data"]
    assert [r["outcome"] for r in rows] == ["skipped"] * 10 and rows[0]["reason"] == "already enabled"
    assert rig.changes() == [] and seen == []
    await rig.aclose()


@pytest.mark.parametrize("mode", ERAS)
async def test_wait_follows_every_action_to_its_end(mode):
    rig, seen = PlanRig(), []
    group, members = await rig.group_of(6)
    async with Client(rig.server, mode=mode, elicitation_callback=asking("accept", seen)) as client:
        result = await client.call_tool("apply_to_sim_cards", {
            "operation": "disable_sim_card", "filter": {"sim_card_group_id": group}, "wait": True})
    rows = payload(result)["data"]
    assert [(r["outcome"], r["status"]) for r in rows] == [("done", "completed")] * 6
    assert [await rig.status(s["id"]) for s in members] == ["disabled"] * 6
    await rig.aclose()


async def test_without_elicitation_one_token_confirms_the_plan_and_a_changed_fleet_voids_it():
    rig = PlanRig()
    group, members = await rig.group_of(5)
    plan = {"operation": "set_sim_card_standby", "filter": {"sim_card_group_id": group}}
    async with Client(rig.server, mode="legacy") as client:
        first = payload(await client.call_tool("apply_to_sim_cards", plan))["confirmation_required"]
        assert "5 SIM cards" in first["preview"]
        outsider = next(s for s in await rig.sims(status="enabled") if s["sim_card_group_id"] != group)
        await rig.direct.patch(f"/sim_cards/{outsider['id']}", json={"sim_card_group_id": group})
        stale = await client.call_tool("apply_to_sim_cards", {**plan, "confirmation_token": first["confirmation_token"]})
        assert payload(stale)["error"]["kind"] == "targets_changed" and rig.changes() == []
        second = payload(await client.call_tool("apply_to_sim_cards", plan))["confirmation_required"]
        assert "6 SIM cards" in second["preview"]
        ok = await client.call_tool("apply_to_sim_cards", {**plan, "confirmation_token": second["confirmation_token"]})
        again = await client.call_tool("apply_to_sim_cards", {**plan, "confirmation_token": second["confirmation_token"]})
    assert not ok.is_error and payload(ok)["meta"]["confirmation"] == "token"
    # a replay finds every SIM already on standby: nothing to do, nothing sent twice
    assert payload(again)["meta"]["counts"] == {"skipped": 6} and len(rig.changes()) == 6
    await rig.aclose()


async def test_a_plan_above_the_cap_is_refused_before_anything_is_asked():
    rig, seen = PlanRig(sim_count=520), []
    async with Client(rig.server, mode="legacy", elicitation_callback=asking("accept", seen)) as client:
        result = await client.call_tool("apply_to_sim_cards", {"operation": "disable_sim_card",
                                                               "filter": {"iccid": "89"}})
    error = payload(result)["error"]
    assert error["kind"] == "plan_too_large" and "at most 500" in error["message"] and "520" in error["message"]
    assert seen == [] and rig.changes() == []
    await rig.aclose()


@pytest.mark.parametrize("arguments, words", [
    ({"operation": "disable_sim_card"}, "give exactly one of sim_card_ids, iccids, filter"),
    ({"operation": "disable_sim_card", "iccids": ["8944100030000000123"], "filter": {"status": ["enabled"]}},
     "give exactly one of"),
    ({"operation": "set_sim_card_public_ip", "iccids": ["8944100030000000123"], "arguments": {"region_code": 7}},
     "arguments.region_code"),
    ({"operation": "disable_sim_card", "iccids": ["8944100030000000123"], "arguments": {"report_lost": True}},
     "disable_sim_card: arguments"),
    ({"operation": "update_sim_card", "iccids": ["8944100030000000123"],
      "arguments": {"sim_card_id": "6a09cdc3-8948-47f0-aa62-74ac943d6c58"}}, "unknown field sim_card_id"),
    ({"operation": "get_sim_card", "iccids": ["8944100030000000123"]}, "operation"),
    ({"operation": "disable_sim_card", "filter": {"colour": "red"}}, "filter"),
])
async def test_bad_plans_name_the_field_and_send_nothing(arguments, words):
    rig = PlanRig(sim_count=5)
    async with Client(rig.server, mode="legacy") as client:
        result = await client.call_tool("apply_to_sim_cards", arguments)
    assert result.is_error and payload(result)["error"]["kind"] == "invalid_arguments"
    assert words in result.content[0].text, result.content[0].text
    assert rig.sent == []
    await rig.aclose()


async def test_iccids_resolve_exactly_and_unknown_ones_are_named():
    rig, seen = PlanRig(), []
    group, members = await rig.group_of(3)
    iccids = [s["iccid"] for s in members]
    async with Client(rig.server, mode="legacy", elicitation_callback=asking("decline", seen)) as client:
        await client.call_tool("apply_to_sim_cards", {"operation": "disable_sim_card", "iccids": iccids})
        missing = await client.call_tool("apply_to_sim_cards", {"operation": "disable_sim_card",
                                                                "iccids": [*iccids, "8900000000000000000"]})
    assert "3 SIM cards" in seen[0].message
    assert payload(missing)["error"]["kind"] == "not_found" and "8900000000000000000" in missing.content[0].text
    assert rig.changes() == []
    await rig.aclose()


async def test_read_only_servers_neither_list_nor_run_plans():
    rig = PlanRig(sim_count=5, read_only=True)
    from telnyx_iot_mcp.server.selection import select
    from telnyx_iot_mcp.server.settings import Settings
    assert "apply_to_sim_cards" not in [e.name for e in select(Settings(read_only=True))]
    sim = (await rig.sims())[0]
    async with Client(rig.server, mode="legacy") as client:
        result = await client.call_tool("apply_to_sim_cards", {"operation": "disable_sim_card",
                                                               "sim_card_ids": [sim["id"]]})
    assert result.is_error and payload(result)["error"]["kind"] == "read_only" and rig.sent == []
    await rig.aclose()


@pytest.mark.parametrize("mode", ERAS)
async def test_dynamic_mode_runs_a_plan_through_call_operation(mode):
    rig, seen = PlanRig(tools_mode="dynamic"), []
    group, members = await rig.group_of(4)
    async with Client(rig.server, mode=mode, elicitation_callback=asking("accept", seen)) as client:
        result = await client.call_tool("call_operation", {"operation": "apply_to_sim_cards", "arguments": {
            "operation": "set_sim_card_standby", "filter": {"sim_card_group_id": group}}})
    assert not result.is_error, result.content[0].text
    assert len(seen) == 1 and len(payload(result)["data"]) == 4
    await rig.aclose()


@pytest.mark.parametrize("mode", ERAS)
async def test_an_update_plan_asks_only_when_an_effect_rule_trips_for_some_sim(mode):
    rig, seen = PlanRig(), []
    group, members = await rig.group_of(6)
    async with Client(rig.server, mode=mode, elicitation_callback=asking("decline", seen)) as client:
        tags = await client.call_tool("apply_to_sim_cards", {
            "operation": "update_sim_card", "filter": {"sim_card_group_id": group}, "arguments": {"tags": ["plan"]}})
        assert not tags.is_error and seen == [] and len(rig.changes()) == 6
        before = len(rig.changes())
        limit = await client.call_tool("apply_to_sim_cards", {
            "operation": "update_sim_card", "filter": {"sim_card_group_id": group},
            "arguments": {"data_limit": {"amount": "0.001", "unit": "MB"}}})
    assert limit.is_error and len(seen) == 1 and len(rig.changes()) == before
    assert "of 6 SIM cards this is more than a setting" in seen[0].message and "its data stops at once" in seen[0].message
    await rig.aclose()


async def test_deleting_many_sims_asks_for_their_number_typed():
    rig, seen = PlanRig(), []
    group, members = await rig.group_of(3)
    async with Client(rig.server, mode="legacy", elicitation_callback=asking("accept", seen, typed="2")) as client:
        wrong = await client.call_tool("apply_to_sim_cards", {"operation": "delete_sim_card",
                                                              "filter": {"sim_card_group_id": group}})
    assert payload(wrong)["error"]["kind"] == "confirmation_mismatch" and rig.changes() == []
    assert seen[0].requested_schema["properties"]["confirm"]["type"] == "string"
    await rig.aclose()


async def test_a_plan_cancelled_midway_ends_every_sim_in_flight_unknown_and_the_plan_line_too(tmp_path):
    """Three SIMs answered, four in flight when the client cancels, five never sent: the log says exactly that."""
    path = tmp_path / "audit.jsonl"
    rig = PlanRig(policy="off", audit_path=str(path))
    group, members = await rig.group_of(12)
    arrived: list = []

    async def hold(request) -> None:
        arrived.append(request)
        if len(arrived) > 3:
            await anyio.sleep(3600)  # Telnyx never answers these

    rig.hold = hold
    async with Client(rig.server) as client:
        async with anyio.create_task_group() as calls:
            calls.start_soon(client.call_tool, "apply_to_sim_cards", {
                "operation": "disable_sim_card", "filter": {"sim_card_group_id": group}})
            with anyio.fail_after(10):
                while len(arrived) < 3 + plans.concurrency_for(rig.client):
                    await anyio.sleep(0.01)
            calls.cancel_scope.cancel()  # the client cancels the plan
        with anyio.fail_after(10):
            while not any(e["tool"] == "apply_to_sim_cards" and e["event"] == "end" for e in lines_of(path)):
                await anyio.sleep(0.01)
    lines = lines_of(path)  # every line also matches the published schema
    in_flight = {r.url.path.split("/")[-3] for r in arrived[3:]}
    answered = {r.url.path.split("/")[-3] for r in arrived[:3]}
    by_sim: dict[str, list] = {}
    for e in lines:
        if e["tool"] == "disable_sim_card":
            by_sim.setdefault(e["arguments"]["sim_card_id"], []).append((e["event"], e["outcome"]))
    assert {sim: by_sim[sim] for sim in answered} == {sim: [("send", None), ("end", "ok")] for sim in answered}
    assert {sim: by_sim[sim] for sim in in_flight} == {sim: [("send", None), ("end", "unknown")] for sim in in_flight}
    assert set(by_sim) == answered | in_flight  # the five never sent have no line
    plan = [(e["event"], e["outcome"]) for e in lines if e["tool"] == "apply_to_sim_cards"]
    assert plan == [("send", None), ("end", "unknown")]
    assert len({e["call"] for e in lines}) == 1 and lines[-1]["tool"] == "apply_to_sim_cards"
    assert "cancelled" in lines[-1]["detail"] and "may have taken effect" in lines[-1]["detail"]
    await rig.aclose()


@pytest.mark.parametrize("mode", ERAS)
async def test_an_apps_host_confirms_a_plan_on_its_card_bound_to_the_set_it_showed(mode):
    from test_gate_apps import APPS, answered
    from telnyx_iot_mcp.server.apps import CONFIRM_TOOL, CONFIRMATION_META

    rig = PlanRig()
    group, members = await rig.group_of(5)
    plan = {"operation": "set_sim_card_standby", "filter": {"sim_card_group_id": group}}
    async with Client(rig.server, mode=mode, extensions=APPS) as client:
        first = (await client.call_tool("apply_to_sim_cards", plan)).meta[CONFIRMATION_META]
        assert "5 SIM cards" in first["elicitation"]["message"] and rig.changes() == []
        outsider = next(s for s in await rig.sims(status="enabled") if s["sim_card_group_id"] != group)
        await rig.direct.patch(f"/sim_cards/{outsider['id']}", json={"sim_card_group_id": group})
        stale = await client.call_tool(CONFIRM_TOOL, answered(first))
        assert payload(stale)["error"]["kind"] == "targets_changed" and rig.changes() == []
        second = (await client.call_tool("apply_to_sim_cards", plan)).meta[CONFIRMATION_META]
        done = await client.call_tool(CONFIRM_TOOL, answered(second))
    assert "6 SIM cards" in second["elicitation"]["message"]
    assert not done.is_error and payload(done)["meta"] == {**payload(done)["meta"], "confirmation": "app-card",
                                                           "counts": {"submitted": 6}}
    assert len(rig.changes()) == 6
    await rig.aclose()
