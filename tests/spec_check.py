"""Checks an HTTP request against the OpenAPI facts file, and that it stays inside its operation's URL."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from telnyx_iot_mcp.sandbox.validation import load_facts
from telnyx_iot_mcp.tools.registry import OPERATIONS, Operation

FACTS_FILES = [Path(__file__).resolve().parents[1] / "sandbox" / name
               for name in ("telnyx-iot-openapi.facts.json", "telnyx-iot-extra-openapi.facts.json")]


def _merged(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """One OpenAPI document from the first facts file and the extra one (their shared components are equal)."""
    merged = json.loads(json.dumps(documents[0]))
    for extra in documents[1:]:
        for path, item in extra["paths"].items():
            assert path not in merged["paths"], path
            merged["paths"][path] = item
        for section, members in extra["components"].items():
            target = merged["components"].setdefault(section, {})
            for name, value in members.items():
                assert target.get(name, value) == value, f"{section}/{name} differs between the facts files"
                target[name] = value
    return merged


SPEC = _merged([json.loads(path.read_text()) for path in FACTS_FILES])


@cache
def openapi() -> OpenAPI:
    """Requests are checked against both facts files plus the additions of Telnyx's newer SDKs that the
    registry's wire notes name (the sandbox checks against the same document)."""
    return OpenAPI.from_dict(load_facts())


def resolve(node: Any) -> Any:
    """`node`, or what its `$ref` points to in the facts file."""
    while isinstance(node, dict) and "$ref" in node:
        target = SPEC
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


@cache
def _deep_object_arrays(name: str) -> dict[str, dict]:
    """Array members of deepObject query parameters (`filter[status]`) and nested members
    (`filter[name][contains]`): OpenAPI leaves their serialization undefined, so openapi-core cannot parse them;
    they are checked on their own (arrays as comma-separated items)."""
    op = OPERATIONS[name]
    shape = re.sub(r"{\w+}", "{}", op.path)
    spec_path = next(p for p in SPEC["paths"] if re.sub(r"{\w+}", "{}", p) == shape)
    spec_op = SPEC["paths"][spec_path][op.method.lower()]
    arrays: dict[str, dict] = {}
    for param in map(resolve, spec_op.get("parameters", [])):
        if param.get("in") != "query":
            continue
        schema = resolve(param.get("schema", {}))
        for member, sub in schema.get("properties", {}).items():
            sub = resolve(sub)
            if sub.get("type") == "array":
                arrays[f"{param['name']}[{member}]"] = sub
            for key, nested in sub.get("properties", {}).items():  # `filter[name][contains]`: beyond deepObject
                arrays[f"{param['name']}[{member}][{key}]"] = resolve(nested)
        if schema.get("type") == "array" and "[" in param["name"]:
            arrays[param["name"]] = schema
    return arrays


class _SpecRequest:
    def __init__(self, request: httpx.Request) -> None:
        self.host_url = f"{request.url.scheme}://{request.url.host}"
        self.path = request.url.path
        self.method = request.method.lower()
        self.body = request.content or None
        self.content_type = request.headers.get("content-type", "application/json")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(request.url.params.multi_items()),
            header=Headers(list(request.headers.items())), cookie=ImmutableMultiDict(),
        )
        self.full_url_pattern = f"{self.host_url}{self.path}"


def path_pattern(op: Operation, prefix: str = "/v2") -> re.Pattern[str]:
    return re.compile("^" + re.escape(prefix) + re.sub(r"\\{\w+\\}", "[^/]+", re.escape(op.path)) + "$")


def stays_inside(op: Operation, request: httpx.Request, base: httpx.URL) -> None:
    """The request goes to the base URL's host and to the operation's path, with only its own query names."""
    assert (request.url.scheme, request.url.host, request.url.port) == (base.scheme, base.host, base.port)
    raw_path = request.url.raw_path.decode("ascii").split("?", 1)[0]
    assert path_pattern(op, base.raw_path.decode().rstrip("/")).match(raw_path), (op.name, raw_path)
    assert request.method == op.method
    allowed = {p.wire for p in op.params if p.location == "query"} | {wire for wire, _ in op.fixed_query}
    assert {k for k, _ in request.url.params.multi_items()} <= allowed


def accepted_by_spec(op: Operation, request: httpx.Request) -> None:
    """Raises when the facts file refuses the request (rebased on the spec's server for openapi-core)."""
    arrays = _deep_object_arrays(op.name)
    for wire, value in request.url.params.multi_items():
        if wire in arrays and arrays[wire].get("type") == "array":
            Draft202012Validator(arrays[wire]).validate(value.split(","))
        elif wire in arrays:
            Draft202012Validator(arrays[wire]).validate(value)
    kept = [(k, v) for k, v in request.url.params.multi_items() if k not in arrays]
    path = request.url.path.split("/v2", 1)[1]
    url = httpx.URL("https://api.telnyx.com/v2" + path).copy_with(params=httpx.QueryParams(kept))
    rebased = httpx.Request(request.method, url, headers=request.headers, content=request.content)
    openapi().validate_request(_SpecRequest(rebased))
