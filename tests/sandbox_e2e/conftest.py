from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from mcp import Client

from confirmations import yes_person
from telnyx_iot_mcp.sandbox import create_app
from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.tools.client import TelnyxClient


@dataclass
class Fleet:
    session: Client
    app: Any
    now: list[float]

    async def call(self, name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        result = await self.session.call_tool(name, arguments or {})
        assert not result.is_error, f"{name}: {result.content[0].text}"
        return result.structured_content

    async def fails(self, name: str, arguments: dict[str, Any]) -> str:
        result = await self.session.call_tool(name, arguments)
        assert result.is_error, f"{name} should have failed"
        return result.content[0].text

    def later(self, seconds: float = 60) -> None:
        self.now[0] += seconds


@pytest.fixture(params=["auto", "legacy"])
async def fleet(request):
    now = [time.time()]
    app = create_app(action_delay=5.0, clock=lambda: now[0])
    client = TelnyxClient(base_url="http://sandbox/v2", transport=httpx.ASGITransport(app=app))
    async with Client(create_server(client), mode=request.param, elicitation_callback=yes_person) as session:
        yield Fleet(session, app, now)
    await client.aclose()
