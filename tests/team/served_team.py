"""The real HTTP app with sign-in (server/team.py, server/guard.py) served by uvicorn on a free loopback port,
against the sandbox, with every request it sends to the sandbox counted."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import httpx
import uvicorn

from telnyx_iot_mcp.sandbox import create_app
from telnyx_iot_mcp.server import team
from telnyx_iot_mcp.server.audit import audit_for
from telnyx_iot_mcp.server.cli import build_server
from telnyx_iot_mcp.server.http import create_http_app
from telnyx_iot_mcp.server.settings import Settings
from telnyx_iot_mcp.server.state import MemoryStore
from telnyx_iot_mcp.tools.client import TelnyxClient

MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


class CountingTransport(httpx.AsyncBaseTransport):
    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.requests: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(f"{request.method} {request.url.path}")
        return await self.inner.handle_async_request(request)


class ServedTeam:
    """`with ServedTeam(issuer_url) as served:` MCP at served.url, taking tokens of that issuer only."""

    def __init__(self, issuer: str, store: Any = None, **settings: Any) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.base}/mcp"
        settings.setdefault("resource_url", self.url)
        self.settings = Settings(host="127.0.0.1", port=self.port, transport="http", auth_issuer=issuer, sandbox=True,
                                 allow_private_webhooks=True, state_url="memory", **settings)
        assert team.prepare(self.settings)
        self.upstream = CountingTransport(create_app())
        self.client = TelnyxClient(base_url="http://sandbox/v2", transport=self.upstream)
        self.store = store or MemoryStore()
        self.audit = audit_for(self.settings, self.store)
        self.events: list = []
        self.server = build_server(self.settings, self.client, self.store, self.audit, self.events)
        app = create_http_app(self.server, self.settings, token=None, audit=self.audit,
                              routes=team.routes(self.settings, self.store, self.client),
                              guard=team.guard(self.server, self.settings, self.audit, self.store))
        self.uvicorn = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.uvicorn.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> ServedTeam:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.uvicorn.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the HTTP server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.uvicorn.should_exit = True
        self.thread.join(10)
        self.sock.close()


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
