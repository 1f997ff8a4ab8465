"""The audit log: one JSON line per write, destructive or billable call, secrets redacted.

Lines go to the `telnyx_iot_mcp.audit` logger (stderr, info level) and, when a path is set, are
appended to that file.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from datetime import datetime, timezone
from typing import Any, Literal

from ..tools.client import ApiResponse, TelnyxClient
from ..tools.request import ApiRequest

log = logging.getLogger("telnyx_iot_mcp.audit")

Confirmation = Literal["elicitation", "app-card", "token", "policy-off", "not-needed", "none"]
Outcome = Literal["ok", "error", "declined", "cancelled", "refused", "awaiting_confirmation"]

SECRET_KEY = re.compile(r"secret|password|token|credential|private_key|^access_key$|api_key", re.IGNORECASE)
REDACTED = "[redacted]"


def redact(value: Any) -> Any:
    """A copy of `value` with every field whose name looks secret replaced by [redacted]."""
    if isinstance(value, dict):
        return {k: REDACTED if SECRET_KEY.search(str(k)) else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


class AuditLog:
    def __init__(self, path: str | None = None) -> None:
        """Raises OSError when `path` cannot be appended to, so a bad path stops the server at start."""
        self.path = path
        self._lock = threading.Lock()
        if path:
            open(path, "a", encoding="utf-8").close()

    def record(self, *, tool: str, kind: str, arguments: dict[str, Any], confirmation: Confirmation,
               outcome: Outcome, request_id: Any = None, api_request_id: str | None = None,
               detail: str | None = None) -> dict[str, Any]:
        entry = {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "tool": tool, "kind": kind, "arguments": redact(arguments), "confirmation": confirmation,
            "outcome": outcome, "request_id": request_id, "api_request_id": api_request_id,
        }
        if detail:
            entry["detail"] = detail
        line = json.dumps(entry, ensure_ascii=False, default=str)
        log.info("%s", line)
        if self.path:
            try:
                with self._lock, open(self.path, "a", encoding="utf-8") as file:
                    file.write(line + "\n")
            except OSError as error:  # the call itself has happened (or not): report, do not fail it
                log.error("audit log %s cannot be written (%s); the line above is not in it", self.path, error.strerror)
        return entry


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
