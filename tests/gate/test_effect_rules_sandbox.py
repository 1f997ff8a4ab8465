"""The effect rules of writes that are not per SIM, against the sandbox: the call that would cut service asks
and, declined, sends nothing; its harmless twin runs without a question and the sandbox takes it."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from plan_rig import PlanRig, asking

pytestmark = pytest.mark.anyio

# case -> (tool, its id argument, the list it is found in, what trips the rule, words asked, the harmless twin)
CASES: dict[str, tuple[str, str, str, dict[str, Any], str, dict[str, Any]]] = {
    "voice channel limit of 0": (
        "update_mobile_voice_connection", "connection_id", "/mobile_voice_connections",
        {"outbound": {"channel_limit": 0}}, "sets its outbound channel limit to 0; no outbound call gets through",
        {"outbound": {"channel_limit": 4}}),
    "voice webhook API version switched": (
        "update_mobile_voice_connection", "connection_id", "/mobile_voice_connections",
        {"webhook_api_version": "1"}, 'API version from "2" to "1"', {"webhook_api_version": "2"}),
    "whitelist bandwidth lowered": (
        "update_traffic_policy_profile", "traffic_policy_profile_id", "/traffic_policy_profiles",
        {"limit_bw_kbps": 512}, "(whitelist) slows traffic to 512 kbps (no limit now)", {"limit_bw_kbps": None}),
    "alert threshold raised": (
        "update_data_usage_notification", "notification_id", "/sim_card_data_usage_notifications",
        {"threshold": {"amount": "5", "unit": "GB"}}, "raises its threshold from 800 MB to 5 GB",
        {"threshold": {"amount": "600", "unit": "MB"}}),
    "call screening rejects calls": (
        "update_mobile_phone_number", "mobile_phone_number_id", "/mobile_phone_numbers",
        {"inbound_call_screening": "reject_calls"}, "rejects inbound calls that fail call screening",
        {"inbound_call_screening": "flag_calls"}),
}


@pytest.mark.parametrize("case", sorted(CASES))
async def test_a_write_that_cuts_service_asks_and_its_harmless_twin_runs(case):
    tool, id_name, listed, tripping, words, harmless = CASES[case]
    rig, seen = PlanRig(sim_count=20, policy="elicit-only"), []
    target = {id_name: (await rig.direct.get(listed)).json()["data"][0]["id"]}
    async with Client(rig.server, mode="legacy", elicitation_callback=asking("decline", seen)) as client:
        asked = await client.call_tool(tool, {**target, **tripping})
        assert asked.is_error and asked.structured_content["error"]["kind"] == "declined"
        assert len(seen) == 1 and words in seen[0].message, seen[0].message
        assert rig.changes() == []
        ran = await client.call_tool(tool, {**target, **harmless})
    assert not ran.is_error, ran.content[0].text
    assert len(seen) == 1 and [r.method for r in rig.changes()] == ["PATCH"]
    await rig.aclose()
