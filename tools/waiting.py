"""`wait_for_action`: poll an action through the registry's get_*_action operation until it finishes."""

from __future__ import annotations

import time
from typing import Any

import anyio

from .client import TelnyxClient
from .executor import execute
from .local import ACTION_KINDS, MAX_WAIT_SECONDS
from .paging import Progress
from .registry import OPERATIONS

FINAL = ("completed", "failed", "interrupted")
NOTHING_TO_DO = "nothing to do"


def action_state(kind: str, action: dict[str, Any], seen_empty: bool = False) -> tuple[str, float | None, float | None]:
    """(status, finished, total): bulk actions count their SIM card actions; the others have one status.

    A bulk action whose summary is still empty on a second look had no SIM to act on (an empty group): it is
    done, with NOTHING_TO_DO, rather than in progress for ever."""
    if kind == "bulk":
        counts = {item.get("status"): item.get("count") or 0 for item in action.get("sim_card_actions_summary") or []}
        total = sum(counts.values())
        finished = sum(counts.get(s, 0) for s in FINAL)
        if total and finished >= total:
            worst = next((s for s in ("failed", "interrupted") if counts.get(s)), "completed")
            return worst, finished, total
        if not total and seen_empty:
            return NOTHING_TO_DO, 0, 0
        return "in-progress", finished, total or None
    status = action.get("status")
    value = status.get("value") if isinstance(status, dict) else status
    return str(value or "unknown"), None, None


async def wait_for_action(client: TelnyxClient, arguments: dict[str, Any],
                          progress: Progress | None = None) -> dict[str, Any]:
    kind = arguments["kind"]
    timeout = arguments.get("timeout_seconds", MAX_WAIT_SECONDS)
    interval = arguments.get("interval_seconds", 3)
    op = OPERATIONS[ACTION_KINDS[kind]]
    started = time.monotonic()
    polls = 0
    seen_empty = False
    while True:
        action = (await execute(client, op, {"action_id": arguments["action_id"]}))["data"] or {}
        polls += 1
        status, finished, total = action_state(kind, action, seen_empty)
        seen_empty = kind == "bulk" and not action.get("sim_card_actions_summary")
        waited = round(time.monotonic() - started, 3)
        done = status in FINAL or status == NOTHING_TO_DO
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
    elif status == "interrupted":
        meta["note"] = ("The action was interrupted before it finished (data.status.reason says why, e.g. the SIM "
                        "was deleted); read the SIM's state before starting it again.")
    elif status == NOTHING_TO_DO:
        meta["note"] = "The bulk action had no SIM card to act on (e.g. an empty group): nothing changed."
    return {"data": action, "meta": meta}
