"""Which tools a server offers: toolsets, names in and out, and read-only mode, all over the one catalog."""

from __future__ import annotations

from ..tools.local import LOCAL_TOOLS, LocalTool
from ..tools.registry import OPERATIONS, TOOLSETS, Operation
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
    return [
        entry for entry in CATALOG.values()
        if (entry.toolset in toolsets or entry.name in settings.tools)
        and entry.name not in settings.exclude_tools
        and (entry.read_only or not settings.read_only)
    ]
