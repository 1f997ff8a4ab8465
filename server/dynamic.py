"""Dynamic mode: three small tools that search, describe and call the selected catalog on demand."""

from __future__ import annotations

from collections.abc import Container
from functools import cache
from typing import Any

from mcp import types

from ..tools.registry import TOOLSETS
from ..tools.schema import output_schema, published_input_schema, strict_ready
from ..tools.validation import fits
from .search import SearchIndex, catalog_index
from .selection import CATALOG, Entry, offered_schema

CLASSES = ("read", "write", "destructive", "billable")
SEARCH_LIMIT = 20

DYNAMIC_TOOLS = [
    types.Tool(
        name="search_operations",
        title="Search Telnyx IoT operations",
        description="Find operations (SIM cards, groups, actions, orders, usage alerts, OTA, blocklists, voice, "
                    "storage) by words, toolset or kind. Returns names, titles, classes and short descriptions; "
                    "then describe_operation, then call_operation.",
        input_schema={"type": "object", "additionalProperties": False, "properties": {
            "query": {"type": "string", "maxLength": 200,
                      "description": "What to do, in plain words, e.g. 'pause billing on an unused sim'."},
            "toolset": {"type": "string", "enum": list(TOOLSETS)},
            "kind": {"type": "string", "enum": list(CLASSES),
                     "description": "destructive and billable calls ask the user to confirm."},
        }},
        annotations=types.ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False),
    ),
    types.Tool(
        name="describe_operation",
        title="Describe an operation",
        description="Full input and output schema, class and annotations of one operation.",
        input_schema={"type": "object", "additionalProperties": False, "required": ["operation"],
                      "properties": {"operation": {"type": "string", "maxLength": 64}}},
        annotations=types.ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False),
    ),
    types.Tool(
        name="call_operation",
        title="Call an operation",
        description="Run one operation with its arguments, validated like its own tool; destructive and billable "
                    "ones ask the user to confirm first.",
        input_schema={"type": "object", "additionalProperties": False, "required": ["operation"], "properties": {
            "operation": {"type": "string", "maxLength": 64},
            "arguments": {"type": "object", "description": "As in describe_operation's input_schema."},
        }},
        annotations=types.ToolAnnotations(read_only_hint=False, destructive_hint=True, open_world_hint=True),
    ),
]
for _tool in DYNAMIC_TOOLS:  # optional arguments take null (not given), for strict-mode converters
    _tool.input_schema = strict_ready(_tool.input_schema, frozenset())
DYNAMIC_NAMES = {tool.name for tool in DYNAMIC_TOOLS}
DYNAMIC_SCHEMAS = {tool.name: tool.input_schema for tool in DYNAMIC_TOOLS}


@cache
def _validator(name: str):
    from jsonschema import Draft202012Validator  # on the first bad arguments: the import would slow every start

    return Draft202012Validator(DYNAMIC_SCHEMAS[name])


def tool_problems(name: str, arguments: dict[str, Any]) -> list[str]:
    """What is wrong with the arguments of a dynamic-mode tool, one line each naming the field."""
    if fits(DYNAMIC_SCHEMAS[name], arguments):
        return []
    return [f"{'.'.join(map(str, e.absolute_path)) or 'arguments'}: {e.message}"
            for e in _validator(name).iter_errors(arguments)]


def _short(text: str) -> str:
    first = text.split(". ")[0].rstrip(".")
    return first + "." if len(first) <= 160 else first[:157] + "..."


NEAR_TIE = 0.85  # results scoring within 15% of the best are told apart by what they need
RANKED_LIMIT = 6  # with a query: the best candidates, not the whole tail of weak matches
WEAK = 0.25  # below this share of the best score a match is noise, once three are shown


def _apart(entry: Entry, others: list[Entry]) -> str:
    """What separates `entry` from the near ties beside it: the arguments it needs, and its class if theirs differs."""
    required = published_input_schema(entry.name).get("required", [])
    said = [f"needs {', '.join(required)}" if required else "needs no arguments"]
    if any(other.kind != entry.kind for other in others):
        said.append("asks to confirm" if entry.gated else "runs without confirmation")
    return "; ".join(said)


def search(catalog: dict[str, Entry], query: str = "", toolset: str | None = None,
           kind: str | None = None) -> dict[str, Any]:
    """With words: the offered entries ranked for them, best first. Without: every offered entry in catalog order."""
    def offered(entry: Entry) -> bool:
        return catalog.get(entry.name) is entry and (not toolset or entry.toolset == toolset) \
            and (not kind or entry.kind == kind)

    if not query.strip():
        found = [e for e in catalog.values() if offered(e)]
        result: dict[str, Any] = {"data": [_summary(e) for e in found[:SEARCH_LIMIT]]}
        if len(found) > SEARCH_LIMIT:
            result["meta"] = {"total": len(found), "note": f"First {SEARCH_LIMIT} shown; narrow with toolset or kind."}
        return result
    index = catalog_index()
    if any(index.entry(name) is not entry for name, entry in catalog.items()):
        index = SearchIndex(catalog.values())  # a catalog of its own (not the server's): rank it alone
    matches = [m for m in index.rank(query) if offered(m.entry)]
    best = matches[0].score if matches else 0.0
    shown = [m for i, m in enumerate(matches[:RANKED_LIMIT]) if i < 3 or m.score >= WEAK * best]
    tied = [m.entry for m in shown if m.score >= NEAR_TIE * best]
    tied_names = {e.name for e in tied}
    data = []
    for match in shown:
        summary = _summary(match.entry)
        if len(tied) > 1 and match.entry.name in tied_names:
            summary["apart"] = _apart(match.entry, [e for e in tied if e.name != match.entry.name])
        data.append(summary)
    result = {"data": data}
    if not data:
        result["meta"] = {"note": "Nothing offered here matches these words; try other words, or search by toolset "
                                  "or kind alone."}
    return result


def _summary(entry: Entry) -> dict[str, Any]:
    return {"name": entry.name, "title": entry.title, "class": entry.kind, "toolset": entry.toolset,
            "description": _short(entry.description)}


def describe(entry: Entry, offered: Container[str] = CATALOG) -> dict[str, Any]:
    return {
        "name": entry.name, "title": entry.title, "class": entry.kind, "toolset": entry.toolset,
        "description": entry.tool_description, "asks_confirmation": entry.may_ask,
        "annotations": {"read_only": entry.read_only, "destructive": entry.may_destroy,
                        "idempotent": entry.is_idempotent},
        "input_schema": offered_schema(entry.name, offered), "output_schema": output_schema(entry.name),
    }
