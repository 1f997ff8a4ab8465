"""Bounds of the HTTP service: what a flood, or one greedy client, can take of a small machine.

- Requests served at once: at most `http_max_requests` POST and DELETE requests (the ones with bodies and tool
  calls); one more is answered 503. GET streams are bounded by the sessions that carry them.
- Request body memory: bodies are read here, within a budget of `http_body_memory` bytes shared by every request
  in flight. A request reserves its Content-Length (or the largest body allowed, when it sends none) until it is
  answered; one that does not fit is answered 503, one larger than `max_body_bytes` 413, and one whose body does
  not arrive within `http_body_timeout` seconds 408.
- Sessions per client: one client address holds at most `http_sessions_per_client` MCP sessions (the server as
  a whole, `http_max_sessions`); a session it has not used for `http_session_idle` seconds is closed and no
  longer counts. One more is answered 429.
- Slow connections: a connection that has not sent a request's headers within `http_header_timeout` seconds of
  opening (or of its previous answer) is closed, as is one idle for `http_idle_timeout` after an answer.

Every 429 and 503, the SDK's own included, says when to retry (Retry-After).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import time
from collections.abc import Callable
from typing import Any

import anyio
from mcp.types import INTERNAL_ERROR, INVALID_REQUEST
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .audit import AuditLog
from .settings import Settings

SESSION_HEADER = b"mcp-session-id"
RETRY_BUSY = 1  # seconds to wait after a 503 for load
RETRY_SESSIONS = 60  # after a 429 for sessions: some of the client's sessions may have idled out by then


class Limits:
    """ASGI middleware holding every request to the bounds above (HTTP only; lifespan passes through)."""

    def __init__(self, app: ASGIApp, settings: Settings, *, sessions: bool) -> None:
        self.app = app
        self.max_requests = settings.http_max_requests
        self.body_memory = settings.http_body_memory
        self.max_body = settings.max_body_bytes
        self.body_timeout = settings.http_body_timeout
        self.per_client = settings.http_sessions_per_client if sessions else None
        self.session_idle = settings.http_session_idle
        self.in_flight = 0
        self.reserved = 0
        self.clients: dict[str, dict[str, float]] = {}  # address -> session id -> last used (monotonic)
        self.owner: dict[str, str] = {}  # session id -> address
        self.busy: dict[str, int] = {}  # session id -> requests of it in flight (a stream keeps it alive)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_retry_after(send)
        address = (scope.get("client") or ("unknown",))[0]
        session = _header(scope, SESSION_HEADER)
        if scope["method"] not in ("POST", "DELETE"):
            await self._serve(scope, receive, send, address, session)
            return
        size = _content_length(scope)
        if size is not None and size > self.max_body:
            await _refuse(send, 413, INVALID_REQUEST, f"The request body is larger than {self.max_body} bytes.")
            return
        reserve = size if size is not None else self.max_body
        if self.in_flight >= self.max_requests or self.reserved + reserve > self.body_memory:
            await _refuse(send, 503, INTERNAL_ERROR, "The server is busy; try again shortly.", RETRY_BUSY)
            return
        if session is None and self.per_client is not None and self._held(address) >= self.per_client:
            await _refuse(send, 429, INTERNAL_ERROR,
                          f"This client has {self.per_client} MCP sessions open, the most one client may hold: "
                          "end one (DELETE) or reuse it.", RETRY_SESSIONS)
            return
        self.in_flight += 1
        self.reserved += reserve
        try:
            try:
                with anyio.fail_after(self.body_timeout):
                    body = await _read_body(receive, self.max_body)
            except TimeoutError:
                await _refuse(send, 408, INVALID_REQUEST, f"The request body did not arrive within "
                                                          f"{self.body_timeout:g} seconds.")
                return
            except _TooLarge:
                await _refuse(send, 413, INVALID_REQUEST, f"The request body is larger than {self.max_body} bytes.")
                return
            if body is None:  # the client went away
                return
            await self._serve(scope, _replay(body, receive), send, address, session)
        finally:
            self.in_flight -= 1
            self.reserved -= reserve

    async def _serve(self, scope: Scope, receive: Receive, send: Send, address: str, session: str | None) -> None:
        if self.per_client is None:
            await self.app(scope, receive, send)
            return
        if session is not None:
            self._used(session, +1)
        status: list[int] = []

        async def noting(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
                opened = _header(message, SESSION_HEADER)
                if session is None and opened and message["status"] < 400:
                    self.clients.setdefault(address, {})[opened] = time.monotonic()
                    self.owner[opened] = address
            await send(message)

        try:
            await self.app(scope, receive, noting)
        finally:
            if session is not None:
                self._used(session, -1)
                if status and (status[0] == 404 or scope["method"] == "DELETE" and status[0] < 300):
                    self._forget(session)

    def _used(self, session: str, change: int) -> None:
        self.busy[session] = self.busy.get(session, 0) + change
        if not self.busy[session]:
            del self.busy[session]
        address = self.owner.get(session)
        if address is not None:
            self.clients[address][session] = time.monotonic()

    def _forget(self, session: str) -> None:
        address = self.owner.pop(session, None)
        if address is not None:
            self.clients[address].pop(session, None)
            if not self.clients[address]:
                del self.clients[address]

    def _held(self, address: str) -> int:
        """The sessions `address` holds, less those idle long enough for the server to have closed them."""
        held = self.clients.get(address, {})
        stale = time.monotonic() - self.session_idle
        for session in [s for s, used in held.items() if used < stale and s not in self.busy]:
            self._forget(session)
        return len(self.clients.get(address, {}))


class Summarised:
    """Audits a flood of alike refusals (requests without a valid access token) as a few lines: the first in each
    `window` seconds, then one line counting the rest of that window and their addresses."""

    def __init__(self, audit: AuditLog, window: float = 60.0) -> None:
        self.audit = audit
        self.window = window
        self.until = 0.0
        self.more = 0
        self.first = ""
        self.addresses: set[str] = set()

    def refusal(self, detail: str, address: str | None) -> None:
        now = time.monotonic()
        if now < self.until:
            self.more += 1
            if len(self.addresses) < 100:
                self.addresses.add(address or "unknown")
            return
        self.until = now + self.window
        self.first = detail
        self.audit.refusal(detail)
        # The count is written when the window ends, outside any request (its caller is the server itself).
        asyncio.get_running_loop().call_later(self.window, self._count, context=contextvars.Context())

    def _count(self) -> None:
        if self.more:
            self.audit.refusal(f"{self.more} more HTTP requests refused alike ({self.first}) in the last "
                               f"{self.window:g} s, from {', '.join(sorted(self.addresses))}"
                               + (" and others" if len(self.addresses) >= 100 else ""))
        self.more = 0
        self.addresses.clear()


class _TooLarge(Exception):
    pass


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The receive of a request whose body was read already: the body once, then the client's own messages."""
    pending: list[bytes] = [body]

    async def replayed() -> Message:
        if pending:
            return {"type": "http.request", "body": pending.pop(), "more_body": False}
        return await receive()

    return replayed


def _with_retry_after(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] in (429, 503) \
                and _header(message, b"retry-after") is None:
            message = {**message, "headers": [*message.get("headers", []), (b"retry-after", str(RETRY_BUSY).encode())]}
        await send(message)

    return sending


async def _refuse(send: Send, status: int, code: int, message: str, retry_after: int | None = None) -> None:
    """A JSON-RPC error body (MCP clients show its message) with the HTTP status."""
    body = json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    if status in (408, 413):
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _header(holder: Scope | Message, name: bytes) -> str | None:
    value = next((v for k, v in holder.get("headers", []) if k.lower() == name), None)
    return value.decode("latin-1") if value is not None else None


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def slow_connections_closed(header_timeout: float) -> type:
    """uvicorn's HTTP/1.1 protocol (h11), closing a connection whose request headers have not all arrived within
    `header_timeout` seconds of it opening or of its previous answer (uvicorn closes only idle ones)."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeaderTimeout(H11Protocol):
        _header_timer: Any = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            if not self.transport.is_closing():
                self._header_timer = self.loop.call_later(header_timeout, self._headers_late)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_late(self) -> None:
            self._header_timer = None
            waiting = self.cycle is None or self.cycle.response_complete  # no request's headers since armed
            if waiting and not self.transport.is_closing():
                self.transport.close()

    return HeaderTimeout


def uvicorn_options(settings: Settings) -> dict[str, Callable[..., Any] | float | type]:
    """The uvicorn.Config options that close slow and idle connections."""
    return {"http": slow_connections_closed(settings.http_header_timeout),
            "timeout_keep_alive": settings.http_idle_timeout}


__all__ = ["Limits", "Summarised", "slow_connections_closed", "uvicorn_options"]
