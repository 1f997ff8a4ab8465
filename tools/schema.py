"""JSON Schemas (draft 2020-12) of each tool's input and output, generated from the registry.

No `$schema` keyword: 2020-12 is the MCP default, and every byte of the tool list costs the model context.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from .local import LOCAL_TOOLS
from .paging import MAX_PAGES, MAX_RECORDS, takes_pages
from .registry import OPERATIONS, Operation
from .registry.shapes import PAGE_META

CONFIRMATION_TOKEN = "confirmation_token"
CONFIRMATION_TOKEN_SCHEMA = {
    "type": "string", "maxLength": 1024,
    "description": "The token a previous call of this tool returned, once the user said yes; omit otherwise.",
}

# Arguments the server handles itself (never sent to the API): added to every list / paginated operation.
FIELDS = {
    "type": "array", "items": {"type": "string", "pattern": r"^[a-z0-9_]+(\.[a-z0-9_]+)*$", "maxLength": 128},
    "minItems": 1, "maxItems": 50, "uniqueItems": True,
    "description": "Return only these fields of each record, as dotted paths, e.g. [\"id\", \"status.value\"].",
}
ALL_PAGES = {
    "type": "boolean", "default": False,
    "description": f"Return every page in one result (at most {MAX_PAGES} pages or {MAX_RECORDS} records: see "
                   f"meta.truncated).",
}


def local_arguments(op: Operation) -> dict[str, dict]:
    """The server-side arguments `op` takes beyond its registry params."""
    extra: dict[str, dict] = {}
    if op.returns_list:
        extra["fields"] = FIELDS
    if takes_pages(op):
        extra["all_pages"] = ALL_PAGES
    return extra


def _input_schema(op: Operation) -> dict[str, Any]:
    properties = {p.name: {**p.schema_, "description": p.description} for p in op.params}
    properties.update(local_arguments(op))
    if op.gated:  # checked by the confirmation gate, never sent to the API
        properties[CONFIRMATION_TOKEN] = CONFIRMATION_TOKEN_SCHEMA
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    required = [p.name for p in op.params if p.required]
    if required:
        schema["required"] = required
    return schema


def published_record(schema: dict[str, Any]) -> dict[str, Any]:
    """A record's field names and nesting, its scalar values left open.

    Telnyx returns null for fields its API description types as strings, and a client rejects a result
    that breaks the output schema; typing every field as nullable instead doubled the tool list."""
    out: dict[str, Any] = {}
    if "properties" in schema:
        out["properties"] = {name: published_record(sub) for name, sub in schema["properties"].items()}
    if isinstance(schema.get("items"), dict):
        out["items"] = published_record(schema["items"])
    return out


def _output_schema(op: Operation) -> dict[str, Any]:
    record = {"type": "object", **published_record(op.returns)}
    data = {"type": "array", "items": record} if op.returns_list else record
    properties: dict[str, Any] = {"data": data}
    if op.paginated:
        properties["meta"] = PAGE_META
    return {"type": "object", "properties": properties}


# Keywords that describe a value rather than constrain it: they stay outside the branches of `portable`.
ANNOTATIONS = frozenset({"description", "title", "default", "examples", "deprecated", "readOnly", "writeOnly"})
SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs")
SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
SUBSCHEMAS = ("items", "additionalProperties", "contains", "not")


def portable(schema: Any) -> Any:
    """`{"type": [T, "null"], ...}` spelled `{"anyOf": [{"type": T, ...}, {"type": "null"}]}` throughout.

    Both mean the same; clients that map tool schemas onto a single-`type` dialect (OpenAPI-style
    function declarations) reject or loosen the array form (the MCP Inspector's --strict check flags it).
    """
    if not isinstance(schema, dict):
        return schema
    node = dict(schema)
    for key in SUBSCHEMA_MAPS:
        if isinstance(node.get(key), dict):
            node[key] = {name: portable(sub) for name, sub in node[key].items()}
    for key in SUBSCHEMA_LISTS:
        if isinstance(node.get(key), list):
            node[key] = [portable(sub) for sub in node[key]]
    for key in SUBSCHEMAS:
        if key in node:
            node[key] = portable(node[key])
    kinds = node.get("type")
    if not (isinstance(kinds, list) and "null" in kinds):
        return node
    others = [kind for kind in kinds if kind != "null"]
    branch = {k: v for k, v in node.items() if k not in ANNOTATIONS}
    branch["type"] = others[0] if len(others) == 1 else others
    if "enum" in branch:
        branch["enum"] = [value for value in branch["enum"] if value is not None]
    return {**{k: v for k, v in node.items() if k in ANNOTATIONS}, "anyOf": [branch, {"type": "null"}]}


@cache
def input_schema(name: str) -> dict[str, Any]:
    if name in LOCAL_TOOLS:
        return portable(LOCAL_TOOLS[name].input)
    return portable(_input_schema(OPERATIONS[name]))


@cache
def output_schema(name: str) -> dict[str, Any]:
    if name in LOCAL_TOOLS:
        return LOCAL_TOOLS[name].output
    return _output_schema(OPERATIONS[name])
