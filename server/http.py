"""Streamable HTTP: the MCP server at /mcp behind a bearer token, plus /healthz for orchestrators.

The SDK's transport does the MCP part, DNS-rebinding protection (Host/Origin checks) and the request
body limit. This module adds what a network service needs on top: an access token for MCP clients
(required before binding beyond loopback), a health endpoint, and optionally a Telnyx key per request
for servers shared by several Telnyx accounts.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Callable, Sequence
import socket
import sys
from pathlib import Path
from typing import Any

from mcp import Client
from mcp.server import Server
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import INVALID_REQUEST
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .. import __version__
from ..tools.client import ApiResponse, TelnyxClient
from ..tools.errors import ToolError
from ..tools.redact import MIN_SECRET_LENGTH, register_secret, request_api_key
from ..tools.request import ApiRequest
from .audit import AuditLog, audit_for, caller
from .sessions import SessionOwners, fingerprint
from .settings import Settings
from .stopping import StopOnSignal

log = logging.getLogger("telnyx_iot_mcp.http")

MCP_PATH = "/mcp"
HEALTH_PATH = "/healthz"
CLIENT_API_KEY_HEADER = "x-telnyx-api-key"
MIN_TOKEN_LENGTH = 16
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
# After a stop signal: how long calls in flight may take to finish before they are cancelled. Under the 10 s
# most process managers wait before killing (docker stop, Kubernetes allows 30).
SHUTDOWN_GRACE = 5.0


class HttpConfigError(ValueError):
    """The HTTP settings are unsafe or unusable; the message says what to change."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def access_token(settings: Settings) -> str | None:
    """The token MCP clients must send, from TELNYX_IOT_MCP_HTTP_TOKEN or the token file.

    Raises HttpConfigError when binding beyond loopback without one, or when it is too short to be a secret.
    """
    token = settings.http_token.get_secret_value().strip() if settings.http_token is not None else ""
    if settings.http_token is not None and not token:  # set but blank must not mean "no authentication"
        raise HttpConfigError("http_token: TELNYX_IOT_MCP_HTTP_TOKEN is set but blank; set a token of at least "
                              f"{MIN_TOKEN_LENGTH} characters, or unset it")
    if not token and settings.http_token_file:
        try:
            token = Path(settings.http_token_file).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise HttpConfigError(f"http_token_file: cannot read {settings.http_token_file} ({error.strerror})") from None
        if not token:
            raise HttpConfigError(f"http_token_file: {settings.http_token_file} is empty")
    if token and len(token) < MIN_TOKEN_LENGTH:
        raise HttpConfigError(f"http_token: use at least {MIN_TOKEN_LENGTH} characters "
                              "(e.g. `openssl rand -hex 32`)")
    if not token and not is_loopback(settings.host):
        raise HttpConfigError(
            f"host: refusing to serve on {settings.host} without an access token for MCP clients. "
            "Set TELNYX_IOT_MCP_HTTP_TOKEN (or TELNYX_IOT_MCP_HTTP_TOKEN_FILE / --http-token-file), "
            "or bind to 127.0.0.1.")
    register_secret(token)  # masked wherever a log line or error might quote it
    return token or None


def transport_security(settings: Settings) -> TransportSecuritySettings:
    """DNS-rebinding protection: accept only Host headers naming this server."""
    port = settings.port
    hosts = [f"{name}:{port}" for name in LOOPBACK_NAMES]
    if not is_loopback(settings.host) and settings.host not in ("0.0.0.0", "::"):
        bound = f"[{settings.host}]" if ":" in settings.host else settings.host
        hosts.append(f"{bound}:{port}")
    hosts += settings.allowed_hosts
    origins = [f"{scheme}://{host}" for host in hosts for scheme in ("http", "https")]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts,
                                     allowed_origins=origins)


def _header(scope: Scope, name: bytes) -> bytes | None:
    return next((v for k, v in scope["headers"] if k == name), None)


class AuditCaller:
    """Names the caller of each HTTP request for the audit log: its address, and keyed fingerprints of its MCP
    session and of the access token it carried (never the session id or the token)."""

    def __init__(self, app: ASGIApp, audit: AuditLog, *, token_required: bool) -> None:
        self.app = app
        self.audit = audit
        self.token_required = token_required

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        _, _, presented = (_header(scope, b"authorization") or b"").partition(b" ")
        session = _header(scope, b"mcp-session-id")
        who = {"transport": "http", "address": (scope.get("client") or (None,))[0],
               "token": await self.audit.fingerprint("token", presented.strip().decode("latin-1"))
               if self.token_required and presented.strip() else None,
               "session": fingerprint(session.decode("latin-1")) if session else None}
        reset = caller.set(who)
        try:
            await self.app(scope, receive, send)
        finally:
            caller.reset(reset)


class BearerTokenAuth:
    """Answers 401 unless the request carries `Authorization: Bearer <token>`; the health endpoint is open."""

    def __init__(self, app: ASGIApp, token: str, audit: AuditLog | None = None) -> None:
        self.app = app
        self.expected = token.encode()
        self.audit = audit or AuditLog()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == HEALTH_PATH or self._authorized(scope):
            await self.app(scope, receive, send)
            return
        self.audit.refusal(f"HTTP {scope['method']} {scope['path']} without the server's access token")
        response = JSONResponse(
            {"error": "unauthorized", "message": "Send the server's access token as `Authorization: Bearer <token>`."},
            status_code=401, headers={"WWW-Authenticate": 'Bearer realm="telnyx-iot-mcp"'},
        )
        await response(scope, receive, send)

    def _authorized(self, scope: Scope) -> bool:
        header = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        scheme, _, credentials = header.partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(credentials.strip(), self.expected)


def client_api_key_problem(values: list[bytes], *, allowed: bool) -> str | None:
    """Why the X-Telnyx-Api-Key header(s) of a request cannot be used, or None. A refused key is never
    replaced by the server's own: the caller meant another account."""
    if not values:
        return None
    if not allowed:
        return ("this server calls Telnyx with its own key and does not take X-Telnyx-Api-Key (it runs without "
                "--allow-client-api-key); leave the header out, or ask the operator to allow per-request keys")
    if len(values) > 1:
        return "send X-Telnyx-Api-Key once"
    key = values[0].strip()
    if not key:
        return "X-Telnyx-Api-Key is empty: send your Telnyx API key, or leave the header out"
    if len(key) < MIN_SECRET_LENGTH or any(byte <= 0x20 or byte >= 0x7F for byte in key):
        return "X-Telnyx-Api-Key is not a Telnyx API key (too short, or it holds spaces or control characters)"
    return None


class ClientApiKey:
    """Makes the request's X-Telnyx-Api-Key header the Telnyx key for the tool calls it carries (when
    `allowed`), and answers 400 to a header that is blank, repeated, malformed or not allowed."""

    def __init__(self, app: ASGIApp, *, allowed: bool, audit: AuditLog | None = None) -> None:
        self.app = app
        self.allowed = allowed
        self.audit = audit or AuditLog()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = None
        if scope["type"] == "http":
            values = [v for k, v in scope["headers"] if k == CLIENT_API_KEY_HEADER.encode()]
            problem = client_api_key_problem(values, allowed=self.allowed)
            if problem:
                self.audit.refusal(f"HTTP {scope['method']} {scope['path']}: {problem}")
                # A JSON-RPC error body: MCP clients show its message instead of a bare status.
                response = JSONResponse({"jsonrpc": "2.0", "id": None, "error": {
                    "code": INVALID_REQUEST, "message": f"{problem}. Nothing was sent to Telnyx."}}, status_code=400)
                await response(scope, receive, send)
                return
            key = values[0].decode("latin-1").strip() if values else None
        reset = request_api_key.set(key)
        try:
            await self.app(scope, receive, send)
        finally:
            request_api_key.reset(reset)


class RequestKeyClient(TelnyxClient):
    """Sends each call with the calling request's Telnyx key (request_api_key), else the server's.

    One client for every key: one connection pool and one limit on calls in flight for the whole server."""

    def __init__(self, *, default_api_key: str | None, **options: Any) -> None:
        super().__init__(api_key=default_api_key, **options)
        self._has_default_key = bool(default_api_key)

    async def send(self, request: ApiRequest) -> ApiResponse:
        if not request_api_key.get() and not self._has_default_key:
            raise ToolError("unauthorized", "This server has no Telnyx API key of its own: send yours in the "
                                            "X-Telnyx-Api-Key header of each request.")
        return await super().send(request)


def create_http_app(server: Server, settings: Settings, *, token: str | None, audit: AuditLog | None = None,
                    routes: Sequence[Route] = (), guard: Callable[[ASGIApp], ASGIApp] | None = None) -> ASGIApp:
    """The ASGI app: MCP at /mcp (token-protected when `token` is set) and GET /healthz (always open).
    `audit` records refused requests (default: the log the settings name). `routes` are served besides (sign-in
    metadata, metrics); `guard` stands in front of MCP instead of the static token (sign-in, server/team.py)."""
    audit = audit or audit_for(settings)
    tool_count: list[int] = []

    async def health(request: Request) -> JSONResponse:
        if not tool_count:  # asked once, through the MCP path itself, so it counts what clients see
            async with Client(server) as client:
                tool_count.append(len((await client.list_tools()).tools))
        return JSONResponse({"status": "ok", "version": __version__, "tools": tool_count[0]})

    app: ASGIApp = server.streamable_http_app(
        streamable_http_path=MCP_PATH, stateless_http=settings.stateless, json_response=False,
        max_request_body_size=settings.max_body_bytes, transport_security=transport_security(settings),
        host=settings.host, custom_starlette_routes=[Route(HEALTH_PATH, health, methods=["GET"]), *routes],
    )
    if not settings.stateless:
        app = SessionOwners(app, audit, token_required=bool(token), key_header=CLIENT_API_KEY_HEADER)
    app = ClientApiKey(app, allowed=settings.allow_client_api_key, audit=audit)
    if guard is not None:
        app = guard(app)
    elif token:
        app = BearerTokenAuth(app, token, audit)
    return AuditCaller(app, audit, token_required=bool(token))


def bind(settings: Settings) -> socket.socket:
    """The listening socket, bound before the app is built so that a free port (`--port 0`) is known to the
    Host header checks. Raises OSError when the address cannot be bound."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host.strip("[]"), settings.port))
        sock.listen(2048)  # connections from now on wait for the server rather than being refused
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


async def serve(app: ASGIApp, settings: Settings, stopper: StopOnSignal, sock: socket.socket) -> None:
    """Serve `app` until a stop signal (seen by `stopper`): new connections are refused, calls in flight get
    SHUTDOWN_GRACE seconds to finish, then they are cancelled (and audited as such)."""
    import contextlib

    import anyio
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self):  # type: ignore[override]  # the stopper handles signals, for stdio alike
            yield

    # log_config=None: uvicorn's own logging set-up (dictConfig) would close the stderr writer (server/logs.py);
    # its loggers pass their lines to that writer instead.
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning", log_config=None,
                            lifespan="on", server_header=False, timeout_graceful_shutdown=SHUTDOWN_GRACE)
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    # Said whatever the log level: with --port 0 this line is the only way to learn the port.
    print(f"telnyx-iot-mcp: serving MCP on http://{host}:{sock.getsockname()[1]}{MCP_PATH} "
          f"({'stateless' if settings.stateless else 'sessions'})", file=sys.stderr, flush=True)
    if settings.host in ("0.0.0.0", "::") and not settings.allowed_hosts:
        log.warning("bound to all addresses but only loopback Host headers are accepted: list the names "
                    "clients use with --allowed-hosts (TELNYX_IOT_MCP_ALLOWED_HOSTS)")
    server = Server(config)

    def stop() -> None:
        server.should_exit = True

    async with anyio.create_task_group() as group:
        group.start_soon(stopper.watch, stop)
        await server.serve(sockets=[sock])
        group.cancel_scope.cancel()


__all__ = ["HttpConfigError", "RequestKeyClient", "access_token", "create_http_app", "serve"]
