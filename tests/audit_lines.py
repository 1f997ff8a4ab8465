"""Reading audit lines in tests: each is checked against the published JSON Schema as it is read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "schema" / "audit-line.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def lines_of(path: Path) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    for line in lines:
        VALIDATOR.validate(line)  # every line the tests see also matches the published schema
    return lines


def send_and_end(lines: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The one send line among `lines` and the end line of the same call."""
    send = [e for e in lines if e["event"] == "send"]
    assert len(send) == 1, lines
    end = [e for e in lines if e["event"] == "end" and e["call"] == send[0]["call"]]
    assert len(end) == 1, lines
    return send[0], end[0]
