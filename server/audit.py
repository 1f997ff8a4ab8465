"""The audit log: who changed what, in which Telnyx account, and how it ended. One JSON line per event.

Every call of a tool that changes something (write, destructive, billable) leaves lines, and so does every
refusal and every read that reveals secrets (`reveals` names what it reveals, never the secret); every other
read leaves one `end` line too (unless `reads` is off). `event` says which:

- `ask`: the user is being asked to confirm, within the call (nothing sent yet);
- `send`: written just before the change is sent, so a line exists even if the process dies while it is
  in flight;
- `end`: how the call ended. After a `send` line: `ok`, `error` (Telnyx answered and refused), or `unknown`
  (the change may or may not have taken effect: no answer in time, an error from Telnyx's side, or the call
  was cancelled, its client went away or the server was stopped while it was in flight). Without one
  (nothing was sent): `refused`, `declined`, `cancelled`, `awaiting_confirmation`. A server stopped by a
  signal or its stdin closing cancels the calls in flight; `close` then ends any change still without an
  end line, so only a kill that allows no clean-up (SIGKILL, power loss) leaves a `send` line alone.

Each line names its `call` (shared by the lines of one tool call), the `caller` (for HTTP a keyed
fingerprint of the access token, the client's address and session; for stdio the process), the
`principal` (with sign-in: the person's issuer and subject, their OAuth client, name or email when the token
has them, and scopes; else null) and the `account` (a keyed fingerprint of the Telnyx key, never the key).
Arguments with secret names are replaced, and credentials are masked wherever they appear; secrets learned
from calls (tools/redact.py) are masked in details and arguments, never in what identifies the call
(IDENTIFYING_KEY). schema/audit-line.schema.json documents a line.

Lines go to the `telnyx_iot_mcp.audit` logger (stderr, info level) and, when a path is set, are
appended to that file. A change is never made unrecorded: when the file cannot take an `ask` or `send`
line, the call stops with an `audit_unavailable` tool error and nothing is sent; reads still run.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import sys
import threading
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import datetime, timezone
from functools import cached_property
from typing import Any, Literal

from ..tools.client import ApiResponse, TelnyxClient
from ..tools.errors import ToolError
from ..tools.redact import learned_secrets_active, redact_json
from ..tools.redact import redact as mask
from ..tools.request import ApiRequest
from . import metrics
from .auth import current_principal
from .settings import Settings
from .state import Store, StoreUnavailable

log = logging.getLogger("telnyx_iot_mcp.audit")

Event = Literal["ask", "send", "end"]
Confirmation = Literal["elicitation", "app-card", "token", "policy-off", "not-needed", "none"]
Outcome = Literal["ok", "error", "unknown", "declined", "cancelled", "refused", "awaiting_confirmation"]

SECRET_KEY = re.compile(r"secret|password|token|credential|private_key|^access_key$|api_key", re.IGNORECASE)
REDACTED = "[redacted]"
# Argument names that say what a call acts on (sim_card_id, sim_card_ids, iccid, id): in the audit log they are
# masked by name (SECRET_KEY) and by credentials only, never by a learned secret (tools/redact.py), so a caller
# cannot blank out the record of a change by sending its ids as a migration source's credentials.
IDENTIFYING_KEY = re.compile(r"ids?$", re.IGNORECASE)

# Who is calling, set by the transport for the requests it serves (server/http.py, server/cli.py), and the
# tool call being served with the account it runs under (server/app.py).
caller: ContextVar[dict[str, Any] | None] = ContextVar("audit_caller", default=None)
current_call: ContextVar[tuple[str, str | None] | None] = ContextVar("audit_call", default=None)


def redact(value: Any) -> Any:
    """A copy of `value` with every field whose name looks secret replaced by [redacted]."""
    if isinstance(value, dict):
        return {k: REDACTED if SECRET_KEY.search(str(k)) else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def _unlearned(value: Any, key: str = "") -> Any:
    """`value` (arguments) with learned secrets masked, except in the fields that name what the call acts on."""
    if isinstance(value, dict):
        return {k: v if IDENTIFYING_KEY.search(str(k)) else _unlearned(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_unlearned(v, key) for v in value]
    return mask(value) if isinstance(value, str) else value


def this_process(transport: str) -> dict[str, Any]:
    """The caller of a server that serves one client: its own process and the one that started it."""
    return {"transport": transport, "pid": os.getpid(), "parent_pid": os.getppid()}


def new_call_id() -> str:
    return secrets.token_hex(8)


class AuditLog:
    def __init__(self, path: str | None = None, *, key: bytes | None = None,
                 key_source: Callable[[], Awaitable[bytes]] | None = None, reads: bool = True) -> None:
        """Raises OSError when `path` cannot be appended to, so a bad path stops the server at start.
        `key` keys the fingerprints of access tokens; without it, `key_source` gives it (the state store's
        persistent secret, so fingerprints stay the same across restarts and replicas), else it is random
        for this process."""
        self.path = path
        self.reads = reads  # a line for every read call too
        self._key = key if key or key_source else secrets.token_bytes(32)
        self._key_source = key_source
        self._lock = threading.Lock()
        self._in_flight: dict[tuple[str, str | None, str], dict[str, Any]] = {}  # send lines awaiting their end
        self.stopping: str | None = None  # why the server is stopping, once it is (said in the lines it ends)
        if path:
            open(path, "a", encoding="utf-8").close()

    async def fingerprint(self, label: str, secret: str) -> str:
        """Names a secret without revealing it: a keyed hash, so equal secrets match and none can be guessed offline."""
        digest = hmac.new(await self._fingerprint_key(), f"{label}\0{secret}".encode(), hashlib.sha256).hexdigest()
        return f"{label}-{digest[:16]}"

    async def _fingerprint_key(self) -> bytes:
        if self._key is None:
            try:
                self._key = await self._key_source()  # type: ignore[misc]
            except StoreUnavailable:  # this line is still written; the next one tries the store again
                return self._stand_in_key
        return self._key

    @cached_property
    def _stand_in_key(self) -> bytes:
        return secrets.token_bytes(32)

    def record(self, *, tool: str | None, kind: str | None, arguments: dict[str, Any] | None,
               confirmation: Confirmation, outcome: Outcome | None, request_id: Any = None,
               api_request_id: str | None = None, detail: str | None = None, event: Event = "end",
               reveals: tuple[str, ...] = ()) -> dict[str, Any]:
        call, account = current_call.get() or (new_call_id(), None)
        arguments_shown = redact(arguments)
        if learned_secrets_active():  # never over what identifies the call: tool, ids, account, caller, call
            arguments_shown = _unlearned(arguments_shown)
            detail = mask(detail) if detail else detail
        entry, line = redact_json({
            "time": _now(), "event": event, "call": call,
            "tool": tool, "kind": kind, "arguments": arguments_shown, "confirmation": confirmation,
            "outcome": outcome, "caller": caller.get() or this_process("in-process"), "account": account,
            "principal": principal.audit() if (principal := current_principal()) else None,
            "request_id": request_id, "api_request_id": api_request_id,
            **({"reveals": list(reveals)} if reveals else {}), **({"detail": detail} if detail else {}),
        }, learned=False)
        self._write(entry, line, before_change=event != "end")
        if event == "send" or (event == "end" and self._in_flight):
            sent = (call, tool, json.dumps(arguments, sort_keys=True, default=str))
            with self._lock:
                if event == "send":
                    self._in_flight[sent] = entry
                else:
                    self._in_flight.pop(sent, None)
        if event == "end":
            metrics.call(tool, kind, outcome, confirmation)
        return entry

    def _write(self, entry: dict[str, Any], line: str | None = None, *, before_change: bool = False) -> None:
        """Log the line and append it to the file. A line written `before_change` (ask, send) that the file
        cannot take stops the change: ToolError, nothing sent. An end line is reported and the call stands."""
        line = line or json.dumps(entry, ensure_ascii=False, default=str)
        failed = None
        if self.path:
            try:
                with self._lock, open(self.path, "a", encoding="utf-8") as file:
                    file.write(line + "\n")
            except OSError as error:
                failed = error.strerror or type(error).__name__
        if failed and before_change:
            log.error("audit log %s cannot be written (%s): %s of %s refused, nothing sent", self.path, failed,
                      entry["event"], entry["tool"])
            raise ToolError("audit_unavailable", f"Not run: the server's audit log cannot be written ({failed}), and "
                            "no change is made without its record. Nothing was sent to Telnyx. Reads still work; "
                            "the operator must fix the audit log (its disk or permissions).")
        log.info("%s", line)
        if failed:
            log.error("audit log %s cannot be written (%s); the line above is not in it", self.path, failed)

    def in_flight(self, call: str | None = None) -> int:
        """How many changes (of `call`, else of any call) were sent and have no end line yet."""
        with self._lock:
            return sum(1 for key in self._in_flight if call is None or key[0] == call)

    def end_in_flight(self, call: str | None, detail: str, *, other_than: str | None = None) -> int:
        """Ends with `unknown` every change of `call` (every call: None) still in flight, latest first, except
        those of the tool `other_than` (its caller writes that line itself); returns how many it ended."""
        with self._lock:
            ending = [key for key in self._in_flight if (call is None or key[0] == call) and key[1] != other_than]
            pending = [self._in_flight.pop(key) for key in reversed(ending)]
        for sent in pending:
            self._write({**sent, "time": _now(), "event": "end", "outcome": "unknown", "api_request_id": None,
                         "detail": detail})
        return len(pending)

    def close(self, why: str = "the server stopped") -> None:
        """Ends every change still in flight with `unknown`: called as the server stops (a signal, stdin
        closed), after the calls in flight were cancelled, for any whose own end line could not be written."""
        self.end_in_flight(None, f"{why} while the request was in flight to Telnyx: it may have taken effect")

    def refusal(self, detail: str) -> dict[str, Any]:
        """A request refused before any tool was called (HTTP: a bad access token or Telnyx key header)."""
        return self.record(tool=None, kind=None, arguments=None, confirmation="none", outcome="refused",
                           detail=detail)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def audit_for(settings: Settings, store: Store | None = None) -> AuditLog:
    """The audit log the settings ask for, its fingerprints keyed by the configured confirmation secret, else
    by `store`'s persistent one; stops the server at start when its file cannot be written."""
    key = settings.confirm_secret.get_secret_value().encode() if settings.confirm_secret else None
    try:
        return AuditLog(settings.audit_log, key=key, key_source=store.secret if store is not None else None,
                        reads=settings.audit_reads)
    except OSError as error:
        print(f"telnyx-iot-mcp: the audit log {settings.audit_log!r} cannot be written: {error.strerror}",
              file=sys.stderr)
        raise SystemExit(2) from None


class RequestIdRecorder:
    """Wraps the client for one call to keep the API's request id (x-request-id) for the audit line."""

    def __init__(self, client: TelnyxClient) -> None:
        self._client = client
        self.request_id: str | None = None

    def __getattr__(self, name: str) -> Any:  # limits and settings the executor reads from the client
        return getattr(self._client, name)

    async def send(self, request: ApiRequest) -> ApiResponse:
        response = await self._client.send(request)
        self.request_id = response.request_id
        return response
