"""Which failed calls may be sent again, and which read tool shows whether an unanswered change happened."""

from __future__ import annotations

from functools import cache

from .registry import OPERATIONS, Operation
from .request import ApiRequest

# Status actions leave an action record behind; these list tools show them, keyed by the path before /actions/.
_ACTION_LOGS = {
    "": "list_sim_cards",  # /actions/purchase/esims, /actions/register/sim_cards
    "/sim_cards": "list_bulk_sim_card_actions",
    "/sim_cards/{sim_card_id}": "list_sim_card_actions",
    "/sim_card_groups/{sim_card_group_id}": "list_sim_card_group_actions",
}


def may_repeat(request: ApiRequest) -> bool:
    """True when sending the request twice cannot do anything twice: GETs and read-only operations
    (the order preview and the registration code check are POSTs that change nothing)."""
    op = OPERATIONS.get(request.operation or "")
    return op.read_only if op is not None else request.method == "GET"


def _read_tool(path: str) -> str | None:
    return next((op.name for op in OPERATIONS.values() if op.method == "GET" and op.path == path), None)


@cache
def check_tool(name: str) -> str | None:
    """The read tool that shows whether a call of `name` took effect."""
    op: Operation | None = OPERATIONS.get(name)
    if op is None or op.read_only:
        return None
    if "/actions/" in op.path:
        prefix = op.path.split("/actions/")[0]
        return _ACTION_LOGS.get(prefix) or _read_tool(prefix)
    return _read_tool(op.path)
