"""Runs the real HTTP app (server/http.py) with uvicorn on 127.0.0.1 on a free port, against the sandbox."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import httpx
import httpx2
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from telnyx_iot_mcp.sandbox import create_app
from telnyx_iot_mcp.server.cli import build_server
from telnyx_iot_mcp.server.http import access_token, create_http_app
from telnyx_iot_mcp.server.settings import Settings
from telnyx_iot_mcp.tools.client import TelnyxClient

TOKEN = "test-access-secret-0123456789abcdef"  # no "token-": the caller fingerprints start with it


def sandbox_client() -> TelnyxClient:
    return TelnyxClient(base_url="http://sandbox/v2", transport=httpx.ASGITransport(app=create_app()))


class ServedMcp:
    """`with ServedMcp(stateless=True) as served:` serves MCP at served.url until the block ends."""

    def __init__(self, client: Any = None, **settings: Any) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.base}/mcp"
        if settings.get("auth_issuer"):
            settings.setdefault("resource_url", self.url)
        self.settings = Settings(host="127.0.0.1", port=self.port, transport="http", **settings)
        self.client = client or sandbox_client()
        self.uvicorn = uvicorn.Server(uvicorn.Config(self.build_app(), log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.uvicorn.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def build_app(self) -> Any:
        """The ASGI app served: the HTTP app with the access token of the settings."""
        self.server = build_server(self.settings, self.client)
        return create_http_app(self.server, self.settings, token=access_token(self.settings))

    def __enter__(self) -> ServedMcp:
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

    def mcp_client(self, headers: dict[str, str] | None = None, **kwargs: Any) -> Client:
        """An MCP client for this server sending `headers` with every HTTP request."""
        http = httpx2.AsyncClient(headers=headers or {}, timeout=30)
        return Client(streamable_http_client(self.url, http_client=http), **kwargs)


INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}}
MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
