"""The audit log when the server is stopped (SIGTERM, Ctrl+C) while a change is in flight to Telnyx: the real
console script, over stdio and over HTTP, against a Telnyx stand-in that never answers the DELETE."""

from __future__ import annotations

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

from audit_lines import lines_of, send_and_end
from faulty_upstream import Upstream, hang, reply
from processes import SCRIPT, clean_env, free_port

pytestmark = pytest.mark.anyio

API_KEY = "KEY0e5b7c1d9a3f48260b7e1c5d9a3f4826_Qs7tY2pLw9Kd4Hx"
SIM_ID = "6a09cdc3-8948-47f0-aa62-74ac943d6c58"
TOKEN = "sigterm-access-9f3c2a7b5d1e8f64"


def wait_until(condition, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def rpc(process: subprocess.Popen, message: dict) -> None:
    process.stdin.write(json.dumps(message) + "\n")
    process.stdin.flush()


def stopped_in_flight_lines(path: Path) -> tuple[dict, dict]:
    send, end = send_and_end(lines_of(path))
    assert (send["tool"], send["confirmation"], end["outcome"]) == ("delete_sim_card", "policy-off", "unknown")
    assert "SIGTERM" in end["detail"] and "may have taken effect" in end["detail"]
    assert end["account"] == send["account"] and end["account"].startswith("acct-")
    return send, end


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_stdio_server_stopped_mid_change_writes_an_unknown_end_line_and_exits(tmp_path, stop):
    """The client stays connected (its stdin open): the signal alone must stop the server and end the line."""
    path = tmp_path / "audit.jsonl"
    with Upstream(default=reply(200, {"data": {"id": SIM_ID}})) as upstream:
        upstream.play(hang(60))
        process = subprocess.Popen([SCRIPT, "--confirm", "off", "--audit-log", str(path)], text=True,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env=clean_env(TELNYX_API_KEY=API_KEY, TELNYX_BASE_URL=upstream.base_url))
        try:
            rpc(process, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
            assert json.loads(process.stdout.readline())["id"] == 1
            rpc(process, {"jsonrpc": "2.0", "method": "notifications/initialized"})
            rpc(process, {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                          "params": {"name": "delete_sim_card", "arguments": {"sim_card_id": SIM_ID}}})
            wait_until(lambda: upstream.seen)  # the DELETE has reached Telnyx, and is not answered
            process.send_signal(stop)
            process.wait(timeout=15)
        finally:
            process.kill()
            stderr = process.communicate()[1]
    assert [s.method for s in upstream.seen] == ["DELETE"]
    assert process.returncode == -stop  # exits by the signal, as a supervisor expects
    if stop == signal.SIGTERM:
        send, end = stopped_in_flight_lines(path)
    else:
        send, end = send_and_end(lines_of(path))
        assert end["outcome"] == "unknown"
    assert send["caller"]["transport"] == "stdio"
    assert API_KEY not in path.read_text() and API_KEY not in stderr


async def test_http_server_stopped_mid_change_writes_an_unknown_end_line_and_exits(tmp_path):
    """SIGTERM to the HTTP server while a client's DELETE is in flight: the call is given the grace period,
    then cancelled, and the audit log says its outcome is unknown."""
    path, port = tmp_path / "audit.jsonl", free_port()
    with Upstream(default=reply(200, {"data": {"id": SIM_ID}})) as upstream:
        upstream.play(hang(60))
        process = subprocess.Popen(
            [SCRIPT, "--transport", "http", "--port", str(port), "--confirm", "off", "--audit-log", str(path)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=clean_env(TELNYX_API_KEY=API_KEY, TELNYX_BASE_URL=upstream.base_url, TELNYX_IOT_MCP_HTTP_TOKEN=TOKEN))
        try:
            url = f"http://127.0.0.1:{port}/mcp"
            async with anyio.create_task_group() as group:
                async def call() -> None:
                    with anyio.fail_after(30):
                        while True:  # until the server listens
                            try:
                                http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
                                async with Client(streamable_http_client(url, http_client=http)) as session:
                                    await session.call_tool("delete_sim_card", {"sim_card_id": SIM_ID})
                                return
                            except Exception:
                                if upstream.seen or process.poll() is not None:
                                    return  # the server went away under the call: expected
                                await anyio.sleep(0.2)

                group.start_soon(call)
                with anyio.fail_after(30):
                    while not upstream.seen:
                        await anyio.sleep(0.05)
                process.send_signal(signal.SIGTERM)
                with anyio.fail_after(20):
                    while process.poll() is None:
                        await anyio.sleep(0.1)
                group.cancel_scope.cancel()
        finally:
            process.kill()
            stderr = process.communicate()[1]
    assert [s.method for s in upstream.seen] == ["DELETE"]
    assert process.returncode == -signal.SIGTERM, stderr
    send, _ = stopped_in_flight_lines(path)
    assert send["caller"]["transport"] == "http" and send["caller"]["token"].startswith("token-")
    assert API_KEY not in path.read_text() and TOKEN not in path.read_text()


def test_the_call_command_stopped_mid_change_writes_an_unknown_end_line_and_exits(tmp_path):
    """`telnyx-iot-mcp call` killed by SIGTERM (a CI job cancelled, a script's timeout) while its DELETE is in
    flight: the call is cancelled, its send line gets its end line, and the command exits by the signal."""
    path = tmp_path / "audit.jsonl"
    with Upstream(default=reply(200, {"data": {"id": SIM_ID}})) as upstream:
        upstream.play(hang(60))
        process = subprocess.Popen(
            [SCRIPT, "--confirm", "off", "--audit-log", str(path), "call", "delete_sim_card",
             "--args", json.dumps({"sim_card_id": SIM_ID})], text=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=clean_env(TELNYX_API_KEY=API_KEY, TELNYX_BASE_URL=upstream.base_url))
        try:
            wait_until(lambda: upstream.seen)  # the DELETE has reached Telnyx, and is not answered
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=15)
        finally:
            process.kill()
            stderr = process.communicate()[1]
    assert [s.method for s in upstream.seen] == ["DELETE"]
    assert process.returncode == -signal.SIGTERM, stderr
    send, _ = stopped_in_flight_lines(path)
    assert send["caller"]["transport"] == "terminal"
    assert API_KEY not in path.read_text() and API_KEY not in stderr
