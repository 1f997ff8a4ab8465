"""JSON Schemas (draft 2020-12) of each tool's input and output, generated from the registry."""

from __future__ import annotations

from functools import cache
from typing import Any

from .registry import OPERATIONS, Operation
from .registry.shapes import PAGE_META

DIALECT = "https://json-schema.org/draft/2020-12/schema"
CONFIRMATION_TOKEN = "confirmation_token"
CONFIRMATION_TOKEN_SCHEMA = {
    "type": "string", "maxLength": 1024,
    "description": "Only when a previous call of this tool returned one: the single-use token that confirms "
                   "this exact call after the user said yes. Omit it otherwise.",
}


def _input_schema(op: Operation) -> dict[str, Any]:
    properties = {p.name: {**p.schema_, "description": p.description} for p in op.params}
    if op.gated:  # checked by the confirmation gate, never sent to the API
        properties[CONFIRMATION_TOKEN] = CONFIRMATION_TOKEN_SCHEMA
    schema: dict[str, Any] = {
        "$schema": DIALECT,
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    required = [p.name for p in op.params if p.required]
    if required:
        schema["required"] = required
    return schema


def _output_schema(op: Operation) -> dict[str, Any]:
    data = {"type": "array", "items": op.returns} if op.returns_list else op.returns
    properties: dict[str, Any] = {"data": data}
    if op.paginated:
        properties["meta"] = PAGE_META
    return {"$schema": DIALECT, "type": "object", "properties": properties}


@cache
def input_schema(name: str) -> dict[str, Any]:
    return _input_schema(OPERATIONS[name])


@cache
def output_schema(name: str) -> dict[str, Any]:
    return _output_schema(OPERATIONS[name])
