"""Request checks built from the OpenAPI facts file shipped with this package.

Every request is matched to one of the operations of the two facts files (the 66 of the first
extract and the 24 of the extra one) and checked the way the real API would: path parameters, query parameters (deepObject `filter[...]`/`page[...]`, booleans as
`true`/`false`), and the JSON body (types, enums, required fields, readOnly and unknown
fields). A failed check becomes an `ApiError` carrying the Telnyx `errors[]` envelope.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

FACTS_FILES = ("telnyx-iot-openapi.facts.json", "telnyx-iot-extra-openapi.facts.json")
VOICE_ACTIONS = ["enable_voice", "disable_voice"]
HTTP_METHODS = ("get", "post", "patch", "put", "delete")


class ApiError(Exception):
    """An error response in the Telnyx `errors[]` envelope."""

    def __init__(self, status: int, errors: list[dict[str, Any]]):
        super().__init__(errors[0].get("detail", errors[0]["title"]) if errors else str(status))
        self.status = status
        self.errors = errors

    def body(self) -> dict[str, Any]:
        return {"errors": self.errors}


# Telnyx's error codes and titles: the general ones from developers.telnyx.com/development/
# api-fundamentals/api-errors, the 70xxx ones from developers.telnyx.com/docs/iot-sim/api-errors.
TITLES = {
    "10004": "Missing required parameter",
    "10005": "Resource not found",
    "10006": "Invalid ID",
    "10009": "Authentication failed",
    "10011": "Too many requests",
    "10015": "Bad Request",
    "10021": "Resource in use",
    "70000": "Consumption reached data limit",
    "70001": "There aren't enough available SIM cards",
    "70005": "Could not delete SIM card group",
    "70006": "Could not delete default SIM card group",
    "70007": "SIM card doesn't have a SIM card group",
}


def error(
    code: str,
    detail: str,
    *,
    pointer: str | None = None,
    parameter: str | None = None,
) -> dict[str, Any]:
    """One entry of the `errors[]` envelope, titled as Telnyx titles `code`."""
    err: dict[str, Any] = {"code": code, "title": TITLES[code], "detail": detail}
    if pointer is not None:
        err["source"] = {"pointer": pointer}
    elif parameter is not None:
        err["source"] = {"parameter": parameter}
    err["meta"] = {"url": f"https://developers.telnyx.com/docs/overview/errors/{code}"}
    return err


def not_found(detail: str, pointer: str = "/id") -> ApiError:
    return ApiError(404, [error("10005", detail, pointer=pointer)])


def unprocessable(
    detail: str, *, pointer: str | None = None, parameter: str | None = None,
    code: str = "10015",
) -> ApiError:
    """A 422: the request is well-formed but the API will not do it (`code` says why)."""
    return ApiError(422, [error(code, detail, pointer=pointer, parameter=parameter)])


def missing(name: str, *, pointer: str | None = None, parameter: str | None = None) -> ApiError:
    return unprocessable(f"{name} is required", pointer=pointer, parameter=parameter, code="10004")


@cache
def load_facts() -> dict[str, Any]:
    """Both facts files as one document (their shared components are equal), plus what Telnyx's SDKs
    (Aug 2026) add to the first: `connection_id` on group voice and the per-SIM voice action types."""
    first, *others = (json.loads(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))
                      for name in FACTS_FILES)
    for extra in others:
        first["paths"].update(extra["paths"])
        for section, members in extra["components"].items():
            first["components"].setdefault(section, {}).update(members)
    bulk_voice = first["paths"]["/sim_cards/actions/bulk_enable_voice"]["post"]["requestBody"]
    bulk_voice["content"]["application/json"]["schema"]["properties"]["connection_id"] = {"type": "string"}
    action_filter = first["components"]["parameters"]["FilterSIMCardActionsConsolidated"]["schema"]
    action_filter["properties"]["action_type"]["enum"] += VOICE_ACTIONS
    first["components"]["schemas"]["SIMCardAction"]["properties"]["action_type"]["enum"] += VOICE_ACTIONS
    return first


def _resolve(node: Any, root: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """Inline every local `$ref` (the facts file has no recursive schemas)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            if ref in seen:
                raise ValueError(f"recursive $ref {ref}")
            target: Any = root
            for part in ref[2:].split("/"):
                target = target[part]
            merged = {k: v for k, v in node.items() if k != "$ref"}
            resolved = _resolve(target, root, seen + (ref,))
            return {**resolved, **merged} if merged else resolved
        return {k: _resolve(v, root, seen) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, root, seen) for v in node]
    return node


@dataclass
class QueryParam:
    name: str
    schema: dict[str, Any]
    required: bool = False


@dataclass
class Operation:
    operation_id: str
    method: str
    template: str
    regex: re.Pattern[str]
    path_params: dict[str, dict[str, Any]]
    query: dict[str, QueryParam]
    open_filters: bool  # any `filter[attribute]` is accepted (the detail-record search)
    body_schema: dict[str, Any] | None
    body_required: bool
    success_status: int
    response_schema: dict[str, Any]
    _validator: Draft202012Validator | None = field(default=None, repr=False)

    @property
    def has_meta(self) -> bool:
        return "meta" in self.response_schema.get("properties", {})

    @property
    def paginated(self) -> bool:
        return "page[number]" in self.query

    def body_validator(self) -> Draft202012Validator | None:
        if self.body_schema is None:
            return None
        if self._validator is None:
            # jsonschema loads with the first body checked, not while a client waits for the tool list
            from jsonschema import Draft202012Validator

            self._validator = Draft202012Validator(
                self.body_schema, format_checker=Draft202012Validator.FORMAT_CHECKER
            )
        return self._validator


def _expand_query(params: list[dict[str, Any]]) -> dict[str, QueryParam]:
    out: dict[str, QueryParam] = {}
    for p in params:
        if p.get("in") != "query":
            continue
        schema = p.get("schema", {})
        if p.get("style") == "deepObject" and schema.get("type") == "object":
            for prop, sub in schema.get("properties", {}).items():
                name = f"{p['name']}[{prop}]"
                if sub.get("type") == "object":  # `filter[name][contains]`
                    for key, nested in sub.get("properties", {}).items():
                        out[f"{name}[{key}]"] = QueryParam(f"{name}[{key}]", nested)
                else:
                    out[name] = QueryParam(name, sub, prop in schema.get("required", []))
        else:
            out[p["name"]] = QueryParam(p["name"], schema, bool(p.get("required")))
    return out


def _template_regex(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return re.compile(f"^{pattern}$")


@cache
def operations() -> tuple[Operation, ...]:
    facts = load_facts()
    root = facts
    ops: list[Operation] = []
    for template, item in facts["paths"].items():
        shared = item.get("parameters", [])
        for method in HTTP_METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = _resolve(shared + op.get("parameters", []), root)
            body = op.get("requestBody")
            body_schema = None
            if body is not None:
                body_schema = _resolve(body["content"]["application/json"]["schema"], root)
            success = next(c for c in op["responses"] if c.startswith("2"))
            resp = _resolve(op["responses"][success], root)
            resp_schema = resp.get("content", {}).get("application/json", {}).get("schema", {})
            ops.append(
                Operation(
                    operation_id=op["operationId"],
                    method=method.upper(),
                    template=template,
                    regex=_template_regex(template),
                    path_params={
                        p["name"]: p.get("schema", {}) for p in params if p.get("in") == "path"
                    },
                    query=_expand_query(params),
                    open_filters=any(p.get("name") == "filter" and p.get("schema", {}).get(
                        "additionalProperties") is True for p in params),
                    body_schema=body_schema,
                    body_required=bool(body and body.get("required")),
                    success_status=int(success),
                    response_schema=resp_schema,
                )
            )
    # A literal segment wins over a path id: /mobile_phone_numbers/messaging is not number "messaging".
    return tuple(sorted(ops, key=lambda o: o.template.count("{")))


@cache
def schema(name: str) -> dict[str, Any]:
    """A component schema with its refs resolved (used to shape responses)."""
    facts = load_facts()
    return _resolve(copy.deepcopy(facts["components"]["schemas"][name]), facts)


def match(method: str, path: str) -> tuple[Operation, dict[str, str]]:
    """Find the operation for a request path (relative to /v2) or raise 404/405."""
    allowed: list[str] = []
    for op in operations():
        m = op.regex.match(path)
        if m is None:
            continue
        if op.method == method:
            return op, m.groupdict()
        allowed.append(op.method)
    if allowed:
        raise ApiError(
            405,
            [error("10015",
                   f"Method not allowed: {method} is not allowed on {path}; use {', '.join(sorted(set(allowed)))}",
                   pointer="/")],
        )
    raise ApiError(404, [error("10005", f"No route {method} /v2{path} in the Telnyx IoT API", pointer="/")])


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return len(value) == 36


def check_path(op: Operation, params: dict[str, str]) -> None:
    for name, value in params.items():
        if op.path_params.get(name, {}).get("format") == "uuid" and not _is_uuid(value):
            raise unprocessable(f"{name}: {value!r} is not a UUID", parameter=name, code="10006")


def _coerce(name: str, raw: str, schema: dict[str, Any]) -> Any:
    kind = schema.get("type", "string")
    value: Any = raw
    if kind == "integer":
        try:
            value = int(raw)
        except ValueError:
            raise unprocessable(f"{name}: {raw!r} is not an integer", parameter=name) from None
        if "minimum" in schema and value < schema["minimum"]:
            raise unprocessable(f"{name}: must be at least {schema['minimum']}", parameter=name)
        if "maximum" in schema and value > schema["maximum"]:
            raise unprocessable(f"{name}: must be at most {schema['maximum']}", parameter=name)
    elif kind == "boolean":
        if raw not in ("true", "false"):
            raise unprocessable(f"{name}: {raw!r} is not a boolean; send true or false",
                                parameter=name)
        value = raw == "true"
    if "enum" in schema and value not in schema["enum"]:
        raise unprocessable(
            f"{name}: {raw!r} is not one of {', '.join(map(str, schema['enum']))}", parameter=name
        )
    fmt = schema.get("format")
    if fmt == "uuid" and not _is_uuid(raw):
        raise unprocessable(f"{name}: {raw!r} is not a UUID", parameter=name)
    if fmt == "date-time":
        try:
            datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise unprocessable(f"{name}: {raw!r} is not an ISO 8601 date-time",
                                parameter=name) from None
    return value


def check_query(op: Operation, items: list[tuple[str, str]]) -> dict[str, Any]:
    """Validate and type the query string; return given values plus schema defaults."""
    grouped: dict[str, list[str]] = {}
    free: dict[str, str] = {}
    for key, raw in items:
        name = key[:-2] if key.endswith("[]") else key
        if op.open_filters and name.startswith("filter[") and name not in op.query:
            free[name] = raw  # an attribute filter such as filter[sim_card_id] or filter[created_at][gte]
            continue
        if name not in op.query:
            continue  # the API ignores query parameters it does not know
        grouped.setdefault(name, []).append(raw)
    out: dict[str, Any] = {}
    for name, param in op.query.items():
        if name not in grouped:
            if param.required:
                raise missing(name, parameter=name)
            if "default" in param.schema:
                out[name] = param.schema["default"]
            continue
        raws = grouped[name]
        if param.schema.get("type") == "array":
            item_schema = param.schema.get("items", {})
            parts = [p for raw in raws for p in raw.split(",") if p != ""]
            out[name] = [_coerce(name, p, item_schema) for p in parts]
        else:
            if len(raws) > 1:
                raise unprocessable(f"{name} was given {len(raws)} times; give it once",
                                    parameter=name)
            out[name] = _coerce(name, raws[0], param.schema)
    return {**out, **free}


def _pointer(path: Any) -> str:
    return "/" + "/".join(str(p) for p in path) if path else "/"


def _field_errors(schema: dict[str, Any], value: Any, path: list[Any]) -> list[dict[str, Any]]:
    """readOnly and unknown properties, which JSON Schema alone would let through."""
    errs: list[dict[str, Any]] = []
    props = schema.get("properties")
    if isinstance(value, dict) and props is not None:
        open_ended = schema.get("additionalProperties", False) not in (False, None)
        for key, sub in value.items():
            where = _pointer([*path, key])
            if key not in props:
                if not open_ended:
                    known = ", ".join(k for k, s in props.items() if not s.get("readOnly"))
                    errs.append(error("10015", f"{key!r} is not a field of this request; writable "
                                      f"fields: {known}", pointer=where))
                continue
            if props[key].get("readOnly"):
                errs.append(error("10015", f"{key!r} is read-only and cannot be sent", pointer=where))
                continue
            errs.extend(_field_errors(props[key], sub, [*path, key]))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            errs.extend(_field_errors(schema["items"], item, [*path, i]))
    return errs


def check_body(op: Operation, raw: bytes) -> dict[str, Any] | None:
    text = raw.decode("utf-8", errors="replace").strip() if raw else ""
    if op.body_schema is None:
        if text and text not in ("{}", "null"):
            raise unprocessable(
                f"{op.method} {op.template} takes no request body; send parameters in the "
                "query string or path", pointer="/")
        return None
    if not text:
        if op.body_required or op.body_schema.get("required"):
            raise missing("A JSON request body", pointer="/")
        return {}
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ApiError(400, [error("10015", f"Request body is not valid JSON: {exc.msg}", pointer="/")])
    if not isinstance(body, dict):
        raise unprocessable("The request body must be a JSON object", pointer="/")
    errs = _field_errors(op.body_schema, body, [])
    validator = op.body_validator()
    assert validator is not None
    for e in sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.absolute_path))):
        path = list(e.absolute_path)
        if e.validator == "required":
            missing = [p for p in e.validator_value if isinstance(e.instance, dict)
                       and p not in e.instance]
            for p in missing:
                errs.append(error("10004", f"{p} is required", pointer=_pointer([*path, p])))
            continue
        if e.validator in ("anyOf", "oneOf"):
            detail = f"{e.instance!r} does not match any allowed form"
        else:
            detail = e.message
        where = _pointer(path)
        label = ".".join(str(p) for p in path) or "body"
        errs.append(error("10015", f"{label}: {detail}", pointer=where))
    if errs:
        # A readOnly/unknown field also fails nothing else; keep one error per pointer.
        seen: set[str] = set()
        unique = []
        for err in errs:
            key = err["source"]["pointer"]
            if key not in seen:
                seen.add(key)
                unique.append(err)
        raise ApiError(422, unique)
    return body
