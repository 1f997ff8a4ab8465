"""JSON Schemas (draft 2020-12) of each tool's input and output, generated from the registry.

No `$schema` keyword: 2020-12 is the MCP default, and every byte of the tool list costs the model context.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from .local import CHANGE_ID, LOCAL_TOOLS
from .paging import takes_pages
from .registry import OPERATIONS, Operation
from .registry.model import CONFIRMATION_TOKEN, CONFIRMATION_TOKEN_SCHEMA, IDEMPOTENCY_KEY, IDEMPOTENCY_KEY_SCHEMA, described, text_or_list
from .registry.shapes import PAGE_META


# Arguments the server handles itself (never sent to the API), added to every list / paginated operation.
# Each says what it does where it appears, in a few words; the server's instructions say more.
FIELDS = {
    "type": "array", "items": {"type": "string", "pattern": r"^[a-z0-9_]+(\.[a-z0-9_]+)*$", "maxLength": 128},
    "maxItems": 50, "uniqueItems": True, "description": "Dotted paths to keep.",  # [] keeps every field
}
ALL_PAGES = {"type": "boolean", "default": False}  # said in the instructions: the bytes went to nullable arguments
# Its value comes from meta.next, and the answer that holds meta.next says how to use it: a client is given
# the bare type (see `published_input_schema`).
PAGE_OFFSET = {"type": "integer", "minimum": 0, "maximum": 249}
# Arguments whose every value is harmless when a strict-mode model has to fill them in: they stay
# non-nullable in the published schema (see `strict_ready`), which keeps the tool list small.
FILLABLE = frozenset({"page_number", "page_size", "page_offset", "fields", "all_pages", CONFIRMATION_TOKEN})
# Records this small (a code and a name, say) leave nothing worth trimming: no `fields` for them.
FIELDS_FROM = 5


def local_arguments(op: Operation) -> dict[str, dict]:
    """The server-side arguments `op` takes beyond its registry params."""
    extra: dict[str, dict] = {}
    if op.returns_list and len(op.returns.get("properties", {})) >= FIELDS_FROM:
        extra["fields"] = FIELDS
    if takes_pages(op):
        extra["all_pages"] = ALL_PAGES
        extra["page_offset"] = PAGE_OFFSET
    return extra


def clears(schema: dict[str, Any]) -> bool:
    """The API takes null here to clear the field (a registry `nullable`); the tool takes an empty value."""
    kinds = schema.get("type")
    return isinstance(kinds, list) and "null" in kinds


def empty_value(schema: dict[str, Any]) -> Any:
    """What a tool takes for the null that clears a field in the API ([] or "", or 0 where the API picks
    a number from a list that has null but no 0); None where there is none."""
    if not clears(schema):
        return None
    kind = next(kind for kind in schema["type"] if kind != "null")
    if kind == "integer":
        return 0 if None in schema.get("enum", ()) and 0 not in schema["enum"] else None
    return {"array": [], "string": ""}.get(kind)


def cleared(schema: dict[str, Any], value: Any) -> bool:
    """`value` is the empty value that clears this field: sent as null."""
    empty = empty_value(schema)
    return empty is not None and type(value) is type(empty) and value == empty


def _argument(schema: dict[str, Any]) -> dict[str, Any]:
    """A registry parameter as a tool argument: null is "not given" for every argument, so a field the
    API clears with null is cleared with an empty value instead, sent as null (tools/request.py)."""
    if not clears(schema):
        return schema
    kinds = [kind for kind in schema["type"] if kind != "null"]
    argument = {**schema, "type": kinds[0] if len(kinds) == 1 else kinds}
    if "enum" in schema:
        argument["enum"] = [empty_value(schema) if value is None else value for value in schema["enum"]]
    return argument


def _input_schema(op: Operation) -> dict[str, Any]:
    properties = {p.name: described(_argument(p.schema_), p.description) for p in op.params}
    properties.update(local_arguments(op))
    if op.may_ask:  # checked by the confirmation gate, never sent to the API
        properties[CONFIRMATION_TOKEN] = CONFIRMATION_TOKEN_SCHEMA
    if op.may_bill:  # a repeat after a timeout must not bill twice
        properties[IDEMPOTENCY_KEY] = IDEMPOTENCY_KEY_SCHEMA
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    required = [p.name for p in op.params if p.required]
    if required:
        schema["required"] = required
    return schema


def published_record(schema: dict[str, Any]) -> dict[str, Any]:
    """A record's field names and nesting, its scalar values left open.

    Telnyx returns null for fields its API description types as strings, and a client rejects a result
    that breaks the output schema; typing every field as nullable instead doubled the tool list."""
    out: dict[str, Any] = {}
    if "properties" in schema:
        out["properties"] = {name: published_record(sub) for name, sub in schema["properties"].items()}
    if isinstance(schema.get("items"), dict):
        out["items"] = published_record(schema["items"])
    return out


def _output_schema(op: Operation) -> dict[str, Any]:
    record = {"type": "object", **published_record(op.returns)}
    # A delete answers 204 or {"data": null}: a client checks the result against this schema after the
    # call was sent, and one that rejects it reports a failure for a delete that happened.
    data = {"type": "array", "items": record} if op.returns_list else nullable(record)
    properties: dict[str, Any] = {"data": data}
    if op.paginated:
        properties["meta"] = PAGE_META
    if not op.read_only:  # the change journal's id of the change (server/journal.py)
        properties["change_id"] = CHANGE_ID
    return {"type": "object", "properties": properties}


# Keywords that describe a value rather than constrain it: they stay outside the branches of `portable`.
ANNOTATIONS = frozenset({"description", "title", "default", "examples", "deprecated", "readOnly", "writeOnly"})
SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs")
SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
SUBSCHEMAS = ("items", "additionalProperties", "contains", "not")


def _with_subschemas(node: dict[str, Any], transform: Callable[[Any], Any]) -> dict[str, Any]:
    """A copy of `node` with `transform` applied to each of its direct subschemas."""
    out = dict(node)
    for key in SUBSCHEMA_MAPS:
        if isinstance(out.get(key), dict):
            out[key] = {name: transform(sub) for name, sub in out[key].items()}
    for key in SUBSCHEMA_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [transform(sub) for sub in out[key]]
    for key in SUBSCHEMAS:
        if key in out:
            out[key] = transform(out[key])
    return out


def portable(schema: Any) -> Any:
    """`{"type": [T, "null"], ...}` spelled `{"anyOf": [{"type": T, ...}, {"type": "null"}]}` throughout.

    Both mean the same; clients that map tool schemas onto a single-`type` dialect (OpenAPI-style
    function declarations) reject or loosen the array form (the MCP Inspector's --strict check flags it).
    """
    if not isinstance(schema, dict):
        return schema
    node = _with_subschemas(schema, portable)
    kinds = node.get("type")
    if not (isinstance(kinds, list) and "null" in kinds):
        return node
    others = [kind for kind in kinds if kind != "null"]
    branch = {k: v for k, v in node.items() if k not in ANNOTATIONS}
    branch["type"] = others[0] if len(others) == 1 else others
    if "enum" in branch:
        branch["enum"] = [value for value in branch["enum"] if value is not None]
    return {**{k: v for k, v in node.items() if k in ANNOTATIONS}, "anyOf": [branch, {"type": "null"}]}


# Limits the server checks on every call (validation names the field that breaks one). They guard the
# server and the API; a model calls a tool right without them, so the schema a client is given leaves
# them out, and a third of the tool list with them.
ENFORCED_ONLY = frozenset({"maxLength", "minLength", "pattern", "minItems", "maxItems", "uniqueItems",
                           "minProperties", "additionalProperties"})
INT32_MAX = 2**31 - 1


def server_only(key: str, value: Any) -> bool:
    """A keyword the server checks but a client is not given: the ENFORCED_ONLY limits, `default: false`
    (what an absent flag means anyway), `format: uuid` (48 times in the catalog: an `_id` argument's name
    says it), a lower bound of 0 or 1 (counts and page numbers: a model does not ask for fewer) and an int32
    upper bound (no model asks for page two billion). Each is refused with the argument's name when broken.
    An enum of numbers is said in the description instead: Gemini's schema (google-genai, so fast-agent and other
    Gemini clients) takes string enums only and refuses the whole tool list over one."""
    return (key in ENFORCED_ONLY or (key == "default" and value is False) or (key == "format" and value == "uuid")
            or (key == "enum" and any(not isinstance(item, str) for item in value if item is not None))
            or (key == "minimum" and type(value) is int and value in (0, 1))
            or (key == "maximum" and type(value) is int and value >= INT32_MAX))


def published(schema: Any) -> Any:
    """`schema` without what only the server needs (`server_only`): the bytes pay for every optional argument
    taking null in strict mode."""
    if not isinstance(schema, dict):
        return schema
    kept = {k: v for k, v in schema.items() if not server_only(k, v)}
    if schema.get("type") == "object" and not schema.get("properties"):  # a tool without arguments says so:
        kept["additionalProperties"] = False  # strict-mode converters refuse an object open to anything
    return _with_subschemas(kept, published)


@cache
def input_schema(name: str) -> dict[str, Any]:
    """The full schema every call is validated against."""
    if name in LOCAL_TOOLS:
        return portable(LOCAL_TOOLS[name].input)
    return portable(_input_schema(OPERATIONS[name]))


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` or null, its annotations kept outside the branches."""
    if any(branch.get("type") == "null" for branch in schema.get("anyOf", [])):
        return schema
    branch = {k: v for k, v in schema.items() if k not in ANNOTATIONS}
    return {**{k: v for k, v in schema.items() if k in ANNOTATIONS}, "anyOf": [branch, {"type": "null"}]}


@cache
def empty_is_unset(name: str) -> frozenset[str]:
    """The arguments (dotted paths) where "" or [] can only mean "none": the server drops them when empty
    (`unfilled`), so a strict-mode model, which must fill every argument, can send them so and needs no null
    there. On a read, its optional query filters that match a text or a list; a local tool declares its own
    (the plan's SIM selectors). A read's body (the codes to validate) is no filter."""
    if name in LOCAL_TOOLS:
        return LOCAL_TOOLS[name].empty_is_unset
    op = OPERATIONS.get(name)
    if op is None or not op.read_only:
        return frozenset()
    properties = input_schema(name)["properties"]
    filters = {param.name for param in op.params if param.location == "query" and not param.required}
    return frozenset(arg for arg in filters - FILLABLE if text_or_list(properties[arg]))


def unfilled(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """`arguments` less the empty values of `empty_is_unset`."""
    empty = empty_is_unset(name)
    return _without_empty(arguments, empty, "") if empty else arguments


def _without_empty(values: dict[str, Any], paths: frozenset[str], prefix: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        path = prefix + key
        if path in paths and value in ("", []):
            continue
        if isinstance(value, dict) and any(p.startswith(path + ".") for p in paths):
            value = _without_empty(value, paths, path + ".")
        out[key] = value
    return out


def _with_default(schema: dict[str, Any], prefix: str = "") -> set[str]:
    """The dotted paths of the properties (nested too) that have a default."""
    found: set[str] = set()
    for name, sub in schema.get("properties", {}).items():
        for branch in (sub, *sub.get("anyOf", ())):
            if "default" in branch:
                found.add(prefix + name)
            found |= _with_default(branch, f"{prefix}{name}.")
    return found


@cache
def fillable(name: str) -> frozenset[str]:
    """The arguments (dotted paths) a strict-mode model can fill without changing what the call does:
    FILLABLE, the ones where empty means none (`empty_is_unset`), the ones with a default (a model with
    no wish there sends the default, which is what leaving it out means), and on a read a `sort` out of a
    list of orders (any of them returns the same records)."""
    tool = LOCAL_TOOLS.get(name) or OPERATIONS[name]
    schema = input_schema(name)
    keep = FILLABLE | empty_is_unset(name) | _with_default(schema)
    if not tool.read_only:
        return keep
    return keep | {arg for arg, sub in schema["properties"].items() if arg == "sort" and "enum" in sub}


def strict_ready(schema: Any, keep: frozenset[str] = FILLABLE, path: str = "") -> Any:
    """Every optional argument (and optional nested field) also takes null, which the server reads as
    "not given" (tools/validation.py `given`).

    OpenAI's strict mode (openai-agents, LangChain and pydantic-ai with strict=True) makes every
    property required: a strict model must send each argument, and null is how it leaves one out.
    The `keep` arguments (dotted paths) are left as they are (see `fillable`). The one field of an optional
    object needs no null of its own: the object's null leaves both out."""
    if not isinstance(schema, dict):
        return schema
    node = _with_subschemas({k: v for k, v in schema.items() if k != "properties"},
                            lambda sub: strict_ready(sub, keep, path))
    if not isinstance(schema.get("properties"), dict):
        return node
    properties = {name: strict_ready(sub, keep, f"{path}{name}.") for name, sub in schema["properties"].items()}
    if node.get("type") == "object":
        required = set(node.get("required", ()))
        properties = {name: sub if name in required or path + name in keep else nullable(_sole_field_kept(sub))
                      for name, sub in properties.items()}
    node["properties"] = properties
    return node


def _sole_field_kept(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional object with one field, that field without the null `strict_ready` gave it."""
    fields = schema.get("properties")
    if schema.get("type") != "object" or not isinstance(fields, dict) or len(fields) != 1:
        return schema
    (name, sub), = fields.items()
    branches = sub.get("anyOf", [])
    if len(branches) != 2 or branches[1] != {"type": "null"}:
        return schema
    return {**schema, "properties": {name: {**{k: v for k, v in sub.items() if k != "anyOf"}, **branches[0]}}}


@cache
def published_input_schema(name: str) -> dict[str, Any]:
    """The schema a client is given: the full one less the limits only the server needs to know, its
    optional arguments nullable for strict-mode converters."""
    schema = published(input_schema(name))
    if "page_offset" in schema["properties"]:
        schema["properties"]["page_offset"] = {"type": "integer"}
    return strict_ready(schema, fillable(name))


@cache
def output_schema(name: str) -> dict[str, Any]:
    if name in LOCAL_TOOLS:
        return LOCAL_TOOLS[name].output
    return _output_schema(OPERATIONS[name])
