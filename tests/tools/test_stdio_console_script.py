"""The installed console script speaks MCP over stdio, keeps stdout for protocol, and explains a missing key."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from mcp import Client, StdioServerParameters

from processes import SCRIPT, clean_env
from samples import SAMPLE_UUID

pytestmark = pytest.mark.anyio


async def test_console_script_serves_tools_over_stdio(api_mock, tmp_path):
    errlog = (tmp_path / "stderr.log").open("w")
    params = StdioServerParameters(command=SCRIPT, args=[], env=clean_env(
        TELNYX_API_KEY="stdio-key", TELNYX_BASE_URL=api_mock.url))
    async with Client(params, mode="legacy") as session:
        tools = (await session.list_tools()).tools
        result = await session.call_tool("get_sim_card", {"sim_card_id": SAMPLE_UUID})
    errlog.close()
    assert len(tools) >= 66
    assert not result.is_error and result.structured_content["data"]["id"]
    assert api_mock.requests[-1].path == f"/v2/sim_cards/{SAMPLE_UUID}"
    assert api_mock.requests[-1].headers["authorization"] == "Bearer stdio-key"


def test_python_dash_m_works_too():
    done = subprocess.run([sys.executable, "-m", "telnyx_iot_mcp", "--version"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("telnyx-iot-mcp ")


def test_missing_key_is_one_clear_line_on_stderr_and_nothing_on_stdout():
    done = subprocess.run([SCRIPT], capture_output=True, text=True, timeout=60, env=clean_env(), stdin=subprocess.DEVNULL)
    assert done.returncode != 0
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "TELNYX_API_KEY" in lines[0] and "--sandbox" in lines[0]


def test_only_protocol_on_stdout(api_mock):
    """A whole exchange over raw pipes: every stdout line is a JSON-RPC message."""
    import json

    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
            "name": "get_sim_card", "arguments": {"sim_card_id": "nope"}}},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
            "name": "list_sim_cards", "arguments": {}}},
    ]
    # Like a client, stdin stays open until the replies are in: the server drops what is in flight at EOF.
    server = subprocess.Popen([SCRIPT, "--log-level", "DEBUG"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True,
                              env=clean_env(TELNYX_API_KEY="k", TELNYX_BASE_URL=api_mock.url))
    try:
        server.stdin.write("".join(json.dumps(m) + "\n" for m in messages))
        server.stdin.flush()
        replies = [json.loads(server.stdout.readline()) for _ in range(3)]
        server.stdin.close()
        rest = server.stdout.read()
        server.wait(timeout=60)
    finally:
        server.kill()
    assert sorted(r.get("id") for r in replies) == [1, 2, 3] and rest == ""
    assert all(r["jsonrpc"] == "2.0" for r in replies)


def exchange(messages: list[dict], replies: int, **popen) -> list[dict]:
    """Send `messages` to the sandbox server over stdio; read `replies` answers, then close stdin."""
    import json

    server = subprocess.Popen([SCRIPT, "--sandbox"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              env=clean_env(), **popen)
    try:
        if server.stdin is not None:
            server.stdin.write(b"".join(json.dumps(m).encode() + b"\n" for m in messages))
            server.stdin.flush()
        answers = [json.loads(server.stdout.readline()) for _ in range(replies)]
        if server.stdin is not None:
            server.stdin.close()
        assert server.stdout.read() == b""
        server.wait(timeout=60)
    finally:
        server.kill()
    return answers


INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}


def test_answers_larger_than_the_pipe_arrive_whole_and_in_order():
    """Pipes are written by the event loop: an answer several times the pipe's buffer is written as the client
    reads it, while a request that arrives meanwhile is still read and answered."""
    calls = [{"jsonrpc": "2.0", "id": 10 + i, "method": "tools/call", "params": {
        "name": "list_sim_cards", "arguments": {"page_size": 250}}} for i in range(3)]
    answers = exchange([INITIALIZE, {"jsonrpc": "2.0", "method": "notifications/initialized"}, *calls,
                        {"jsonrpc": "2.0", "id": 3, "method": "tools/list"},
                        {"jsonrpc": "2.0", "id": 2, "method": "ping"}], 6, stdin=subprocess.PIPE)
    by_id = {answer["id"]: answer for answer in answers}
    assert sorted(by_id) == [1, 2, 3, 10, 11, 12]
    pages = [by_id[10 + i]["result"]["structuredContent"] for i in range(3)]
    assert pages[0] == pages[1] == pages[2] and len(pages[0]["data"]) == pages[0]["meta"]["total_results"] > 0
    assert len(by_id[3]["result"]["tools"]) >= 66
    assert min(len(json.dumps(by_id[i]).encode()) for i in (3, 10)) > 65536  # more than a Linux pipe holds


def test_stdin_from_a_file_is_served_too(tmp_path):
    """A file cannot be waited on by the event loop: the SDK's threaded reader serves it."""
    requests = tmp_path / "requests.jsonl"
    requests.write_text(json.dumps(INITIALIZE) + "\n")
    with requests.open("rb") as stdin:
        [answer] = exchange([], 1, stdin=stdin)
    assert answer["id"] == 1 and answer["result"]["serverInfo"]["name"] == "telnyx-iot-mcp"
