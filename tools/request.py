"""Turns a validated tool call into the HTTP request the Telnyx API expects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from .registry import Operation
from .schema import cleared


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str  # relative to the base URL, path ids percent-encoded
    params: list[tuple[str, str]] = field(default_factory=list)
    json: dict[str, Any] | None = None
    operation: str | None = None  # the registry name: decides whether a failed call may be retried


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_query_value(v) for v in value)
    if isinstance(value, float) and value.is_integer():  # JSON Schema counts 2.0 as an integer; "2.0" is not one
        return str(int(value))
    return str(value)


def path_segment(value: Any) -> str:
    """One path segment that cannot reach outside its place: '/', '?', '#' and '%' are percent-encoded, and
    so are the dots of '.' and '..', which HTTP clients would otherwise resolve to a parent path."""
    segment = quote(str(value), safe="")
    if not segment:
        raise ValueError("an empty path id would address the collection instead of one record")
    return segment.replace(".", "%2E") if set(segment) == {"."} else segment


def build_request(op: Operation, arguments: dict[str, Any]) -> ApiRequest:
    path = op.path
    params: list[tuple[str, str]] = []
    body: dict[str, Any] = {}
    for param in op.params:
        if param.name not in arguments:
            continue
        value = arguments[param.name]
        if param.location == "path":
            path = path.replace("{" + param.name + "}", path_segment(value))
        elif param.location == "query" and isinstance(value, list) and not param.wire.endswith("]"):
            params.extend((param.wire, _query_value(v)) for v in value)  # form style: `sort=a&sort=b`
        elif param.location == "query":
            params.append((param.wire, _query_value(value)))
        else:  # an empty value clears a field the API clears with null
            body[param.wire] = None if cleared(param.schema_, value) else value
    params.extend(op.fixed_query)
    has_body = op.method in ("POST", "PATCH") and any(p.location == "body" for p in op.params)
    return ApiRequest(op.method, path, params, body if has_body else None, operation=op.name)
