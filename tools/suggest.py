"""Did you mean: the known names closest to a mistyped one, for error messages."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

CUTOFF = 0.6  # difflib similarity: "sim_card" finds sim_card_id, "cal" finds call


def closest(name: str, known: Iterable[str]) -> str | None:
    found = difflib.get_close_matches(name, list(known), n=1, cutoff=CUTOFF)
    return found[0] if found else None


def did_you_mean(names: Iterable[str], known: Iterable[str]) -> str:
    """` (did you mean x?)` for those of `names` close to a known name, else an empty string."""
    known = list(known)
    close = dict.fromkeys(match for name in names if (match := closest(name, known)))
    return f" (did you mean {', '.join(close)}?)" if close else ""
