"""Runs any registry operation: validate, build the request, send it, shape the result."""

from __future__ import annotations

from typing import Any

from .client import TelnyxClient
from .errors import ToolError, invalid_arguments
from .paging import Progress, fetch_all_pages, takes_pages
from .registry import Operation
from .request import build_request
from .result_size import fit_result
from .shaping import trim
from .validation import problems


def check_arguments(op: Operation, arguments: dict[str, Any]) -> None:
    found = problems(op.name, arguments)
    if found:
        raise invalid_arguments(op.name, found)


async def execute(client: TelnyxClient, op: Operation, arguments: dict[str, Any],
                  progress: Progress | None = None) -> dict[str, Any]:
    """The API's `data` (and `meta` for lists) for a validated call; raises ToolError on failure.

    `all_pages` and `fields` are handled here (build_request sends registry params only)."""
    async def fetch(page_arguments: dict[str, Any]) -> dict[str, Any]:
        response = await client.send(build_request(op, page_arguments))
        result: dict[str, Any] = {"data": response.body.get("data")}
        if op.paginated and isinstance(response.body.get("meta"), dict):
            result["meta"] = response.body["meta"]
        return result

    if arguments.get("all_pages") and takes_pages(op):
        result = await fetch_all_pages(fetch, arguments, progress)
    else:
        result = await fetch(arguments)
    if arguments.get("fields"):
        result["data"] = trim(result["data"], arguments["fields"])
    return fit_result(op, result, getattr(client, "max_result_bytes", None))


__all__ = ["ToolError", "check_arguments", "execute"]
