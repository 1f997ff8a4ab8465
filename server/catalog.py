"""Generated views of the catalog: the golden snapshot of tools/list and the tool table of docs/tools.md."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

from .selection import CATALOG

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "tests" / "snapshots" / "tool_catalog.json"
TOOLS_PAGE = ROOT / "docs" / "tools.md"
TABLE_START, TABLE_END = "<!-- tool-table:start -->", "<!-- tool-table:end -->"


async def _listed_tools() -> list[dict[str, Any]]:
    from ..tools.client import TelnyxClient
    from .app import create_server

    client = TelnyxClient(base_url="http://unused.invalid/v2")
    async with Client(create_server(client), mode="auto") as session:
        tools = (await session.list_tools()).tools
    await client.aclose()
    return [t.model_dump(by_alias=True, exclude_none=True, mode="json") for t in tools]


def snapshot_text() -> str:
    """What the default server lists, as stable, reviewable JSON."""
    return json.dumps(anyio.run(_listed_tools), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def class_cell(entry: Any) -> str:
    """The class, each effect rule that raises a call above it, and the rules for secrets in its answers."""
    rules = [f"{e.kind} when {e.when}" for e in getattr(entry, "effects", ())]
    rules += [f"asks before revealing the {s.what}" if s.policy == "ask" else f"never returns the {s.what}"
              for s in getattr(entry, "secrets", ())]
    return "; ".join([entry.kind, *rules])


def tool_table() -> str:
    lines = ["| Tool | Toolset | Class | What it does |", "|---|---|---|---|"]
    for entry in CATALOG.values():
        first_sentence = re.split(r"(?<=[a-z0-9)])\. (?=[A-Z])", entry.description)[0].rstrip(".") + "."
        lines.append(f"| `{entry.name}` | {entry.toolset} | {class_cell(entry)} | {first_sentence} |")
    return "\n".join(lines)


def page_with_table(page: str) -> str:
    """`page` with the current tool table between its markers."""
    head, rest = page.split(TABLE_START, 1)
    _, tail = rest.split(TABLE_END, 1)
    return f"{head}{TABLE_START}\n{tool_table()}\n{TABLE_END}{tail}"
