"""The API key: read from the environment or a file, never from the command line, and never shown.

The end-to-end test starts the real console script over stdio with a known key against an upstream that
echoes request headers back in results and errors, then scans everything the server produced."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

from faulty_upstream import Seen, Upstream, _head
from telnyx_iot_mcp.server import cli
from telnyx_iot_mcp.server.settings import Settings
from telnyx_iot_mcp.tools.errors import ToolError
from telnyx_iot_mcp.tools.redact import RedactingFilter, redact, register_secret

KEY = "KEY019ABCDEF0123456789_LeakCanary_5f3b"
SIM = "6a09cdc3-8948-47f0-aa62-74ac943d6c58"
SCRIPT = Path(sys.executable).with_name("telnyx-iot-mcp")


def test_settings_repr_and_str_mask_the_key(monkeypatch):
    monkeypatch.setenv("TELNYX_API_KEY", KEY)
    settings = Settings()
    assert settings.api_key.get_secret_value() == KEY
    assert KEY not in repr(settings) and KEY not in str(settings) and KEY not in repr(settings.model_dump())


def test_key_is_read_from_a_file(monkeypatch, tmp_path):
    key_file = tmp_path / "telnyx.key"
    key_file.write_text(KEY + "\n")
    monkeypatch.delenv("TELNYX_API_KEY", raising=False)
    monkeypatch.setenv("TELNYX_API_KEY_FILE", str(key_file))
    settings = Settings()
    assert settings.api_key.get_secret_value() == KEY
    assert KEY not in repr(settings)


def test_key_and_key_file_together_are_refused_without_echoing_the_key(monkeypatch, tmp_path, capsys):
    key_file = tmp_path / "telnyx.key"
    key_file.write_text("other")
    monkeypatch.setenv("TELNYX_API_KEY", KEY)
    monkeypatch.setenv("TELNYX_API_KEY_FILE", str(key_file))
    with pytest.raises(SystemExit):
        cli.load_settings(cli.parse_args([]))
    assert "not both" in capsys.readouterr().err


def test_an_empty_key_file_or_a_blank_confirmation_secret_is_refused(monkeypatch, tmp_path, capsys):
    key_file = tmp_path / "telnyx.key"
    key_file.write_text("  \n")
    monkeypatch.delenv("TELNYX_API_KEY", raising=False)
    monkeypatch.setenv("TELNYX_API_KEY_FILE", str(key_file))
    with pytest.raises(SystemExit):
        cli.load_settings(cli.parse_args([]))
    assert "is empty" in capsys.readouterr().err
    monkeypatch.delenv("TELNYX_API_KEY_FILE")
    monkeypatch.setenv("TELNYX_IOT_MCP_CONFIRM_SECRET", " " * 40)
    with pytest.raises(SystemExit):
        cli.load_settings(cli.parse_args([]))
    assert "TELNYX_IOT_MCP_CONFIRM_SECRET: use at least 16 characters that are not spaces" in capsys.readouterr().err


def test_unreadable_key_file_is_a_clear_error(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("TELNYX_API_KEY", raising=False)
    monkeypatch.setenv("TELNYX_API_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(SystemExit):
        cli.load_settings(cli.parse_args([]))
    assert "TELNYX_API_KEY_FILE" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--api-key", KEY], [f"--api-key={KEY}"], ["sandbox", "--api-key", KEY],
                                  ["--token", KEY], ["--key", KEY]])
def test_the_key_is_never_accepted_on_the_command_line(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.parse_args(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "TELNYX_API_KEY" in err and KEY not in err


def test_errors_and_log_records_are_masked():
    register_secret(KEY)
    error = ToolError("upstream", f"echo {KEY}", detail={"headers": [f"Bearer {KEY}"]})
    assert KEY not in str(error) and KEY not in json.dumps(error.payload)
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "sent %s", (f"Authorization: Bearer {KEY}",), None)
    RedactingFilter().filter(record)
    assert KEY not in record.getMessage()
    assert redact(f"token {KEY}!") == "token [REDACTED]!"


async def echo_headers(seen: Seen, writer) -> None:
    """An upstream that puts every request header (Authorization included) into results and errors."""
    headers = json.dumps(seen.headers)
    if seen.method == "GET" and seen.path == "/v2/sim_cards":
        status, body = 200, {"data": [{"id": SIM, "tags": [headers]}],
                             "meta": {"page_number": 1, "page_size": 20, "total_pages": 1, "total_results": 1}}
    elif seen.method == "GET" and seen.path == f"/v2/sim_cards/{SIM}":
        status, body = 200, {"data": {"id": SIM, "iccid": "89310410106543789301", "tags": [headers]}}
    else:
        status, body = 500, {"errors": [{"title": "Boom", "detail": f"request was {headers}"}]}
    raw = json.dumps(body).encode()
    writer.write(_head(status, {"Content-Type": "application/json", "Content-Length": str(len(raw)),
                                "X-Echo": seen.headers.get("authorization", "")}) + raw)
    await writer.drain()


@pytest.mark.anyio
async def test_the_key_never_appears_in_anything_the_server_produces(tmp_path):
    audit = tmp_path / "audit.jsonl"
    stderr_path = tmp_path / "stderr.log"
    produced: list[str] = []
    with Upstream(default=echo_headers) as upstream, stderr_path.open("w") as stderr:
        params = StdioServerParameters(
            command=str(SCRIPT), args=["--log-level", "DEBUG", "--audit-log", str(audit)],
            env={"TELNYX_API_KEY": KEY, "TELNYX_BASE_URL": upstream.base_url, "TELNYX_IOT_MCP_RETRY_BUDGET": "5",
                 "TELNYX_IOT_MCP_TIMEOUT": "2", "PATH": str(SCRIPT.parent)},
        )
        async with Client(stdio_client(params, errlog=stderr)) as session:
            calls = [
                ("list_sim_cards", {}), ("get_sim_card", {"sim_card_id": SIM}),
                ("get_sim_card_group", {"sim_card_group_id": SIM}),  # 500, retried
                ("enable_sim_card", {"sim_card_id": SIM}),  # 500 on a change
                ("get_sim_card", {"sim_card_id": KEY}),  # the key as an argument value
                ("no_such_tool", {}),
            ]
            for name, arguments in calls:
                result = await session.call_tool(name, arguments)
                produced.append(result.model_dump_json())
            first = await session.call_tool("disable_sim_card", {"sim_card_id": SIM})
            produced.append(first.model_dump_json())
            token = (first.structured_content or {}).get("error", {}).get("confirmation_token")
            if token:
                again = await session.call_tool("disable_sim_card", {"sim_card_id": SIM, "confirmation_token": token})
                produced.append(again.model_dump_json())
        sent_with_key = [s for s in upstream.seen if s.headers.get("authorization") == f"Bearer {KEY}"]
    logs = stderr_path.read_text()
    audit_lines = audit.read_text() if audit.exists() else ""
    assert sent_with_key, "the key was sent upstream, so an echo could have leaked it"
    assert any("tags" in p for p in produced) and "Boom" in "".join(produced)
    assert logs.strip(), "the server logged nothing to scan"
    assert "[REDACTED]" in "".join(produced)
    assert "disable_sim_card" in audit_lines
    for where, text in [("results", "\n".join(produced)), ("stderr", logs), ("audit", audit_lines)]:
        assert KEY not in text, f"the API key leaked into {where}"
