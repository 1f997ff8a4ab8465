"""The real HTTP app with sign-in (server/team.py, server/guard.py) served by uvicorn on a free loopback port,
against the sandbox, with every request it sends to the sandbox counted."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import httpx

from recorded import Recorded
from telnyx_iot_mcp.sandbox import create_app
from telnyx_iot_mcp.server import team
from telnyx_iot_mcp.server.audit import audit_for
from telnyx_iot_mcp.server.cli import build_server
from telnyx_iot_mcp.server.http import create_http_app
from telnyx_iot_mcp.server.state import MemoryStore
from telnyx_iot_mcp.tools.client import TelnyxClient

sys.path.insert(0, str(Path(__file__).parents[1] / "http"))
from served_http import MCP_HEADERS, ServedMcp  # noqa: E402


class ServedTeam(ServedMcp):
    """`with ServedTeam(issuer_url) as served:` MCP at served.url, taking tokens of that issuer only."""

    def __init__(self, issuer: str, store: Any = None, **settings: Any) -> None:
        self.upstream = Recorded(create_app())
        self.store = store or MemoryStore()
        super().__init__(TelnyxClient(base_url="http://sandbox/v2", transport=self.upstream), auth_issuer=issuer,
                         sandbox=True, allow_private_webhooks=True, state_url="memory", **settings)

    def build_app(self) -> Any:
        assert team.prepare(self.settings)
        self.audit = audit_for(self.settings, self.store)
        self.events: list = []
        self.server = build_server(self.settings, self.client, self.store, self.audit, self.events)
        return create_http_app(self.server, self.settings, token=None, audit=self.audit,
                               routes=team.routes(self.settings, self.store, self.client),
                               guard=team.guard(self.server, self.settings, self.audit, self.store))


class Session:
    """A bare MCP session over HTTP with one access token: every answer's status and headers can be seen."""

    def __init__(self, served: ServedTeam, token: str | None) -> None:
        self.http = httpx.Client(base_url=served.base, timeout=30)
        self.headers = dict(MCP_HEADERS, **({"Authorization": f"Bearer {token}"} if token else {}))
        self.ids = 0
        self.last: httpx.Response | None = None

    def post(self, method: str, params: dict[str, Any] | None = None, *, notify: bool = False) -> httpx.Response:
        body: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params or {}}
        if not notify:
            self.ids += 1
            body["id"] = self.ids
        self.last = self.http.post("/mcp", json=body, headers=self.headers)
        if "mcp-session-id" in self.last.headers:
            self.headers["mcp-session-id"] = self.last.headers["mcp-session-id"]
        return self.last

    def open(self) -> httpx.Response:
        answer = self.post("initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                                          "clientInfo": {"name": "test", "version": "1"}})
        if answer.status_code == 200:
            self.post("notifications/initialized", notify=True)
        return answer

    def result(self, answer: httpx.Response) -> dict[str, Any]:
        """The JSON-RPC result of an answer (JSON, or the message event of an SSE stream)."""
        import json

        assert answer.status_code == 200, (answer.status_code, answer.text[:500])
        if answer.headers["content-type"].startswith("application/json"):
            message = answer.json()
        else:
            data = [line[5:].strip() for line in answer.text.splitlines() if line.startswith("data:") and line[5:].strip()]
            message = json.loads(data[-1])
        assert "result" in message, message
        return message["result"]

    def tools(self) -> list[str]:
        return [tool["name"] for tool in self.result(self.post("tools/list"))["tools"]]

    def call(self, name: str, arguments: dict[str, Any]) -> httpx.Response:
        return self.post("tools/call", {"name": name, "arguments": arguments})

    def close(self) -> None:
        self.http.close()
