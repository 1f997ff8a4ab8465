"""Checks a tool call's arguments against its full schema: the published one plus the limits only the server needs.

Arguments that fit are passed by a direct check of the few keywords the registry's schemas use; anything
else (a problem, or a keyword that check does not know) goes to jsonschema, which names every field that is
wrong. So jsonschema is imported on the first call with bad arguments, not on every start."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from uuid import UUID

from .schema import input_schema
from .suggest import did_you_mean

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


def _is_uuid(value: object) -> bool:
    """jsonschema's own uuid check: any form UUID() reads, with the hyphens where the canonical form has them."""
    if not isinstance(value, str):
        return True
    UUID(value)
    return all(value[position] == "-" for position in (8, 13, 18, 23))


# The formats the schemas use, each checked by one function on both paths. A check raises ValueError or
# returns False for a value not in its format.
FORMATS = {"uuid": _is_uuid, "date-time": _is_datetime, "uri": _is_url}


@cache
def _formats() -> FormatChecker:
    from jsonschema import FormatChecker

    checker = FormatChecker([])
    for name, check in FORMATS.items():
        checker.checks(name, raises=ValueError)(check)
    return checker


@cache
def _validator(name: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(input_schema(name), format_checker=_formats())


ANNOTATIONS = frozenset({"default", "description", "title", "examples"})
JSON_TYPES = frozenset({str, dict, list, bool, int, float, type(None)})  # what a parsed JSON value can be
# Types compared exactly, never by isinstance: True == 1 in Python, not in JSON; other forms go to jsonschema.
EXACT_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "object": (dict,), "array": (list,), "boolean": (bool,), "null": (type(None),),
    "integer": (int,), "number": (int, float),  # a bool is no number here, as in JSON Schema
}


def fits(schema: dict[str, Any], value: Any) -> bool:
    """True only when `value` surely satisfies `schema`. False when it does not, or when the schema has a
    keyword (or the value a form, e.g. 1.0 for an integer) this check leaves to jsonschema."""
    if type(value) not in JSON_TYPES:
        return False
    for keyword, wanted in schema.items():
        if keyword in ANNOTATIONS:
            continue
        check = CHECKS.get(keyword)
        if check is None or not check(wanted, value, schema):
            return False
    return True


def _format_fits(name: str, value: str) -> bool:
    check = FORMATS.get(name)
    try:
        return check is not None and check(value) is True
    except ValueError:
        return False


def _extra_fit(wanted: Any, value: dict[str, Any], schema: dict[str, Any]) -> bool:
    extra = [item for name, item in value.items() if name not in schema.get("properties", {})]
    return not extra or wanted is True or (type(wanted) is dict and all(fits(wanted, item) for item in extra))


# Each keyword as JSON Schema applies it: to its own kind of value only (maxLength to strings...).
CHECKS: dict[str, Callable[[Any, Any, dict[str, Any]], bool]] = {
    "type": lambda wanted, v, _: type(wanted) is str and type(v) in EXACT_TYPES.get(wanted, ()),
    "anyOf": lambda wanted, v, _: any(fits(branch, v) for branch in wanted),
    "enum": lambda wanted, v, _: type(v) in (str, int) and any(type(m) is type(v) and m == v for m in wanted),
    "maxLength": lambda wanted, v, _: type(v) is not str or len(v) <= wanted,
    "minLength": lambda wanted, v, _: type(v) is not str or len(v) >= wanted,
    "pattern": lambda wanted, v, _: type(v) is not str or re.search(wanted, v) is not None,
    "format": lambda wanted, v, _: type(v) is not str or _format_fits(wanted, v),
    "properties": lambda wanted, v, _: type(v) is not dict or all(
        fits(wanted[name], item) for name, item in v.items() if name in wanted),
    "additionalProperties": lambda wanted, v, schema: type(v) is not dict or _extra_fit(wanted, v, schema),
    "required": lambda wanted, v, _: type(v) is not dict or all(name in v for name in wanted),
    "minProperties": lambda wanted, v, _: type(v) is not dict or len(v) >= wanted,
    "items": lambda wanted, v, _: type(v) is not list or (type(wanted) is dict and all(fits(wanted, i) for i in v)),
    "maxItems": lambda wanted, v, _: type(v) is not list or len(v) <= wanted,
    "minItems": lambda wanted, v, _: type(v) is not list or len(v) >= wanted,
    "uniqueItems": lambda wanted, v, _: type(v) is not list or not wanted or (  # strings only: 1 == True in Python
        all(type(item) is str for item in v) and len(set(v)) == len(v)),
    "minimum": lambda wanted, v, _: type(v) not in (int, float) or v >= wanted,  # NaN fails: left to jsonschema
    "maximum": lambda wanted, v, _: type(v) not in (int, float) or v <= wanted,
}


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
                    f"{'s' if len(extra) > 1 else ''} {', '.join(extra)}{did_you_mean(extra, allowed)}; "
                    f"allowed: {', '.join(allowed)}")
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
    if fits(input_schema(name), arguments):
        return []
    errors = sorted(_validator(name).iter_errors(arguments), key=lambda e: (list(map(str, e.absolute_path)), e.validator))
    return [_describe(e) for e in errors]
