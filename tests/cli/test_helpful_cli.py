"""A command line that helps: did-you-mean for tools, arguments, flags and commands; typo-tolerant search; global
flags on either side of a command; the audit line on the terminal only with --verbose; settings errors naming
what the user set; --args from a file or stdin; the HTTP address printed; --help with examples and variables;
shell completion; and `doctor`, which checks without changing anything."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
import urllib.request

import pytest

from api_mock import Served
from processes import SCRIPT, clean_env
from test_cli import run
from telnyx_iot_mcp.sandbox import create_app
from telnyx_iot_mcp.server import cli
from telnyx_iot_mcp.server.cli import load_settings, parse_args
from telnyx_iot_mcp.server.settings import Settings

SIM = "8a6a63ec-24ed-46a4-ab4c-b2424a23d596"


def script(*argv: str, **options) -> subprocess.CompletedProcess:
    options.setdefault("env", clean_env())
    return subprocess.run([SCRIPT, *argv], capture_output=True, text=True, timeout=60, **options)


# Did you mean

def test_a_mistyped_tool_gets_the_closest_name_and_nothing_runs(capsys):
    code, out, err = run(capsys, "call", "get_sim_crd", "--sandbox", "--state-url", "memory")
    assert code == 2 and out == ""
    assert "no tool get_sim_crd (did you mean get_sim_card?)" in err and "nothing was run" in err


def test_a_mistyped_operation_in_dynamic_mode_gets_the_closest_name(capsys):
    """The model meets the same help: the answer of call_operation names the closest operation."""
    code, out, err = run(capsys, "call", "call_operation", "--sandbox", "--state-url", "memory", "--tools-mode",
                         "dynamic", "--args", json.dumps({"operation": "get_sim_crd", "arguments": {}}))
    assert code == 1 and "does not exist (did you mean get_sim_card?)" in json.loads(out)["error"]["message"]


def test_a_mistyped_argument_gets_the_closest_name(capsys):
    code, out, err = run(capsys, "call", "get_sim_card", "--sandbox", "--state-url", "memory",
                         "--args", json.dumps({"sim_card": SIM}))
    assert code == 1 and "unknown argument sim_card (did you mean sim_card_id?)" in err
    assert "nothing was sent" in json.loads(out)["error"]["message"]


@pytest.mark.parametrize("argv, suggestion", [
    (["--sandbx", "tools"], "--sandbox"),
    (["tools", "--read-olny"], "--read-only"),
    (["--confirm-tl", "30", "tools"], "--confirm-ttl"),  # named before its value is read as a command
    (["cal", "get_sim_card"], "call"),
    (["--tools-mode", "dynamc", "tools"], "dynamic"),
])
def test_a_mistyped_flag_or_command_gets_the_closest_one(capsys, argv, suggestion):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and f"(did you mean {suggestion}?)" in err


def test_a_mistyped_toolset_gets_the_closest_name(capsys):
    code, _, err = run(capsys, "tools", "--toolsets", "simcards")
    assert code == 2 and "unknown toolset simcards (did you mean sim_cards?)" in err


# Search forgives typos

@pytest.mark.parametrize("words, first", [
    ("lst sim crads", "list_sim_cards"),
    ("dsable sim crad", "disable_sim_card"),
    ("list sim cards", "list_sim_cards"),
])
def test_tools_search_forgives_typos(capsys, words, first):
    code, out, _ = run(capsys, "tools", "--search", words)
    assert code == 0 and out.splitlines()[1].split()[0] == first


# Global flags on either side of the command

@pytest.mark.parametrize("flags", [
    ["--log-level", "WARNING"], ["--confirm", "off"], ["--state-url", "memory"], ["--audit-log", "audit.jsonl"],
    ["--confirm-ttl", "60"], ["--rate-limit", "5"], ["--no-audit-reads"], ["--state-dir", "/tmp/x"], ["-v"],
])
@pytest.mark.parametrize("command", [["call", "get_sim_card"], ["tools"], ["doctor"]])
def test_global_flags_work_on_either_side_of_a_command(flags, command):
    before, after = parse_args([*flags, *command]), parse_args([*command, *flags])
    assert vars(before) == vars(after)
    assert load_settings(before) == load_settings(after)


def test_audit_log_after_call_writes_the_file(capsys, tmp_path):
    log = tmp_path / "audit.jsonl"
    code, _, _ = run(capsys, "call", "get_sim_card", "--sandbox", "--state-url", "memory", "--audit-log", str(log),
                     "--args", json.dumps({"sim_card_id": SIM}))
    assert code == 0 and json.loads(log.read_text().splitlines()[-1])["tool"] == "get_sim_card"


# The audit line: on the terminal only with --verbose; the file the same either way

def _audit_lines(text: str) -> list[dict]:
    return [json.loads(line[line.index("{"):]) for line in text.splitlines() if "telnyx_iot_mcp.audit" in line]


@pytest.mark.parametrize("verbose", [False, True])
def test_the_audit_line_shows_on_the_terminal_only_with_verbose(tmp_path, verbose):
    log = tmp_path / "audit.jsonl"
    done = script("call", "get_sim_card", "--sandbox", "--state-url", "memory", "--audit-log", str(log),
                  *(["--verbose"] if verbose else []), "--args", json.dumps({"sim_card_id": SIM}))
    assert done.returncode == 0, done.stderr
    written = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["tool"] for line in written] == ["get_sim_card"] and written[0]["outcome"] == "ok"
    shown = _audit_lines(done.stderr)
    if verbose:
        assert [(line["tool"], line["call"]) for line in shown] == [(line["tool"], line["call"]) for line in written]
    else:
        assert shown == [] and done.stderr == ""


# Settings errors name what the user set

def test_a_bad_variable_is_named_in_plain_words(capsys, monkeypatch):
    monkeypatch.setenv("TELNYX_IOT_MCP_CONFIRM_TTL", "soon")
    code, _, err = run(capsys, "tools")
    assert code == 2 and "TELNYX_IOT_MCP_CONFIRM_TTL must be a number" in err
    assert "Input should" not in err and "confirm_ttl" not in err


def test_a_bad_flag_value_is_named_as_the_flag(capsys, monkeypatch):
    code, _, err = run(capsys, "tools", "--confirm-ttl", "5")
    assert code == 2 and "--confirm-ttl must be at least 10" in err and "Input should" not in err
    monkeypatch.setenv("TELNYX_IOT_MCP_PORT", "70000")
    code, _, err = run(capsys, "tools")
    assert code == 2 and "TELNYX_IOT_MCP_PORT must be at most 65535" in err


# --args from a file or stdin

def test_args_from_a_file(capsys, tmp_path):
    path = tmp_path / "args.json"
    path.write_text(json.dumps({"sim_card_id": SIM}))
    code, out, _ = run(capsys, "call", "get_sim_card", "--sandbox", "--state-url", "memory", "--args", f"@{path}")
    assert code == 0 and json.loads(out)["data"]["id"] == SIM
    code, out, err = run(capsys, "call", "get_sim_card", "--sandbox", "--args", f"@{tmp_path / 'missing.json'}")
    assert code == 2 and out == "" and "missing.json: the file cannot be read" in err


def test_args_from_stdin(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps({"sim_card_id": SIM})))
    code, out, _ = run(capsys, "call", "get_sim_card", "--sandbox", "--state-url", "memory", "--args", "-")
    assert code == 0 and json.loads(out)["data"]["id"] == SIM


# HTTP mode says where it listens, the real port with --port 0

def test_http_mode_prints_its_address_and_port_zero_gets_a_real_one():
    server = subprocess.Popen([SCRIPT, "--sandbox", "--state-url", "memory", "--transport", "http", "--port", "0"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True, env=clean_env())
    try:
        deadline, address = time.monotonic() + 60, None
        while address is None and time.monotonic() < deadline:
            line = server.stderr.readline()
            assert line, "the server stopped before saying where it listens"
            address = re.search(r"serving MCP on (http://127\.0\.0\.1:(\d+)/mcp)", line)
        assert address and int(address[2]) > 0
        with urllib.request.urlopen(address[1].replace("/mcp", "/healthz"), timeout=10) as answer:
            assert json.load(answer)["status"] == "ok"
    finally:
        server.terminate()
        server.wait(timeout=30)


# --help: examples, and each flag's variable

def test_help_has_examples_and_every_flag_names_its_variable(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "examples:" in out and "telnyx-iot-mcp call list_sim_cards --sandbox" in out
    flat = " ".join(out.split())
    flags = getattr(cli, "FLAG_OF", {})  # settings field -> its flag
    assert flags and all(f"[{cli.env_name(field)}]" in flat for field in flags), flat
    assert set(flags) <= set(Settings.model_fields)  # the variable named is one the settings read
    code, out, _ = run(capsys, "call", "--help")
    assert code == 0 and "examples:" in out and "--args @" in out


# Shell completion

def _complete(completion: str, *words: str) -> list[str]:
    line = " ".join(words)
    program = (f"{completion}\nCOMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; _telnyx_iot_mcp; "
               'printf "%s\\n" "${COMPREPLY[@]}"')
    return subprocess.run(["bash", "-c", program], capture_output=True, text=True, timeout=30).stdout.split()


def test_bash_completion_offers_commands_flags_tools_and_choices(capsys):
    code, completion, _ = run(capsys, "completion", "bash")
    assert code == 0 and "complete -o default -F _telnyx_iot_mcp telnyx-iot-mcp" in completion
    assert _complete(completion, "telnyx-iot-mcp", "ca") == ["call"]
    assert "get_sim_card" in _complete(completion, "telnyx-iot-mcp", "call", "get_sim_c")
    assert sorted(_complete(completion, "telnyx-iot-mcp", "--confirm", "elicit-o")) == ["elicit-only", "elicit-or-token"]
    assert "--search" in _complete(completion, "telnyx-iot-mcp", "tools", "--se")
    code, zsh, _ = run(capsys, "completion", "zsh")
    assert code == 0 and "bashcompinit" in zsh and "_telnyx_iot_mcp" in zsh


# doctor: the key, the store and Telnyx, changing nothing

def test_doctor_on_the_sandbox_passes_and_creates_nothing(tmp_path):
    state = tmp_path / "state"
    done = script("doctor", "--sandbox", "--state-dir", str(state))
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^ok +state store: SQLite file .* will be created", done.stdout, re.M)
    assert re.search(r"^ok +Telnyx API: the sandbox answers", done.stdout, re.M)
    assert not state.exists()


def test_doctor_leaves_an_existing_store_as_it_was(tmp_path):
    script("call", "get_sim_card", "--sandbox", "--state-dir", str(tmp_path), "--args", json.dumps({"sim_card_id": SIM}))
    files = {p: p.read_bytes() for p in tmp_path.iterdir()}
    assert files
    done = script("doctor", "--sandbox", "--state-dir", str(tmp_path))
    assert done.returncode == 0 and re.search(r"^ok +state store: SQLite file", done.stdout, re.M)
    assert {p: p.read_bytes() for p in tmp_path.iterdir()} == files


def test_doctor_without_a_key_says_so():
    done = script("doctor", "--state-url", "memory")
    assert done.returncode == 1 and re.search(r"^FAIL +key: TELNYX_API_KEY is not set", done.stdout, re.M)


@pytest.mark.parametrize("key, ok", [("right-key-0123456789", True), ("wrong-key-0123456789", False)])
def test_doctor_asks_telnyx_whether_the_key_is_accepted(key, ok):
    app = create_app(api_key="right-key-0123456789")
    with Served(app) as served:
        done = script("doctor", "--state-url", "memory", env=clean_env(
            TELNYX_API_KEY=key, TELNYX_BASE_URL=f"http://127.0.0.1:{served.port}/v2"))
    assert done.returncode == (0 if ok else 1), done.stdout + done.stderr
    assert re.search(rf"^{'ok' if ok else 'FAIL'} +Telnyx API: ", done.stdout, re.M)
    assert key not in done.stdout + done.stderr


# stdin at EOF or /dev/null ends the stdio server at once, without a traceback

@pytest.mark.parametrize("stdin", ["devnull", "empty pipe"])
def test_stdio_server_with_stdin_at_eof_exits_cleanly_within_2_seconds(stdin):
    """Timed from the sandbox's banner, the last line before serving: start-up itself (imports) takes longer
    than 2 s on a loaded machine and says nothing about how the end of stdin is handled."""
    server = subprocess.Popen([SCRIPT, "--sandbox", "--state-url", "memory"],
                              stdin=subprocess.DEVNULL if stdin == "devnull" else subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env())
    try:
        if server.stdin:
            server.stdin.close()
            server.stdin = None
        banner = server.stderr.readline()
        assert "Telnyx IoT sandbox" in banner, banner
        server.wait(timeout=2)
    finally:
        server.kill()
        out, err = server.communicate()
    assert server.returncode == 0 and out == "" and "Traceback" not in err, err


def test_the_terminal_lists_the_accounts_event_subscriptions(capsys, tmp_path):
    """`call` serves the subscription tools from the watch state in the state directory (no events are delivered)."""
    code, out, err = run(capsys, "call", "list_event_subscriptions", "--sandbox", "--state-dir", str(tmp_path))
    assert code == 0, err
    assert json.loads(out) == {"data": [], "meta": {"total": 0}}
    assert (tmp_path / "watch.sqlite3").exists()
