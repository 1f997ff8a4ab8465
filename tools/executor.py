"""Runs any registry operation: validate, build the request, send it, shape the result."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from .client import TelnyxClient
from .errors import ToolError, invalid_arguments, partial_errors
from .paging import Progress, fetch_all_pages, page_size_limit, resume_at, takes_pages
from .registry import Operation
from .request import build_request
from .result_size import Answer, RecordBudget, fit_result
from .secrets import hold, remember, withhold
from .shaping import trim
from .validation import problems

API_PAGE_SIZE = 20  # what the API sends when a call names no page_size


def check_arguments(op: Operation, arguments: dict[str, Any]) -> None:
    if isinstance(op, Operation):  # local tools carry no secrets
        hold(op, arguments)
    found = problems(op.name, arguments)
    if found:
        raise invalid_arguments(op.name, found)


async def run(client: TelnyxClient, op: Operation, arguments: dict[str, Any],
              progress: Progress | None = None, revealed: Collection[str] = (), *, whole: bool = False) -> Answer:
    """The API's `data` (and `meta` for lists) for a validated call, with its JSON text; raises ToolError.

    `all_pages`, `page_offset` and `fields` are handled here (build_request sends registry params only).
    Secret fields the operation declares are removed from `data`, except the `revealed` ones (a person agreed).
    `whole`: no size cap, for reads the server consumes itself (the cap is for what a model reads)."""
    async def fetch(page_arguments: dict[str, Any]) -> dict[str, Any]:
        response = await client.send(build_request(op, page_arguments))
        remember(op, page_arguments)  # sent and accepted: its secrets are masked from now on, in this account
        result: dict[str, Any] = {"data": withhold(op, response.body.get("data"), revealed)}
        failed = partial_errors(response.body)
        if failed:  # a 202 that partly failed: what was refused is as much the answer as what was done
            result["errors"] = failed
        if op.paginated and isinstance(response.body.get("meta"), dict):
            result["meta"] = response.body["meta"]
        if page_arguments.get("fields"):
            result["data"] = trim(result["data"], page_arguments["fields"])
        return result

    max_bytes = None if whole else getattr(client, "max_result_bytes", None)
    if not takes_pages(op):
        return fit_result(op, await fetch(arguments), max_bytes)
    if arguments.get("all_pages"):
        budget = RecordBudget(max_bytes)
        return budget.answer(await fetch_all_pages(fetch, arguments, budget, progress,
                                                  page_size=page_size_limit(op)))
    result = await fetch(arguments)
    offset = arguments.get("page_offset", 0)
    if offset and isinstance(result["data"], list):
        result["data"] = result["data"][offset:]
    page = arguments.get("page_number", 1)
    size = arguments.get("page_size") or (result.get("meta") or {}).get("page_size") or API_PAGE_SIZE
    return fit_result(op, result, max_bytes, lambda count: resume_at(page, size, offset + count))


async def execute(client: TelnyxClient, op: Operation, arguments: dict[str, Any],
                  progress: Progress | None = None, *, whole: bool = False) -> dict[str, Any]:
    """`run`'s structured result alone."""
    return (await run(client, op, arguments, progress, whole=whole)).payload


__all__ = ["ToolError", "check_arguments", "execute", "run"]
