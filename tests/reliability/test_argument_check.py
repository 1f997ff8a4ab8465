"""The direct check that lets arguments which fit through without jsonschema (tools/validation.py `fits`)
never lets through what jsonschema refuses, on every tool's full schema: valid arguments, hostile ones, and
values one step past each limit (a character too many, a bool for an integer, a UUID in another form...)."""

from __future__ import annotations

import string
import sys
import subprocess
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schema_strategy import ANY_JSON, mutated, valid
from telnyx_iot_mcp.server.dynamic import DYNAMIC_SCHEMAS
from telnyx_iot_mcp.tools.local import LOCAL_TOOLS
from telnyx_iot_mcp.tools.registry import OPERATIONS
from telnyx_iot_mcp.tools.schema import input_schema
from telnyx_iot_mcp.tools.validation import _validator, fits, problems

SCHEMAS = {name: input_schema(name) for name in [*OPERATIONS, *LOCAL_TOOLS]}
# A few examples per tool in the default run; many more in the slow suite (`pytest -m slow`).
CHECKS = settings(max_examples=5, deadline=None, database=None, suppress_health_check=list(HealthCheck))
LONG = settings(max_examples=50, deadline=None, database=None, suppress_health_check=list(HealthCheck))


def refused(name: str, arguments: object) -> bool:
    return any(True for _ in _validator(name).iter_errors(arguments))


def near(leaf: dict) -> st.SearchStrategy:
    """Values one step outside (or just inside) what `leaf` allows."""
    values: list = [None, True, False, 0, 1, -1, 1.0, 2.5, "", "x", [], {}, ["a", "a"], float("nan")]
    for bound in ("minimum", "maximum"):
        if bound in leaf:
            values += [leaf[bound] - 1, leaf[bound], leaf[bound] + 1, float(leaf[bound]), leaf[bound] + 0.5]
    for bound in ("minLength", "maxLength"):
        if bound in leaf:
            values += ["a" * max(leaf[bound] - 1, 0), "a" * leaf[bound], "a" * (leaf[bound] + 1), "é" * leaf[bound]]
    for bound in ("minItems", "maxItems"):
        if bound in leaf:
            values += [["a"] * max(leaf[bound] - 1, 0), [str(i) for i in range(leaf[bound] + 1)]]
    for member in leaf.get("enum", []):
        values += [member, str(member).upper(), f" {member}", [member]]
    one = uuid.UUID("6a09cdc3-8948-47f0-aa62-74ac943d6c58")
    values += [str(one), str(one).upper(), one.hex, f"{{{one}}}", one.urn, str(one)[:-1], str(one) + "0",
               "2026-11-28T10:00:00Z", "2026-11-28", "2026-13-01T00:00:00Z", "https://a.example/x", "ftp://a",
               "https://", "abc/../d", "a b", "a\n"]
    return st.sampled_from(values)


def leaves(schema: dict) -> list[dict]:
    found = [schema]
    for sub in schema.get("properties", {}).values():
        found += leaves(sub)
    if isinstance(schema.get("items"), dict):
        found += leaves(schema["items"])
    for branch in schema.get("anyOf", []):
        found += leaves(branch)
    return found


def nearly(schema: dict) -> st.SearchStrategy[dict]:
    """Valid arguments with one argument (or one item of a list argument) set one step off."""
    names = sorted(schema.get("properties", {}))

    @st.composite
    def build(draw: st.DrawFn) -> dict:
        arguments = dict(draw(valid(schema)))
        if not names:
            return arguments
        name = draw(st.sampled_from(names))
        sub = schema["properties"][name]
        value = draw(near(draw(st.sampled_from(leaves(sub)))))
        if isinstance(arguments.get(name), list) and arguments[name] and draw(st.booleans()):
            arguments[name] = [*arguments[name][:-1], value]
        else:
            arguments[name] = value
        return arguments
    return build()


def fits_only_what_jsonschema_accepts(name: str, data: st.DataObject) -> None:
    schema = SCHEMAS[name]
    for arguments in (data.draw(valid(schema)), data.draw(mutated(schema)), data.draw(nearly(schema))):
        if fits(schema, arguments):
            assert not refused(name, arguments), f"{name}: let through {arguments!r}"


def valid_arguments_fit(name: str, data: st.DataObject) -> None:
    arguments = data.draw(valid(SCHEMAS[name]))
    if not refused(name, arguments):  # the strategy does not know every limit (minProperties)
        assert fits(SCHEMAS[name], arguments), arguments


RUNS = pytest.mark.parametrize("runs", [CHECKS, pytest.param(LONG, marks=pytest.mark.slow)], ids=["quick", "long"])


@RUNS
@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_what_fits_is_what_jsonschema_accepts(name, runs):
    runs(given(data=st.data())(lambda data: fits_only_what_jsonschema_accepts(name, data)))()


@RUNS
@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_valid_arguments_need_no_jsonschema(name, runs):
    """The direct check is the path valid calls take (else the first call waits for jsonschema)."""
    runs(given(data=st.data())(lambda data: valid_arguments_fit(name, data)))()


@pytest.mark.parametrize("name", sorted(DYNAMIC_SCHEMAS))
@CHECKS
@given(data=st.data())
def test_dynamic_mode_tools_too(name, data):
    from jsonschema import Draft202012Validator

    schema = DYNAMIC_SCHEMAS[name]
    validator = Draft202012Validator(schema)
    for arguments in (data.draw(valid(schema)), data.draw(mutated(schema)),
                      data.draw(st.dictionaries(st.sampled_from(sorted(schema["properties"]) + ["x"]), ANY_JSON))):
        if fits(schema, arguments):
            assert not list(validator.iter_errors(arguments)), arguments


def test_unknown_keywords_and_values_are_left_to_jsonschema():
    assert not fits({"type": "string", "exclusiveMaximum": 3}, "a")
    assert not fits({"type": "integer"}, 1.0)  # an integer to JSON Schema; jsonschema decides
    assert not fits({"type": "integer"}, True)
    assert not fits({"type": "array", "uniqueItems": True}, [1, True])  # distinct in JSON, equal in Python
    assert not fits({"enum": [1, 2]}, True)
    assert not fits({"type": "number", "minimum": 0}, float("nan"))
    assert not fits({"type": "string"}, type("Text", (str,), {})("a"))  # only what JSON parses to


def test_bad_arguments_still_name_each_field():
    found = problems("get_sim_card", {"sim_card_id": "6a09cdc3-8948-47f0-aa62-74ac943d6c5", "extra": 1})
    assert any(p.startswith("sim_card_id:") and "not a UUID" in p for p in found), found
    assert any("unknown argument extra" in p for p in found), found
    assert problems("get_sim_card", {"sim_card_id": "6A09CDC3-8948-47F0-AA62-74AC943D6C58"}) == []


def test_a_valid_call_does_not_import_jsonschema():
    code = ("import sys; from telnyx_iot_mcp.tools.validation import problems; "
            "assert problems('list_sim_cards', {'page_size': 250, 'fields': ['id'], 'status': ['enabled']})"
            " == []; assert problems('get_sim_card', {'sim_card_id': '" + str(uuid.uuid4()) + "'}) == []; "
            "print('jsonschema' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
