"""`wait_for_action`: poll an action through the registry's get_*_action operation until it finishes."""

from __future__ import annotations

import time
from typing import Any

import anyio

from .client import TelnyxClient
from .executor import execute
from .local import ACTION_KINDS
from .paging import Progress
from .registry import OPERATIONS

FINAL = ("completed", "failed")


def action_state(kind: str, action: dict[str, Any]) -> tuple[str, float | None, float | None]:
    """(status, finished, total): bulk actions count their SIM card actions; the others have one status."""
    if kind == "bulk":
        counts = {item.get("status"): item.get("count") or 0 for item in action.get("sim_card_actions_summary") or []}
        total = sum(counts.values())
        finished = sum(counts.get(s, 0) for s in FINAL)
        if total and finished >= total:
            return ("failed" if counts.get("failed") else "completed"), finished, total
        return "in-progress", finished, total or None
    status = action.get("status")
    value = status.get("value") if isinstance(status, dict) else status
    return str(value or "unknown"), None, None


async def wait_for_action(client: TelnyxClient, arguments: dict[str, Any],
                          progress: Progress | None = None) -> dict[str, Any]:
    kind = arguments["kind"]
    timeout = arguments.get("timeout_seconds", 120)
    interval = arguments.get("interval_seconds", 3)
    op = OPERATIONS[ACTION_KINDS[kind]]
    started = time.monotonic()
    polls = 0
    while True:
        action = (await execute(client, op, {"action_id": arguments["action_id"]}))["data"] or {}
        polls += 1
        status, finished, total = action_state(kind, action)
        waited = round(time.monotonic() - started, 3)
        done = status in FINAL
        if progress is not None:
            if finished is not None:
                await progress(finished, total, f"{kind} action {status}: {finished:g} of {total or '?'} SIM actions done")
            else:
                await progress(polls, None, f"{kind} action {status} after {waited:g}s")
        if done or waited + interval > timeout:
            break
        await anyio.sleep(interval)
    meta: dict[str, Any] = {"status": status, "done": done, "timed_out": not done, "polls": polls,
                            "waited_seconds": waited}
    if not done:
        meta["note"] = (f"Still {status} after {waited:g}s; call wait_for_action again to keep waiting, "
                        f"or read it with {op.name}.")
    elif status == "failed":
        meta["note"] = "The action failed; data holds the reason where the API gives one."
    return {"data": action, "meta": meta}
