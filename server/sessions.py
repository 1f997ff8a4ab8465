"""MCP sessions over HTTP belong to the caller that opened them.

A session id is as good as a credential while the session lives: whoever sends it can answer the questions
the server asks on it (the elicitation behind a destructive call's yes). So a session is bound to the access
token and the Telnyx key (X-Telnyx-Api-Key) of the request that opened it, and a request on it that carries
others is refused as if the session did not exist. Its id never reaches a log line: the audit log and the
SDK's own lines ("Created new transport with session ID ...") name it by a keyed fingerprint.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections import OrderedDict

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.streamable_http import MCP_SESSION_ID_HEADER
from mcp.server.streamable_http_manager import DEFAULT_MAX_SESSIONS
from mcp.types import INVALID_REQUEST
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .audit import AuditLog
from .auth import principal_of

# Sessions live in this process only, so their fingerprints need no key that outlives it.
_KEY = secrets.token_bytes(32)
_SESSION_HEADER = MCP_SESSION_ID_HEADER.encode()
_SDK_SESSION_ID = re.compile(r"[0-9a-f]{32,}")  # the SDK's ids: uuid4().hex
# Kept bindings: more than the SDK keeps sessions open at once. The least recently used go first; a session
# whose binding went is refused (its client opens a new one), never served unbound.
MAX_BINDINGS = 2 * DEFAULT_MAX_SESSIONS


def fingerprint(session_id: str) -> str:
    """Names a session in logs without giving away its id."""
    return "session-" + hmac.new(_KEY, session_id.encode("latin-1"), hashlib.sha256).hexdigest()[:16]


class SessionIdFilter(logging.Filter):
    """Replaces session ids in the MCP SDK's log lines by their fingerprints."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "mcp" or record.name.startswith("mcp."):
            message = record.getMessage()
            hidden = _SDK_SESSION_ID.sub(lambda m: fingerprint(m.group()), message)
            if hidden != message:
                record.msg, record.args = hidden, None
        return True


def hide_session_ids() -> None:
    """Fingerprint session ids on every root handler (as tools.redact.secure_logging masks secrets)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, SessionIdFilter) for f in handler.filters):
            handler.addFilter(SessionIdFilter())


def _header(scope: Scope, name: bytes) -> bytes:
    return next((v for k, v in scope["headers"] if k == name), b"")


class SessionOwners:
    """Binds each session to the credentials of the request that opened it; refuses a request on a session
    with other credentials (or on a session it does not know) with 404, as the MCP SDK answers an unknown one."""

    def __init__(self, app: ASGIApp, audit: AuditLog, *, token_required: bool, key_header: str) -> None:
        self.app = app
        self.audit = audit
        self.token_required = token_required
        self.key_header = key_header.lower().encode()
        self.owners: OrderedDict[bytes, bytes] = OrderedDict()  # session id -> keyed digest of its credentials

    def _owner(self, scope: Scope) -> bytes:
        token = _header(scope, b"authorization").partition(b" ")[2].strip() if self.token_required else b""
        key = _header(scope, self.key_header).strip()
        # Signed in (server/guard.py): the person, not their token, which changes when they sign in again for more
        user = scope.get("user")
        person = principal_of(user.access_token).key.encode() if isinstance(user, AuthenticatedUser) else b""
        return hmac.new(_KEY, token + b"\0" + key + b"\0" + person, hashlib.sha256).digest()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        owner = self._owner(scope)
        session = _header(scope, _SESSION_HEADER)
        if not session:
            await self.app(scope, receive, self._binding(owner, send))
            return
        bound = self.owners.get(session)
        if bound is None or not hmac.compare_digest(bound, owner):
            self.audit.refusal(f"HTTP {scope['method']} {scope['path']}: session "
                               f"{fingerprint(session.decode('latin-1'))} is "
                               + ("not open" if bound is None else "another caller's (opened with another access "
                                                                   "token or Telnyx key)"))
            response = JSONResponse({"jsonrpc": "2.0", "id": None, "error": {
                "code": INVALID_REQUEST, "message": "Session not found: open a new session (initialize)."}},
                status_code=404)
            await response(scope, receive, send)
            return
        self.owners.move_to_end(session)
        if scope["method"] == "DELETE":  # the client ends its session
            self.owners.pop(session, None)
        await self.app(scope, receive, send)

    def _binding(self, owner: bytes, send: Send) -> Send:
        """`send`, binding the session id the answer opens (if any) to `owner`."""
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                opened = next((v for k, v in message.get("headers", []) if k.lower() == _SESSION_HEADER), None)
                if opened:
                    self.owners[opened] = owner
                    while len(self.owners) > MAX_BINDINGS:
                        self.owners.popitem(last=False)
            await send(message)

        return sending
