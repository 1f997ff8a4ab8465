"""A plan cut short in a real server process, against the sandbox over HTTP with a slow, recording upstream:
SIGTERM over stdio and over HTTP starts no SIM after the signal and answers with every SIM's outcome so far and
the change_id; kill -9 leaves a journal that `resume_change` (the `call` command) finishes with every SIM changed
exactly once, and `undo_change` (the `call` command) puts back what the resume changed."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import time
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from processes import SCRIPT, clean_env, free_port, healthy
from recording_sandbox import RecordingSandbox

API_KEY = "KEY0e5b7c1d9a3f48260b7e1c5d9a3f4826_Qs7tY2pLw9Kd4Hx"
TOKEN = "resume-access-9f3c2a7b5d1e8f64"
SIMS = 12


def env(upstream: RecordingSandbox, state: Path, **more: str) -> dict[str, str]:
    # 4 requests in flight at most: a plan sends to 2 SIMs at once
    return clean_env(TELNYX_API_KEY=API_KEY, TELNYX_BASE_URL=upstream.base_url, TELNYX_IOT_MCP_STATE_DIR=str(state),
                     TELNYX_IOT_MCP_MAX_CONCURRENCY="4", HOME=str(state), **more)


def plan(group: str) -> dict:
    return {"operation": "set_sim_card_standby", "filter": {"sim_card_group_id": group}}


def rpc(process: subprocess.Popen, message: dict) -> None:
    process.stdin.write(json.dumps(message) + "\n")
    process.stdin.flush()


def start_stdio(upstream: RecordingSandbox, state: Path, *flags: str) -> subprocess.Popen:
    process = subprocess.Popen([SCRIPT, *flags], text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env(upstream, state))
    rpc(process, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
    assert json.loads(process.stdout.readline())["id"] == 1
    rpc(process, {"jsonrpc": "2.0", "method": "notifications/initialized"})
    return process


def call(upstream: RecordingSandbox, state: Path, tool: str, arguments: dict) -> tuple[int, dict]:
    """`telnyx-iot-mcp call TOOL --args ...` from a script (no terminal): its exit code and printed JSON."""
    done = subprocess.run([SCRIPT, "call", tool, "--args", json.dumps(arguments)], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60, env=env(upstream, state))
    assert API_KEY not in done.stdout + done.stderr
    return done.returncode, json.loads(done.stdout)


def confirmed(upstream: RecordingSandbox, state: Path, tool: str, arguments: dict) -> dict:
    """A call that asks: printed with its confirmation token (exit 1, nothing sent), then repeated with it."""
    sent = len(upstream.seen)
    code, asked = call(upstream, state, tool, arguments)
    assert code == 1 and "confirmation_token" in asked["confirmation_required"], asked
    assert [m for _, m, _ in upstream.seen[sent:] if m != "GET"] == []  # asking sends nothing
    code, answer = call(upstream, state, tool, {**arguments,
                                                "confirmation_token": asked["confirmation_required"]["confirmation_token"]})
    assert code == 0, answer
    return answer


def test_killed_mid_plan_then_resumed_changes_every_sim_exactly_once(tmp_path):
    with RecordingSandbox(delay=0.6) as upstream:
        group, sims = upstream.group_of(SIMS)
        process = start_stdio(upstream, tmp_path, "--confirm", "off")
        try:
            rpc(process, {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                          "params": {"name": "apply_to_sim_cards", "arguments": plan(group)}})
            upstream.wait_for(lambda: len(upstream.sends("set_standby")) >= 5)  # 4 answered, 1 or 2 in flight
            process.kill()
            process.wait(timeout=10)
        finally:
            process.kill()
            process.communicate()
        time.sleep(0.8)  # the requests in flight reach the sandbox: Telnyx got them, no one heard the answer
        before = upstream.sends_per_sim("set_standby")
        assert 5 <= len(before) < SIMS and set(before.values()) == {1}

        code, listed = call(upstream, tmp_path, "list_changes", {})
        [change] = [c for c in listed["data"] if c["tool"] == "apply_to_sim_cards"]
        assert change["status"] == "running"  # nothing ended it
        code, shown = call(upstream, tmp_path, "get_change", {"change_id": change["change_id"]})
        rows = {r["id"]: r["outcome"] for r in shown["data"]["resources"]}
        assert sorted(set(rows.values())) == ["pending", "sent", "submitted"], rows
        assert {sim for sim, outcome in rows.items() if outcome != "pending"} == set(before)

        resumed = confirmed(upstream, tmp_path, "resume_change", {"change_id": change["change_id"]})
        outcomes = {r["id"]: r["outcome"] for r in resumed["data"]}
        # those answered before the kill are not touched; those in flight are read back and found on their way
        assert {sim for sim, o in outcomes.items() if o == "skipped"} == set(before), outcomes
        assert {sim for sim, o in outcomes.items() if o == "submitted"} == set(sims) - set(before)
        assert upstream.sends_per_sim("set_standby") == {sim: 1 for sim in sims}  # every SIM changed exactly once
        upstream.wait_for(lambda: all(upstream.status(sim) == "standby" for sim in sims), 10)

        table = subprocess.run([SCRIPT, "changes"], capture_output=True, text=True, timeout=60,
                               env=env(upstream, tmp_path)).stdout
        assert f"{resumed['change_id']}" in table and f"(resumes {change['change_id']})" in table, table
        again = call(upstream, tmp_path, "resume_change", {"change_id": change["change_id"]})
        assert again[0] == 1 and again[1]["error"]["kind"] == "nothing_to_resume"
        assert resumed["change_id"] in again[1]["error"]["message"]

        undone = confirmed(upstream, tmp_path, "undo_change", {"change_id": resumed["change_id"]})
        assert undone["meta"]["counts"] == {"submitted": SIMS - len(before)}, undone
        assert upstream.sends_per_sim("enable") == {sim: 1 for sim in set(sims) - set(before)}
        upstream.wait_for(lambda: all(upstream.status(sim) == ("standby" if sim in before else "enabled")
                                      for sim in sims), 10)


def test_sigterm_mid_plan_over_stdio_answers_with_every_sims_outcome_and_the_change_id(tmp_path):
    """The two SIMs in flight are not answered within the finish window: cut, `unknown`; no other SIM starts."""
    with RecordingSandbox(delay=4.0) as upstream:
        group, sims = upstream.group_of(SIMS)
        process = start_stdio(upstream, tmp_path, "--confirm", "off")
        try:
            rpc(process, {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                          "params": {"name": "apply_to_sim_cards", "arguments": plan(group)}})
            upstream.wait_for(lambda: len(upstream.sends("set_standby")) >= 2)
            signalled = time.monotonic()
            process.send_signal(signal.SIGTERM)
            answer = json.loads(process.stdout.readline())
            answered = time.monotonic()
            process.wait(timeout=15)
        finally:
            process.kill()
            stderr = process.communicate()[1]
    assert answer["id"] == 2, answer
    result = answer["result"]["structuredContent"]
    assert result["meta"]["counts"] == {"unknown": 2, "not_started": SIMS - 2}, result
    assert result["change_id"].startswith("chg_") and "resume_change" in result["meta"]["note"]
    assert all(at < signalled for at, _ in upstream.sends("set_standby"))  # no SIM started after the signal
    assert process.returncode == -signal.SIGTERM, stderr
    print(f"stdio: SIGTERM to answer {answered - signalled:.2f} s")


@pytest.mark.anyio
async def test_sigterm_mid_plan_over_http_starts_no_sim_after_it_and_answers_the_partial_results(tmp_path):
    """The first two SIMs are answered; the two in flight at the signal would be answered after the HTTP grace:
    they are cut, `unknown`, and the client still gets its answer."""
    port = free_port()
    with RecordingSandbox(delay=lambda n: 1.0 if n < 2 else 8.0) as upstream:
        group, sims = upstream.group_of(SIMS)
        process = subprocess.Popen([SCRIPT, "--transport", "http", "--port", str(port), "--confirm", "off"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   env=env(upstream, tmp_path, TELNYX_IOT_MCP_HTTP_TOKEN=TOKEN))
        results: list = []
        try:
            assert healthy(process, f"http://127.0.0.1:{port}"), process.communicate()[1]
            async with anyio.create_task_group() as group_of_tasks:
                async def apply() -> None:
                    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
                    with contextlib.suppress(Exception):  # the server is gone once it has answered
                        async with Client(streamable_http_client(f"http://127.0.0.1:{port}/mcp",
                                                                 http_client=http)) as session:
                            await session.list_tools()  # the client checks results against it
                            results.append(await session.call_tool("apply_to_sim_cards", plan(group)))
                            results.append(time.monotonic())

                group_of_tasks.start_soon(apply)
                with anyio.fail_after(30):
                    while len(upstream.sends("set_standby")) < 4:  # 2 answered, 2 in flight
                        await anyio.sleep(0.01)
                signalled = time.monotonic()
                process.send_signal(signal.SIGTERM)
                with anyio.fail_after(20):
                    while process.poll() is None:
                        await anyio.sleep(0.1)
        finally:
            process.kill()
            stderr = process.communicate()[1]
        sent = upstream.sends("set_standby")
    assert all(at < signalled for at, _ in sent), [round(at - signalled, 2) for at, _ in sent]
    assert len(sent) == 4 and process.returncode == -signal.SIGTERM, stderr
    assert results, f"the client got no answer: {stderr}"
    result, answered = results[0].structured_content, results[1]
    assert result["meta"]["counts"] == {"submitted": 2, "unknown": 2, "not_started": SIMS - 4}, result
    assert {r["sim_card_id"] for r in result["data"] if r["outcome"] != "not_started"} == {sim for _, sim in sent}
    assert result["change_id"].startswith("chg_") and "resume_change" in result["meta"]["note"]
    print(f"http: SIGTERM to answer {answered - signalled:.2f} s")


def test_sigterm_to_the_call_command_mid_plan_prints_every_sims_outcome_and_the_change_id(tmp_path):
    """`telnyx-iot-mcp call apply_to_sim_cards` stopped by SIGTERM (a CI job cancelled, a script's timeout)."""
    with RecordingSandbox(delay=1.0) as upstream:
        group, sims = upstream.group_of(SIMS)
        process = subprocess.Popen([SCRIPT, "--confirm", "off", "call", "apply_to_sim_cards", "--args",
                                    json.dumps(plan(group))], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, env=env(upstream, tmp_path))
        try:
            upstream.wait_for(lambda: len(upstream.sends("set_standby")) >= 2)
            signalled = time.monotonic()
            process.send_signal(signal.SIGTERM)
            out, stderr = process.communicate(timeout=15)
        finally:
            process.kill()
    result = json.loads(out)
    assert result["meta"]["counts"] == {"submitted": 2, "not_started": SIMS - 2}, result
    assert result["change_id"].startswith("chg_") and "resume_change" in result["meta"]["note"]
    assert all(at < signalled for at, _ in upstream.sends("set_standby"))
    assert process.returncode == -signal.SIGTERM, stderr
