"""Single use across processes: the console script run three times with one token, and a client that starts a
new server for every call (as LangChain's MCP adapter and LlamaIndex's BasicMCPClient do)."""

from __future__ import annotations

import json
import subprocess

import pytest
from mcp import Client, StdioServerParameters

from processes import SCRIPT, clean_env
from samples import SAMPLE_UUID

ARGS = {"sim_card_id": SAMPLE_UUID}


def disables(api_mock) -> list:
    return [r for r in api_mock.requests if r.method != "GET" and r.path.endswith("/actions/disable")]


def test_three_processes_given_one_token_send_the_call_once(api_mock, tmp_path):
    env = clean_env(TELNYX_API_KEY="KEYprocesses0123456789", TELNYX_BASE_URL=api_mock.url,
                    TELNYX_IOT_MCP_STATE_DIR=str(tmp_path))  # no TELNYX_IOT_MCP_CONFIRM_SECRET
    call = [SCRIPT, "call", "disable_sim_card", "--args"]
    first = subprocess.run([*call, json.dumps(ARGS)], capture_output=True, text=True, timeout=60, env=env,
                           stdin=subprocess.DEVNULL)
    token = json.loads(first.stdout)["confirmation_required"]["confirmation_token"]
    assert disables(api_mock) == []
    runs = [subprocess.Popen([*call, json.dumps({**ARGS, "confirmation_token": token})], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env, stdin=subprocess.DEVNULL) for _ in range(3)]
    outcomes = sorted((run.wait(60), json.loads(run.stdout.read()).get("error", {}).get("kind")) for run in runs)
    for run in runs:
        run.stdout.close(), run.stderr.close()
    assert outcomes == [(0, None), (1, "confirmation_refused"), (1, "confirmation_refused")]
    assert len(disables(api_mock)) == 1


@pytest.mark.anyio
async def test_a_client_that_starts_a_server_per_call_completes_the_token_flow_once(api_mock, tmp_path):
    env = clean_env(TELNYX_API_KEY="KEYperCall0123456789", TELNYX_BASE_URL=api_mock.url,
                    TELNYX_IOT_MCP_STATE_DIR=str(tmp_path))

    async def call_in_a_new_server(arguments):
        async with Client(StdioServerParameters(command=SCRIPT, args=[], env=env), mode="legacy") as client:
            return await client.call_tool("disable_sim_card", arguments)

    asked = await call_in_a_new_server(ARGS)
    token = asked.structured_content["confirmation_required"]["confirmation_token"]
    done = await call_in_a_new_server({**ARGS, "confirmation_token": token})
    assert not done.is_error and len(disables(api_mock)) == 1
    again = await call_in_a_new_server({**ARGS, "confirmation_token": token})
    assert again.is_error and "already used" in again.content[0].text
    assert len(disables(api_mock)) == 1
