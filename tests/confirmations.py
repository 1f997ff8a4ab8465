"""Elicitation answers for tests: a person who says yes to every confirmation."""

from __future__ import annotations

from typing import Any

from mcp import types


async def yes_person(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
    """Says yes, and types whatever a form asks to be typed ("Type exactly: ...")."""
    content: dict[str, Any] = {}
    for key, prop in params.requested_schema.get("properties", {}).items():
        if prop.get("type") == "boolean":
            content[key] = True
        else:
            content[key] = prop.get("description", "").split("Type exactly: ", 1)[-1]
    return types.ElicitResult(action="accept", content=content)
