"""The gate's rules: which tools it covers, what the user is shown, tokens, audit, read-only, policies."""

from __future__ import annotations

import json

import pytest
from mcp import Client, types

from fake_api import GATED_SAMPLES, GROUP_ID, MISSING_ID, SIM_ID
from gate_rig import ERAS, Rig, answering
from telnyx_iot_mcp.server import cli
from telnyx_iot_mcp.server.audit import AuditLog, redact
from telnyx_iot_mcp.server.confirm_token import ConfirmationTokens, TokenRefused, canonical_digest
from telnyx_iot_mcp.server.gate import OFF_WARNING, gate_for
from telnyx_iot_mcp.server.preview import TARGETS
from telnyx_iot_mcp.server.state import MemoryStore
from telnyx_iot_mcp.tools.registry import OPERATIONS
from telnyx_iot_mcp.tools.request import build_request
from telnyx_iot_mcp.tools.schema import CONFIRMATION_TOKEN, input_schema
from telnyx_iot_mcp.tools.validation import problems

ISSUE_DESTRUCTIVE = {
    "delete_sim_card", "disable_sim_card", "set_sim_card_standby", "remove_sim_card_public_ip", "bulk_disable_voice",
    "delete_sim_card_group", "set_group_private_wireless_gateway", "remove_group_private_wireless_gateway",
    "set_group_wireless_blocklist", "delete_wireless_blocklist", "delete_data_usage_notification",
    "delete_migration_source", "stop_migration", "delete_mobile_voice_connection",
    # the operations beyond the first 66
    "disable_sim_card_voice", "delete_private_wireless_gateway", "delete_traffic_policy_profile", "delete_wdr_report",
}
ISSUE_BILLABLE = {
    "purchase_esims", "create_sim_card_order", "set_sim_card_public_ip", "bulk_set_public_ips",
    # voice gives each SIM a billed phone number; a gateway has no published price
    "bulk_enable_voice", "enable_sim_card_voice", "create_private_wireless_gateway",
    "enable_sim_card",  # enabling starts billing
}


# -- what the gate covers -----------------------------------------------------------------------

def test_registry_classes_match_the_issue():
    assert {n for n, op in OPERATIONS.items() if op.kind == "destructive"} == ISSUE_DESTRUCTIVE
    assert {n for n, op in OPERATIONS.items() if op.kind == "billable"} == ISSUE_BILLABLE
    assert {n for n, op in OPERATIONS.items() if op.gated} == set(GATED_SAMPLES)


@pytest.mark.parametrize("name", sorted(GATED_SAMPLES))
def test_every_gated_tool_names_a_target_to_preview(name):
    required = [p.name for p in OPERATIONS[name].params if p.required]
    assert any(arg in TARGETS for arg in required), f"{name}: add a describer for one of {required} in preview.py"


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_only_gated_tools_take_a_token_and_it_is_never_sent(name):
    op = OPERATIONS[name]
    assert (CONFIRMATION_TOKEN in input_schema(name)["properties"]) is op.may_ask
    if op.gated:
        args = {**GATED_SAMPLES[name], CONFIRMATION_TOKEN: "abc.def"}
        assert problems(name, args) == []
        request = build_request(op, args)
        wire = json.dumps([request.path, request.params, request.json])
        assert "abc.def" not in wire and CONFIRMATION_TOKEN not in wire


# -- what the user is shown ---------------------------------------------------------------------

PREVIEWS = {
    "delete_sim_card": ["SIM card 8944...1234", "eSIM", 'group "Trackers"', "enabled", "1.2 GB", "irreversible"],
    "bulk_disable_voice": ['SIM card group "Trackers" with 12 SIM cards'],
    "delete_sim_card_group": ['SIM card group "Spare" with 0 SIM cards'],
    "bulk_set_public_ips": ["2 SIM cards"],
    "purchase_esims": ["5 new eSIMs"],
    "create_sim_card_order": ["10 physical SIM cards", "total 12.50 USD", "shipping 2.50 USD"],
    "set_group_wireless_blocklist": ['group "Trackers"', 'wireless blocklist "No roaming" (country, 2 blocked values)'],
    "delete_data_usage_notification": ["at 500 MB"],
    "delete_mobile_voice_connection": ['"Fleet voice" (active)'],
    "delete_migration_source": ["aws, logs, us-east-1"],
    "stop_migration": ['"archive"', "migrating, 40% copied"],
    "set_sim_card_public_ip": ["SIM card 8944...1234", "in region \"dc2\""],
    "set_group_private_wireless_gateway": [
        "group \"Trackers\"",
        "private wireless gateway \"Chicago metering\" (region \"dc2\", IP range \"100.64.1.0/24\", provisioned)"],
    "delete_private_wireless_gateway": ["\"Chicago metering\" (region \"dc2\", IP range \"100.64.1.0/24\""],
    "create_private_wireless_gateway": ["gateway \"Plant\" on network", "in region \"dc2\"", "chargeable"],
    "enable_sim_card_voice": ["SIM card 8944...1234", "mobile voice connection \"Fleet voice\" (active)", "phone number"],
    "bulk_enable_voice": ["SIM card group \"Trackers\" with 12 SIM cards", "phone number"],
    "delete_wdr_report": ["2026-10-01T00:00:00Z to 2026-11-01T00:00:00Z, complete"],
}


@pytest.mark.anyio
@pytest.mark.parametrize("name", sorted(PREVIEWS))
async def test_the_question_shows_the_real_target(name):
    rig, seen = Rig(), []
    async with Client(rig.server, mode="legacy", elicitation_callback=answering("decline", seen)) as client:
        await client.call_tool(name, GATED_SAMPLES[name])
    for part in PREVIEWS[name]:
        assert part in seen[0][0].message


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ERAS)
async def test_a_target_that_cannot_be_read_is_an_error_without_a_question(mode):
    rig, seen = Rig(), []
    async with Client(rig.server, mode=mode, elicitation_callback=answering("accept", seen)) as client:
        result = await client.call_tool("disable_sim_card", {"sim_card_id": MISSING_ID})
    assert result.is_error and seen == []
    assert "404" in result.content[0].text and "it was not run" in result.content[0].text
    assert rig.api.changes() == []


# -- the 2026-07-28 round trip cannot be skipped or forged ---------------------------------------

@pytest.mark.anyio
async def test_a_forged_answer_without_the_servers_state_sends_nothing():
    rig, seen = Rig(), []
    accept = {"confirm": types.ElicitResult(action="accept", content={"confirm": True})}
    async with Client(rig.server, mode="auto", elicitation_callback=answering("accept", seen)) as client:
        forged = await client.session.call_tool("disable_sim_card", {"sim_card_id": SIM_ID},
                                                input_responses=accept, request_state="e30.AAAA")
    assert forged.is_error and forged.structured_content["error"]["kind"] == "confirmation_refused"
    assert rig.api.changes() == [] and seen == []


@pytest.mark.anyio
async def test_a_round_trip_state_is_bound_to_its_arguments_and_single_use():
    rig, seen = Rig(), []
    async with Client(rig.server, mode="auto", elicitation_callback=answering("accept", seen)) as client:
        asked = await client.session.call_tool("disable_sim_card", {"sim_card_id": SIM_ID}, allow_input_required=True)
        assert isinstance(asked, types.InputRequiredResult) and rig.api.changes() == []
        accept = {"confirm": types.ElicitResult(action="accept", content={"confirm": True})}
        other = await client.session.call_tool("disable_sim_card", {"sim_card_id": GROUP_ID}, input_responses=accept,
                                               request_state=asked.request_state)
        assert other.is_error and rig.api.changes() == []
        ok = await client.session.call_tool("disable_sim_card", {"sim_card_id": SIM_ID}, input_responses=accept,
                                            request_state=asked.request_state)
        assert not ok.is_error and len(rig.api.gated()) == 1
        again = await client.session.call_tool("disable_sim_card", {"sim_card_id": SIM_ID}, input_responses=accept,
                                               request_state=asked.request_state)
        assert again.is_error and len(rig.api.gated()) == 1


# -- tokens -------------------------------------------------------------------------------------

@pytest.mark.anyio
async def test_tokens_from_one_replica_work_on_another_with_the_same_secret_only():
    args, store = {"sim_card_id": SIM_ID}, MemoryStore()  # replicas sharing one store
    token, _ = await ConfirmationTokens(b"shared", store=store).issue("confirm", "disable_sim_card", args, account="a")
    with pytest.raises(TokenRefused, match="signature"):
        await ConfirmationTokens(b"other", store=store).redeem(token, "confirm", "disable_sim_card", args, account="a")
    await ConfirmationTokens(b"shared", store=store).redeem(token, "confirm", "disable_sim_card", args, account="a")


@pytest.mark.anyio
async def test_a_token_confirms_one_purpose_tool_and_account_only():
    tokens, args = ConfirmationTokens(b"s"), {"sim_card_id": SIM_ID}
    state, _ = await tokens.issue("elicit", "disable_sim_card", args, account="a")
    with pytest.raises(TokenRefused, match="kind of confirmation"):
        await tokens.redeem(state, "confirm", "disable_sim_card", args, account="a")
    token, _ = await tokens.issue("confirm", "disable_sim_card", args, account="a")
    with pytest.raises(TokenRefused, match="different tool"):
        await tokens.redeem(token, "confirm", "set_sim_card_standby", args, account="a")
    with pytest.raises(TokenRefused, match="another Telnyx account"):
        await tokens.redeem(token, "confirm", "disable_sim_card", args, account="b")
    await tokens.redeem(token, "confirm", "disable_sim_card", args, account="a")  # the refusals did not spend it
    for garbage in ("", "x", "a.b.c", "!!.??"):
        with pytest.raises(TokenRefused):
            await tokens.redeem(garbage, "confirm", "disable_sim_card", args, account="a")


def test_the_digest_ignores_key_order_and_the_token_itself():
    a = canonical_digest("t", {"x": 1, "y": [1, 2], CONFIRMATION_TOKEN: "z"})
    assert a == canonical_digest("t", {"y": [1, 2], "x": 1})
    assert a != canonical_digest("t", {"y": [2, 1], "x": 1})


# -- policies -----------------------------------------------------------------------------------

@pytest.mark.anyio
@pytest.mark.parametrize("mode", ERAS)
async def test_policy_off_asks_nothing_and_audits_it(mode):
    rig, seen = Rig(policy="off"), []
    async with Client(rig.server, mode=mode, elicitation_callback=answering("decline", seen)) as client:
        result = await client.call_tool("delete_sim_card", {"sim_card_id": SIM_ID})
    assert not result.is_error and seen == [] and len(rig.api.gated()) == 1
    assert rig.audit.entries[-1]["confirmation"] == "policy-off"


def settings_for(*flags: str):
    return cli.load_settings(cli.parse_args(["--sandbox", *flags]))


def test_off_must_be_chosen_and_warns_on_stderr(capsys):
    assert settings_for().confirm == "elicit-or-token"
    gate_for(settings_for(), client=None)
    assert OFF_WARNING not in capsys.readouterr().err
    gate = gate_for(settings_for("--confirm", "off"), client=None)
    assert gate.policy == "off" and OFF_WARNING in capsys.readouterr().err


@pytest.mark.anyio
async def test_flags_and_environment_reach_the_gate(monkeypatch, tmp_path):
    monkeypatch.setenv("TELNYX_IOT_MCP_CONFIRM_SECRET", "a-secret-shared-by-replicas")
    gate = gate_for(settings_for("--confirm", "elicit-only", "--confirm-ttl", "60", "--state-url", "memory",
                                 "--audit-log", str(tmp_path / "audit.jsonl")), client=None)
    assert (gate.policy, gate.tokens.ttl_seconds, gate.audit.path) == ("elicit-only", 60, str(tmp_path / "audit.jsonl"))
    token, _ = await gate.tokens.issue("confirm", "disable_sim_card", {}, account="a")
    await ConfirmationTokens(b"a-secret-shared-by-replicas", store=gate.tokens.store).redeem(
        token, "confirm", "disable_sim_card", {}, account="a")


# -- read-only ----------------------------------------------------------------------------------

@pytest.mark.anyio
@pytest.mark.parametrize("mode", ERAS)
async def test_read_only_lists_only_read_tools_and_refuses_the_others_by_name(mode):
    settings = settings_for("--read-only")
    rig = Rig(read_only=True, operations=cli.selected(settings))
    async with Client(rig.server, mode=mode) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
        assert listed and all(t.annotations.read_only_hint for t in listed.values())
        assert set(n for n in listed if n in OPERATIONS) == {n for n, op in OPERATIONS.items() if op.read_only}
        for name in ("delete_sim_card", "update_sim_card", "purchase_esims"):
            refused = await client.call_tool(name, GATED_SAMPLES.get(name, {"sim_card_id": SIM_ID}))
            assert refused.is_error and name in refused.content[0].text and "read-only" in refused.content[0].text
    assert rig.api.requests == []


@pytest.mark.anyio
async def test_read_only_gate_refuses_even_an_exposed_write_tool():
    rig = Rig(read_only=True)  # every tool listed, as a misconfigured catalog would
    async with Client(rig.server, mode="auto") as client:
        refused = await client.call_tool("enable_sim_card", {"sim_card_id": SIM_ID})
    assert refused.is_error and refused.structured_content["error"]["kind"] == "read_only"
    assert rig.api.requests == []


# -- audit --------------------------------------------------------------------------------------

def test_audit_redacts_secrets_at_any_depth():
    args = {"provider_auth": {"access_key": "AKIA1", "secret_access_key": "s3cr3t"}, "bucket_name": "logs",
            CONFIRMATION_TOKEN: "tok", "items": [{"password": "p"}]}
    assert redact(args) == {"provider_auth": {"access_key": "[redacted]", "secret_access_key": "[redacted]"},
                            "bucket_name": "logs", CONFIRMATION_TOKEN: "[redacted]", "items": [{"password": "[redacted]"}]}


@pytest.mark.anyio
@pytest.mark.parametrize("reads", [True, False])
async def test_audit_lines_cover_reads_and_writes_and_keep_secrets_out(tmp_path, caplog, reads):
    caplog.set_level("INFO", logger="telnyx_iot_mcp.audit")
    rig = Rig()
    rig.gate.audit = AuditLog(str(tmp_path / "audit.jsonl"), reads=reads)
    seen: list = []
    async with Client(rig.server, mode="legacy", elicitation_callback=answering("accept", seen)) as client:
        await client.call_tool("get_sim_card", {"sim_card_id": SIM_ID})
        await client.call_tool("create_migration_source", {
            "provider": "aws", "bucket_name": "logs",
            "provider_auth": {"access_key": "AKIAEXAMPLE", "secret_access_key": "wJalrXUtnFEMI"}})
        await client.call_tool("disable_sim_card", {"sim_card_id": SIM_ID})
    lines = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    read = [("end", "get_sim_card", "not-needed", "ok")] if reads else []  # a read: one line, after it answered
    assert [(e["event"], e["tool"], e["confirmation"], e["outcome"]) for e in lines] == read + [
        ("send", "create_migration_source", "not-needed", None), ("end", "create_migration_source", "not-needed", "ok"),
        ("ask", "disable_sim_card", "none", "awaiting_confirmation"),
        ("send", "disable_sim_card", "elicitation", None), ("end", "disable_sim_card", "elicitation", "ok")]
    if reads:
        assert (lines[0]["kind"], lines[0]["arguments"]) == ("read", {"sim_card_id": SIM_ID})
        assert lines[0]["account"].startswith("acct-")
    lines = lines[len(read):]
    assert lines[0]["call"] == lines[1]["call"] != lines[2]["call"] == lines[3]["call"] == lines[4]["call"]
    ends = [e for e in lines if e["event"] == "end"]
    assert all(e["time"] and e["request_id"] is not None and e["api_request_id"].startswith("req-") for e in ends)
    text = (tmp_path / "audit.jsonl").read_text() + caplog.text
    assert "wJalrXUtnFEMI" not in text and "KEY0123456789abcdef" not in text
    assert caplog.text.count('"tool": "disable_sim_card"') == 3


@pytest.mark.anyio
async def test_dynamic_mode_calls_go_through_the_same_gate():
    rig = Rig()
    from telnyx_iot_mcp.server.app import create_server

    server = create_server(rig.api.client(), None, gate=rig.gate, tools_mode="dynamic")
    async with Client(server, mode="auto") as client:
        first = await client.call_tool("call_operation", {"operation": "disable_sim_card", "arguments": {"sim_card_id": SIM_ID}})
        token = first.structured_content["confirmation_required"]["confirmation_token"]
        assert rig.api.changes() == []
        ok = await client.call_tool("call_operation", {"operation": "disable_sim_card", "arguments": {
            "sim_card_id": SIM_ID, CONFIRMATION_TOKEN: token}})
    assert not ok.is_error and len(rig.api.gated()) == 1


def test_a_short_secret_or_an_unwritable_audit_log_stops_the_server_at_start(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("TELNYX_IOT_MCP_CONFIRM_SECRET", "short-s3cret")
    with pytest.raises(SystemExit):
        settings_for()
    err = capsys.readouterr().err
    assert "TELNYX_IOT_MCP_CONFIRM_SECRET must be at least 16 characters" in err and "short-s3cret" not in err
    monkeypatch.delenv("TELNYX_IOT_MCP_CONFIRM_SECRET")
    with pytest.raises(SystemExit):
        gate_for(settings_for("--audit-log", str(tmp_path / "missing-dir" / "audit.jsonl")), client=None)
    assert "audit log" in capsys.readouterr().err


@pytest.mark.anyio
async def test_an_audit_log_that_fails_after_the_change_was_sent_does_not_hide_the_calls_result(tmp_path):
    """The send line is on record; the end line that cannot be written is reported, and the model still learns
    what happened. (A log that cannot take the send line stops the change: tests/gate/test_audit.py.)"""
    rig, seen = Rig(), []
    audit = rig.gate.audit = AuditLog(str(tmp_path / "audit.jsonl"))
    written = audit._write

    def full_after_the_send_line(entry, line=None, **options):
        written(entry, line, **options)
        if entry["event"] == "send":
            audit.path = "/dev/full"  # appending now fails, as on a full disk

    audit._write = full_after_the_send_line
    async with Client(rig.server, mode="auto", elicitation_callback=answering("accept", seen)) as client:
        result = await client.call_tool("disable_sim_card", {"sim_card_id": SIM_ID})
    assert not result.is_error and len(rig.api.gated()) == 1
    assert "send" in (tmp_path / "audit.jsonl").read_text()
