"""The change journal: every change that reached the send step has a change_id, the state before, what was sent,
the outcome and Telnyx's request id; kept in the state store (memory, SQLite, Redis), without secrets."""

from __future__ import annotations

import json
import subprocess
import sys

import anyio

import pytest
from mcp import Client

from plan_rig import PlanRig, asking
from redis_server import RedisServer
from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.server.journal import Journal, MemoryBackend, journal_for
from telnyx_iot_mcp.server.state import SqliteStore
from telnyx_iot_mcp.tools.registry import OPERATIONS

pytestmark = pytest.mark.anyio


def test_every_change_declares_how_it_is_undone_or_why_not():
    for op in OPERATIONS.values():
        comp = op.compensation
        if op.read_only:
            assert comp is None, op.name
            continue
        assert comp is not None, f"{op.name} declares no compensation"
        if comp.irreversible:
            continue
        if comp.deletes:
            assert OPERATIONS[comp.deletes].method == "DELETE", op.name
            continue
        reader = OPERATIONS[comp.reads]
        assert reader.read_only and comp.target in [p.name for p in reader.params], op.name
        assert comp.target in [p.name for p in op.params if p.location == "path"], op.name


async def test_a_single_change_keeps_the_state_before_what_was_sent_and_the_request_id():
    rig = PlanRig(sim_count=12)
    sim = (await rig.sims(status="enabled"))[0]
    async with Client(rig.server, elicitation_callback=asking("accept", [])) as client:
        result = await client.call_tool("update_sim_card", {"sim_card_id": sim["id"], "tags": ["moved"],
                                                            "data_limit": {"amount": "900", "unit": "MB"}})
        assert not result.is_error, result.content[0].text
        change_id = result.structured_content["change_id"]
        assert json.loads(result.content[0].text)["change_id"] == change_id
        shown = (await client.call_tool("get_change", {"change_id": change_id})).structured_content["data"]
        listed = (await client.call_tool("list_changes", {})).structured_content["data"]
    [row] = shown["resources"]
    assert row["id"] == sim["id"] and row["outcome"] == "done" and row["api_request_id"]
    assert row["before"]["tags"] == sim["tags"] and row["before"]["data_limit"] == sim["data_limit"]
    assert row["sent"] == {"sim_card_id": sim["id"], "tags": ["moved"], "data_limit": {"amount": "900", "unit": "MB"}}
    assert shown["operation"] == "update_sim_card" and shown["status"] == "done"
    assert [c["change_id"] for c in listed] == [change_id]
    assert listed[0]["counts"] == {"done": 1}  # what the dashboard's Outcomes cell shows
    await rig.aclose()


async def test_a_single_change_that_telnyx_refused_is_listed_failed():
    rig = PlanRig(sim_count=12)
    async with Client(rig.server, elicitation_callback=asking("accept", [])) as client:
        result = await client.call_tool("update_sim_card", {"sim_card_id": "6a09cdc3-8948-47f0-aa62-74ac943d6c58",
                                                            "tags": ["moved"]})
        assert result.is_error
        [listed] = (await client.call_tool("list_changes", {})).structured_content["data"]
    assert listed["status"] == "failed" and listed["counts"] == {"failed": 1}
    await rig.aclose()


async def test_a_plan_keeps_every_sims_status_before():
    rig = PlanRig(sim_count=20)
    group, sims = await rig.group_of(4)
    async with Client(rig.server, elicitation_callback=asking("accept", [])) as client:
        result = await client.call_tool("apply_to_sim_cards", {"operation": "set_sim_card_standby",
                                                               "filter": {"sim_card_group_id": group}})
        change_id = result.structured_content["change_id"]
        shown = (await client.call_tool("get_change", {"change_id": change_id})).structured_content["data"]
    assert shown["tool"] == "apply_to_sim_cards" and shown["counts"] == {"submitted": 4}
    assert sorted(r["id"] for r in shown["resources"]) == sorted(s["id"] for s in sims)
    assert all(r["before"] == {"status.value": "enabled"} and r["outcome"] == "submitted" and r["api_request_id"]
               for r in shown["resources"])
    await rig.aclose()


async def test_nothing_sent_nothing_journaled_and_another_account_sees_none():
    rig = PlanRig(sim_count=12)
    sim = (await rig.sims(status="enabled"))[0]
    async with Client(rig.server) as client:
        bad = await client.call_tool("update_sim_card", {"sim_card_id": sim["id"], "tags": "not a list"})
        assert bad.is_error
        assert (await client.call_tool("list_changes", {})).structured_content["data"] == []
        done = await client.call_tool("update_sim_card", {"sim_card_id": sim["id"], "tags": ["a"]})
    change_id = done.structured_content["change_id"]
    rig.client._api_key = "another-account-key"  # the same journal, another Telnyx account
    async with Client(rig.server) as client:
        assert (await client.call_tool("list_changes", {})).structured_content["data"] == []
        other = await client.call_tool("get_change", {"change_id": change_id})
    assert other.is_error and "No change" in other.content[0].text
    await rig.aclose()


async def test_list_changes_says_which_changes_can_be_undone_and_why_not():
    """What the dashboard's Undo buttons are drawn from: a reversible change can be undone until it was; a delete
    never, with the registry's reason."""
    rig = PlanRig(sim_count=12)
    sim = (await rig.sims(status="enabled"))[0]
    group = (await rig.direct.post("/sim_card_groups", json={"name": "Spare"})).json()["data"]
    async with Client(rig.server, elicitation_callback=asking("accept", [])) as client:
        disabled = (await client.call_tool("disable_sim_card", {"sim_card_id": sim["id"]})).structured_content
        deleted = await client.call_tool("delete_sim_card_group", {"sim_card_group_id": group["id"]})
        assert not deleted.is_error, deleted.content[0].text
        listed = {c["change_id"]: c for c in (await client.call_tool("list_changes", {})).structured_content["data"]}
        assert listed[disabled["change_id"]]["undoable"] is True and "why_not" not in listed[disabled["change_id"]]
        gone = listed[deleted.structured_content["change_id"]]
        assert gone["undoable"] is False and gone["why_not"] == OPERATIONS["delete_sim_card_group"].compensation.irreversible
        undone = await client.call_tool("undo_change", {"change_id": disabled["change_id"], "wait": True})
        assert not undone.is_error, undone.content[0].text
        listed = {c["change_id"]: c for c in (await client.call_tool("list_changes", {})).structured_content["data"]}
    undo_id = undone.structured_content["change_id"]
    assert listed[disabled["change_id"]] | {"undone_by": undo_id} == listed[disabled["change_id"]]
    assert listed[disabled["change_id"]]["undoable"] is False
    assert listed[disabled["change_id"]]["why_not"] == f"undone by {undo_id}"
    assert listed[undo_id]["undoable"] is True  # an undo is a change too
    await rig.aclose()


async def test_the_journal_keeps_no_secret():
    rig = PlanRig(sim_count=12)
    backend = MemoryBackend()
    server = create_server(rig.client, gate=rig.gate, changes=Journal(backend))
    secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCY"
    async with Client(server, elicitation_callback=asking("accept", [])) as client:
        result = await client.call_tool("create_migration_source", {
            "provider": "aws", "bucket_name": "bucket", "source_region": "us-east-1",
            "provider_auth": {"access_key": "AKIA1234", "secret_access_key": secret}})
        assert not result.is_error, result.content[0].text
        shown = await client.call_tool("get_change", {"change_id": result.structured_content["change_id"]})
    kept = json.dumps([backend.changes, backend.resources, shown.structured_content], default=str)
    assert "bucket" in kept and secret not in kept
    await rig.aclose()


async def test_sqlite_journal_outlives_the_process_and_is_bounded(tmp_path):
    path = tmp_path / "state.sqlite3"
    rig = PlanRig(sim_count=12)
    changes = Journal(journal_for(SqliteStore(path)).backend)
    server = create_server(rig.client, gate=rig.gate, changes=changes)
    sim = (await rig.sims(status="enabled"))[0]
    async with Client(server) as client:
        change_id = (await client.call_tool("update_sim_card", {"sim_card_id": sim["id"], "tags": ["x"]}
                                            )).structured_content["change_id"]
    again = create_server(rig.client, gate=rig.gate, changes=journal_for(SqliteStore(path)))  # a new process's
    async with Client(again) as client:
        shown = (await client.call_tool("get_change", {"change_id": change_id})).structured_content["data"]
    assert shown["resources"][0]["before"]["tags"] == sim["tags"]
    # kept no longer than the retention: a journal keeping changes for no time at all lists none of its own
    brief = create_server(rig.client, gate=rig.gate, changes=journal_for(SqliteStore(path), retention_days=-1))
    async with Client(brief) as client:
        gone = (await client.call_tool("update_sim_card", {"sim_card_id": sim["id"], "tags": ["y"]}
                                       )).structured_content["change_id"]
        assert [c["change_id"] for c in (await client.call_tool("list_changes", {})).structured_content["data"]] \
            == [change_id]
        assert (await client.call_tool("get_change", {"change_id": gone})).is_error
    await rig.aclose()


async def test_replicas_share_the_journal_through_redis():
    from telnyx_iot_mcp.server.state_redis import RedisStore

    with RedisServer() as redis:
        rig = PlanRig(sim_count=12)
        one = create_server(rig.client, gate=rig.gate, changes=journal_for(RedisStore(redis.url)))
        two = create_server(rig.client, gate=rig.gate, changes=journal_for(RedisStore(redis.url)))
        sim = (await rig.sims(status="enabled"))[0]
        async with Client(one) as client:
            change_id = (await client.call_tool("update_sim_card", {"sim_card_id": sim["id"], "tags": ["x"]}
                                                )).structured_content["change_id"]
        async with Client(two) as client:
            listed = (await client.call_tool("list_changes", {})).structured_content["data"]
            shown = (await client.call_tool("get_change", {"change_id": change_id})).structured_content["data"]
        assert [c["change_id"] for c in listed] == [change_id]
        assert shown["resources"][0]["outcome"] == "done"
        await rig.aclose()


def test_the_changes_command_lists_and_shows(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "TELNYX_IOT_MCP_STATE_DIR": str(tmp_path), "HOME": str(tmp_path)}
    command = [sys.executable, "-m", "telnyx_iot_mcp", "--sandbox"]
    listed = subprocess.run([*command, "call", "list_sim_cards", "--args", '{"page_size": 1, "fields": ["id"]}'],
                            env=env, capture_output=True, text=True, timeout=60)
    sim = json.loads(listed.stdout)["data"][0]["id"]
    changed = subprocess.run([*command, "call", "update_sim_card", "--args", json.dumps({"sim_card_id": sim, "tags": ["t"]})],
                             env=env, capture_output=True, text=True, timeout=60)
    change_id = json.loads(changed.stdout)["change_id"]
    table = subprocess.run([*command, "changes"], env=env, capture_output=True, text=True, timeout=60)
    assert table.returncode == 0 and change_id in table.stdout and "update_sim_card" in table.stdout
    one = subprocess.run([*command, "changes", change_id], env=env, capture_output=True, text=True, timeout=60)
    assert json.loads(one.stdout)["data"]["resources"][0]["sent"]["tags"] == ["t"]


async def test_a_repeated_public_ip_plan_bills_none_again():
    rig = PlanRig(sim_count=16)
    group, sims = await rig.group_of(4)
    plan = {"operation": "set_sim_card_public_ip", "filter": {"sim_card_group_id": group}, "wait": True}
    async with Client(rig.server, elicitation_callback=asking("accept", [])) as client:
        first = await client.call_tool("apply_to_sim_cards", plan)
        counts = first.structured_content["meta"]["counts"]  # the fleet gave one of them a public IP already
        assert counts.get("done", 0) >= 3 and counts.get("done", 0) + counts.get("skipped", 0) == 4, counts
        sent = len(rig.changes())
        seen: list = []
    async with Client(rig.server, elicitation_callback=asking("accept", seen)) as client:
        again = await client.call_tool("apply_to_sim_cards", plan)
    assert again.structured_content["meta"]["counts"] == {"skipped": 4} and not seen  # nothing to bill: no question
    assert {r["reason"] for r in again.structured_content["data"]} == {"already as set_sim_card_public_ip leaves it"}
    assert len(rig.changes()) == sent
    await rig.aclose()


async def test_a_plan_stops_starting_sims_once_the_server_is_stopping():
    """What a stop signal does to a running plan (server/stopping.py sets the audit log's `stopping`): the SIMs
    in flight end, no other starts, and the caller gets every SIM's outcome so far and the change_id."""
    rig = PlanRig(sim_count=24)
    group, sims = await rig.group_of(12)
    started: list[str] = []
    release = anyio.Event()

    async def hold(request):
        started.append(request.url.path)
        if len(started) == 2:
            rig.audit.stopping = "the server was stopped (SIGTERM)"
            release.set()
        await release.wait()

    rig.hold = hold
    async with Client(rig.server, elicitation_callback=asking("accept", [])) as client:
        result = await client.call_tool("apply_to_sim_cards", {"operation": "set_sim_card_standby",
                                                               "filter": {"sim_card_group_id": group}})
    counts = result.structured_content["meta"]["counts"]
    in_flight = len(started)  # the SIMs already started when the stop came (at most the plan's concurrency)
    assert counts == {"submitted": in_flight, "not_started": 12 - in_flight}, counts
    assert in_flight < 12 and len(rig.changes()) == in_flight
    assert "not started" in result.structured_content["meta"]["note"]
    change = (await client_change(rig, result.structured_content["change_id"]))
    assert change["status"] == "stopped"
    assert sorted(r["outcome"] for r in change["resources"]).count("pending") == 12 - in_flight
    await rig.aclose()


async def client_change(rig: PlanRig, change_id: str) -> dict:
    rig.audit.stopping = None
    async with Client(rig.server) as client:
        return (await client.call_tool("get_change", {"change_id": change_id})).structured_content["data"]
