"""The limits set in the environment reach the client the server runs with."""

from __future__ import annotations

import pytest

from telnyx_iot_mcp.server import cli
from telnyx_iot_mcp.server.settings import Settings


@pytest.mark.anyio
async def test_limits_from_the_environment_reach_the_client(monkeypatch):
    monkeypatch.setenv("TELNYX_API_KEY", "KEY0123456789limits")
    monkeypatch.setenv("TELNYX_IOT_MCP_MAX_RESULT_BYTES", "5000")
    monkeypatch.setenv("TELNYX_IOT_MCP_MAX_CONCURRENCY", "3")
    monkeypatch.setenv("TELNYX_IOT_MCP_RETRY_BUDGET", "12")
    client = cli.make_client(Settings())
    try:
        assert client.max_result_bytes == 5000
        assert client.budget.max_in_flight == 3
        assert client._budget == 12
    finally:
        await client.aclose()


@pytest.mark.parametrize("name, value", [("TELNYX_IOT_MCP_MAX_CONCURRENCY", "0"), ("TELNYX_IOT_MCP_TIMEOUT", "-1"),
                                         ("TELNYX_IOT_MCP_RETRY_BUDGET", "100000"),
                                         ("TELNYX_IOT_MCP_MAX_RESULT_BYTES", "10")])
def test_nonsense_limits_are_refused_naming_the_setting(monkeypatch, capsys, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit):
        cli.load_settings(cli.parse_args([]))
    err = capsys.readouterr().err
    assert f"{name} must be " in err and "Input should" not in err  # the variable the user set, in words
