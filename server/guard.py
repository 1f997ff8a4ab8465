"""The door of a team's server: who may come in, what they may call, and how often.

In front of the MCP endpoint when sign-in is configured (`--auth-issuer`, `--resource-url`):

- no token, or one this server does not accept (server/auth.py): 401 with `WWW-Authenticate` naming the
  Protected Resource Metadata and the scope to ask for; nothing is listed or called;
- a tools/call its scopes do not allow (server/scopes.py, the gate's judgement of the call's effect): 403
  `insufficient_scope` naming the scope, so the client can ask the person to step up;
- more tool calls in a minute than a person's budget: 429 with `Retry-After`, before the call can take any
  of the shared Telnyx budget. Answers to tool calls carry `RateLimit` headers.

The person's access token (an `AuthenticatedUser` in the ASGI scope, as the `mcp` SDK's own backend sets it)
also binds each MCP session to whoever opened it (the SDK refuses anyone else), and reaches every handler
of the request (the SDK carries the request's context variables to them): the audit log, the confirmation
tokens and the tool list read it there.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlparse

from mcp.server.auth.handlers.metadata import ProtectedResourceMetadataHandler
from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser, BearerAuthBackend
from mcp.server.auth.routes import build_resource_metadata_url, cors_middleware
from mcp.shared.auth import ProtectedResourceMetadata
from pydantic import AnyHttpUrl
from starlette.authentication import AuthCredentials
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import metrics
from .audit import AuditLog
from .auth import IssuerTokenVerifier, Principal, principal_of
from .limits import Summarised
from .scopes import ALL_SCOPES, SCOPES, missing_scope
from .state import StoreUnavailable

log = logging.getLogger("telnyx_iot_mcp.guard")

WINDOW = 60.0  # seconds of a person's call budget
OPEN_PATHS = ("/healthz", "/metrics")
Judge = Callable[[Any, dict[str, Any]], Awaitable[tuple[str, list[str]]]]


def metadata_routes(resource_url: str, issuer: str) -> list[Route]:
    """RFC 9728 metadata: at the path the resource URL implies, and at the root for clients that look there."""
    metadata = ProtectedResourceMetadata(resource=resource_url, authorization_servers=[issuer],  # as written: issuers compare exactly
                                         scopes_supported=ALL_SCOPES, resource_name="Telnyx IoT")
    handler = cors_middleware(ProtectedResourceMetadataHandler(metadata).handle, ["GET", "OPTIONS"])
    paths = {urlparse(str(build_resource_metadata_url(AnyHttpUrl(resource_url)))).path,
             "/.well-known/oauth-protected-resource"}
    return [Route(path, endpoint=handler, methods=["GET", "OPTIONS"]) for path in sorted(paths)]


def header_text(text: str, limit: int = 300) -> str:
    """`text` as a quoted-string of an HTTP header: ASCII, no double quotes or line breaks, not too long."""
    plain = " ".join(text.replace('"', "'").split()).encode("ascii", "replace").decode()
    return plain if len(plain) <= limit else plain[:limit - 3] + "..."


class Budgets:
    """Tool calls per person per minute, counted in fixed windows: across replicas in the shared store when it
    counts (Redis), else by each process (and by each process while the shared store cannot be reached)."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic, shared: Any = None) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}
        self._shared = shared if hasattr(shared, "count") else None

    async def take(self, who: str) -> tuple[bool, int, int]:
        """(allowed, calls left, seconds until the window resets) for one more call by `who`."""
        if self._shared is not None:
            try:
                used, left_ms = await self._shared.count("person:" + who, int(WINDOW * 1000))
            except StoreUnavailable as why:
                log.warning("per-person call budgets counted by this process only: %s", why)
            else:
                reset = max(1, math.ceil(left_ms / 1000))
                return used <= self.per_minute, max(self.per_minute - used, 0), reset
        return self._take_here(who)

    def _take_here(self, who: str) -> tuple[bool, int, int]:
        now = self._clock()
        start, used = self._windows.get(who, (now, 0))
        if now - start >= WINDOW:
            start, used = now, 0
        reset = max(1, math.ceil(start + WINDOW - now))
        if used >= self.per_minute:
            return False, 0, reset
        self._windows[who] = (start, used + 1)
        if len(self._windows) > 10_000:  # forget windows long over
            self._windows = {k: v for k, v in self._windows.items() if now - v[0] < WINDOW}
        return True, self.per_minute - used - 1, reset


class SignIn:
    """ASGI middleware: authenticate, authorize by scope, and budget each person's tool calls."""

    def __init__(self, app: ASGIApp, verifier: IssuerTokenVerifier, *, resource_url: str,
                 exposed: Mapping[str, Any], judge: Judge, audit: AuditLog, per_minute: int = 0,
                 max_body_bytes: int = 1_048_576, store: Any = None) -> None:
        self.app = app
        self.backend = BearerAuthBackend(verifier, resource_server_url=AnyHttpUrl(resource_url))
        self.metadata_url = str(build_resource_metadata_url(AnyHttpUrl(resource_url)))
        self.exposed = exposed
        self.judge = judge
        self.audit = audit
        self.unauthenticated = Summarised(audit)  # a flood of them is a few audit lines
        self.budgets = Budgets(per_minute, shared=store) if per_minute else None
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS or scope["path"].startswith("/.well-known/"):
            await self.app(scope, receive, send)
            return
        presented = any(k == b"authorization" for k, _ in scope["headers"])
        result = await self.backend.authenticate(HTTPConnection(scope))
        if result is None:
            why = "an access token this server does not accept" if presented else "no access token"
            self.unauthenticated.refusal(f"HTTP {scope['method']} {scope['path']} with {why}",
                                         (scope.get("client") or (None,))[0])
            metrics.refused("invalid_token" if presented else "no_token")
            await self._challenge(scope, receive, send, 401, "invalid_token" if presented else None,
                                  "Sign in: send an access token issued for this server" if not presented else
                                  "The access token is not valid for this server (issuer, audience, signature "
                                  "or expiry); sign in again", " ".join([SCOPES["read"]]))
            return
        credentials, user = result
        scope["user"], scope["auth"] = user, credentials
        reset = auth_context_var.set(user)
        try:
            await self._authorized(scope, receive, send, principal_of(user.access_token), credentials)
        finally:
            auth_context_var.reset(reset)

    async def _authorized(self, scope: Scope, receive: Receive, send: Send, principal: Principal,
                          credentials: AuthCredentials) -> None:
        body, receive = await self._message(scope, receive)
        method, params = body.get("method"), body.get("params")
        name, arguments = (params.get("name"), params.get("arguments") or {}) if isinstance(params, dict) else (None, None)
        call = method == "tools/call" and isinstance(name, str) and isinstance(arguments, dict)
        lacking = None
        if call:
            lacking = await missing_scope(name, arguments, principal, self.exposed, self.judge)
        elif isinstance(method, str) and method.startswith("events/") and SCOPES["read"] not in principal.scopes:
            lacking = SCOPES["read"], f"{method} reads the fleet's events"
        if not call and lacking is None:
            await self.app(scope, receive, send)
            return
        if lacking is not None:
            needed, why = lacking
            self.audit.refusal(f"{f'tools/call {name}' if call else method}: {why}; the caller lacks the scope {needed}")
            metrics.refused("insufficient_scope")
            await self._challenge(scope, receive, send, 403, "insufficient_scope",
                                  f"{why}, which needs the scope {needed}",
                                  " ".join(sorted(set(credentials.scopes) | {needed})), needed=needed)
            return
        headers: list[tuple[bytes, bytes]] = []
        if self.budgets is not None:
            allowed, left, reset = await self.budgets.take(principal.digest())
            policy = f'"person";q={self.budgets.per_minute};w={int(WINDOW)}'.encode()
            headers = [(b"ratelimit-policy", policy), (b"ratelimit", f'"person";r={left};t={reset}'.encode())]
            if not allowed:
                self.audit.refusal(f"tools/call {name}: over the budget of {self.budgets.per_minute} calls a minute")
                metrics.refused("rate_limited")
                response = JSONResponse({"jsonrpc": "2.0", "id": None, "error": {
                    "code": -32000, "message": f"Too many tool calls: at most {self.budgets.per_minute} a minute "
                    f"per person. Nothing was sent to Telnyx. Try again in {reset} s."}},
                    status_code=429, headers={"Retry-After": str(reset)})
                response.raw_headers.extend(headers)
                await response(scope, receive, send)
                return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and headers:
                message = {**message, "headers": [*message.get("headers", []), *headers]}
            await send(message)

        await self.app(scope, receive, with_headers)

    async def _message(self, scope: Scope, receive: Receive) -> tuple[dict[str, Any], Receive]:
        """The JSON-RPC message POSTed (empty when there is none, or it is too large or not JSON), and a
        `receive` that replays the body read."""
        if scope["method"] != "POST":
            return {}, receive
        chunks, size, more = [], 0, True
        messages: list[Message] = []
        while more:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > self.max_body_bytes:  # the transport refuses it; read no further here
                break
        replay = iter(messages)

        async def replayed() -> Message:
            return next(replay, None) or await receive()

        if more:
            return {}, replayed
        try:
            body = json.loads(b"".join(chunks))
        except ValueError:
            return {}, replayed
        return (body if isinstance(body, dict) else {}), replayed

    async def _challenge(self, scope: Scope, receive: Receive, send: Send, status: int, error: str | None,
                         description: str, scopes: str, needed: str | None = None) -> None:
        parts = ([f'error="{error}"'] if error else []) + [
            f'error_description="{header_text(description)}"',
            f'resource_metadata="{self.metadata_url}"', f'scope="{scopes}"']
        body: dict[str, Any] = {"error": error or "unauthorized", "error_description": description}
        if needed:
            body["scope"] = needed
        await JSONResponse(body, status_code=status, headers={"WWW-Authenticate": "Bearer " + ", ".join(parts)})(
            scope, receive, send)


__all__ = ["Budgets", "SignIn", "metadata_routes"]
