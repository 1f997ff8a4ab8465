"""Valid example arguments for any tool, built from its input schema (for tests across the suite)."""

from __future__ import annotations

from typing import Any

from telnyx_iot_mcp.tools.registry import OPERATIONS
from telnyx_iot_mcp.tools.schema import input_schema

SAMPLE_UUID = "6a09cdc3-8948-47f0-aa62-74ac943d6c58"
# Example values for string patterns used in the registry.
BY_PATTERN = {
    "^[0-9]+(\\.[0-9]+)?$": "500",
    "^[A-Za-z0-9_-]+$": "addr_1234",
    "^([A-Z]{2}|[0-9]{3}|[0-9]{5,6})$": "DE",
    "^[a-z0-9-]+$": "us-east-1",
    "^-?[a-z_]+$": "-created_at",
    "^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$": "1293384261075731499",
    "^[0-9]{1,32}$": "2126210528794641864",
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}": "2026-11-01T00:00:00Z",
    "^[0-9]{3}$": "262",
    "^[0-9]{2,3}$": "01",
    "^[A-Z]{2}$": "DE",
    "^[0-9]{6,15}$": "262011234567890",
    "^\\+?[0-9]{6,15}$": "+4915112345678",
}
BY_FORMAT = {"uuid": SAMPLE_UUID, "date-time": "2026-11-01T00:00:00Z", "uri": "https://example.com/hook"}


def example(schema: dict[str, Any], *, full: bool) -> Any:
    if "anyOf" in schema:  # a nullable value: its non-null branch
        return example(schema["anyOf"][0], full=full)
    kind = schema.get("type")
    kind = next(t for t in kind if t != "null") if isinstance(kind, list) else kind
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "string":
        if "format" in schema:
            return BY_FORMAT[schema["format"]]
        if "pattern" in schema:
            return BY_PATTERN[schema["pattern"]]
        return "example"[: schema.get("maxLength", 7)]
    if kind == "integer":
        return max(schema.get("minimum", 1), 1) if "maximum" not in schema else max(schema.get("minimum", 1), min(2, schema["maximum"]))
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "array":
        return [example(schema["items"], full=full)]
    if kind == "object":
        keys = schema.get("properties", {}) if full else schema.get("required", [])
        return {k: example(schema["properties"][k], full=full) for k in keys}
    raise AssertionError(f"no example for {schema}")


def sample_arguments(name: str, *, full: bool = False) -> dict[str, Any]:
    """Required arguments only, or (full) every argument the tool takes, with plausible values."""
    schema = input_schema(name)
    registry_args = {p.name for p in OPERATIONS[name].params}
    keys = registry_args if full else set(schema.get("required", []))
    return {k: example(schema["properties"][k], full=full) for k in sorted(keys)}
