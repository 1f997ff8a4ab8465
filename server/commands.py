"""`telnyx-iot-mcp tools` and `telnyx-iot-mcp call`: the catalog and single calls, for people and scripts."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import anyio
from mcp import Client, types

from .selection import Entry


def catalog_table(entries: Sequence[Entry]) -> str:
    """One line per tool: name, class, toolset, title, in columns."""
    return _columns([("NAME", "CLASS", "TOOLSET", "TITLE")] + [(e.name, e.kind, e.toolset, e.title) for e in entries]) \
        + f"\n\n{len(entries)} tools\n"


def search_table(entries: Sequence[Entry], words: str) -> str:
    """The tools ranked for `words`, best first, as search_operations ranks them: name, class, toolset, one line."""
    from .dynamic import search

    found = search({e.name: e for e in entries}, words)["data"]
    if not found:
        return f"No tool matches {words!r}; `telnyx-iot-mcp tools` lists them all.\n"
    rows = [(d["name"], d["class"], d["toolset"], d["description"] + (f" ({d['apart']})" if "apart" in d else ""))
            for d in found]
    return _columns([("NAME", "CLASS", "TOOLSET", "WHAT IT DOES")] + rows) + f"\n\nbest {len(found)} for {words!r}\n"


def _columns(rows: list[tuple[str, str, str, str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join("  ".join([*(cell.ljust(w) for cell, w in zip(row[:3], widths)), row[3]]) for row in rows)


def read_arguments(source: str, stdin: TextIO) -> str:
    """The --args text: as given, from a file (@PATH) or from stdin (-)."""
    if source == "-":
        return stdin.read()
    if source.startswith("@"):
        try:
            return Path(source[1:]).expanduser().read_text(encoding="utf-8")
        except OSError as error:
            raise ValueError(f"--args {source}: the file cannot be read ({error.strerror})") from None
    return source


def parse_arguments(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"--args is not valid JSON: {error.msg} at position {error.pos}") from None
    if not isinstance(value, dict):
        raise ValueError("--args must be a JSON object, e.g. '{\"sim_card_id\": \"...\"}'")
    return value


def unknown_tool(name: str, offered: Sequence[str]) -> str | None:
    """Why `name` cannot be called, with the closest names, when no tool has it; None for a catalog tool (the
    server says why a tool these settings leave out is not offered, and records a refusal)."""
    from ..tools.suggest import did_you_mean
    from .selection import CATALOG

    if name in offered or name in CATALOG:
        return None
    return (f"there is no tool {name}{did_you_mean([name], [*offered, *CATALOG])}; nothing was run. "
            "`telnyx-iot-mcp tools` lists them, `telnyx-iot-mcp tools --search WORDS` finds one")


def terminal_confirmation(prompt_in: TextIO, prompt_out: TextIO):
    """An elicitation callback that asks the person at the terminal: y/N for a yes, the text for a typed answer."""
    async def ask(line: str) -> str:
        prompt_out.write(line)
        prompt_out.flush()
        return (await anyio.to_thread.run_sync(prompt_in.readline)).strip()

    async def elicit(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        schema = getattr(params, "requested_schema", None) or {}
        prompt_out.write(f"\n{params.message}\n")
        content: dict[str, Any] = {}
        for name, field in (schema.get("properties") or {}).items():
            label = field.get("title") or name
            if field.get("type") == "boolean":
                answer = await ask(f"{label}? [y/N] ")
                if answer.lower() not in ("y", "yes"):
                    return types.ElicitResult(action="decline")
                content[name] = True
            else:
                if field.get("description"):
                    prompt_out.write(f"{field['description']}\n")
                answer = await ask(f"{label}: ")
                if not answer:
                    return types.ElicitResult(action="decline")
                content[name] = answer
        return types.ElicitResult(action="accept", content=content)

    return elicit


async def call_once(server: Any, name: str, arguments: dict[str, Any], *, interactive: bool,
                    out: TextIO | None = None) -> int:
    """Runs one tool through the full MCP path (validation, gate) and prints its result as JSON; 1 on error."""
    callback = terminal_confirmation(sys.stdin, sys.stderr) if interactive else None
    async with Client(server, elicitation_callback=callback) as client:
        problem = unknown_tool(name, [tool.name for tool in (await client.list_tools()).tools])
        if problem:
            print(f"telnyx-iot-mcp: {problem}", file=sys.stderr)
            return 2
        result = await client.call_tool(name, arguments)
    if result.structured_content is not None:
        payload: Any = result.structured_content
    else:
        texts = [c.text for c in result.content if isinstance(c, types.TextContent)]
        payload = {"content": texts}
    (out or sys.stdout).write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    if isinstance(payload, dict) and "confirmation_required" in payload:
        print(f"telnyx-iot-mcp: {name} was not run: it needs a person's yes (run it in a terminal to be "
              "asked, or repeat it with the confirmation_token)", file=sys.stderr)
        return 1
    if result.is_error:
        text = " ".join(c.text for c in result.content if isinstance(c, types.TextContent))
        print(f"telnyx-iot-mcp: {name} failed: {text}", file=sys.stderr)
        return 1
    return 0


async def changes_table(server: Any, limit: int, out: TextIO | None = None) -> int:
    """One line per recent change: id, when, tool, operation, how it ended."""
    async with Client(server) as client:
        result = await client.call_tool("list_changes", {"limit": limit})
    if result.is_error:
        text = " ".join(c.text for c in result.content if isinstance(c, types.TextContent))
        print(f"telnyx-iot-mcp: the change journal cannot be read: {text}", file=sys.stderr)
        return 1
    rows = [(c["change_id"], c["time"][:19].replace("T", " "), c["status"],
             f"{c['operation']}" + (f" via {c['tool']}" if c["tool"] != c["operation"] else "")
             + (f" {json.dumps(c['counts'])}" if c.get("counts") else "") + (f" (undoes {' and '.join([c['undoes'], *c.get('undoes_resumes', [])])})" if c.get("undoes") else "")
             + (f" (resumes {c['resumes']})" if c.get("resumes") else ""))
            for c in (result.structured_content or {}).get("data", [])]
    (out or sys.stdout).write(_columns([("CHANGE", "TIME (UTC)", "STATUS", "WHAT")] + rows)
                              + f"\n\n{len(rows)} change{'' if len(rows) == 1 else 's'}; `telnyx-iot-mcp changes CHANGE` shows one\n")
    return 0
