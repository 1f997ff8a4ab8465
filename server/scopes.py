"""Permissions by effect: which OAuth scopes a signed-in person needs for a tool and for one call.

Four scopes follow the registry's classes: `iot:read`, `iot:write`, `iot:destructive`, `iot:billable`. A
tool is listed to a person only when they hold the scope of its class, and a call needs the scope of the
class the gate judges it at: a write that an effect rule raises (lowering a data limit below what a SIM
used, starting billing) needs `iot:destructive` or `iot:billable` as well. The deployment's own selection
(toolsets, read-only) stays the upper bound: scopes only take tools away.

Without sign-in (stdio, a static access token) there is no principal and nothing here narrows anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mcp import types

from ..tools.errors import ToolError
from ..tools.executor import check_arguments
from ..tools.local import LocalTool
from ..tools.registry import OPERATIONS, Operation
from .auth import Principal, current_principal
from .confirm_token import split_token

SCOPES = {"read": "iot:read", "write": "iot:write", "destructive": "iot:destructive", "billable": "iot:billable"}
ALL_SCOPES = list(SCOPES.values())
PLAN_TOOL = "apply_to_sim_cards"
# Tools that are not registry entries: what a person needs to be shown them.
DYNAMIC_TOOLS = {"search_operations": "read", "describe_operation": "read", "call_operation": "read"}


def scope_for(kind: str) -> str:
    return SCOPES.get(kind, SCOPES["destructive"])  # an unknown class: the strictest scope


def listed(tools: Iterable[types.Tool], exposed: Mapping[str, Operation | LocalTool],
           principal: Principal | None = None) -> list[types.Tool]:
    """`tools` as `principal` (default: the caller) may see them."""
    principal = principal or current_principal()
    if principal is None:
        return list(tools)
    return [tool for tool in tools if _may_list(tool.name, exposed, principal.scopes)]


def _may_list(name: str, exposed: Mapping[str, Operation | LocalTool], held: frozenset[str]) -> bool:
    if name == PLAN_TOOL:  # a plan runs one of its operations: listed to whoever may change SIMs at all
        return bool(held & {SCOPES["write"], SCOPES["destructive"], SCOPES["billable"]})
    entry = exposed.get(name)
    if entry is not None:
        return scope_for(entry.kind) in held
    if name in DYNAMIC_TOOLS:
        return scope_for(DYNAMIC_TOOLS[name]) in held
    return bool(held & {SCOPES["destructive"], SCOPES["billable"]})  # the confirmation card's tool


def offered(exposed: Mapping[str, Operation | LocalTool]) -> dict[str, Operation | LocalTool]:
    """The entries of `exposed` the caller may run (dynamic mode searches and runs only these)."""
    principal = current_principal()
    if principal is None:
        return dict(exposed)
    return {name: entry for name, entry in exposed.items() if _may_list(name, exposed, principal.scopes)}


def insufficient(scope: str, why: str) -> ToolError:
    return ToolError("insufficient_scope", f"Not run: {why}, which needs the scope {scope}, and your sign-in does "
                     f"not grant it. Nothing was sent to Telnyx. Sign in again asking for {scope} (if you are "
                     "allowed it), or ask someone who holds it.", scope=scope)


def require(kind: str, what: str) -> None:
    """Raises insufficient_scope when the caller may not run a call judged at `kind`."""
    principal = current_principal()
    if principal is not None and scope_for(kind) not in principal.scopes:
        raise insufficient(scope_for(kind), f"{what} is {'an' if kind[0] in 'aeiou' else 'a'} {kind} call")


def target(name: str, arguments: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The tool a tools/call really runs: call_operation's operation, else the tool itself."""
    if name == "call_operation" and isinstance(arguments.get("operation"), str):
        inner = arguments.get("arguments")
        return arguments["operation"], inner if isinstance(inner, dict) else {}
    return name, arguments


async def missing_scope(name: str, arguments: dict[str, Any], principal: Principal,
                        exposed: Mapping[str, Operation | LocalTool], judge: Any) -> tuple[str, str] | None:
    """The scope `principal` lacks for this call and why it is needed, or None. `judge(op, arguments)` gives
    the class an operation's effect rules raise a call to (the gate's judgement), read only when the person
    lacks a scope a rule could raise the call to."""
    name, arguments = target(name, arguments)
    entry = exposed.get(name)
    if entry is None:
        return None  # the server answers: no such tool
    if name == PLAN_TOOL:
        op = OPERATIONS.get(arguments.get("operation")) if isinstance(arguments.get("operation"), str) else None
        entry = op or entry
        name = f"{PLAN_TOOL} with {op.name}" if op else name
    scope = scope_for(entry.kind)
    if scope not in principal.scopes:
        return scope, f"{name} is {'an' if entry.kind[0] in 'aeiou' else 'a'} {entry.kind} call"
    if not isinstance(entry, Operation) or entry.gated or name.startswith(PLAN_TOOL):
        return None
    raised = {effect.kind for effect in entry.effects} - {k for k, s in SCOPES.items() if s in principal.scopes}
    if not raised:
        return None
    _, plain = split_token(arguments)
    try:
        check_arguments(entry, plain)
    except ToolError:
        return None  # the server answers with what is wrong with the arguments
    kind, reasons = await judge(entry, plain)
    if scope_for(kind) not in principal.scopes:
        return scope_for(kind), f"{name} would be {kind} here ({' '.join(reasons)})"
    return None


__all__ = ["ALL_SCOPES", "SCOPES", "insufficient", "listed", "missing_scope", "offered", "require", "scope_for"]
