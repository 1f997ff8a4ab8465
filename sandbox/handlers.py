"""What an operation handler receives and returns, how a family registers its handlers, and the
helpers every family shares (lookups, listing and paging, timestamps).

A handler is a function `(sandbox, call) -> Result` registered under the facts file's operationId:

    handles = Handlers()

    @handles("GetSimCard")
    def get_sim_card(sb: Sandbox, call: Call) -> Result: ...
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import TYPE_CHECKING, Any

from .store import Doc, iso, public
from .validation import Operation, not_found, schema, unprocessable

if TYPE_CHECKING:
    from .app import Sandbox


@dataclass
class Call:
    op: Operation
    path: dict[str, str]
    query: dict[str, Any]
    body: dict[str, Any] | None
    now: float

    @property
    def id(self) -> str:
        return self.path["id"]

    def q(self, name: str, default: Any = None) -> Any:
        return self.query.get(name, default)


@dataclass
class Result:
    data: Any
    meta: dict[str, int] | None = None
    errors: list[dict[str, Any]] | None = None  # a 2xx that partly failed (data and errors[])


Handler = Callable[["Sandbox", Call], Result]


class Handlers(dict[str, Handler]):
    """One family's handlers by operationId; `@handles("OperationId")` registers one."""

    def __call__(self, operation_id: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            if operation_id in self:
                raise ValueError(f"{operation_id} has two handlers")
            self[operation_id] = fn
            return fn
        return register


@cache
def keys(schema_name: str) -> tuple[str, ...]:
    """The property names of a facts-file schema, in order (what a rendered document may show)."""
    return tuple(schema(schema_name)["properties"])


def decimal(value: Any, pointer: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise unprocessable(f"{pointer[1:]}: {value!r} is not a decimal number such as \"2048.1\"",
                            pointer=pointer) from None
    if not number.is_finite() or number < 0:
        raise unprocessable(f"{pointer[1:]}: must be a non-negative number", pointer=pointer)
    return number


def megabytes(amount: dict[str, Any] | None) -> float:
    """A `{amount, unit}` data amount in MB; no amount means no limit."""
    if not amount:
        return math.inf
    value = float(amount.get("amount", "0"))
    return value * 1024 if amount.get("unit") == "GB" else value


def contains(value: Any, needle: str) -> bool:
    return isinstance(value, str) and needle.lower() in value.lower()


def dig(doc: Doc, dotted: str) -> Any:
    cur: Any = doc
    for part in dotted.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def eq(dotted: str) -> Callable[[Doc, Any], bool]:
    return lambda d, v: dig(d, dotted) == v


def require(sb: Sandbox, coll: str, doc_id: str, what: str, pointer: str = "/id") -> Doc:
    """The document a path names, or 404."""
    doc = sb.store.get(coll, doc_id)
    if doc is None:
        raise not_found(f"{what} {doc_id} not found", pointer)
    return doc


def exists(sb: Sandbox, coll: str, doc_id: Any, what: str, pointer: str) -> Doc:
    """The document a body field names, or 422 pointing at the field."""
    doc = sb.store.get(coll, doc_id) if isinstance(doc_id, str) else None
    if doc is None:
        raise unprocessable(f"{pointer[1:]}: no {what} with id {doc_id!r}", pointer=pointer)
    return doc


def stamp(call: Call, doc: Doc, *, created: bool = True) -> Doc:
    at = iso(call.now)
    if created:
        doc["created_at"] = at
    doc["updated_at"] = at
    return doc


def page(call: Call, items: list[Any], render: Callable[[Any], Any]) -> Result:
    """One page of `items` (all of them for an operation without paging), rendered, with `meta`."""
    total = len(items)
    if call.op.paginated:
        number = call.q("page[number]") or 1
        size = call.q("page[size]") or 20
        if number < 1 or size < 1:
            bad = "page[number]" if number < 1 else "page[size]"
            raise unprocessable(f"{bad}: must be at least 1", parameter=bad)
    else:
        number, size = 1, max(total, 1)
    start = (number - 1) * size
    data = [render(item) for item in items[start:start + size]]
    meta = {"page_number": number, "page_size": size,
            "total_pages": math.ceil(total / size), "total_results": total}
    return Result(data, meta)


def list_docs(
    sb: Sandbox,
    call: Call,
    coll: str,
    filters: dict[str, Callable[[Doc, Any], bool]],
    render: Callable[[Doc], Any] = public,
    newest_first: bool = False,
) -> Result:
    """A listing: the documents matching the query's filters, one page of them rendered."""
    active = [(fn, call.query[name]) for name, fn in filters.items() if name in call.query]

    def build(all_docs: Iterable[Doc]) -> list[Doc]:
        docs = [d for d in all_docs if all(fn(d, v) for fn, v in active)]
        return docs[::-1] if newest_first else docs

    key = ("list", newest_first, *sorted((n, repr(call.query[n])) for n in filters if n in call.query))
    return page(call, sb.store.view(coll, key, build), render)
