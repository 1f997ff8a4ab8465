"""The gate against the sandbox: previews read real record shapes, and only a yes changes the fleet."""

from __future__ import annotations

import httpx
import pytest
from mcp import Client

from gate_rig import ERAS, answering
from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.server.gate import Gate
from telnyx_iot_mcp.tools.client import TelnyxClient

sandbox = pytest.importorskip("telnyx_iot_mcp.sandbox")
pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("mode", ERAS)
async def test_only_an_accepted_disable_changes_the_sim(mode):
    client = TelnyxClient(base_url="http://sandbox/v2",
                          transport=httpx.ASGITransport(app=sandbox.create_app(seed=7, sim_count=12, action_delay=0)))
    server = create_server(client, gate=Gate(client))
    seen: list = []
    async with Client(server, mode=mode, elicitation_callback=answering("decline", seen)) as c:
        sims = (await c.call_tool("list_sim_cards", {"status": ["enabled"], "page_size": 1})).structured_content
        sim = sims["data"][0]
        await c.call_tool("disable_sim_card", {"sim_card_id": sim["id"]})
        after_no = (await c.call_tool("get_sim_card", {"sim_card_id": sim["id"]})).structured_content["data"]
    async with Client(server, mode=mode, elicitation_callback=answering("accept", seen)) as c:
        done = await c.call_tool("disable_sim_card", {"sim_card_id": sim["id"]})
        actions = (await c.call_tool("list_sim_card_actions", {"sim_card_id": sim["id"]})).structured_content["data"]
    await client.aclose()
    question = seen[0][0].message
    assert f"SIM card {sim['iccid'][:4]}...{sim['iccid'][-4:]}" in question and "enabled" in question
    assert after_no["status"]["value"] == "enabled"
    assert not done.is_error and [a["action_type"] for a in actions] == ["disable"]
