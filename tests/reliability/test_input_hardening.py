"""Input hardening beyond the schema: every string and array is bounded, ids are validated and encoded,
and no argument value can move a request to another host or path."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from samples import sample_arguments
from spec_check import stays_inside
from telnyx_iot_mcp.tools.registry import OPERATIONS
from telnyx_iot_mcp.tools.request import build_request
from telnyx_iot_mcp.tools.schema import input_schema
from telnyx_iot_mcp.tools.validation import problems

BASE = httpx.URL("https://api.telnyx.com/v2")
HOSTILE = [
    "..", ".", "...", "../..", "../../v1/admin", "..%2F..%2F", "%2e%2e", "/", "//evil.example/x",
    "http://evil.example/", "@evil.example", "a?page[size]=250&filter[status]=enabled", "a#fragment",
    "a b", "a\r\nHost: evil.example", "a\x00b", "\u202e\u0000", "😀" * 10, "%00", "sim_cards/other-id",
    "6a09cdc3-8948-47f0-aa62-74ac943d6c58/../../sim_card_groups", "{sim_card_id}", "\\..\\..",
]


def _walk(schema: dict[str, Any], where: str):
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    yield where, schema, kinds
    for name, sub in schema.get("properties", {}).items():
        yield from _walk(sub, f"{where}.{name}")
    if isinstance(schema.get("items"), dict):
        yield from _walk(schema["items"], f"{where}[]")
    for key in ("anyOf", "oneOf"):
        for sub in schema.get(key, []):
            yield from _walk(sub, where)


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_every_string_and_array_argument_is_bounded(name):
    for where, schema, kinds in _walk(input_schema(name), name):
        if "string" in kinds and "enum" not in schema:
            assert "maxLength" in schema, f"{where}: string without maxLength"
        if "array" in kinds:
            assert "maxItems" in schema, f"{where}: array without maxItems"


@pytest.mark.parametrize("name", [n for n, op in OPERATIONS.items() if any(p.location == "path" for p in op.params)])
def test_path_ids_are_validated_before_anything_is_sent(name):
    op = OPERATIONS[name]
    for param in (p for p in op.params if p.location == "path"):
        not_uuids = ["6a09cdc3-8948-47f0-aa62-74ac943d6c58X", "{6a09cdc3-8948-47f0-aa62-74ac943d6c58}",
                     "6a09cdc3-8948-47f0-aa62-74ac943d6c5-8", "6a09cdc38948-47f0-aa62-74ac943d6c58"]
        for value in HOSTILE + [""] + (not_uuids if param.schema_.get("format") == "uuid" else []):
            arguments = {**sample_arguments(name), param.name: value}
            assert any(f.startswith(param.name) for f in problems(name, arguments)), (name, value)


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_no_argument_value_moves_the_request_off_its_operation(name):
    """Even if validation were skipped, build_request keeps every value inside its place."""
    op = OPERATIONS[name]
    client = httpx.Client(base_url=BASE)
    targets = [p for p in op.params if p.location in ("path", "query")]
    for param in targets:
        for value in HOSTILE:
            request = build_request(op, {**sample_arguments(name), param.name: value})
            sent = client.build_request(request.method, request.path, params=request.params or None,
                                        json=request.json)
            stays_inside(op, sent, BASE)


def test_the_check_can_fail():
    """A path built by plain string formatting escapes; the check above would catch it."""
    op = OPERATIONS["get_sim_card"]
    sent = httpx.Client(base_url=BASE).build_request("GET", "/sim_cards/../sim_card_groups")
    with pytest.raises(AssertionError):
        stays_inside(op, sent, BASE)


def test_an_empty_path_id_is_refused_by_build_request():
    with pytest.raises(ValueError):
        build_request(OPERATIONS["get_sim_card"], {"sim_card_id": ""})


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_oversized_strings_and_arrays_are_refused(name):
    for where, schema, kinds in _walk(input_schema(name), name):
        parts = where.split(".")
        if len(parts) != 2 or "[]" in where:
            continue  # top-level arguments only; nested ones follow the same helpers
        argument = parts[1]
        if "string" in kinds and "maxLength" in schema:
            bad = "a" * (schema["maxLength"] + 1)
        elif "array" in kinds and "maxItems" in schema:
            bad = [sample_arguments(name, full=True).get(argument, [None])[0]] * (schema["maxItems"] + 1)
        else:
            continue
        assert any(p.startswith(argument) for p in problems(name, {**sample_arguments(name), argument: bad})), where


def test_integral_floats_go_out_as_integers():
    """JSON Schema accepts 2.0 (and 1e308) as an integer; the API's query parser does not."""
    assert not problems("list_sim_cards", {"page_number": 2.0})
    request = build_request(OPERATIONS["list_sim_cards"], {"page_number": 2.0, "page_size": 1e2})
    assert dict(request.params) == {"page[number]": "2", "page[size]": "100"}
