"""Idempotency keys: a call repeated with the same `idempotency_key` and arguments returns its first outcome and
sends nothing, in this process, after a restart (SQLite) and on another replica (Redis).

The change plan and every tool that may cost money take the key (their input schema has it: `takes_key`). One
place handles it for all of them, the call path every call shares (server/app.py `audited`):

- `earlier`, before anything is read or asked: a key already settled for the same call answers with its first
  outcome, without asking again; used for another call (another tool or other arguments) it is refused; claimed
  by a call that has not finished, it answers with that call's change_id. Nothing is sent in any of these.
- `claim`, once the gate let the call through (a person said yes, or nothing needed asking): atomic in the
  store, so of two repeats racing only one sends. A declined or unanswered question claims nothing: the key
  stays free.
- A claim lasts CLAIM_SECONDS until the call's change is journaled (server/journal.py `begin`, before anything
  is sent), then as long as changes are kept: a claim whose process died before sending lapses, and one that
  may have sent stays, answering with the change_id to look at (get_change) or finish (resume_change).
- `settle` keeps the outcome as long as changes are kept. A failure Telnyx answered with certainty (nothing
  changed) `release`s the key, so the same call can be tried again.

A key is bound to the Telnyx account and the signed-in person of the call. The store holds a digest of the key,
of the call (tool and arguments), the change_id and the result as the journal keeps results: no secret.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from mcp import types

from ..tools.errors import ToolError, invalid_arguments
from ..tools.registry.model import CONFIRMATION_TOKEN, IDEMPOTENCY_KEY
from ..tools.schema import input_schema
from .journal import Journal, _person, clean, new_change_id
from .state import StoreUnavailable

CLAIM_SECONDS = 600.0  # how long a claim holds before its change is journaled (a plan reads its SIMs first)
NOTHING_SENT = "Nothing was sent to Telnyx."


def takes_key(name: str) -> bool:
    return IDEMPOTENCY_KEY in input_schema(name)["properties"]


def _digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


@dataclass
class Keyed:
    """One call made under an idempotency key."""

    journal: Journal
    tool: str
    stored: str  # the key's name in the store: a digest of the account, the person and the key
    call: str  # a digest of the tool and its arguments, the confirmation and the key left out
    change_id: str = field(default_factory=new_change_id)
    since: float = field(default_factory=time.time)
    held: bool = False  # this call claimed the key
    journaled: bool = False  # its change is journaled: something may be sent from now on

    @classmethod
    def of(cls, journal: Journal, tool: str, arguments: dict[str, Any], account: str | None) -> Keyed | None:
        """The keyed call, or None when the call has no key. Raises ToolError when the account is unknown."""
        key = arguments.get(IDEMPOTENCY_KEY)
        if key is None or not takes_key(tool):
            return None
        if account is None:
            raise _unavailable(tool, "the Telnyx account of this call could not be named")
        plain = {k: v for k, v in arguments.items() if k not in (IDEMPOTENCY_KEY, CONFIRMATION_TOKEN)}
        return cls(journal, tool, _digest("idempotency_key", account, _person(), key), _digest(tool, plain))

    def record(self) -> dict[str, Any]:
        return {"state": "running", "tool": self.tool, "call": self.call, "change_id": self.change_id,
                "since": self.since}

    def unavailable(self, why: StoreUnavailable | str) -> ToolError:
        return _unavailable(self.tool, why)

    async def earlier(self) -> types.CallToolResult | None:
        """The first outcome of this call under this key (None: the key is free). Raises ToolError."""
        try:
            found = await self.journal.backend.look(self.stored)
        except StoreUnavailable as why:
            raise self.unavailable(why) from None
        return None if found is None else await self._answer(found)

    async def claim(self) -> types.CallToolResult | None:
        """Claim the key for this call (None), or the first outcome of the call that holds it. Raises ToolError."""
        try:
            found = await self.journal.backend.claim(self.stored, self.record(), time.time() + CLAIM_SECONDS)
        except StoreUnavailable as why:
            raise self.unavailable(why) from None
        if found is None:
            self.held = True
            return None
        return await self._answer(found)

    async def settle(self, result: types.CallToolResult) -> None:
        """Keep the outcome as the answer to every repeat."""
        text = next((c.text for c in result.content if isinstance(c, types.TextContent)), "")
        record = {**self.record(), "state": "done",
                  "result": clean({"structured": result.structured_content, "is_error": bool(result.is_error)}),
                  "text": clean(text)}
        try:
            await self.journal.backend.settle(self.stored, record, self.journal.expires)
        except StoreUnavailable:  # the claim stays: a repeat is told the call has not finished, never sent again
            return
        self.held = False

    async def release(self) -> None:
        """Free the key: nothing was sent, or Telnyx refused it with certainty."""
        try:
            await self.journal.backend.release(self.stored)
        except StoreUnavailable:
            return
        self.held = False

    async def _answer(self, found: dict[str, Any]) -> types.CallToolResult:
        if found.get("call") != self.call:
            raise invalid_arguments(self.tool, [
                f"{IDEMPOTENCY_KEY}: already used for another call (other arguments"
                + ("" if found.get("tool") == self.tool else f", or another tool: {found.get('tool')}")
                + "); give each new call a new key, or repeat the first call exactly"])
        if found.get("state") == "done":
            saved = found["result"]
            return types.CallToolResult(content=[types.TextContent(type="text", text=found.get("text", ""))],
                                        structured_content=saved["structured"], is_error=saved["is_error"])
        change_id = found.get("change_id")
        try:
            change = await self.journal.backend.get(change_id) if change_id else None
        except StoreUnavailable:
            change = None
        if change is None:
            waited = max(0, round(time.time() - float(found.get("since") or 0)))
            raise ToolError("in_progress", f"The first call with this {IDEMPOTENCY_KEY} started {waited} s ago and "
                            f"has not sent anything yet; it was not run again. {NOTHING_SENT} Call again in a "
                            "minute for its outcome.", change_id=change_id)
        raise ToolError("in_progress", f"The first call with this {IDEMPOTENCY_KEY} (change {change_id}, now "
                        f"{change.get('status', 'running')}) has not answered yet, or its server stopped before it "
                        f"did; it was not run again. {NOTHING_SENT} get_change {change_id} shows what it "
                        f"did; resume_change {change_id} finishes a plan that stopped.", change_id=change_id)


def _unavailable(tool: str, why: Any) -> ToolError:
    return ToolError("state_unavailable", f"Not run: the server cannot reach its state store ({why}), so it cannot "
                     f"make sure a call with {IDEMPOTENCY_KEY} is sent once. {NOTHING_SENT} Try again when the "
                     f"store is back, or call {tool} without {IDEMPOTENCY_KEY}.")
