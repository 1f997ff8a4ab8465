"""`fields`: keep only the requested dotted paths of each record, so list results stay small."""

from __future__ import annotations

from typing import Any


def pick(record: Any, paths: list[str]) -> Any:
    """`record` with only `paths` (e.g. "status.value"); a path the record does not have is left out."""
    if not isinstance(record, dict):
        return record
    out: dict[str, Any] = {}
    for path in paths:
        source: Any = record
        keys = path.split(".")
        for key in keys:
            if not isinstance(source, dict) or key not in source:
                break
            source = source[key]
        else:
            target = out
            for key in keys[:-1]:
                target = target.setdefault(key, {})
                if not isinstance(target, dict):  # an earlier, shorter path already took the whole value
                    break
            else:
                target[keys[-1]] = source
    return out


def trim(records: Any, paths: list[str]) -> Any:
    return [pick(r, paths) for r in records] if isinstance(records, list) else records
