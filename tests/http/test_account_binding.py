"""A confirmation is bound to the Telnyx account it was issued under: over HTTP with per-request keys, a token
issued to one key's caller is refused for another key's."""

from __future__ import annotations

import httpx
import pytest

from served_http import ServedMcp
from telnyx_iot_mcp.sandbox import create_app
from telnyx_iot_mcp.server.http import RequestKeyClient

pytestmark = pytest.mark.anyio

SIM = "8a6a63ec-24ed-46a4-ab4c-b2424a23d596"  # a sandbox SIM card
KEY_A, KEY_B = "KEYaccountA0123456789abcdef", "KEYaccountB0123456789abcdef"


@pytest.mark.parametrize("stateless", [True, False])
async def test_a_token_from_one_key_is_refused_under_another(stateless):
    sent = []

    async def record(request):
        sent.append((request.method, request.url.path, request.headers.get("authorization")))

    client = RequestKeyClient(default_api_key=None, base_url="http://sandbox/v2",
                              transport=httpx.ASGITransport(app=create_app()))
    client._http.event_hooks["request"].append(record)
    with ServedMcp(client, allow_client_api_key=True, stateless=stateless, state_url="memory") as served:
        async with served.mcp_client({"X-Telnyx-Api-Key": KEY_A}, mode="legacy") as a:
            asked = await a.call_tool("disable_sim_card", {"sim_card_id": SIM})
            token = asked.structured_content["confirmation_required"]["confirmation_token"]
            async with served.mcp_client({"X-Telnyx-Api-Key": KEY_B}, mode="legacy") as b:
                refused = await b.call_tool("disable_sim_card", {"sim_card_id": SIM, "confirmation_token": token})
            assert refused.is_error and refused.structured_content["error"]["kind"] == "confirmation_refused"
            assert "another Telnyx account" in refused.content[0].text
            assert KEY_A not in refused.content[0].text and KEY_B not in refused.content[0].text
            assert not [s for s in sent if s[0] != "GET"]
            done = await a.call_tool("disable_sim_card", {"sim_card_id": SIM, "confirmation_token": token})
    assert not done.is_error
    assert [s for s in sent if s[0] != "GET"] == [("POST", f"/v2/sim_cards/{SIM}/actions/disable", f"Bearer {KEY_A}")]
