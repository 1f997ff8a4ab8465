"""The dashboard's result says which of its App's buttons this server runs (the App cannot see the tool list): read
through real MCP sessions on servers built from settings, as the command line builds them."""

from __future__ import annotations

import httpx
import pytest
from mcp import Client

from telnyx_iot_mcp.sandbox import create_app
from telnyx_iot_mcp.server.cli import build_server
from telnyx_iot_mcp.server.settings import Settings
from telnyx_iot_mcp.tools.client import TelnyxClient

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def dashboard_meta(tmp_path, **settings) -> tuple[dict, set[str]]:
    client = TelnyxClient(base_url="http://sandbox/v2", transport=httpx.ASGITransport(app=create_app()))
    server = build_server(Settings(sandbox=True, state_dir=str(tmp_path), **settings), client)
    try:
        async with Client(server) as session:
            listed = {tool.name for tool in (await session.list_tools()).tools}
            result = await session.call_tool("show_fleet_dashboard", {})
    finally:
        await client.aclose()
    assert not result.is_error, result.content[0].text
    return result.structured_content["meta"], listed


async def test_every_button_is_offered_on_a_server_that_changes(tmp_path):
    meta, listed = await dashboard_meta(tmp_path)
    assert meta["app_actions"] == {"undo_change": True, "remove_event_subscription": True}
    assert meta["read_only"] is False and {"undo_change", "remove_event_subscription"} <= listed


async def test_a_read_only_server_offers_no_button_and_says_why(tmp_path):
    meta, listed = await dashboard_meta(tmp_path, read_only=True)
    assert meta["app_actions"] == {"undo_change": False, "remove_event_subscription": False}
    assert meta["read_only"] is True and not {"undo_change", "remove_event_subscription"} & listed


async def test_a_selection_without_undo_change_offers_no_undo(tmp_path):
    meta, listed = await dashboard_meta(tmp_path, exclude_tools=["undo_change"])
    assert meta["app_actions"] == {"undo_change": False, "remove_event_subscription": True}
    assert meta["read_only"] is False and "undo_change" not in listed
