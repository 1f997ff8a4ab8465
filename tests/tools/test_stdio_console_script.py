"""The installed console script speaks MCP over stdio, keeps stdout for protocol, and explains a missing key."""

from __future__ import annotations

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
