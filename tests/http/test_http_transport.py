"""End-to-end over real HTTP: uvicorn on 127.0.0.1, the MCP SDK's client, the sandbox behind the server."""

from __future__ import annotations

import anyio
import httpx
import pytest
from mcp import Client
from served_http import INITIALIZE, MCP_HEADERS, ServedMcp

from telnyx_iot_mcp import __version__

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def list_two_sims(client: Client) -> list[dict]:
    result = await client.call_tool("list_sim_cards", {"page_size": 2})
    assert not result.is_error, result.content
    return result.structured_content["data"]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_lists_tools_and_calls_a_read_tool(mode):
    with ServedMcp() as served:
        async with Client(served.url, mode=mode) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert {"list_sim_cards", "get_sim_card", "disable_sim_card"} <= names
            sims = await list_two_sims(client)
            assert len(sims) == 2
            one = await client.call_tool("get_sim_card", {"sim_card_id": sims[1]["id"]})
            assert not one.is_error and one.structured_content["data"]["id"] == sims[1]["id"]


async def test_bad_arguments_come_back_as_a_tool_error_naming_the_field():
    with ServedMcp() as served:
        async with Client(served.url) as client:
            result = await client.call_tool("get_sim_card", {"sim_card_id": "not-a-uuid"})
            assert result.is_error and "sim_card_id" in result.content[0].text


@pytest.mark.parametrize("stateless", [False, True])
async def test_concurrent_sessions_each_get_their_own_answers(stateless):
    with ServedMcp(stateless=stateless) as served:
        async with Client(served.url) as lister:
            sims = (await lister.call_tool("list_sim_cards", {"page_size": 6})).structured_content["data"]
        seen: dict[int, list[str]] = {}

        async def session(n: int, mode: str) -> None:
            async with Client(served.url, mode=mode) as client:
                seen[n] = []
                for _ in range(3):
                    result = await client.call_tool("get_sim_card", {"sim_card_id": sims[n]["id"]})
                    assert not result.is_error, result.content
                    seen[n].append(result.structured_content["data"]["id"])

        async with anyio.create_task_group() as group:
            for n in range(6):
                group.start_soon(session, n, "legacy" if n % 2 else "auto")
        assert seen == {n: [sims[n]["id"]] * 3 for n in range(6)}


async def test_stateless_mode_keeps_no_session():
    with ServedMcp(stateless=True) as served:
        async with httpx.AsyncClient() as http:
            response = await http.post(served.url, json=INITIALIZE, headers=MCP_HEADERS)
        assert response.status_code == 200
        assert "mcp-session-id" not in response.headers
        async with Client(served.url, mode="legacy") as client:
            assert len(await list_two_sims(client)) == 2


async def test_sessions_mode_issues_a_session_id():
    with ServedMcp() as served:
        async with httpx.AsyncClient() as http:
            response = await http.post(served.url, json=INITIALIZE, headers=MCP_HEADERS)
        assert response.status_code == 200 and response.headers.get("mcp-session-id")


async def test_health_endpoint_reports_version_and_the_tools_clients_see():
    with ServedMcp(read_only=True) as served:
        async with Client(served.url) as client:
            listed = len((await client.list_tools()).tools)
        async with httpx.AsyncClient() as http:
            response = await http.get(f"{served.base}/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__, "tools": listed}


async def test_request_body_over_the_limit_is_refused_before_parsing():
    with ServedMcp(max_body_bytes=4096) as served:
        big = {**INITIALIZE, "params": {**INITIALIZE["params"], "padding": "x" * 8192}}
        async with httpx.AsyncClient() as http:
            refused = await http.post(served.url, json=big, headers=MCP_HEADERS)
            accepted = await http.post(served.url, json=INITIALIZE, headers=MCP_HEADERS)
    assert refused.status_code == 413
    assert accepted.status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "192.168.1.20:{port}"])
async def test_dns_rebinding_foreign_host_header_is_refused(host):
    with ServedMcp() as served:
        async with httpx.AsyncClient() as http:
            response = await http.post(served.url, json=INITIALIZE,
                                       headers={**MCP_HEADERS, "Host": host.format(port=served.port)})
    assert response.status_code == 421


async def test_dns_rebinding_foreign_origin_is_refused():
    with ServedMcp() as served:
        async with httpx.AsyncClient() as http:
            response = await http.post(served.url, json=INITIALIZE,
                                       headers={**MCP_HEADERS, "Origin": "http://evil.example"})
    assert response.status_code == 403


async def test_configured_allowed_host_is_accepted():
    with ServedMcp(allowed_hosts="mcp.example.com") as served:
        async with httpx.AsyncClient() as http:
            response = await http.post(served.url, json=INITIALIZE,
                                       headers={**MCP_HEADERS, "Host": "mcp.example.com"})
    assert response.status_code == 200
