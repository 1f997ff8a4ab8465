"""Putting API data into sentences a person reads: quoted, cleaned, short, and in familiar units.

Text read from the API (a group's name, a bucket) goes into a question inside quotes, with control
characters and line breaks removed and a length cap, so it can never read as the server's own words.
"""

from __future__ import annotations

import json
import math
import unicodedata
from typing import Any

MAX_QUOTED = 64
# The units Telnyx documents for data amounts. Any other ("", "KB", "TB", "B") is not read: whether a KB is
# 1000 or 1024 bytes, or what an empty unit means, is not documented, and a rule that needs the amount asks.
UNITS_IN_MB = {"MB": 1.0, "GB": 1024.0}
# What a report of usage reads: a wrong guess there changes a figure shown, never a rule. No unit is the API's
# default, MB.
UNITS_SHOWN_IN_MB = {None: 1.0, "B": 1 / 1024 / 1024, "KB": 1 / 1024, **UNITS_IN_MB, "TB": 1024.0 * 1024}


def clean(value: Any, limit: int = MAX_QUOTED) -> str:
    """`value` as one line of printable text: control and format characters dropped, whitespace runs
    (line breaks included) made one space, cut to `limit` characters with an ellipsis."""
    text = "".join(" " if ch.isspace() else ch for ch in str(value)
                   if ch.isspace() or unicodedata.category(ch)[0] != "C")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def quoted(value: Any, limit: int = MAX_QUOTED) -> str:
    """`clean(value)` in double quotes, inner quotes escaped: API text that cannot leave its quotes."""
    return json.dumps(clean(value, limit), ensure_ascii=False)


def mask_iccid(iccid: Any) -> str:
    if not iccid:
        return "(no ICCID)"
    iccid = clean(iccid, 32)
    return iccid if len(iccid) <= 8 else f"{iccid[:4]}...{iccid[-4:]}"


def megabytes(value: Any, units: dict[str | None, float] = UNITS_IN_MB) -> float | None:
    """{amount: "2048.1", unit: "MB"} in MB; None when it is missing, or not a number in one of `units` exactly."""
    if not isinstance(value, dict) or value.get("amount") in (None, ""):
        return None
    try:
        amount = float(value["amount"])
    except (TypeError, ValueError):
        return None
    unit = value.get("unit")
    factor = units.get(unit) if unit is None or isinstance(unit, str) else None
    return amount * factor if factor is not None and math.isfinite(amount) and amount >= 0 else None


def data_amount(value: Any) -> str | None:
    """{amount: "1228.8", unit: "MB"} -> "1.2 GB"."""
    if not isinstance(value, dict) or value.get("amount") in (None, ""):
        return None
    try:
        amount, unit = float(value["amount"]), clean(value.get("unit") or "MB", 8)
    except (TypeError, ValueError):
        return None
    if unit.upper() == "MB" and amount >= 1024:
        amount, unit = amount / 1024, "GB"
    return f"{amount:.1f} {unit}".replace(".0 ", " ")


def mb_text(mb: float) -> str:
    if 0 < mb < 0.1:  # what is left above a SIM's use can be this small: "0.01 MB", not "0 MB"
        return f"{mb:.2g} MB"
    return data_amount({"amount": mb, "unit": "MB"}) or f"{mb} MB"


def status_of(record: Any) -> str | None:
    """A SIM's status value, from `{"value": ...}` or a bare string."""
    if not isinstance(record, dict):
        return None
    status = record.get("status")
    value = status.get("value") if isinstance(status, dict) else status
    return clean(value, 32) if value else None
