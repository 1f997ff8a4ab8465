"""Dynamic mode: three small tools that search, describe and call the selected catalog on demand."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from mcp import types

from ..tools.registry import TOOLSETS
from ..tools.schema import output_schema, published_input_schema
from .selection import Entry

CLASSES = ("read", "write", "destructive", "billable")
SEARCH_LIMIT = 20

DYNAMIC_TOOLS = [
    types.Tool(
        name="search_operations",
        title="Search Telnyx IoT operations",
        description="Find operations (SIM cards, groups, actions, orders, usage alerts, OTA, blocklists, voice, "
                    "storage) by words, toolset or class. Returns names, titles, classes and short descriptions; "
                    "then describe_operation, then call_operation.",
        input_schema={"type": "object", "additionalProperties": False, "properties": {
            "query": {"type": "string", "maxLength": 200, "description": "Words to match, e.g. 'disable sim'."},
            "toolset": {"type": "string", "enum": list(TOOLSETS)},
            "class": {"type": "string", "enum": list(CLASSES),
                      "description": "destructive and billable calls ask the user to confirm."},
        }},
        annotations=types.ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False),
    ),
    types.Tool(
        name="describe_operation",
        title="Describe an operation",
        description="Full input and output schema, class and annotations of one operation.",
        input_schema={"type": "object", "additionalProperties": False, "required": ["name"],
                      "properties": {"name": {"type": "string", "maxLength": 64}}},
        annotations=types.ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False),
    ),
    types.Tool(
        name="call_operation",
        title="Call an operation",
        description="Run one operation with its arguments, validated like its own tool; destructive and billable "
                    "ones ask the user to confirm first.",
        input_schema={"type": "object", "additionalProperties": False, "required": ["name"], "properties": {
            "name": {"type": "string", "maxLength": 64},
            "arguments": {"type": "object", "description": "As in describe_operation's input_schema."},
        }},
        annotations=types.ToolAnnotations(read_only_hint=False, destructive_hint=True, open_world_hint=True),
    ),
]
DYNAMIC_NAMES = {tool.name for tool in DYNAMIC_TOOLS}


@cache
def _validator(name: str):
    from jsonschema import Draft202012Validator  # on first use: the import would slow every start

    return Draft202012Validator(next(tool.input_schema for tool in DYNAMIC_TOOLS if tool.name == name))


def tool_problems(name: str, arguments: dict[str, Any]) -> list[str]:
    """What is wrong with the arguments of a dynamic-mode tool, one line each naming the field."""
    return [f"{'.'.join(map(str, e.absolute_path)) or 'arguments'}: {e.message}"
            for e in _validator(name).iter_errors(arguments)]


def _short(text: str) -> str:
    first = text.split(". ")[0].rstrip(".")
    return first + "." if len(first) <= 160 else first[:157] + "..."


SUFFIXES = ("ing", "ies", "ed", "es", "s", "y")
STOP_WORDS = frozenset("a an the in on at for of to from with and or all every each my our this that".split())


def _stem(word: str) -> str:
    """`roaming` -> `roam`, `countries` and `country` -> `countr`: people and models word it either way."""
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def search(catalog: dict[str, Entry], query: str = "", toolset: str | None = None,
           kind: str | None = None) -> dict[str, Any]:
    """Entries matching every word of `query` (in name, title or description), best matches first."""
    words = [_stem(w) for w in re.split(r"[\s_]+", query.lower()) if w and w not in STOP_WORDS]
    scored = []
    for entry in catalog.values():
        if (toolset and entry.toolset != toolset) or (kind and entry.kind != kind):
            continue
        name, title, text = entry.name.replace("_", " "), entry.title.lower(), entry.description.lower()
        if any(w not in f"{name} {title} {text}" for w in words):
            continue
        score = sum(3 * (w in name) + 2 * (w in title) for w in words)
        scored.append((-score, entry.name, entry))
    found = [entry for _, _, entry in sorted(scored, key=lambda s: s[:2])] if words else [s[2] for s in scored]
    result: dict[str, Any] = {"data": [
        {"name": e.name, "title": e.title, "class": e.kind, "toolset": e.toolset, "description": _short(e.description)}
        for e in found[:SEARCH_LIMIT]
    ]}
    if len(found) > SEARCH_LIMIT:
        result["meta"] = {"total": len(found), "note": f"First {SEARCH_LIMIT} shown; narrow with toolset or class."}
    return result


def describe(entry: Entry) -> dict[str, Any]:
    return {
        "name": entry.name, "title": entry.title, "class": entry.kind, "toolset": entry.toolset,
        "description": entry.description, "asks_confirmation": entry.gated,
        "annotations": {"read_only": entry.read_only, "destructive": entry.kind == "destructive",
                        "idempotent": entry.is_idempotent},
        "input_schema": published_input_schema(entry.name), "output_schema": output_schema(entry.name),
    }
