"""Keeps what a tool hands to the model under a size limit (bytes of its JSON text), encoding it once.

A list is measured record by record as each record is encoded; the answer's text is then joined from
those pieces rather than encoded again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NamedTuple

from .errors import ToolError, too_large
from .registry import Operation

NARROW = ("use the tool's filters, a smaller page_size (page_number moves through the rest), or the `fields` "
          "argument to return only the fields you need")
# Bytes kept for what surrounds the records: meta, a note saying where to resume, the brackets.
ENVELOPE = 1_200


def encode(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def json_size(value: Any) -> int:
    return len(encode(value).encode())


class Answer(NamedTuple):
    """What a tool returns: the structured result and the same as compact JSON text."""
    payload: dict[str, Any]
    text: str


class RecordBudget:
    """Records taken in order while the answer holding them stays within `max_bytes` (None: no limit)."""

    def __init__(self, max_bytes: int | None) -> None:
        self.max_bytes = max_bytes
        self.left = None if max_bytes is None else max_bytes - min(ENVELOPE, max_bytes // 2)
        self.used = 0
        self.records: list[Any] = []
        self.parts: list[str] = []
        self.refused = 0  # size of the first record that did not fit

    def has_room(self, size: int) -> bool:
        return self.left is None or size <= self.left - self.used

    def take(self, batch: list[Any]) -> int:
        """Adds the longest prefix of `batch` that fits; returns its length."""
        for count, record in enumerate(batch):
            part = encode(record)
            cost = len(part.encode()) + 1  # and its comma
            if not self.has_room(cost):
                self.refused = cost
                return count
            self.used += cost
            self.records.append(record)
            self.parts.append(part)
        return len(batch)

    def too_large(self) -> ToolError:
        return too_large(self.refused, self.max_bytes or 0, narrow=f"Not even one record fits: {NARROW}.")

    def answer(self, payload: dict[str, Any]) -> Answer:
        """`payload` (its `data` being the records taken) with its text joined from the records' JSON."""
        rest = encode({k: v for k, v in payload.items() if k != "data"})
        text = '{"data":[' + ",".join(self.parts) + "]" + ("," + rest[1:] if len(rest) > 2 else "}")
        return Answer({**payload, "data": self.records}, text)


def fit_result(op: Operation, result: dict[str, Any], max_bytes: int | None,
               resume: Callable[[int], dict[str, int]] | None = None) -> Answer:
    """`result` whole when it fits; a list cut to the records that fit, with a note saying so (and, where
    `resume(count)` gives the arguments that continue after the first `count` records, meta.next); else ToolError."""
    records = result.get("data")
    if not isinstance(records, list):
        text = encode(result)
        size = len(text.encode())
        if max_bytes is not None and size > max_bytes:
            raise too_large(size, max_bytes, narrow=f"The record is too large to return whole: {NARROW}.")
        return Answer(result, text)
    budget = RecordBudget(max_bytes)
    keep = budget.take(records)
    if keep == len(records):
        return budget.answer(result)
    if keep == 0:
        raise budget.too_large()
    payload = dict(result)
    if resume is not None:
        place = resume(keep)
        payload["meta"] = {**(result.get("meta") or {}), "next": place}
        rest = ("call again with the same filters and the arguments in meta.next ("
                + ", ".join(f"{k}={v}" for k, v in place.items()) + f"), or {NARROW}")
    else:
        rest = NARROW
    note = (f"Only the first {keep} of the {len(records)} records of this page are shown: the whole page is "
            f"larger than this server returns ({max_bytes} bytes). To see the rest, {rest}.")
    payload["truncated"] = {"returned": keep, "received": len(records), "note": note}
    return budget.answer(payload)
