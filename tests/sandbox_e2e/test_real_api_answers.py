"""What the real API answers, tried offline against the sandbox's modes: partial failures, rate limits,
interrupted and empty actions reach the model as Telnyx meant them."""

from __future__ import annotations

import httpx
import pytest

from telnyx_iot_mcp.sandbox import create_app
from telnyx_iot_mcp.tools.client import TelnyxClient
from telnyx_iot_mcp.tools.errors import ToolError
from telnyx_iot_mcp.tools.executor import execute
from telnyx_iot_mcp.tools.registry import OPERATIONS

pytestmark = pytest.mark.anyio


async def test_a_registration_that_partly_fails_returns_the_sims_and_the_refused_codes(fleet):
    codes = sorted(c for c, state in fleet.app.state.sandbox.registration_codes().items() if state == "available")
    result = await fleet.call("register_sim_cards", {"registration_codes": [codes[0], "0000000000"]})
    assert len(result["data"]) == 1
    assert [(e["code"], e["pointer"]) for e in result["errors"]] == [("10015", "/registration_codes/1")]
    assert "0000000000" in result["errors"][0]["detail"]


async def test_an_esim_purchase_that_partly_fails_says_how_many_were_not_bought(fleet):
    await fleet.call("purchase_esims", {"amount": 100})
    result = await fleet.call("purchase_esims", {"amount": 60})
    assert len(result["data"]) == 50
    assert result["errors"][0]["code"] == "70001" and "10 were not purchased" in result["errors"][0]["detail"]


async def test_an_interrupted_action_is_final_for_wait_for_action(fleet):
    sim = next(s for s in (await fleet.call("list_sim_cards", {"status": ["enabled"], "page_size": 50}))["data"]
               if not s.get("actions_in_progress"))
    action = (await fleet.call("set_sim_card_public_ip", {"sim_card_id": sim["id"]}))["data"]
    await fleet.call("delete_sim_card", {"sim_card_id": sim["id"]})
    waited = await fleet.call("wait_for_action", {"action_id": action["id"], "kind": "sim_card",
                                                  "timeout_seconds": 30, "interval_seconds": 0.1})
    assert waited["meta"]["status"] == "interrupted" and waited["meta"]["done"] is True
    assert waited["meta"]["polls"] == 1
    assert waited["data"]["status"]["reason"] == "The SIM card is being deleted."


async def test_a_bulk_action_with_nothing_to_do_is_final_for_wait_for_action(fleet):
    group = (await fleet.call("create_sim_card_group", {"name": "Nobody here"}))["data"]
    bulk = (await fleet.call("bulk_enable_voice", {"sim_card_group_id": group["id"]}))["data"]
    waited = await fleet.call("wait_for_action", {"action_id": bulk["id"], "kind": "bulk",
                                                  "timeout_seconds": 30, "interval_seconds": 0.1})
    assert waited["meta"]["done"] is True and waited["meta"]["status"] == "nothing to do"
    assert waited["meta"]["polls"] == 2


def _client(**options) -> tuple[TelnyxClient, object]:
    app = create_app(**options)
    return TelnyxClient(base_url="http://sandbox/v2", transport=httpx.ASGITransport(app=app)), app


async def test_a_long_rate_limit_reset_is_not_retried_and_the_model_is_told_when_to_come_back():
    client, app = _client(rate_limit=1, rate_window=45)
    op = OPERATIONS["list_sim_card_groups"]
    await execute(client, op, {})
    with pytest.raises(ToolError) as caught:
        await execute(client, op, {})
    payload = caught.value.payload
    assert payload["status"] == 429 and payload["retry_after_seconds"] == 45
    assert "resets in 45 s" in payload["hint"]
    assert app.state.sandbox.rate.used == 2  # one refused request, no retries spent inside the window
    await client.aclose()


async def test_a_short_rate_limit_reset_is_waited_out():
    client, app = _client(rate_limit=1, rate_window=1)
    op = OPERATIONS["list_sim_card_groups"]
    await execute(client, op, {})
    second = await execute(client, op, {})  # 429, x-ratelimit-reset: 1, then the retry succeeds
    assert second["data"]
    await client.aclose()
