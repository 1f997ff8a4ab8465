"""The registry's vocabulary: an operation, its parameters, and helpers to declare them briefly."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

CONFIRMATION_TOKEN = "confirmation_token"
# "" is no token: a strict-mode model must send every argument, so it sends "" on its first call. No
# description: the confirmation_required answer that hands out a token says how to use it, when it matters.
CONFIRMATION_TOKEN_SCHEMA = {"type": "string", "maxLength": 1024}
# Taken by the change plan and every operation that may cost money (`Operation.may_bill`); handled by the server
# (server/idempotency.py), never sent to the API. The limits are checked; a client is told them in words.
IDEMPOTENCY_KEY = "idempotency_key"
IDEMPOTENCY_KEY_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$",
                          "description": "Same key, same arguments: the first outcome again, nothing resent. "
                                         "1-255 printable ASCII."}

Kind = Literal["read", "write", "destructive", "billable"]
Location = Literal["path", "query", "body"]
Toolset = Literal[
    "sim_cards",
    "sim_card_groups",
    "actions",
    "orders",
    "data_usage_notifications",
    "ota_updates",
    "wireless",
    "mobile_voice_connections",
    "storage_migrations",
    "private_wireless_gateways",
    "traffic_policy_profiles",
    "detail_records",
    "mobile_phone_numbers",
]
TOOLSETS: tuple[str, ...] = Toolset.__args__  # type: ignore[attr-defined]

TOOL_NAME = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
# Ids the API does not type as UUIDs still may not carry anything that changes the URL.
SAFE_ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"


Read = Callable[[str, dict[str, Any]], Awaitable[Any]]  # runs a read tool, returns its `data`


class StateUnknown(Exception):
    """An effect rule cannot tell what the call would do (a field it needs is missing or unreadable)."""


class Effect(BaseModel):
    """A rule that raises one call of an operation above its class, from its arguments and the target's state.

    `test(arguments, read)` returns the one-line reason the question shows when the call trips the rule,
    or None. It reads state only through `read`; when that fails or the state is not what it needs
    (StateUnknown), the gate asks anyway."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["destructive", "billable"]
    when: str  # the rule in words, for the tool description, the README and the catalog
    arguments: tuple[str, ...] = ()  # the rule applies when the call has one of these (none: always)
    test: Callable[[dict[str, Any], Read], Awaitable[str | None]]
    # A change plan's SIM cards (as read) add up to what no one of them does alone (SIMs moved into one group,
    # against its shared limit): judged once per plan, beside `test` for each SIM.
    together: Callable[[dict[str, Any], list[dict[str, Any]], Read], Awaitable[str | None]] | None = None

    def applies(self, arguments: dict[str, Any]) -> bool:
        return not self.arguments or any(name in arguments for name in self.arguments)


class Secret(BaseModel):
    """A field of an operation's answers that holds a secret, and what the server does with it.

    `ask`: a person is asked first, as for a destructive call, with a question saying what will be revealed
    and to whom; the reveal is audited. With `requested_by`, only calls that set that boolean argument
    reveal (and ask); the field is removed from every other answer.
    `never`: removed from every answer, whatever the call; its values are masked wherever else they appear."""

    model_config = ConfigDict(frozen=True)

    field: str  # a key of each record in `data`
    what: str  # what it is, for the question and the audit line: "PIN and PUK codes"
    policy: Literal["ask", "never"]
    requested_by: str | None = None  # ask: the boolean argument that makes the API return it (none: always)
    risk: str = ""  # ask: what someone holding it can do, said in the question

    def asked_for(self, arguments: dict[str, Any]) -> bool:
        """This call would reveal the field: it is `ask`, and the call requests it (or always gets it)."""
        return self.policy == "ask" and (self.requested_by is None or arguments.get(self.requested_by) is True)

    @property
    def question(self) -> str:
        return f"Reveals the {self.what} to the assistant and this conversation. {self.risk}".strip()


ANY = "(any value)"  # in what a change leaves: the field holds some value, whichever
Undo = tuple[str, dict[str, Any]]  # the operation that puts a resource back, and its arguments but the target


class Compensation(BaseModel):
    """How a change made by this operation is put back (its "recovery"), or why it cannot be.

    A reversible change: `reads` (a read operation taking the same `target` argument) returns the resource as it
    is; `fields` are the dotted paths of that record the operation changes, kept in the change journal before it
    is sent; `left(arguments)` is what a successful call leaves there (ANY: some value); `undo(before,
    arguments)` is the call that puts the fields back (a string: why this one cannot be). A create is undone by
    deleting what it made: `deletes` names that operation, `created` the created record's id field.
    `irreversible`: why nothing can put it back, and what it cost. `skips`: a plan leaves out resources
    already as `left` says (already enabled, already holding a public IP)."""

    model_config = ConfigDict(frozen=True)

    reads: str = ""
    target: str = ""
    fields: tuple[str, ...] = ()
    left: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    undo: Callable[[dict[str, Any], dict[str, Any]], Undo | str] | None = None
    deletes: str = ""
    created: str = "id"
    irreversible: str = ""
    skips: bool = False

    @property
    def reversible(self) -> bool:
        return not self.irreversible

    def changed(self, arguments: dict[str, Any]) -> tuple[str, ...]:
        """The fields this call changes (a partial update changes only the fields it names)."""
        return tuple(self.left(arguments)) if self.left is not None else self.fields


def dig(record: Any, path: str) -> Any:
    """The value at a dotted path of a record (None where any part is missing)."""
    for part in path.split("."):
        if not isinstance(record, dict):
            return None
        record = record.get(part)
    return record


def matches(value: Any, expected: Any) -> bool:
    """A field holds what a change left: the same value, or any value for ANY (data amounts compared as numbers)."""
    if expected is ANY:
        return value not in (None, "", [])
    if isinstance(expected, dict) and isinstance(value, dict) and set(expected) == {"amount", "unit"}:
        try:
            return (float(value.get("amount")), value.get("unit")) == (float(expected["amount"]), expected["unit"])
        except (TypeError, ValueError):
            return False
    if isinstance(expected, list) and isinstance(value, list):
        return sorted(map(str, expected)) == sorted(map(str, value))
    return value == expected or (expected in ([], None) and value in ([], None))


def irreversible(why: str) -> Compensation:
    return Compensation(irreversible=why)


def restores(reads: str, target: str, fields: dict[str, str], operation: str) -> Compensation:
    """A partial update: each argument given (`fields`: argument -> record path) is set back to its value before
    (None where it had none: cleared where the API can clear it)."""
    def left(arguments: dict[str, Any]) -> dict[str, Any]:
        return {path: arguments[name] for name, path in fields.items() if name in arguments}

    def undo(before: dict[str, Any], arguments: dict[str, Any]) -> Undo | str:
        return operation, {name: before.get(path) for name, path in fields.items() if name in arguments}

    return Compensation(reads=reads, target=target, fields=tuple(fields.values()), left=left, undo=undo)


def switches(reads: str, target: str, path: str, leaves: Callable[[dict[str, Any]], Any],
             back: Callable[[Any], Undo | str], *, skips: bool = False) -> Compensation:
    """A setting an action switches: `leaves(arguments)` is what it leaves at `path`; `back(value before)` is the
    call that restores that value (a string: why none can)."""
    return Compensation(reads=reads, target=target, fields=(path,), left=lambda arguments: {path: leaves(arguments)},
                        undo=lambda before, arguments: back(before.get(path)), skips=skips)


class Param(BaseModel):
    """One tool argument and where it goes on the wire."""

    model_config = ConfigDict(frozen=True)

    name: str  # the tool argument name
    location: Location
    wire: str  # name in the path template, the query string or the JSON body
    schema_: dict[str, Any] = Field(alias="schema")
    description: str = ""  # only what the name, type and the server's instructions do not already say
    required: bool = False


class Operation(BaseModel):
    """One Telnyx IoT API operation, declared once; everything else is derived from it."""

    model_config = ConfigDict(frozen=True)

    name: str
    title: str
    description: str
    toolset: Toolset
    method: Literal["GET", "POST", "PATCH", "DELETE"]
    path: str  # relative to the base URL, with {arg_name} placeholders
    params: tuple[Param, ...] = ()
    kind: Kind
    reason: str  # why this operation has its kind, in words for a reviewer
    returns: dict[str, Any]  # JSON Schema of one record of `data`
    returns_list: bool = False
    paginated: bool = False  # the response carries page meta and the request takes page[...]
    idempotent: bool | None = None  # default: every method but POST
    # Words people and models use for this operation beyond its name, title and description (synonyms,
    # paraphrases, the situations it serves): "turn off", "stolen" for disabling a SIM. Search ranks on them.
    search_words: tuple[str, ...] = ()
    # Query values every call sends, not offered to the model (a cross-product endpoint pinned to SIM records).
    fixed_query: tuple[tuple[str, str], ...] = ()
    # Where Telnyx's API description, its SDKs and its docs disagree about this operation: what the entry
    # follows and why. A wire fact beyond the API description (a field, an enum value) must be named here.
    wire_note: str = ""
    effects: tuple[Effect, ...] = ()  # rules that raise one call above `kind` (see Effect)
    sets_status: str | None = None  # the SIM status a successful call leads to (a plan skips SIMs already there)
    secrets: tuple[Secret, ...] = ()  # secret fields of its answers and the rule for each (see Secret)
    compensation: Compensation | None = None  # how its changes are undone, or why not (see Compensation)

    @model_validator(mode="after")
    def _check(self) -> Operation:
        if not TOOL_NAME.match(self.name):
            raise ValueError(f"tool name {self.name!r} does not match {TOOL_NAME.pattern}")
        names = [p.name for p in self.params]
        if len(names) != len(set(names)):
            raise ValueError(f"{self.name}: duplicate argument names")
        placeholders = set(re.findall(r"{(\w+)}", self.path))
        path_args = {p.name for p in self.params if p.location == "path"}
        if placeholders != path_args:
            raise ValueError(f"{self.name}: path placeholders {placeholders} != path params {path_args}")
        for secret in self.secrets:
            if secret.requested_by is not None and secret.requested_by not in names:
                raise ValueError(f"{self.name}: secret {secret.field} is requested by {secret.requested_by!r}, "
                                 "which is not an argument")
        return self

    @property
    def read_only(self) -> bool:
        return self.kind == "read"

    @property
    def gated(self) -> bool:
        return self.kind in ("destructive", "billable")

    @property
    def may_ask(self) -> bool:
        """Some calls of it need a person's yes: by class, or when one of its effect rules trips."""
        return self.gated or bool(self.effects) or any(s.policy == "ask" for s in self.secrets)

    def reveals(self, arguments: dict[str, Any]) -> tuple[Secret, ...]:
        """The secrets this call would reveal, each after a person's yes."""
        return tuple(s for s in self.secrets if s.asked_for(arguments))

    @property
    def may_destroy(self) -> bool:
        """By class, or when one of its effect rules raises a call to destructive (the tool's destructive hint)."""
        return self.kind == "destructive" or any(e.kind == "destructive" for e in self.effects)

    @property
    def may_bill(self) -> bool:
        """By class, or when one of its effect rules raises a call to billable: it takes an idempotency key."""
        return self.kind == "billable" or any(e.kind == "billable" for e in self.effects)

    @property
    def tool_description(self) -> str:
        """The description a client is given: with the effect and secret rules, so a model knows which calls ask."""
        asking = [s for s in self.secrets if s.policy == "ask"]
        rules = [e.when for e in self.effects] + [f"{s.requested_by} is true (it reveals the {s.what})"
                                                  for s in asking if s.requested_by]
        always = [s.what for s in asking if not s.requested_by]
        text = self.description
        if rules:
            text += f" Asks first when {'; or '.join(rules)}."
        if always:
            text += f" Asks first: it reveals the {' and the '.join(always)}."
        return text

    @property
    def is_idempotent(self) -> bool:
        return self.idempotent if self.idempotent is not None else self.method != "POST"


# -- JSON Schema fragments ---------------------------------------------------------------

def string(*, max_length: int = 256, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "maxLength": max_length, **extra}


def uuid() -> dict[str, Any]:
    # checked: validation enables the format checker; 36 characters leaves only the canonical form
    return {"type": "string", "format": "uuid", "maxLength": 36}


def safe_id() -> dict[str, Any]:
    return {"type": "string", "pattern": SAFE_ID_PATTERN, "maxLength": 128}


def integer(minimum: int | None = None, maximum: int | None = None, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer", **extra}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    return schema


def boolean(default: bool | None = None) -> dict[str, Any]:
    return {"type": "boolean"} if default is None else {"type": "boolean", "default": default}


def enum(*values: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "enum": list(values), **extra}


def array(items: dict[str, Any], *, max_items: int = 1000, min_items: int | None = None, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "array", "items": items, "maxItems": max_items, **extra}
    if min_items is not None:
        schema["minItems"] = min_items
    return schema


def text_or_list(schema: dict[str, Any]) -> bool:
    """A filter whose empty value can only mean "no filter": a list, or free text (not one of an enum)."""
    return schema.get("type") == "array" or (schema.get("type") == "string" and "enum" not in schema)


def described(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {**schema, "description": description} if description else schema


def obj(properties: dict[str, tuple[dict[str, Any], str]], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """A nested object argument: {name: (schema, description or "")}; closed to unknown keys."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {k: described(s, d) for k, (s, d) in properties.items()},
        "additionalProperties": False,
    }
    if required:
        schema["required"] = list(required)
    return schema


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "type": [schema["type"], "null"]}


# -- Parameters ----------------------------------------------------------------------------

def arg_name(wire: str) -> str:
    """`filter[address.country_code]` -> `address_country_code`, `page[size]` -> `page_size`."""
    if wire.startswith("filter["):
        wire = wire[len("filter["):]
    return re.sub(r"[\[\].]+", "_", wire).strip("_")


def path_id(name: str, description: str = "", *, is_uuid: bool = True) -> Param:
    return Param(name=name, location="path", wire=name, schema=uuid() if is_uuid else safe_id(),
                 description=description, required=True)


def query(wire: str, schema: dict[str, Any], description: str = "", *, required: bool = False,
          name: str | None = None) -> Param:
    # An empty value would go out as `wire=`, which the API refuses.
    if schema.get("type") == "array":
        schema = {"minItems": 1, **schema}
    elif schema.get("type") == "string":
        schema = {"minLength": 1, **schema}
    return Param(name=name or arg_name(wire), location="query", wire=wire, schema=schema,
                 description=description, required=required)


def body(name: str, schema: dict[str, Any], description: str = "", *, required: bool = False) -> Param:
    return Param(name=name, location="body", wire=name, schema=schema, description=description, required=required)


def pages() -> tuple[Param, Param]:
    """`page[number]`/`page[size]`, explained once (with the default size) in the server's instructions."""
    return query("page[number]", integer(1)), query("page[size]", integer(1, 250))


AMOUNT = string(max_length=32, pattern=r"^[0-9]+(\.[0-9]+)?$")


def amount_unit(*, units: tuple[str, ...] | None = ("MB", "GB")) -> dict[str, Any]:
    """The API's {amount: "2048.1", unit: "MB"} objects (threshold, data_limit)."""
    return obj({
        "amount": (AMOUNT, "e.g. \"2048.1\""),
        "unit": (enum(*units), "") if units else (string(max_length=8), "e.g. MB or GB"),
    }, required=("amount", "unit"))
