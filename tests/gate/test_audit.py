"""The audit log misses no change: a line before a change is sent and one with its outcome, even when the
call is cancelled, times out or its client goes away; refusals are recorded; each line names the caller
and the account; every line matches the published JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client

from audit_lines import lines_of, send_and_end
from fake_api import BASE_URL, SIM_ID, FakeApi
from gate_rig import ERAS, answering
from telnyx_iot_mcp.server import cli
from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.server.audit import AuditLog, current_call
from telnyx_iot_mcp.server.confirm_token import ConfirmationTokens
from telnyx_iot_mcp.server.gate import Gate
from telnyx_iot_mcp.server.state import SqliteStore, StoreUnavailable
from telnyx_iot_mcp.tools.client import TelnyxClient

pytestmark = pytest.mark.anyio

API_KEY = "KEY0c7e91f4a2b35d68e0f17a9c4b2d83e5_Tz4qW8mNx2Lr7Vb"


class HangingApi(FakeApi):
    """Answers reads; a change is recorded, then never answered (or answered after `delay`)."""

    def __init__(self, delay: float | None = None, *, reads: bool = False) -> None:
        super().__init__()
        self.delay = delay
        self.reads = reads  # hang on reads instead
        self.change_arrived = anyio.Event()

    async def handle_async(self, request: httpx.Request) -> httpx.Response:
        answer = self.handle(request)
        if self.requests[-1].op is not None and self.requests[-1].op.read_only == self.reads:
            self.change_arrived.set()
            await anyio.sleep(self.delay if self.delay is not None else 3600)
        return answer

    def client(self, **options: Any) -> TelnyxClient:
        return TelnyxClient(base_url=BASE_URL, api_key=API_KEY, transport=httpx.MockTransport(self.handle_async),
                            **options)


def audited_server(api: HangingApi, path: Path, **client_options: Any):
    client = api.client(**client_options)
    gate = Gate(client, tokens=ConfirmationTokens(b"audit-test-secret-0123"), audit=AuditLog(str(path)))
    return create_server(client, gate=gate)


async def confirmed_delete(session: Client) -> dict[str, Any]:
    """delete_sim_card with its confirmation token: the arguments that send the change."""
    first = await session.call_tool("delete_sim_card", {"sim_card_id": SIM_ID})
    return {"sim_card_id": SIM_ID, "confirmation_token": first.structured_content["confirmation_required"]["confirmation_token"]}


async def wait_for_end(path: Path, tool: str, seconds: float = 10.0) -> list[dict[str, Any]]:
    with anyio.fail_after(seconds):
        while not any(e["event"] == "end" and e["tool"] == tool and e["outcome"] not in ("awaiting_confirmation",)
                      and e["confirmation"] != "none" for e in lines_of(path)):
            await anyio.sleep(0.02)
    return [e for e in lines_of(path) if e["tool"] == tool]


async def test_a_gated_call_cancelled_in_flight_leaves_a_send_line_and_an_unknown_outcome(tmp_path):
    api, path = HangingApi(), tmp_path / "audit.jsonl"
    async with Client(audited_server(api, path), mode="auto") as session:
        arguments = await confirmed_delete(session)
        async with anyio.create_task_group() as group:
            group.start_soon(session.call_tool, "delete_sim_card", arguments)
            await api.change_arrived.wait()  # the DELETE has reached Telnyx
            group.cancel_scope.cancel()  # the client cancels the call
        send, end = send_and_end(await wait_for_end(path, "delete_sim_card"))
    assert (send["outcome"], send["confirmation"], end["outcome"]) == (None, "token", "unknown")
    assert send["account"] == end["account"] and send["account"].startswith("acct-")  # the key's keyed fingerprint
    assert API_KEY not in path.read_text()
    assert "in flight" in end["detail"] and "may have taken effect" in end["detail"]
    assert send["time"] <= end["time"]


async def test_a_gated_call_the_client_stops_waiting_for_leaves_a_send_line_and_an_unknown_outcome(tmp_path):
    api, path = HangingApi(), tmp_path / "audit.jsonl"
    async with Client(audited_server(api, path), mode="auto") as session:
        arguments = await confirmed_delete(session)
        with pytest.raises(Exception):  # the client's own timeout
            await session.call_tool("delete_sim_card", arguments, read_timeout_seconds=0.5)
        send, end = send_and_end(await wait_for_end(path, "delete_sim_card"))
    assert end["outcome"] == "unknown" and len(api.gated()) == 1


async def test_a_gated_call_telnyx_does_not_answer_in_time_ends_unknown_not_error(tmp_path):
    api, path = HangingApi(delay=2.0), tmp_path / "audit.jsonl"
    async with Client(audited_server(api, path, timeout=0.3, retry_budget=1.0), mode="auto") as session:
        result = await session.call_tool("delete_sim_card", await confirmed_delete(session))
    send, end = send_and_end([e for e in lines_of(path) if e["confirmation"] == "token"])
    assert result.is_error and "may have reached Telnyx" in result.content[0].text
    assert end["outcome"] == "unknown" and len(api.gated()) == 1  # sent once, never repeated


@pytest.mark.parametrize("mode", ERAS)
async def test_an_elicited_delete_cancelled_while_the_user_is_asked_leaves_lines_and_sends_nothing(tmp_path, mode):
    api, path = HangingApi(), tmp_path / "audit.jsonl"
    asked = anyio.Event()

    async def never_answers(context, params):
        asked.set()
        await anyio.sleep(3600)

    async with Client(audited_server(api, path), mode=mode, elicitation_callback=never_answers) as session:
        async with anyio.create_task_group() as group:
            group.start_soon(session.call_tool, "delete_sim_card", {"sim_card_id": SIM_ID})
            await asked.wait()
            group.cancel_scope.cancel()
        with anyio.fail_after(10):
            while len(lines_of(path)) < (2 if mode == "legacy" else 1):
                await anyio.sleep(0.02)
    lines = lines_of(path)
    assert api.gated() == []
    if mode == "legacy":  # asked within the call; the cancellation ends it
        assert [(e["event"], e["outcome"]) for e in lines] == [("ask", "awaiting_confirmation"), ("end", "cancelled")]
        assert lines[0]["call"] == lines[1]["call"] and "nothing was sent" in lines[1]["detail"]
    else:  # 2026-07-28: the question is the call's answer; the client never comes back
        assert [(e["event"], e["outcome"]) for e in lines] == [("end", "awaiting_confirmation")]


FULL_DISK = "/dev/full"  # opens for appending; every write fails (ENOSPC), as on a full disk


@pytest.mark.parametrize("mode", ERAS)
async def test_an_audit_log_that_cannot_be_written_stops_every_change_and_lets_reads_run(mode):
    api, asked = FakeApi(), []
    client = api.client()
    gate = Gate(client, tokens=ConfirmationTokens(b"audit-test-secret-0123"), audit=AuditLog(FULL_DISK))
    async with Client(create_server(client, gate=gate), mode=mode,
                      elicitation_callback=answering("accept", asked)) as session:
        read = await session.call_tool("get_sim_card", {"sim_card_id": SIM_ID})
        changes = [await session.call_tool(name, arguments) for name, arguments in (
            ("update_sim_card", {"sim_card_id": SIM_ID, "tags": ["audited"]}),  # a plain write
            ("delete_sim_card", {"sim_card_id": SIM_ID}),  # asked about first
            ("apply_to_sim_cards", {"operation": "disable_sim_card", "sim_card_ids": [SIM_ID]}))]
    assert not read.is_error, read.content[0].text
    assert api.changes() == []
    for result in changes:
        said = result.content[0].text
        assert result.is_error and "audit log cannot be written" in said and "Nothing was sent" in said, said
        assert result.structured_content["error"]["kind"] == "audit_unavailable"
    if mode == "legacy":  # the question is not even put: its own line comes first
        assert asked == []


async def test_a_plan_whose_audit_log_fails_midway_sends_no_sim_after_that(tmp_path):
    """The plan's line was written; the log then fills up: every SIM not yet sent is not sent, and says why."""
    from plan_rig import PlanRig

    rig = PlanRig(policy="off", audit_path=str(tmp_path / "audit.jsonl"))
    group, members = await rig.group_of(6)
    written = AuditLog._write

    def plan_line_then_full(self, entry, line=None, **options):
        self.path = str(tmp_path / "audit.jsonl") if entry["tool"] == "apply_to_sim_cards" else FULL_DISK
        written(self, entry, line, **options)

    rig.audit._write = plan_line_then_full.__get__(rig.audit)
    async with Client(rig.server, mode="auto") as client:
        result = await client.call_tool("apply_to_sim_cards", {
            "operation": "disable_sim_card", "filter": {"sim_card_group_id": group}})
    rows = result.structured_content["data"]
    assert [r["outcome"] for r in rows] == ["failed"] * 6 and "audit log" in rows[0]["reason"]
    assert rig.changes() == []
    await rig.aclose()


async def test_refusals_are_recorded_read_only_policy_and_bad_tokens(tmp_path):
    path = tmp_path / "audit.jsonl"
    settings = cli.load_settings(cli.parse_args(["--sandbox", "--read-only"]))
    api = FakeApi()
    read_only = create_server(api.client(), cli.selected(settings),
                              gate=Gate(api.client(), audit=AuditLog(str(path)), read_only=True))
    policy = create_server(api.client(), gate=Gate(api.client(), policy="elicit-only", audit=AuditLog(str(path))))
    tokens = create_server(api.client(), gate=Gate(api.client(), audit=AuditLog(str(path))))
    async with Client(read_only, mode="auto") as session:
        await session.call_tool("delete_sim_card", {"sim_card_id": SIM_ID})
    async with Client(policy, mode="auto") as session:
        await session.call_tool("disable_sim_card", {"sim_card_id": SIM_ID})
    async with Client(tokens, mode="auto") as session:
        await session.call_tool("disable_sim_card", {"sim_card_id": SIM_ID, "confirmation_token": "forged.token"})
    lines = lines_of(path)
    assert [(e["tool"], e["outcome"]) for e in lines] == [
        ("delete_sim_card", "refused"), ("disable_sim_card", "refused"), ("disable_sim_card", "refused")]
    assert "read-only" in lines[0]["detail"] and "elicitation" in lines[1]["detail"]
    assert "malformed" in lines[2]["detail"] and "forged" not in json.dumps(lines[2]["arguments"])
    assert api.changes() == []


def test_closing_the_log_ends_every_change_still_in_flight_as_unknown_and_only_those(tmp_path):
    """What a stopping server writes for calls whose own end line could not be written."""
    path, other = tmp_path / "audit.jsonl", "0d1c2b3a-4958-4a6b-8c7d-9e0f1a2b3c4d"
    audit = AuditLog(str(path))
    for sim in (SIM_ID, other):
        call = current_call.set(("00112233445566" + sim[:2], "acct-5f1e9a7c3b2d4e6f"))
        audit.record(event="send", tool="delete_sim_card", kind="destructive", arguments={"sim_card_id": sim},
                     confirmation="token", outcome=None)
        current_call.reset(call)
    call = current_call.set(("00112233445566" + SIM_ID[:2], "acct-5f1e9a7c3b2d4e6f"))
    audit.record(tool="delete_sim_card", kind="destructive", arguments={"sim_card_id": SIM_ID},
                 confirmation="token", outcome="ok")
    current_call.reset(call)
    assert audit.in_flight() == 1
    audit.close("the server was stopped (SIGTERM)")
    audit.close("the server stopped")  # nothing is ended twice
    ends = [e for e in lines_of(path) if e["event"] == "end"]
    assert [(e["arguments"]["sim_card_id"], e["outcome"]) for e in ends] == [(SIM_ID, "ok"), (other, "unknown")]
    send = [e for e in lines_of(path) if e["event"] == "send" and e["arguments"]["sim_card_id"] == other][0]
    assert {k: ends[1][k] for k in ("call", "account", "caller", "confirmation")} == \
        {k: send[k] for k in ("call", "account", "caller", "confirmation")}
    assert "SIGTERM" in ends[1]["detail"] and audit.in_flight() == 0


async def test_token_fingerprints_are_keyed_by_the_stores_persistent_secret(tmp_path):
    """Stable across restarts (a new process opening the same store) without a configured secret; a store
    that cannot be reached costs the line nothing (a stand-in key) and is asked again next time."""
    stores = [SqliteStore(tmp_path / "one" / "state.sqlite3"), SqliteStore(tmp_path / "one" / "state.sqlite3"),
              SqliteStore(tmp_path / "two" / "state.sqlite3")]
    prints = [await AuditLog(key_source=store.secret).fingerprint("token", "the-same-access-token") for store in stores]
    assert prints[0] == prints[1] != prints[2]
    assert await AuditLog(key=b"configured").fingerprint("token", "t") != prints[0]

    down = {"now": True}

    async def flaky() -> bytes:
        if down["now"]:
            raise StoreUnavailable("redis://cache:6379/0 cannot be reached")
        return await stores[0].secret()

    audit = AuditLog(key_source=flaky)
    assert (await audit.fingerprint("token", "the-same-access-token")).startswith("token-")
    down["now"] = False
    assert await audit.fingerprint("token", "the-same-access-token") == prints[0]
    for store in stores:
        await store.aclose()


async def test_every_read_leaves_one_end_line_local_tools_too_and_a_cancelled_read_ends_cancelled(tmp_path):
    """Reads reach Telnyx too: who read what, in which account. No send line (a read changes nothing)."""
    from telnyx_iot_mcp.sandbox import create_app

    path = tmp_path / "audit.jsonl"
    client = TelnyxClient(base_url="http://sandbox/v2", transport=httpx.ASGITransport(app=create_app()))
    async with Client(create_server(client, gate=Gate(client, audit=AuditLog(str(path))))) as session:
        assert not (await session.call_tool("list_sim_cards", {"page_size": 2, "status": ["enabled"]})).is_error
        assert not (await session.call_tool("show_fleet_dashboard", {})).is_error
        assert (await session.call_tool("get_sim_card", {"sim_card_id": SIM_ID})).is_error  # not in the sandbox
    lines = lines_of(path)
    assert [(e["event"], e["tool"], e["kind"], e["confirmation"], e["outcome"]) for e in lines] == [
        ("end", "list_sim_cards", "read", "not-needed", "ok"), ("end", "show_fleet_dashboard", "read", "not-needed", "ok"),
        ("end", "get_sim_card", "read", "not-needed", "error")]
    assert lines[0]["arguments"] == {"page_size": 2, "status": ["enabled"]} and lines[0]["account"] == "no-key"
    assert lines[0]["api_request_id"] and lines[2]["detail"]  # Telnyx's request id; why the read failed

    api, path = HangingApi(reads=True), tmp_path / "cancelled.jsonl"
    async with Client(audited_server(api, path)) as session:
        async with anyio.create_task_group() as group:
            group.start_soon(session.call_tool, "get_sim_card", {"sim_card_id": SIM_ID})
            await api.change_arrived.wait()  # the GET has reached Telnyx
            group.cancel_scope.cancel()
        with anyio.fail_after(10):
            while not lines_of(path):
                await anyio.sleep(0.02)
    (line,) = lines_of(path)
    assert (line["event"], line["tool"], line["outcome"]) == ("end", "get_sim_card", "cancelled")
    assert line["account"].startswith("acct-")
