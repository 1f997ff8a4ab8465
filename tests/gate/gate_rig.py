"""Test rig for the gate: a server on a recording fake API, elicitation answers, a controllable clock."""

from __future__ import annotations

from typing import Any

from mcp import types
from mcp.client.context import ClientRequestContext

from fake_api import FakeApi
from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.server.audit import AuditLog
from telnyx_iot_mcp.server.confirm_token import ConfirmationTokens
from telnyx_iot_mcp.server.gate import Gate

ERAS = ["auto", "legacy"]  # auto: 2026-07-28 (InputRequiredResult); legacy: 2025-11-25 handshake (elicit_form)


class RecordedAudit(AuditLog):
    def __init__(self, path: str | None = None) -> None:
        super().__init__(path)
        self.entries: list[dict[str, Any]] = []

    def _write(self, entry: dict[str, Any], line: str | None = None, **options: Any) -> None:
        super()._write(entry, line, **options)
        self.entries.append(entry)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class Rig:
    """A server on a recording fake API, with a controllable clock for tokens and a recorded audit log."""

    def __init__(self, policy: str = "elicit-or-token", *, read_only: bool = False, operations=None) -> None:
        self.api = FakeApi()
        self.clock = Clock()
        self.audit = RecordedAudit()
        self.tokens = ConfirmationTokens(secret=b"test-secret", ttl_seconds=300, clock=self.clock)
        client = self.api.client()
        self.gate = Gate(client, policy=policy, tokens=self.tokens, audit=self.audit, read_only=read_only)
        self.server = create_server(client, operations, gate=self.gate)


def answering(action: str, seen: list, *, typed: str | None = None, tick: bool = True, api: FakeApi | None = None):
    """An elicitation callback that answers `action`; on accept it ticks the box or types what was asked
    (or `typed`). With `api`, it records how many changing requests had reached the API when asked."""

    async def callback(context: ClientRequestContext, params: types.ElicitRequestParams) -> types.ElicitResult:
        seen.append((params, len(api.gated()) if api else None))
        if action != "accept":
            return types.ElicitResult(action=action)
        field = params.requested_schema["properties"]["confirm"]
        if field["type"] == "string":
            value: Any = typed if typed is not None else field["description"].removeprefix("Type exactly: ")
        else:
            value = tick
        return types.ElicitResult(action="accept", content={"confirm": value})

    return callback
