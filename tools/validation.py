"""Checks a tool call's arguments against its full schema: the published one plus the limits only the server needs."""

from __future__ import annotations

from functools import cache
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .schema import input_schema

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, FormatChecker
    from jsonschema.exceptions import ValidationError


def _is_datetime(value: object) -> bool:
    return not isinstance(value, str) or bool(datetime.fromisoformat(value.replace("Z", "+00:00")))


def _is_url(value: object) -> bool:
    if not isinstance(value, str) or value == "":  # "" clears a URL field (tools/schema.py `_argument`)
        return True
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


@cache
def _formats() -> FormatChecker:
    from jsonschema import FormatChecker

    checker = FormatChecker(["uuid"])
    checker.checks("date-time", raises=ValueError)(_is_datetime)
    checker.checks("uri")(_is_url)
    return checker


@cache
def _validator(name: str) -> Draft202012Validator:
    # jsonschema is imported on the first call, not at start: a client waits for the tool list, not for it.
    from jsonschema import Draft202012Validator

    return Draft202012Validator(input_schema(name), format_checker=_formats())


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(error: ValidationError) -> str:
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
    value = _short(error.instance)
    match error.validator:
        case "required":
            missing = error.message.split("'")[1]
            return f"{where + '.' if where else ''}{missing}: required"
        case "additionalProperties":
            allowed = sorted(error.schema.get("properties", {}))
            extra = sorted(set(error.instance) - set(allowed)) if isinstance(error.instance, dict) else []
            return (f"{where or 'arguments'}: unknown {'argument' if not where else 'field'}"
                    f"{'s' if len(extra) > 1 else ''} {', '.join(extra)}; allowed: {', '.join(allowed)}")
        case "format":
            what = {"uuid": "a UUID", "date-time": "an ISO 8601 date-time", "uri": "a URL"}[error.validator_value]
            return f"{where}: {value} is not {what}"
        case "enum":
            return f"{where}: {value} is not one of {', '.join(map(str, error.validator_value))}"
        case "type":
            expected = error.validator_value
            expected = " or ".join(expected) if isinstance(expected, list) else expected
            return f"{where or 'arguments'}: expected {expected}, got {value}"
        case "anyOf" if any(e.relative_schema_path[0] == 0 for e in error.context):
            # a nullable value ({"anyOf": [T, null]}): say what T wants
            return _describe(next(e for e in error.context if e.relative_schema_path[0] == 0))
        case "pattern":
            return f"{where}: {value} has characters or a shape that is not allowed here"
        case _:
            return f"{where or 'arguments'}: {error.message if len(error.message) < 200 else _short(error.message, 200)}"


def warm(names: list[str]) -> None:
    """Builds the validators of these tools now rather than on each one's first call (jsonschema's import
    is the slow part)."""
    for name in names:
        _validator(name)


def given(value: Any) -> Any:
    """`value` without the object keys set to null: null means "not given".

    Frameworks send null for every optional argument the model left out (mcp-use, LlamaIndex), and
    a strict-mode model sends null for each one it does not use. Where the API itself clears a field
    with null, the tool takes an empty value instead (tools/schema.py `_argument`)."""
    if isinstance(value, dict):
        return {k: given(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [given(v) for v in value]
    return value


def problems(name: str, arguments: dict[str, Any]) -> list[str]:
    """Every way the arguments break the tool's input schema, one line each; empty when valid."""
    errors = sorted(_validator(name).iter_errors(arguments), key=lambda e: (list(map(str, e.absolute_path)), e.validator))
    return [_describe(e) for e in errors]
