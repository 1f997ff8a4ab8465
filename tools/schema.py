"""JSON Schemas (draft 2020-12) of each tool's input and output, generated from the registry."""

from __future__ import annotations

from functools import cache
from typing import Any

from .registry import OPERATIONS, Operation
from .registry.shapes import PAGE_META

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _input_schema(op: Operation) -> dict[str, Any]:
    properties = {p.name: {**p.schema_, "description": p.description} for p in op.params}
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
