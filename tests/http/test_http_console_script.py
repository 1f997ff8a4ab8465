"""The console script serves Streamable HTTP: `telnyx-iot-mcp --sandbox --transport http --port N`."""

from __future__ import annotations

import subprocess

import httpx
import pytest
from mcp import Client

from processes import SCRIPT, clean_env, free_port, healthy

pytestmark = pytest.mark.anyio

TOKEN = "console-script-token-0123456789"


@pytest.fixture
def anyio_backend():
    return "asyncio"


def start(*args: str, **env: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([SCRIPT, "--sandbox", "--transport", "http", "--port", str(port), *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env(**env))
    base = f"http://127.0.0.1:{port}"
    if healthy(process, base):
        return process, base
    process.kill()
    raise AssertionError(f"the server did not start: {process.communicate()[1]}")


async def test_serves_mcp_and_health_and_prints_nothing_on_stdout():
    process, base = start()
    try:
        async with Client(base + "/mcp") as client:
            result = await client.call_tool("list_sim_cards", {"page_size": 3})
        assert not result.is_error and len(result.structured_content["data"]) == 3
        assert httpx.get(base + "/healthz").json()["status"] == "ok"
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=10)
    assert out == ""


def test_token_from_the_environment_is_enforced_and_never_logged():
    process, base = start(TELNYX_IOT_MCP_HTTP_TOKEN=TOKEN)
    try:
        assert httpx.post(base + "/mcp", json={}).status_code == 401
        authorized = httpx.post(base + "/mcp", json={}, headers={"Authorization": f"Bearer {TOKEN}"})
        assert authorized.status_code != 401
    finally:
        process.terminate()
        out, err = process.communicate(timeout=10)
    assert TOKEN not in out + err


def test_refuses_a_public_address_without_a_token():
    finished = subprocess.run([SCRIPT, "--sandbox", "--transport", "http", "--host", "0.0.0.0", "--port", "0"],
                              capture_output=True, text=True, env=clean_env(), timeout=60)
    assert finished.returncode == 2
    assert "without an access token" in finished.stderr
