"""Effect rules: a write is asked about when, from its arguments and the target's state, it would cut a
device off or start a charge; the same write that does not trip a rule runs without a question."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from fake_api import BLOCKLIST_ID, GROUP_ID, IMEI, NUMBER_ID, OTHER_ID, PROFILE_ID, SIM_ID
from gate_rig import ERAS, Rig, answering
from telnyx_iot_mcp.tools.registry import OPERATIONS

pytestmark = pytest.mark.anyio

CONNECTION = "1293384261075731499"
HOOK = "https://hooks.example.com/voice"
STATE = {  # the targets as the fake API shows them
    "get_sim_card": {"status": {"value": "enabled"}, "data_limit": {"amount": "262", "unit": "MB"},
                     "current_billing_period_consumed_data": {"amount": "259.7", "unit": "MB"}},
    "get_mobile_voice_connection": {"webhook_event_url": HOOK, "webhook_api_version": "2"},
    "get_traffic_policy_profile": {"limit_bw_kbps": 1024},
    # a whitelist of one service and two IP ranges (fake_api), and a number with every paid feature off
    "get_mobile_phone_number": {"connection_id": CONNECTION, "caller_id_name_enabled": False,
                                "inbound_call_screening": "disabled",
                                "noise_suppression": "disabled", "inbound": {"interception_app_id": None},
                                "call_forwarding": {"call_forwarding_enabled": False, "forwarding_type": "on-failure",
                                                    "forwards_to": None},
                                "call_recording": {"inbound_call_recording_enabled": False},
                                "cnam_listing": {"cnam_listing_enabled": False}},
}

# rule -> (tool, arguments that trip it, words the question shows, arguments that do not trip it)
CASES: dict[str, tuple[str, dict[str, Any], str, dict[str, Any]]] = {
    "sim limit below use": (
        "update_sim_card", {"sim_card_id": SIM_ID, "data_limit": {"amount": "1", "unit": "MB"}},
        "Lowers SIM 8944...1234's data limit to 1 MB; it used 259.7 MB this period, so its data stops at once.",
        {"sim_card_id": SIM_ID, "data_limit": {"amount": "1", "unit": "GB"}}),
    "sim limit just above use": (  # 0.01 MB: seconds of data for an active device
        "update_sim_card", {"sim_card_id": SIM_ID, "data_limit": {"amount": "259.71", "unit": "MB"}},
        "Lowers SIM 8944...1234's data limit to 259.7 MB, only 0.01 MB above the 259.7 MB it used this period, so "
        "its data stops soon.",
        {"sim_card_id": SIM_ID, "data_limit": {"amount": "270", "unit": "MB"}}),  # a raise from 262 MB
    "imei lock without the current device": (
        "update_sim_card", {"sim_card_id": SIM_ID, "authorized_imeis": ["356938035643809"]},
        "without the device it is in now (IMEI ...7518), so that device loses service",
        {"sim_card_id": SIM_ID, "authorized_imeis": [IMEI, "356938035643809"]}),
    "group limit below use": (
        "update_sim_card_group", {"sim_card_group_id": GROUP_ID, "data_limit": {"amount": "1", "unit": "GB"}},
        "Lowers group \"Trackers\"'s shared data limit to 1 GB; its SIMs used 4.9 GB this period",
        {"sim_card_group_id": GROUP_ID, "data_limit": {"amount": "10", "unit": "GB"}}),
    "group limit just above use": (
        "update_sim_card_group", {"sim_card_group_id": GROUP_ID, "data_limit": {"amount": "5010", "unit": "MB"}},
        "shared data limit to 4.9 GB, only 10 MB above the 4.9 GB its SIMs used this period, so their data stops soon.",
        {"sim_card_group_id": GROUP_ID, "data_limit": {"amount": "6", "unit": "GB"}}),
    "group limit in a unit not read exactly": (
        "update_sim_card_group", {"sim_card_group_id": GROUP_ID, "data_limit": {"amount": "1", "unit": "TB"}},
        "(the new limit in MB or GB could not be read), so the server asks.",
        {"sim_card_group_id": GROUP_ID, "data_limit": {"amount": "6144", "unit": "MB"}}),
    "alert threshold raised": (
        "update_data_usage_notification", {"notification_id": OTHER_ID, "threshold": {"amount": "2", "unit": "GB"}},
        f"Data usage alert {OTHER_ID}: raises its threshold from 500 MB to 2 GB: use in between goes unnoticed.",
        {"notification_id": OTHER_ID, "threshold": {"amount": "400", "unit": "MB"}}),
    "alert moved to another sim": (
        "update_data_usage_notification", {"notification_id": OTHER_ID, "sim_card_id": OTHER_ID},
        f"moves it off SIM card {SIM_ID}, whose use then goes unwatched",
        {"notification_id": OTHER_ID, "sim_card_id": SIM_ID}),
    "voice channel limit of 0": (
        "update_mobile_voice_connection", {"connection_id": CONNECTION, "inbound": {"channel_limit": 0}},
        "sets its inbound channel limit to 0; no inbound call gets through",
        {"connection_id": CONNECTION, "inbound": {"channel_limit": 5}}),
    "voice webhook API version switched": (
        "update_mobile_voice_connection", {"connection_id": CONNECTION, "webhook_api_version": "1"},
        "call events (API version from \"2\" to \"1\"); the receiver that handles them now stops getting events it "
        "can read.",
        {"connection_id": CONNECTION, "webhook_api_version": "2", "webhook_timeout_secs": 10}),
    "whitelist bandwidth lowered": (
        "update_traffic_policy_profile", {"traffic_policy_profile_id": PROFILE_ID, "limit_bw_kbps": 512},
        "(whitelist) slows traffic to 512 kbps from 1024 kbps: SIMs it applies to lose that traffic at once.",
        {"traffic_policy_profile_id": PROFILE_ID, "limit_bw_kbps": 1024}),
    "number call screening rejects calls": (
        "update_mobile_phone_number", {"mobile_phone_number_id": NUMBER_ID, "inbound_call_screening": "reject_calls"},
        "rejects inbound calls that fail call screening (caller reputation, unauthenticated caller ID)",
        {"mobile_phone_number_id": NUMBER_ID, "inbound_call_screening": "flag_calls"}),
    "blocklist used by groups gains codes": (
        "update_wireless_blocklist", {"blocklist_id": BLOCKLIST_ID, "values": ["CA", "MX", "DE"]},
        "Adds DE to blocklist \"No roaming\", which 1 group use",
        {"blocklist_id": BLOCKLIST_ID, "values": ["CA"]}),
    "voice connection set inactive": (
        "update_mobile_voice_connection", {"connection_id": CONNECTION, "active": False},
        "Voice connection \"Fleet voice\": sets it inactive; calls through it stop.",
        {"connection_id": CONNECTION, "active": True}),
    "voice webhooks pointed elsewhere": (
        "update_mobile_voice_connection", {"connection_id": CONNECTION, "webhook_event_url": "https://evil.example/x"},
        "event url from \"hooks.example.com\" to \"evil.example\"",
        {"connection_id": CONNECTION, "webhook_event_url": HOOK}),
    "traffic profile allows less": (
        "update_traffic_policy_profile", {"traffic_policy_profile_id": PROFILE_ID, "ip_ranges": ["203.0.113.0/24"]},
        'Traffic policy profile 6a6a5d2e-5a0f-4c4b-9a59-9d0d1c3c1f16 (whitelist) stops allowing 1 ip ranges '
        '("198.51.100.0/24"): SIMs it applies to lose that traffic at once.',
        {"traffic_policy_profile_id": PROFILE_ID, "ip_ranges": ["203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24"]}),
    "traffic profile changes type": (
        "update_traffic_policy_profile", {"traffic_policy_profile_id": PROFILE_ID, "type": "throttling",
                                          "limit_bw_kbps": 512},
        "from whitelist to throttling: the traffic of every SIM it applies to is filtered differently at once.",
        {"traffic_policy_profile_id": PROFILE_ID, "type": "whitelist", "domains": ["updates.example.com"]}),
    "number turns on a paid feature": (
        "update_mobile_phone_number", {"mobile_phone_number_id": NUMBER_ID,
                                       "call_recording": {"inbound_call_recording_enabled": True}, "tags": ["fleet"]},
        'Turns on call recording for mobile number "+13125550199": Telnyx charges for these.',
        {"mobile_phone_number_id": NUMBER_ID, "call_recording": {"inbound_call_recording_enabled": False},
         "noise_suppression": False, "tags": ["fleet"]}),
    "number always forwarded": (
        "update_mobile_phone_number", {"mobile_phone_number_id": NUMBER_ID, "call_forwarding": {
            "call_forwarding_enabled": True, "forwarding_type": "always", "forwards_to": "+13125550100"}},
        'forwards its calls (always) to "+13125550100", so its device no longer rings',
        {"mobile_phone_number_id": NUMBER_ID, "call_forwarding": {"call_forwarding_enabled": False}}),
    "number moved to another connection": (
        "update_mobile_phone_number", {"mobile_phone_number_id": NUMBER_ID, "connection_id": "998877"},
        f'moves it from voice connection "{CONNECTION}" to "998877"',
        {"mobile_phone_number_id": NUMBER_ID, "connection_id": CONNECTION, "customer_reference": "van 12"}),
    "registering enabled SIMs bills": (
        "register_sim_cards", {"registration_codes": ["0000000001", "0000000002"]},
        "Registers 2 SIM cards as enabled: each is billed from now on.",
        {"registration_codes": ["0000000001"], "status": "disabled"}),
}


def rig_with_state() -> Rig:
    rig = Rig()
    rig.api.overrides.update(STATE)
    return rig


def changes_by(rig: Rig, tool: str) -> list:
    return [r for r in rig.api.changes() if r.op is not None and r.op.name == tool]


@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize("case", sorted(CASES))
async def test_a_call_that_trips_a_rule_asks_and_a_no_sends_nothing(mode, case):
    tool, tripping, reason, _ = CASES[case]
    rig, seen = rig_with_state(), []
    async with Client(rig.server, mode=mode, elicitation_callback=answering("decline", seen)) as client:
        result = await client.call_tool(tool, tripping)
    assert result.is_error and result.structured_content["error"]["kind"] == "declined"
    assert len(seen) == 1 and reason in seen[0][0].message, seen[0][0].message
    assert rig.api.changes() == []  # checked at the HTTP level: only reads went out
    assert [e for e in rig.audit.entries if e["event"] == "end"][-1]["kind"] in ("destructive", "billable")


@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize("case", sorted(CASES))
async def test_a_call_that_trips_a_rule_runs_once_after_a_yes(mode, case):
    tool, tripping, _, _ = CASES[case]
    rig, seen = rig_with_state(), []
    async with Client(rig.server, mode=mode, elicitation_callback=answering("accept", seen, api=rig.api)) as client:
        result = await client.call_tool(tool, tripping)
    assert not result.is_error, result.content[0].text
    assert [n for _, n in seen] == [0] and len(changes_by(rig, tool)) == 1
    done = [e for e in rig.audit.entries if e["outcome"] == "ok"]
    kinds = {e.kind for e in OPERATIONS[tool].effects if e.applies(tripping)}  # each case trips every rule it names
    assert [(e["confirmation"], e["kind"]) for e in done] == [
        ("elicitation", "destructive" if "destructive" in kinds else "billable")]


@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize("case", sorted(CASES))
async def test_the_same_write_that_trips_nothing_runs_without_asking(mode, case):
    tool, _, _, harmless = CASES[case]
    rig, seen = rig_with_state(), []
    async with Client(rig.server, mode=mode, elicitation_callback=answering("accept", seen)) as client:
        result = await client.call_tool(tool, harmless)
    assert not result.is_error, result.content[0].text
    assert seen == [] and len(changes_by(rig, tool)) == 1
    assert [e["confirmation"] for e in rig.audit.entries if e["event"] == "end"] == ["not-needed"]


UNREADABLE = {  # a rule whose state read fails: the read tool made to fail
    "sim limit below use": "get_sim_card",
    "imei lock without the current device": "get_sim_card",
    "group limit below use": "get_sim_card_group",
    "blocklist used by groups gains codes": "get_wireless_blocklist",
    "voice connection set inactive": "get_mobile_voice_connection",
    "voice channel limit of 0": "get_mobile_voice_connection",
    "voice webhook API version switched": "get_mobile_voice_connection",
    "sim limit just above use": "get_sim_card",
    "group limit just above use": "get_sim_card_group",
    "alert threshold raised": "get_data_usage_notification",
    "alert moved to another sim": "get_data_usage_notification",
    "whitelist bandwidth lowered": "get_traffic_policy_profile",
    "number call screening rejects calls": "get_mobile_phone_number",
    "voice webhooks pointed elsewhere": "get_mobile_voice_connection",
    "traffic profile allows less": "get_traffic_policy_profile",
    "traffic profile changes type": "get_traffic_policy_profile",
    "number turns on a paid feature": "get_mobile_phone_number",
    "number always forwarded": "get_mobile_phone_number",
    "number moved to another connection": "get_mobile_phone_number",
}


@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize("case", sorted(UNREADABLE))
async def test_a_rule_that_cannot_read_the_state_asks(mode, case):
    tool, tripping, _, _ = CASES[case]
    rig, seen = rig_with_state(), []
    rig.api.failing.add(UNREADABLE[case])
    async with Client(rig.server, mode=mode, elicitation_callback=answering("decline", seen)) as client:
        result = await client.call_tool(tool, tripping)
    assert result.is_error and len(seen) == 1
    assert "could not be checked" in seen[0][0].message and "so the server asks" in seen[0][0].message
    assert rig.api.changes() == []


async def test_a_state_field_missing_from_the_answer_asks():
    rig, seen = Rig(), []
    rig.api.overrides["get_sim_card"] = {"current_billing_period_consumed_data": None}
    async with Client(rig.server, mode="legacy", elicitation_callback=answering("decline", seen)) as client:
        await client.call_tool("update_sim_card", {"sim_card_id": SIM_ID, "data_limit": {"amount": "5", "unit": "GB"}})
    assert len(seen) == 1 and "could not be read" in seen[0][0].message and rig.api.changes() == []


async def test_a_tripped_rule_without_elicitation_returns_a_token_that_runs_it_once():
    tool, tripping, reason, _ = CASES["sim limit below use"]
    rig = rig_with_state()
    async with Client(rig.server, mode="legacy") as client:
        first = await client.call_tool(tool, tripping)
        error = first.structured_content["confirmation_required"]
        assert not first.is_error and reason in error["preview"]
        assert rig.api.changes() == []
        ok = await client.call_tool(tool, {**tripping, "confirmation_token": error["confirmation_token"]})
        again = await client.call_tool(tool, {**tripping, "confirmation_token": error["confirmation_token"]})
    assert not ok.is_error and again.is_error and len(changes_by(rig, tool)) == 1
    assert [(e["confirmation"], e["kind"]) for e in rig.audit.entries if e["outcome"] == "ok"] == [
        ("token", "destructive")]


async def test_enabling_a_sim_is_billable_and_asks():
    rig, seen = Rig(), []
    async with Client(rig.server, mode="auto", elicitation_callback=answering("decline", seen)) as client:
        result = await client.call_tool("enable_sim_card", {"sim_card_id": SIM_ID})
    assert result.is_error and "Billing for the SIM starts" in seen[0][0].message and rig.api.changes() == []


PLANNED = sorted(case for case, (tool, _, _, _) in CASES.items() if tool == "update_sim_card")


def as_plan(arguments: dict[str, Any]) -> dict[str, Any]:
    inner = {k: v for k, v in arguments.items() if k != "sim_card_id"}
    return {"operation": "update_sim_card", "sim_card_ids": [arguments["sim_card_id"]], "arguments": inner}


@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize("case", PLANNED)
async def test_a_plan_runs_the_same_rules_per_sim_and_a_no_sends_nothing(mode, case):
    _, tripping, reason, _ = CASES[case]
    rig, seen = rig_with_state(), []
    async with Client(rig.server, mode=mode, elicitation_callback=answering("decline", seen)) as client:
        result = await client.call_tool("apply_to_sim_cards", as_plan(tripping))
    assert result.is_error and result.structured_content["error"]["kind"] == "declined"
    assert len(seen) == 1 and reason in seen[0][0].message, seen[0][0].message
    assert rig.api.changes() == []


@pytest.mark.parametrize("case", PLANNED)
async def test_a_plan_of_the_harmless_write_runs_without_asking(case):
    _, _, _, harmless = CASES[case]
    rig, seen = rig_with_state(), []
    async with Client(rig.server, mode="legacy", elicitation_callback=answering("decline", seen)) as client:
        result = await client.call_tool("apply_to_sim_cards", as_plan(harmless))
    assert not result.is_error, result.content[0].text
    assert seen == [] and len(changes_by(rig, "update_sim_card")) == 1


def test_every_write_says_why_it_is_a_plain_write():
    """A write's reason says why the calls it leaves unasked cut no service and bill nothing, and, when it has
    effect rules, what they ask about: no reason shared with another write, none a bare formula."""
    writes = [op for op in OPERATIONS.values() if op.kind == "write"]
    reasons = [op.reason for op in writes]
    assert len(set(reasons)) == len(reasons), sorted(r for r in reasons if reasons.count(r) > 1)
    short = [op.name for op in writes if len(op.reason) < 40]
    assert short == []
    unsaid = [op.name for op in writes if op.effects and "ask" not in op.reason]
    assert unsaid == []
