"""Idempotency keys: a call repeated with the same `idempotency_key` and arguments returns its first outcome and
sends nothing upstream (every request counted by the sandbox rig), also after a restart (SQLite) and on another
replica (a real redis-server); the same key with other arguments is refused."""

from __future__ import annotations

import json

import anyio
import httpx
import pytest
from mcp import Client

from gate_rig import ERAS
from plan_rig import PlanRig, asking
from redis_server import RedisServer
from telnyx_iot_mcp.server import idempotency
from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.server.confirm_token import ConfirmationTokens
from telnyx_iot_mcp.server.gate import Gate
from telnyx_iot_mcp.server.journal import Journal, MemoryBackend, SqliteBackend, journal_for, keyed_change
from telnyx_iot_mcp.server.state import SqliteStore
from telnyx_iot_mcp.tools.local import LOCAL_TOOLS
from telnyx_iot_mcp.tools.registry import OPERATIONS
from telnyx_iot_mcp.tools.schema import input_schema, published_input_schema

pytestmark = pytest.mark.anyio
KEY = "retry-7f3a2c"


def same(first, again) -> None:
    assert again.structured_content == first.structured_content
    assert again.content[0].text == first.content[0].text and again.is_error == first.is_error

def held_in_flight(rig: PlanRig) -> tuple[anyio.Event, anyio.Event]:
    """Requests to the API wait until `release` is set; `reached` is set once the first arrives."""
    reached, release = anyio.Event(), anyio.Event()

    async def hold(request):
        reached.set()
        await release.wait()

    rig.hold = hold
    return reached, release



def test_the_plan_and_every_tool_that_may_bill_take_a_key_and_no_other_does():
    takes = {name for name in [*OPERATIONS, *LOCAL_TOOLS] if "idempotency_key" in input_schema(name)["properties"]}
    billing = {op.name for op in OPERATIONS.values()
               if op.kind == "billable" or any(effect.kind == "billable" for effect in op.effects)}
    assert takes == billing | {"apply_to_sim_cards"}
    assert {"purchase_esims", "set_sim_card_public_ip", "create_sim_card_order", "register_sim_cards"} <= takes
    published = published_input_schema("set_sim_card_public_ip")["properties"]["idempotency_key"]
    assert "first outcome" in published["description"] and "1-255 printable" in published["description"]


@pytest.mark.parametrize("mode", ERAS)
async def test_a_repeat_returns_the_first_outcome_without_asking_or_sending(mode):
    rig, seen = PlanRig(sim_count=16), []
    sim = (await rig.sims(status="enabled"))[0]
    group, members = await rig.group_of(3)
    single = {"sim_card_id": sim["id"], "idempotency_key": KEY}
    plan = {"operation": "set_sim_card_standby", "filter": {"sim_card_group_id": group},
            "idempotency_key": KEY + "-plan"}
    async with Client(rig.server, mode=mode, elicitation_callback=asking("accept", seen)) as client:
        first = await client.call_tool("set_sim_card_public_ip", single)
        first_plan = await client.call_tool("apply_to_sim_cards", plan)
        assert not first.is_error and not first_plan.is_error, first.content[0].text + first_plan.content[0].text
        assert first.structured_content["change_id"] and first_plan.structured_content["meta"]["counts"] == {"submitted": 3}
        asked, sent = len(seen), len(rig.sent)
        again = await client.call_tool("set_sim_card_public_ip", single)
        again_plan = await client.call_tool("apply_to_sim_cards", plan)
    same(first, again)
    same(first_plan, again_plan)
    assert len(rig.sent) == sent, [f"{r.method} {r.url.path}" for r in rig.sent[sent:]]  # not even a read
    assert len(seen) == asked == 2  # the person was asked once per call, never for a repeat
    assert len([r for r in rig.changes() if r.url.path.endswith("/actions/set_standby")]) == 3
    assert not [r for r in rig.sent if KEY in str(r.url) + r.content.decode() + str(r.headers)]  # never sent upstream
    repeats = [e for e in rig.audit.entries if "same idempotency_key" in (e.get("detail") or "")]
    assert [e["tool"] for e in repeats] == ["set_sim_card_public_ip", "apply_to_sim_cards"]
    await rig.aclose()


async def test_the_same_key_with_other_arguments_is_refused_and_sends_nothing():
    rig, seen = PlanRig(sim_count=12), []
    one, two = (await rig.sims(status="enabled"))[:2]
    async with Client(rig.server, mode="legacy", elicitation_callback=asking("accept", seen)) as client:
        first = await client.call_tool("set_sim_card_public_ip", {"sim_card_id": one["id"], "idempotency_key": KEY})
        assert not first.is_error, first.content[0].text
        sent = len(rig.sent)
        other = await client.call_tool("set_sim_card_public_ip", {"sim_card_id": two["id"], "idempotency_key": KEY})
        elsewhere = await client.call_tool("enable_sim_card", {"sim_card_id": one["id"], "idempotency_key": KEY})
    assert len(rig.sent) == sent and len(seen) == 1
    for refused in (other, elsewhere):
        assert refused.is_error and refused.structured_content["error"]["kind"] == "invalid_arguments"
        assert refused.structured_content["error"]["problems"][0].startswith("idempotency_key: already used")
    assert "another tool: set_sim_card_public_ip" in elsewhere.content[0].text
    await rig.aclose()


async def test_a_key_is_checked_like_any_argument():
    rig = PlanRig(sim_count=12)
    sim = (await rig.sims(status="enabled"))[0]
    async with Client(rig.server) as client:
        for bad in ("", "x" * 256, "tab\tin it"):
            refused = await client.call_tool("set_sim_card_public_ip", {"sim_card_id": sim["id"], "idempotency_key": bad})
            assert refused.is_error and "idempotency_key" in refused.content[0].text, refused.content[0].text
        not_billing = await client.call_tool("update_sim_card", {"sim_card_id": sim["id"], "tags": ["a"],
                                                                 "idempotency_key": KEY})
        assert not_billing.is_error and "idempotency_key" in not_billing.content[0].text
    assert rig.changes() == []
    await rig.aclose()


async def test_a_declined_question_leaves_the_key_free_and_a_token_confirms_once():
    rig, seen = PlanRig(sim_count=12), []
    one, two = (await rig.sims(status="enabled"))[:2]
    call = {"sim_card_id": one["id"], "idempotency_key": KEY}
    async with Client(rig.server, mode="legacy", elicitation_callback=asking("decline", seen)) as client:
        declined = await client.call_tool("set_sim_card_public_ip", call)
    assert declined.is_error and declined.structured_content["error"]["kind"] == "declined" and rig.changes() == []
    async with Client(rig.server, mode="legacy", elicitation_callback=asking("accept", seen)) as client:
        accepted = await client.call_tool("set_sim_card_public_ip", call)
    assert not accepted.is_error and len(rig.changes()) == 1 and len(seen) == 2
    # no elicitation: the token round trip, then repeats of either leg answer with the first outcome
    token_call = {"sim_card_id": two["id"], "idempotency_key": KEY + "-token"}
    async with Client(rig.server) as client:
        asked = await client.call_tool("set_sim_card_public_ip", token_call)
        token = asked.structured_content["confirmation_required"]["confirmation_token"]
        confirmed = await client.call_tool("set_sim_card_public_ip", {**token_call, "confirmation_token": token})
        assert not confirmed.is_error, confirmed.content[0].text
        sent = len(rig.sent)
        again_with_token = await client.call_tool("set_sim_card_public_ip", {**token_call, "confirmation_token": token})
        again_without = await client.call_tool("set_sim_card_public_ip", token_call)
    same(confirmed, again_with_token)
    same(confirmed, again_without)
    assert len(rig.sent) == sent and len(rig.changes()) == 2
    await rig.aclose()


async def test_a_key_belongs_to_its_account():
    rig = PlanRig(sim_count=12)
    sim = (await rig.sims(status="enabled"))[0]
    call = {"sim_card_id": sim["id"], "idempotency_key": KEY}
    async with Client(rig.server, mode="legacy", elicitation_callback=asking("accept", [])) as client:
        first = await client.call_tool("set_sim_card_public_ip", call)
        mine = await client.call_tool("set_sim_card_public_ip", call)
    same(first, mine)
    rig.client._api_key = "another-account-key"  # the same store, another Telnyx account
    async with Client(rig.server, mode="legacy", elicitation_callback=asking("accept", [])) as client:
        other = await client.call_tool("set_sim_card_public_ip", call)
    assert other.structured_content != first.structured_content  # its own call, not the first one's outcome
    assert len([r for r in rig.changes() if r.url.path.endswith("/actions/set_public_ip")]) == 2
    await rig.aclose()


async def test_an_answer_that_may_have_taken_effect_is_kept_and_a_certain_refusal_frees_the_key():
    rig = PlanRig(sim_count=12)
    one, two = (await rig.sims(status="enabled"))[:2]

    async def time_out(request):
        raise httpx.ReadTimeout("no answer", request=request)

    rig.hold = time_out
    async with Client(rig.server, mode="legacy", elicitation_callback=asking("accept", [])) as client:
        lost = await client.call_tool("set_sim_card_public_ip", {"sim_card_id": one["id"], "idempotency_key": KEY})
        assert lost.is_error, lost.content[0].text
        sent = len(rig.sent)
        rig.hold = None
        again = await client.call_tool("set_sim_card_public_ip", {"sim_card_id": one["id"], "idempotency_key": KEY})
        assert len(rig.sent) == sent  # it may have reached Telnyx: never sent twice
        same(lost, again)
        given = await rig.direct.post(f"/sim_cards/{two['id']}/actions/set_public_ip")
        assert given.status_code < 300, given.text  # so Telnyx refuses another one: nothing changed
        refused = await client.call_tool("set_sim_card_public_ip", {"sim_card_id": two["id"],
                                                                    "idempotency_key": KEY + "-2"})
        before = len(rig.changes())
        retried = await client.call_tool("set_sim_card_public_ip", {"sim_card_id": two["id"],
                                                                    "idempotency_key": KEY + "-2"})
    assert refused.is_error and retried.is_error, refused.content[0].text
    assert len(rig.changes()) == before + 1  # a refusal Telnyx was sure of is tried again, not replayed
    await rig.aclose()


async def test_dynamic_mode_repeats_through_call_operation():
    rig = PlanRig(sim_count=12, tools_mode="dynamic")
    sim = (await rig.sims(status="enabled"))[0]
    call = {"operation": "set_sim_card_public_ip", "arguments": {"sim_card_id": sim["id"], "idempotency_key": KEY}}
    async with Client(rig.server, mode="legacy", elicitation_callback=asking("accept", [])) as client:
        described = await client.call_tool("describe_operation", {"operation": "set_sim_card_public_ip"})
        assert "idempotency_key" in json.dumps(described.structured_content)
        first = await client.call_tool("call_operation", call)
        assert not first.is_error and first.structured_content["change_id"], first.content[0].text
        sent = len(rig.sent)
        again = await client.call_tool("call_operation", call)
    same(first, again)
    assert len(rig.sent) == sent
    await rig.aclose()


def sqlite_server(rig: PlanRig, path) -> tuple:
    """A server process's parts on the state file `path`: its confirmations and its change journal."""
    gate = Gate(rig.client, tokens=ConfirmationTokens(store=SqliteStore(path)), audit=rig.audit)
    return create_server(rig.client, gate=gate, changes=journal_for(SqliteStore(path)))


async def test_a_repeat_after_a_restart_sends_nothing(tmp_path):
    path = tmp_path / "state.sqlite3"
    rig = PlanRig(sim_count=12)
    group, members = await rig.group_of(3)
    plan = {"operation": "set_sim_card_public_ip", "sim_card_ids": [s["id"] for s in members], "idempotency_key": KEY}
    async with Client(sqlite_server(rig, path), mode="legacy", elicitation_callback=asking("accept", [])) as client:
        first = await client.call_tool("apply_to_sim_cards", plan)
    assert not first.is_error and first.structured_content["change_id"], first.content[0].text
    sent, seen = len(rig.sent), []
    async with Client(sqlite_server(rig, path), mode="legacy", elicitation_callback=asking("accept", seen)) as client:
        again = await client.call_tool("apply_to_sim_cards", plan)
        other = await client.call_tool("apply_to_sim_cards", {**plan, "sim_card_ids": [members[0]["id"]]})
    same(first, again)
    assert other.is_error and "idempotency_key" in other.content[0].text
    assert len(rig.sent) == sent and seen == []
    import sqlite3

    with sqlite3.connect(path) as db:
        [(stored, body)] = db.execute("SELECT key, body FROM journal_keys").fetchall()
    record = json.loads(body)
    assert set(record) == {"state", "tool", "call", "change_id", "since", "result", "text"}
    assert KEY not in stored + body and record["change_id"] == first.structured_content["change_id"]
    await rig.aclose()


async def test_two_replicas_send_once_even_while_the_first_call_runs():
    from telnyx_iot_mcp.server.state_redis import RedisStore

    with RedisServer() as redis:
        rig = PlanRig(sim_count=12)
        sim = (await rig.sims(status="enabled"))[0]

        def replica():
            gate = Gate(rig.client, tokens=ConfirmationTokens(secret=b"shared", store=RedisStore(redis.url)),
                        audit=rig.audit)
            return create_server(rig.client, gate=gate, changes=journal_for(RedisStore(redis.url)))

        one, two = replica(), replica()
        call = {"sim_card_id": sim["id"], "idempotency_key": KEY}
        reached, release = held_in_flight(rig)
        results: dict = {}

        async def first() -> None:
            async with Client(one, mode="legacy", elicitation_callback=asking("accept", [])) as client:
                results["first"] = await client.call_tool("set_sim_card_public_ip", call)

        async with anyio.create_task_group() as group:
            group.start_soon(first)
            await reached.wait()  # the first call's request is in flight on replica one
            async with Client(two, mode="legacy", elicitation_callback=asking("accept", [])) as client:
                running = await client.call_tool("set_sim_card_public_ip", call)
            release.set()
        assert running.is_error and running.structured_content["error"]["kind"] == "in_progress"
        change_id = results["first"].structured_content["change_id"]
        assert running.structured_content["error"]["change_id"] == change_id and f"get_change {change_id}" in \
            running.content[0].text
        sent = len(rig.sent)
        async with Client(two, mode="legacy", elicitation_callback=asking("accept", [])) as client:
            again = await client.call_tool("set_sim_card_public_ip", call)
        same(results["first"], again)
        assert len(rig.sent) == sent
        assert len([r for r in rig.changes() if r.url.path.endswith("/actions/set_public_ip")]) == 1
        await rig.aclose()


@pytest.mark.parametrize("store", ["memory", "sqlite", "redis"])
async def test_a_claim_lapses_only_while_nothing_can_have_been_sent(store, tmp_path, monkeypatch):
    """A process that died after claiming a key but before its change was journaled sent nothing: its claim lapses.
    One that died after may have sent: its claim stays, answering with the change_id."""
    monkeypatch.setattr(idempotency, "CLAIM_SECONDS", 0.2)
    if store == "redis":
        from telnyx_iot_mcp.server.state_redis import RedisStore

        with RedisServer() as redis:
            await claims_lapse(journal_for(RedisStore(redis.url)))
    else:
        await claims_lapse(Journal(SqliteBackend(tmp_path / "state.sqlite3")) if store == "sqlite" else Journal(MemoryBackend()))


async def claims_lapse(journal: Journal) -> None:
    arguments = {"sim_card_id": "00000000-0000-4000-8000-000000000001", "idempotency_key": KEY}

    def keyed():
        return idempotency.Keyed.of(journal, "set_sim_card_public_ip", arguments, "acct")

    died_early = keyed()
    assert await died_early.claim() is None
    with pytest.raises(Exception) as young:
        await keyed().claim()
    assert "has not sent anything yet" in str(young.value)
    await anyio.sleep(0.3)
    died_late = keyed()
    assert await died_late.claim() is None  # the lapsed claim is taken over
    token = keyed_change.set(died_late)
    change_id = await journal.begin(tool="set_sim_card_public_ip", operation="set_sim_card_public_ip",
                                    arguments=arguments, account="acct", confirmation="elicitation", rows=[])
    keyed_change.reset(token)
    assert change_id == died_late.change_id
    await anyio.sleep(0.3)
    with pytest.raises(Exception) as stays:
        await keyed().claim()
    assert f"get_change {change_id}" in str(stays.value)


@pytest.mark.parametrize("mode", ERAS)
async def test_an_apps_card_carries_the_key_and_a_repeated_confirm_sends_nothing(mode):
    from mcp.client import advertise

    from telnyx_iot_mcp.server.apps import CONFIRM_TOOL, CONFIRMATION_META, EXTENSION_ID

    rig = PlanRig(sim_count=12)
    sim = (await rig.sims(status="enabled"))[0]
    call = {"sim_card_id": sim["id"], "idempotency_key": KEY}
    apps = [advertise(EXTENSION_ID, {"mimeTypes": ["text/html;profile=mcp-app"]})]
    async with Client(rig.server, mode=mode, extensions=apps) as client:
        card = (await client.call_tool("set_sim_card_public_ip", call)).meta[CONFIRMATION_META]
        assert card["arguments"]["idempotency_key"] == KEY and rig.changes() == []
        confirm = {"tool": card["operation"], "arguments": card["arguments"], "confirmation": card["token"],
                   "content": {"confirm": True}}
        first = await client.call_tool(CONFIRM_TOOL, confirm)
        assert not first.is_error and first.structured_content["change_id"], first.content[0].text
        sent = len(rig.sent)
        pressed_again = await client.call_tool(CONFIRM_TOOL, confirm)
        asked_again = await client.call_tool("set_sim_card_public_ip", call)  # no new card: the first outcome
    same(first, pressed_again)
    same(first, asked_again)
    assert len(rig.sent) == sent and len(rig.changes()) == 1
    await rig.aclose()


def test_the_call_command_repeats_across_processes(tmp_path):
    """Each `telnyx-iot-mcp call` is a process of its own on the same state directory (confirmation off, for
    automation): the second process, given the key again, answers with the change the first one made (a new send
    would make a new change_id)."""
    import subprocess
    import sys

    env = {"PATH": "/usr/bin:/bin", "TELNYX_IOT_MCP_STATE_DIR": str(tmp_path), "HOME": str(tmp_path),
           "TELNYX_IOT_MCP_CONFIRM": "off"}
    command = [sys.executable, "-m", "telnyx_iot_mcp", "--sandbox", "call", "set_sim_card_public_ip", "--args"]

    def call(arguments: dict) -> subprocess.CompletedProcess:
        return subprocess.run([*command, json.dumps(arguments)], env=env, capture_output=True, text=True, timeout=60)

    listed = subprocess.run([sys.executable, "-m", "telnyx_iot_mcp", "--sandbox", "call", "list_sim_cards", "--args",
                             '{"status": ["enabled"], "page_size": 1, "fields": ["id"]}'],
                            env=env, capture_output=True, text=True, timeout=60)
    arguments = {"sim_card_id": json.loads(listed.stdout)["data"][0]["id"], "idempotency_key": KEY}
    done = call(arguments)
    assert done.returncode == 0, done.stderr
    again = call(arguments)
    assert again.returncode == 0 and again.stdout == done.stdout and json.loads(done.stdout)["change_id"]


async def test_of_two_calls_asked_at_once_only_the_first_yes_sends():
    """Both calls find the key free and ask; the second yes comes while the first call's request is in flight:
    its claim finds the key taken, and it answers in_progress, sending nothing."""
    rig = PlanRig(sim_count=12)
    sim = (await rig.sims(status="enabled"))[0]
    call = {"sim_card_id": sim["id"], "idempotency_key": KEY}
    reached, release = held_in_flight(rig)
    results: dict = {}

    async def run(name: str, before_answer=None) -> None:
        async with Client(rig.server, mode="legacy", elicitation_callback=asking("accept", [], before_answer=before_answer)) as client:
            results[name] = await client.call_tool("set_sim_card_public_ip", call)
        if name == "second":
            release.set()

    async with anyio.create_task_group() as group:
        group.start_soon(run, "first")
        group.start_soon(run, "second", reached.wait)
    second = results["second"]
    assert second.is_error and second.structured_content["error"]["kind"] == "in_progress", second.content[0].text
    assert second.structured_content["error"]["change_id"] == results["first"].structured_content["change_id"]
    assert len([r for r in rig.changes() if r.url.path.endswith("/actions/set_public_ip")]) == 1
    ends = [e for e in rig.audit.entries if e["tool"] == "set_sim_card_public_ip" and e["outcome"] in ("refused", "error")]
    assert [e["outcome"] for e in ends] == ["refused"]  # the second call's one line
    await rig.aclose()
