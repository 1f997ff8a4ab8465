"""`telnyx-iot-mcp tools` and `telnyx-iot-mcp call`: the catalog table and one call through the full MCP path."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import httpx
import pytest
from mcp import types

from telnyx_iot_mcp.sandbox import create_app
from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.server.cli import main
from telnyx_iot_mcp.server.commands import call_once, terminal_confirmation
from telnyx_iot_mcp.server.selection import CATALOG, select
from telnyx_iot_mcp.server.settings import Settings
from telnyx_iot_mcp.tools.client import TelnyxClient


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        main(list(argv))
        code = 0
    except SystemExit as exit_:
        code = exit_.code or 0
    out, err = capsys.readouterr()
    return code, out, err


def table_names(out: str) -> list[str]:
    return [line.split()[0] for line in out.splitlines()[1:] if line and not line.endswith(" tools")]


@pytest.mark.parametrize("argv, settings", [
    (["tools"], {}),
    (["tools", "--toolsets", "wireless,actions", "--read-only"], dict(toolsets=["wireless", "actions"], read_only=True)),
    (["--read-only", "tools", "--exclude-tools", "get_sim_card"], dict(read_only=True, exclude_tools=["get_sim_card"])),
    (["tools", "--tools", "get_sim_card,wait_for_action"], dict(tools=["get_sim_card", "wait_for_action"])),
])
def test_tools_table_follows_the_selection(capsys, argv, settings):
    code, out, _ = run(capsys, *argv)
    expected = select(Settings(**settings))
    assert code == 0 and table_names(out) == [e.name for e in expected]
    assert out.splitlines()[0].split() == ["NAME", "CLASS", "TOOLSET", "TITLE"]
    row = next(line for line in out.splitlines() if line.startswith(expected[0].name + " "))
    assert row.split()[1:3] == [expected[0].kind, expected[0].toolset]
    assert out.rstrip().endswith(f"{len(expected)} tools")


def test_unknown_names_stop_the_command(capsys):
    code, out, err = run(capsys, "tools", "--toolsets", "sim_cards,simcards")
    assert code == 2 and out == "" and "unknown toolset simcards" in err
    code, _, err = run(capsys, "call", "get_sim_card", "--exclude-tools", "get_simcard")
    assert code == 2 and "unknown tool get_simcard" in err


def test_call_prints_the_result_json(capsys):
    code, out, _ = run(capsys, "call", "list_sim_cards", "--sandbox",
                       "--args", '{"page_size": 3, "fields": ["id", "status.value"]}')
    result = json.loads(out)
    assert code == 0 and len(result["data"]) == 3 and set(result["data"][0]) == {"id", "status"}


def test_call_error_exits_1_with_the_error_json(capsys):
    code, out, err = run(capsys, "call", "get_sim_card", "--sandbox", "--args", '{"sim_card_id": "not-a-uuid"}')
    assert code == 1 and json.loads(out)["error"]["kind"] == "invalid_arguments" and "sim_card_id" in err


@pytest.mark.parametrize("text", ["[1, 2]", "{oops"])
def test_call_refuses_arguments_that_are_not_a_json_object(capsys, text):
    code, out, err = run(capsys, "call", "get_sim_card", "--sandbox", "--args", text)
    assert code == 2 and out == "" and "--args" in err


def test_call_without_a_terminal_gets_the_token_route(capsys):
    sim = "8a6a63ec-24ed-46a4-ab4c-b2424a23d596"
    code, out, _ = run(capsys, "call", "disable_sim_card", "--sandbox", "--args", json.dumps({"sim_card_id": sim}))
    asked = json.loads(out)["confirmation_required"]
    assert code == 1 and asked["confirmation_token"] and "disable" in asked["message"].lower()


def test_call_in_dynamic_mode_and_read_only(capsys):
    code, out, _ = run(capsys, "call", "search_operations", "--sandbox", "--tools-mode", "dynamic", "--read-only",
                       "--args", '{"kind": "destructive"}')
    assert code == 0 and json.loads(out)["data"] == []


@pytest.mark.anyio
@pytest.mark.parametrize("answer, ok", [("y\n", True), ("\n", False), ("no\n", False)])
async def test_terminal_answer_decides_a_gated_call(monkeypatch, answer, ok):
    app = create_app()
    client = TelnyxClient(base_url="http://sandbox/v2", transport=httpx.ASGITransport(app=app))
    sims = await client.send(__import__("telnyx_iot_mcp.tools.request", fromlist=["ApiRequest"]).ApiRequest(
        "GET", "/sim_cards", [("filter[status]", "enabled"), ("page[size]", "1")]))
    sim_id = sims.body["data"][0]["id"]
    monkeypatch.setattr(sys, "stdin", io.StringIO(answer))
    out = io.StringIO()
    code = await call_once(create_server(client), "disable_sim_card", {"sim_card_id": sim_id}, interactive=True, out=out)
    result = json.loads(out.getvalue())
    assert code == (0 if ok else 1)
    if ok:
        assert result["data"]["status"]["value"] == "in-progress"
    else:
        assert "error" in result


@pytest.mark.anyio
async def test_terminal_confirmation_asks_for_typed_text_and_yes():
    prompts = io.StringIO()
    ask = terminal_confirmation(io.StringIO("y\n3360\n"), prompts)
    form = types.ElicitRequestFormParams(message="Delete SIM 8931...3360?", requested_schema={
        "type": "object", "properties": {"go": {"type": "boolean", "title": "Go ahead"},
                                         "confirm": {"type": "string", "title": "Type the last 4 digits",
                                                     "description": "Type exactly: 3360"}}})
    answer = await ask(None, form)
    assert answer.action == "accept" and answer.content == {"go": True, "confirm": "3360"}
    assert "Delete SIM 8931...3360?" in prompts.getvalue() and "Type exactly: 3360" in prompts.getvalue()


def test_entry_point_runs():
    done = subprocess.run([sys.executable, "-m", "telnyx_iot_mcp", "tools", "--toolsets", "orders"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert table_names(done.stdout) == [e.name for e in CATALOG.values() if e.toolset == "orders"]


def test_tools_search_ranks_like_search_operations(capsys):
    code, out, _ = run(capsys, "tools", "--search", "pause", "billing", "on", "a", "sim")
    assert code == 0 and table_names(out)[0] == "set_sim_card_standby"
    assert out.splitlines()[0].split() == ["NAME", "CLASS", "TOOLSET", "WHAT", "IT", "DOES"]
    code, out, _ = run(capsys, "tools", "--read-only", "--search", "pause billing on a sim")
    assert code == 0 and "set_sim_card_standby" not in out
    code, out, _ = run(capsys, "tools", "--search", "xyzzy")
    assert code == 0 and out.startswith("No tool matches 'xyzzy'")


def test_call_runs_a_plan_and_the_token_route_covers_it(capsys):
    plan = {"operation": "set_sim_card_standby", "filter": {"status": ["enabled"], "tags": ["pilot"]}}
    code, out, _ = run(capsys, "call", "apply_to_sim_cards", "--sandbox", "--args", json.dumps(plan))
    asked = json.loads(out)["confirmation_required"]
    assert code == 1 and asked["confirmation_token"] and "as one plan" in asked["preview"]
    read_only, out, _ = run(capsys, "call", "apply_to_sim_cards", "--sandbox", "--read-only", "--args", json.dumps(plan))
    assert read_only == 1 and "read-only" in json.loads(out)["error"]["message"]


@pytest.mark.anyio
async def test_terminal_yes_runs_a_plan_once(monkeypatch):
    app = create_app(sim_count=40)
    client = TelnyxClient(base_url="http://sandbox/v2", transport=httpx.ASGITransport(app=app))
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    out, prompts = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", prompts)
    code = await call_once(create_server(client), "apply_to_sim_cards", {
        "operation": "disable_sim_card", "filter": {"status": ["enabled"], "tags": ["pilot"]}}, interactive=True, out=out)
    result = json.loads(out.getvalue())
    await client.aclose()
    assert code == 0 and result["meta"]["confirmation"] == "elicitation"
    assert prompts.getvalue().count("Go ahead?") == 1 and "as one plan" in prompts.getvalue()
    assert result["data"] and {row["outcome"] for row in result["data"]} == {"submitted"}
