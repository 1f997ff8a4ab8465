"""Keeps what a tool hands to the model under a size limit (bytes of its JSON text)."""

from __future__ import annotations

import json
from typing import Any

from .errors import too_large
from .registry import Operation

NARROW = ("use the tool's filters, a smaller page_size (page_number moves through the rest), or the `fields` "
          "argument to return only the fields you need")


def json_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def fit_result(op: Operation, result: dict[str, Any], max_bytes: int | None) -> dict[str, Any]:
    """`result` as is when it fits; a list cut to the records that fit, with a note saying so; else ToolError."""
    size = json_size(result)
    if max_bytes is None or size <= max_bytes:
        return result
    records = result.get("data")
    if not isinstance(records, list):
        raise too_large(size, max_bytes, narrow=f"The record is too large to return whole: {NARROW}.")

    def cut(keep: int) -> dict[str, Any]:
        note = (f"Only the first {keep} of the {len(records)} records of this page are shown: the whole page is "
                f"larger than this server returns ({max_bytes} bytes). To see the rest, {NARROW}.")
        return {**result, "data": records[:keep],
                "truncated": {"returned": keep, "received": len(records), "note": note}}

    low, high = 0, len(records) - 1  # the largest count that fits lies in [low, high]
    while low < high:
        middle = (low + high + 1) // 2
        if json_size(cut(middle)) <= max_bytes:
            low = middle
        else:
            high = middle - 1
    if low == 0:
        raise too_large(size, max_bytes, narrow=f"Not even one record fits: {NARROW}.")
    return cut(low)
