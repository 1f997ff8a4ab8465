"""Scores catalog search on requests in plain words: top-1 and top-3, for the tuning part and the held-out part.

    .venv/bin/python tests/search_eval/scorer.py [--misses tuning]

Each line of tuning.jsonl / held_out.jsonl is {"request": ..., "expect": [operations a careful operator would
pick]}. A request counts for top-1 when the first result is one of them, for top-3 when one is among the first
three. Search words are tuned against tuning.jsonl only; held_out.jsonl is never looked at while tuning.
Requests for operations the catalog does not hold yet (written ahead of them) are counted as pending, not scored.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NamedTuple

from telnyx_iot_mcp.server.dynamic import search
from telnyx_iot_mcp.server.selection import CATALOG

HERE = Path(__file__).parent
PARTS = {"tuning": HERE / "tuning.jsonl", "held-out": HERE / "held_out.jsonl"}


class Score(NamedTuple):
    requests: int
    pending: int  # requests for operations not in the catalog (yet)
    top1: float
    top3: float
    misses: list[tuple[str, list[str], list[str]]]  # request, expected, first three found


def requests(part: str) -> list[dict]:
    return [json.loads(line) for line in PARTS[part].read_text().splitlines() if line.strip()]


def score(part: str) -> Score:
    every = requests(part)
    cases = [case for case in every if set(case["expect"]) <= set(CATALOG)]
    top1 = top3 = 0
    misses = []
    for case in cases:
        found = [d["name"] for d in search(CATALOG, case["request"])["data"]]
        top1 += bool(found) and found[0] in case["expect"]
        hit = any(name in case["expect"] for name in found[:3])
        top3 += hit
        if not (found and found[0] in case["expect"]):
            misses.append((case["request"], case["expect"], found[:3]))
    return Score(len(cases), len(every) - len(cases), top1 / len(cases), top3 / len(cases), misses)


def table(scores: dict[str, Score]) -> str:
    lines = [f"{'part':10} {'requests':>8} {'top-1':>7} {'top-3':>7} {'pending':>8}"]
    lines += [f"{part:10} {s.requests:8} {s.top1:7.1%} {s.top3:7.1%} {s.pending:8}" for part, s in scores.items()]
    return "\n".join(lines)


if __name__ == "__main__":
    scores = {part: score(part) for part in PARTS}
    print(table(scores))
    if "--misses" in sys.argv:
        part = sys.argv[sys.argv.index("--misses") + 1]
        for request, expect, found in scores[part].misses:
            print(f"- {request!r}: want {expect}, got {found}")
