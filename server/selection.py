"""Which tools a server offers: toolsets, names in and out, and read-only mode, all over the one catalog."""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from ..tools.local import APPLY_TO_SIM_CARDS, LOCAL_TOOLS, PLAN_OPERATIONS, LocalTool
from ..tools.registry import OPERATIONS, TOOLSETS, Operation
from ..tools.schema import published_input_schema
from ..tools.suggest import did_you_mean
from .settings import Settings

Entry = Operation | LocalTool
CATALOG: dict[str, Entry] = {**OPERATIONS, **LOCAL_TOOLS}


class SelectionError(ValueError):
    """A selection setting names a toolset or tool that does not exist."""


def _unknown(kind: str, names: list[str], known: list[str]) -> None:
    missing = [n for n in names if n not in known]
    if missing:
        raise SelectionError(f"unknown {kind} {', '.join(missing)}{did_you_mean(missing, known)}; "
                             f"choose from: {', '.join(known)}")


def select(settings: Settings) -> list[Entry]:
    """The catalog entries `settings` asks for, in catalog order.

    A tool is offered when its toolset is selected (all when none is named) or it is named in `tools`,
    it is not in `exclude_tools`, and, in read-only mode, it only reads.
    """
    _unknown("toolset", settings.toolsets, list(TOOLSETS))
    _unknown("tool", settings.tools + settings.exclude_tools, list(CATALOG))
    toolsets = set(settings.toolsets or TOOLSETS)
    if settings.tools and not settings.toolsets:
        toolsets = set()  # naming tools alone offers just those tools
    chosen = {
        name: entry for name, entry in CATALOG.items()
        if (entry.toolset in toolsets or entry.name in settings.tools)
        and entry.name not in settings.exclude_tools
        and (entry.read_only or not settings.read_only)
    }
    if APPLY_TO_SIM_CARDS.name in chosen and not plan_operations(chosen):  # a plan could run nothing
        if APPLY_TO_SIM_CARDS.name in settings.tools:
            raise SelectionError(f"{APPLY_TO_SIM_CARDS.name} runs the selected SIM operations and none is selected; "
                                 f"name some of {', '.join(PLAN_OPERATIONS)} too")
        del chosen[APPLY_TO_SIM_CARDS.name]
    return list(chosen.values())


def plan_operations(offered: Container[str]) -> list[str]:
    """The operations a change plan may run on a server offering `offered`: selection binds plans too."""
    return [name for name in PLAN_OPERATIONS if name in offered]


def offered_schema(name: str, offered: Container[str]) -> dict[str, Any]:
    """The input schema a client is given for `name` on a server offering `offered`: the plan tool's
    `operation` lists only the operations offered there."""
    schema = published_input_schema(name)
    if name != APPLY_TO_SIM_CARDS.name:
        return schema
    operations = plan_operations(offered)
    if operations == list(PLAN_OPERATIONS):
        return schema
    properties = {**schema["properties"], "operation": {**schema["properties"]["operation"], "enum": operations}}
    return {**schema, "properties": properties}
