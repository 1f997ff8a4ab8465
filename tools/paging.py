"""`all_pages`: follow a paginated list to its end, within a hard cap, and say when the cap cut it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .registry import Operation

MAX_PAGES = 20
MAX_RECORDS = 5000
PAGE_SIZE = 250

Progress = Callable[[float, float | None, str | None], Awaitable[None]]
FetchPage = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


def takes_pages(op: Operation) -> bool:
    return op.paginated and any(p.name == "page_number" for p in op.params)


async def fetch_all_pages(fetch_page: FetchPage, arguments: dict[str, Any], progress: Progress | None = None,
                          *, max_pages: int = MAX_PAGES, max_records: int = MAX_RECORDS) -> dict[str, Any]:
    """Every record from `page_number` (default 1) on; `fetch_page(arguments)` returns one page's {data, meta}."""
    size = arguments.get("page_size", PAGE_SIZE)
    first = page = arguments.get("page_number", 1)
    records: list[Any] = []
    meta: dict[str, Any] = {}
    while True:
        result = await fetch_page({**arguments, "page_number": page, "page_size": size})
        batch = result.get("data") or []
        records.extend(batch)
        meta = result.get("meta") or {}
        total_pages = meta.get("total_pages") or page
        if progress is not None:
            await progress(page - first + 1, min(max(total_pages - first + 1, 1), max_pages),
                           f"page {page} of {total_pages}")
        finished = page >= total_pages or not batch
        if finished or page - first + 1 >= max_pages or len(records) >= max_records:
            break
        page += 1
    truncated = not finished or len(records) > max_records
    records = records[:max_records]
    summary: dict[str, Any] = {
        **{k: meta[k] for k in ("total_pages", "total_results") if k in meta},
        "page_number": first, "page_size": size, "pages_fetched": page - first + 1,
        "records_returned": len(records), "truncated": truncated,
    }
    if truncated:
        summary["note"] = (
            f"Stopped at the cap ({max_pages} pages or {max_records} records): {len(records)} of "
            f"{meta.get('total_results', 'more')} records returned. Narrow the filters, or continue from "
            f"page_number={page + 1} with page_size={size}."
        )
    return {"data": records, "meta": summary}
