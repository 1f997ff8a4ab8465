"""The console script over Streamable HTTP: a webhook subscriber gets a status change made through a tool call."""

from __future__ import annotations

import subprocess
import time

import anyio
import httpx
import pytest
from mcp import Client

from processes import SCRIPT, clean_env, free_port, healthy
from test_mcp_events import Receiver, subscribe, whsec

pytestmark = pytest.mark.anyio


async def test_a_subscriber_receives_a_change_made_through_the_server(tmp_path):
    port = free_port()
    server = subprocess.Popen(
        [SCRIPT, "--sandbox", "--transport", "http", "--port", str(port), "--confirm", "off", "--state-dir",
         str(tmp_path), "--watch-interval", "1", "--allow-private-webhooks"],
        env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    secret = whsec()
    receiver = Receiver(secret)
    try:
        assert healthy(server, f"http://127.0.0.1:{port}"), server.stderr.read()
        for version in ("2025-06-18", "2025-11-25"):  # ChatGPT reads capabilities.events from the handshake
            answer = httpx.post(f"http://127.0.0.1:{port}/mcp", headers={"accept": "application/json, text/event-stream"},
                                json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                                    "protocolVersion": version, "capabilities": {},
                                    "clientInfo": {"name": "t", "version": "1"}}}).text
            assert '"events":{"listChanged":false}' in answer.replace(" ", "")
        async with Client(f"http://127.0.0.1:{port}/mcp") as client:
            await subscribe(client, "sim_card.status_changed", receiver.url, secret)
            sims = (await client.call_tool("list_sim_cards", {"status": ["enabled"], "page_size": 1})).structured_content
            sim_id = sims["data"][0]["id"]
            await anyio.sleep(2)  # the first poll learns the fleet
            result = await client.call_tool("disable_sim_card", {"sim_card_id": sim_id})
            assert not result.is_error, result.content
            deadline = time.monotonic() + 30
            while not any(e["data"].get("to") == "disabled" for e in receiver.events):
                assert time.monotonic() < deadline, receiver.events
                await anyio.sleep(0.2)
        changes = [(e["data"]["sim_card_id"], e["data"]["to"]) for e in receiver.events]
        assert set(changes) <= {(sim_id, "disabling"), (sim_id, "disabled")}
        assert len(changes) == len({e["eventId"] for e in receiver.events})  # each once
        assert receiver.refused == []  # every delivery verified with standardwebhooks
    finally:
        server.terminate()
        server.wait(15)
        receiver.close()
