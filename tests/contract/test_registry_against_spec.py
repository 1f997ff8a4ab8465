"""The registry agrees with the Telnyx OpenAPI description, and every request it builds validates against it."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from samples import sample_arguments
from spec_check import SPEC, accepted_by_spec, resolve
from telnyx_iot_mcp.tools.registry import OPERATIONS, Operation
from telnyx_iot_mcp.tools.request import build_request

NAMES = sorted(OPERATIONS)


def spec_operation(op: Operation) -> dict[str, Any]:
    template = re.sub(r"{\w+}", "{id}", op.path)
    return resolve(SPEC["paths"][template][op.method.lower()])


def _expand(prefix: str, schema: dict[str, Any], required: bool, found: dict) -> None:
    """deepObject members, nested ones too (`filter[name][contains]`)."""
    if "object" in types_of(schema) and "properties" in schema:
        for key, sub in schema["properties"].items():
            _expand(f"{prefix}[{key}]", resolve(sub), key in schema.get("required", []), found)
    else:
        found[prefix] = (schema, required)


def spec_query(op: Operation) -> dict[str, tuple[dict[str, Any], bool]]:
    """Query parameters by wire name; deepObject `filter`/`page` objects expanded to `filter[x]`."""
    found: dict[str, tuple[dict[str, Any], bool]] = {}
    for raw in spec_operation(op).get("parameters", []):
        param = resolve(raw)
        if param["in"] != "query":
            continue
        schema = resolve(param["schema"])
        if param.get("style") == "deepObject":
            for key, sub in schema["properties"].items():
                _expand(f"{param['name']}[{key}]", resolve(sub), key in schema.get("required", []), found)
        else:
            found[param["name"]] = (schema, param.get("required", False))
    return found


def free_form_filters(op: Operation) -> bool:
    """The operation's deepObject `filter` takes any attribute (the detail-record search)."""
    return any(resolve(p)["in"] == "query" and resolve(p)["name"] == "filter"
               and resolve(resolve(p)["schema"]).get("additionalProperties") is True
               for p in spec_operation(op).get("parameters", []))


def noted(op: Operation, fact: str) -> bool:
    """A wire fact beyond the API description is allowed only when the entry's wire note names it."""
    return fact in op.wire_note


def spec_body(op: Operation) -> dict[str, Any] | None:
    body = spec_operation(op).get("requestBody")
    if body is None:
        return None
    return resolve(body["content"]["application/json"]["schema"])


def read_only(schema: dict[str, Any]) -> bool:
    """readOnly itself, or an object all of whose fields are (the SIM card's `status`)."""
    schema = resolve(schema)
    fields = schema.get("properties")
    return bool(schema.get("readOnly")) or bool(fields) and all(read_only(f) for f in fields.values())


def writable(properties: dict[str, Any]) -> dict[str, Any]:
    return {k: resolve(v) for k, v in properties.items() if not read_only(v)}


def types_of(schema: dict[str, Any]) -> set[str]:
    if "oneOf" in schema:
        return set().union(*(types_of(resolve(s)) for s in schema["oneOf"]))
    kind = schema.get("type")
    return ({kind} if isinstance(kind, str) else set(kind or [])) - {"null"}


def all_field_names(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        found |= set(node.get("properties", {})) if isinstance(node.get("properties"), dict) else set()
        for value in node.values():
            found |= all_field_names(value)
    elif isinstance(node, list):
        for value in node:
            found |= all_field_names(value)
    return found


SPEC_FIELDS = all_field_names(SPEC["components"]) | all_field_names(SPEC["paths"])


def enum_of(schema: dict[str, Any]) -> list[str] | None:
    if "enum" in schema:
        return sorted(map(str, schema["enum"]))
    if "items" in schema and "enum" in resolve(schema["items"]):
        return sorted(resolve(schema["items"])["enum"])
    return None


def test_every_operation_of_both_facts_files_exists_and_no_other():
    in_spec = {(path, method.upper()) for path, item in SPEC["paths"].items() for method in item}
    in_registry = {(re.sub(r"{\w+}", "{id}", op.path), op.method) for op in OPERATIONS.values()}
    assert len(OPERATIONS) == 66 + 24
    assert in_registry == in_spec


@pytest.mark.parametrize("name", [n for n, op in OPERATIONS.items() if op.wire_note])
def test_a_disagreement_between_sources_is_resolved_against_the_facts_files(name):
    """Each wire note says which source the entry follows; reconstructed and renamed paths say so in the facts."""
    op = OPERATIONS[name]
    spec_op = spec_operation(op)
    assert len(op.wire_note) > 40
    if spec_op.get("x-not-in-source-spec"):
        assert "reconstructed" in op.wire_note.lower()
    template = re.sub(r"{\w+}", "{id}", op.path)
    if "x-spec-path" in SPEC["paths"][template]:
        assert "/v2/v2" in op.wire_note


@pytest.mark.parametrize("name", NAMES)
def test_path_parameters_agree(name):
    op = OPERATIONS[name]
    spec_params = [resolve(p) for p in spec_operation(op).get("parameters", []) if resolve(p)["in"] == "path"]
    ours = [p for p in op.params if p.location == "path"]
    assert len(ours) == len(spec_params)
    for mine, theirs in zip(ours, spec_params):
        assert mine.required
        spec_is_uuid = resolve(theirs["schema"]).get("format") == "uuid"
        assert (mine.schema_.get("format") == "uuid") == spec_is_uuid, mine.name


@pytest.mark.parametrize("name", NAMES)
def test_query_parameters_agree(name):
    op = OPERATIONS[name]
    theirs = spec_query(op)
    ours = {p.wire: p for p in op.params if p.location == "query"}
    fixed = dict(op.fixed_query)
    extra = set(ours) - set(theirs)
    if free_form_filters(op):  # any attribute may be a filter there
        extra = {w for w in extra if not w.startswith("filter[")}
    assert not extra
    assert set(theirs) <= set(ours) | set(fixed)
    for wire, (schema, required) in theirs.items():
        if wire in fixed:  # sent on every call, and one of the values the API allows
            assert enum_of(schema) is None or fixed[wire] in enum_of(schema), wire
            assert wire in op.wire_note, "a pinned value says why"
            continue
        mine = ours[wire]
        assert mine.required == required, wire
        assert types_of(mine.schema_) == types_of(schema), wire
        if enum_of(schema) is not None:
            beyond = set(enum_of(mine.schema_)) - set(enum_of(schema))
            assert set(enum_of(schema)) <= set(enum_of(mine.schema_)), wire
            assert all(noted(op, value) for value in beyond), f"{wire}: {beyond} not in the wire note"


@pytest.mark.parametrize("name", NAMES)
def test_body_fields_agree(name):
    op = OPERATIONS[name]
    body = spec_body(op)
    ours = {p.wire: p for p in op.params if p.location == "body"}
    if body is None:
        assert not ours
        return
    theirs = writable(body.get("properties", {}))
    beyond = set(ours) - set(theirs)
    assert set(theirs) <= set(ours), "every writable field must be accepted"
    assert all(noted(op, wire) for wire in beyond), f"read-only or unknown fields {beyond} must not be accepted"
    assert {w for w, p in ours.items() if p.required} == set(body.get("required", []))
    for wire, schema in theirs.items():
        mine = ours[wire].schema_
        assert types_of(mine) == types_of(schema) or (not types_of(schema) and types_of(mine)), wire
        assert enum_of(mine) == enum_of(schema), wire
        if "object" in types_of(schema):
            sub_theirs = writable(schema.get("properties", {}))
            assert set(mine["properties"]) == set(sub_theirs), wire
            for key, sub in sub_theirs.items():
                assert enum_of(mine["properties"][key]) == enum_of(sub), f"{wire}.{key}"


@pytest.mark.parametrize("name", NAMES)
def test_response_shape_matches_the_spec(name):
    op = OPERATIONS[name]
    success = next(r for code, r in spec_operation(op)["responses"].items() if code.startswith("2"))
    schema = resolve(resolve(success)["content"]["application/json"]["schema"])
    data = resolve(schema["properties"]["data"])
    assert ("array" in types_of(data)) == op.returns_list
    assert ("meta" in schema.get("properties", {})) == op.paginated
    record = resolve(data["items"]) if "items" in data else resolve(resolve(data["oneOf"][0])["items"]) if "oneOf" in data else data
    ours = set(op.returns["properties"])
    if "oneOf" in record:  # detail records of every product: the entry pins one record type, its branch
        record = max(map(resolve, record["oneOf"]), key=lambda branch: len(ours & set(branch["properties"])))
        assert ours == set(record["properties"]), "the pinned record type's fields"
    # One shape serves a resource's list and get variants, which differ slightly: every field must exist
    # in the API description, and the shape must share fields with this operation's own record.
    # include_sim_card_group / include_iccids add fields the description does not name.
    assert ours <= SPEC_FIELDS | {"sim_card_group", "iccids"}, ours - SPEC_FIELDS
    assert ours & set(record.get("properties", {})), "the output shape names fields this operation returns"


# -- Requests built from sample arguments validate against the spec -------------------------------

def http_request(name: str, arguments: dict[str, Any]) -> httpx.Request:
    built = build_request(OPERATIONS[name], arguments)
    client = httpx.Client(base_url="https://api.telnyx.com/v2", headers={"Authorization": "Bearer k"})
    return client.build_request(built.method, built.path, params=built.params or None, json=built.json)


@pytest.mark.parametrize("full", [False, True], ids=["required", "all-arguments"])
@pytest.mark.parametrize("name", NAMES)
def test_built_request_validates_against_the_spec(name, full):
    request = http_request(name, sample_arguments(name, full=full))
    assert request.url.host == "api.telnyx.com" and request.url.path.startswith("/v2/")
    assert "/v2/v2/" not in str(request.url)
    accepted_by_spec(OPERATIONS[name], request)


def test_validation_catches_a_wrong_request():
    """The check above can fail: a body with a read-only field is refused by the spec."""
    request = httpx.Client(base_url="https://api.telnyx.com/v2").build_request(
        "POST", "/sim_card_data_usage_notifications", json={"sim_card_id": "nope", "threshold": {"unit": "TB"}})
    with pytest.raises(Exception):
        accepted_by_spec(OPERATIONS["create_data_usage_notification"], request)


# -- Secret fields: every answer field that holds a secret has its rule in the registry entry -------------

SECRET_WORDS = {"pin", "puk", "secret", "password", "passphrase", "token", "credential", "credentials", "auth",
                "activation", "key"}


def secret_looking_fields(schema: Any, path: tuple[str, ...] = (), depth: int = 0) -> set[tuple[str, ...]]:
    """Paths (under `data`'s records) of the fields whose name says it may hold a secret."""
    schema = resolve(schema)
    found: set[tuple[str, ...]] = set()
    if depth > 10 or not isinstance(schema, dict):
        return found
    for branch in (*schema.get("oneOf", []), *schema.get("anyOf", []), *schema.get("allOf", [])):
        found |= secret_looking_fields(branch, path, depth + 1)
    if "items" in schema:
        found |= secret_looking_fields(schema["items"], path, depth + 1)
    for name, sub in (schema.get("properties") or {}).items():
        if set(name.lower().split("_")) & SECRET_WORDS:
            found.add((*path, name))
        found |= secret_looking_fields(sub, (*path, name), depth + 1)
    return found


@pytest.mark.parametrize("name", NAMES)
def test_every_field_that_may_hold_a_secret_has_a_rule_in_the_registry_entry(name):
    op = OPERATIONS[name]
    declared = {secret.field for secret in op.secrets}
    for code, response in spec_operation(op)["responses"].items():
        schema = (resolve(response).get("content") or {}).get("application/json", {}).get("schema")
        data = resolve(schema or {}).get("properties", {}).get("data")
        for path in secret_looking_fields(data):
            assert path[0] in declared, f"{name} {code}: {'.'.join(path)} has no secret rule in the registry"


def test_the_secret_rules_found_in_the_api_description():
    """What the test above holds the registry to (so a change of the word list shows here)."""
    found = {name: sorted({s.field for s in OPERATIONS[name].secrets}) for name in NAMES if OPERATIONS[name].secrets}
    assert found == {
        **{n: ["pin_puk_codes"] for n in ("purchase_esims", "register_sim_cards", "list_sim_cards", "get_sim_card",
                                          "update_sim_card", "delete_sim_card")},
        "get_sim_card_activation_code": ["activation_code"],
        **{n: ["provider_auth"] for n in ("list_migration_sources", "create_migration_source",
                                          "get_migration_source", "delete_migration_source")},
    }
    policies = {(s.field, s.policy, s.requested_by) for op in OPERATIONS.values() for s in op.secrets}
    assert policies == {("pin_puk_codes", "ask", "include_pin_puk_codes"), ("pin_puk_codes", "never", None),
                        ("activation_code", "ask", None), ("provider_auth", "never", None)}
