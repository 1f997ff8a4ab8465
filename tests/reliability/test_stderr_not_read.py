"""A client that starts the server with stderr on a pipe it never reads: the pipe fills after a few hundred
audit lines, and the calls must go on (server/logs.py), and the server must still end when stdin closes."""

from __future__ import annotations

import json
import subprocess
import threading

from processes import SCRIPT, clean_env

CALLS = 600  # the pipe held about 150 calls' log lines when they were written on the event loop


def test_calls_go_on_when_nobody_reads_stderr():
    server = subprocess.Popen([SCRIPT, "--sandbox"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=clean_env(), text=True)
    answered: list[int] = []

    def send(message: dict) -> None:
        server.stdin.write(json.dumps({"jsonrpc": "2.0", **message}) + "\n")
        server.stdin.flush()

    def answer(request_id: int) -> dict:
        while True:
            message = json.loads(server.stdout.readline())  # stdout carries protocol only
            if message.get("id") == request_id:
                return message

    def client() -> None:
        send({"id": 0, "method": "initialize", "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                                                         "clientInfo": {"name": "test", "version": "1"}}})
        answer(0)
        send({"method": "notifications/initialized"})
        for request_id in range(1, CALLS + 1):
            send({"id": request_id, "method": "tools/call", "params": {"name": "list_sim_card_groups", "arguments": {}}})
            assert not answer(request_id)["result"].get("isError")
            answered.append(request_id)

    calls = threading.Thread(target=client, daemon=True)
    try:
        calls.start()
        calls.join(60)
        assert len(answered) == CALLS, f"stalled after {len(answered)} calls"
        server.stdin.close()
        assert server.wait(timeout=30) == 0  # stderr still unread: the exit does not wait on it for long
        assert "list_sim_card_groups" in server.stderr.read()  # the audit lines that fit were written
    finally:
        server.kill()
