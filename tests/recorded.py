"""The sandbox (or any ASGI app) behind an httpx transport that keeps every request sent through it."""

from __future__ import annotations

from typing import Any

import httpx


class Recorded(httpx.AsyncBaseTransport):
    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.sent: list[httpx.Request] = []

    @property
    def requests(self) -> int:
        return len(self.sent)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return await self.inner.handle_async_request(request)

    def urls(self) -> list[str]:
        return [str(r.url) for r in self.sent]

    def changes(self) -> list[str]:
        """"METHOD /path" of every request that is not a read."""
        return [f"{r.method} {r.url.path}" for r in self.sent if r.method != "GET"]
