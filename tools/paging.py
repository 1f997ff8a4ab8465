"""`all_pages`: follow a paginated list as far as one answer can hold, and name the exact place to resume.

An answer stops at a page boundary when the next page would not fit whole (so no page is fetched for
records it cannot return), inside a page only when even that one page does not fit. Either way
`meta.next` holds page_number, page_size and page_offset: a call with them (and the same filters)
starts at the first record not yet returned, so following `meta.next` reads every record exactly once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .registry import Operation
from .result_size import RecordBudget

MAX_PAGES = 20
MAX_RECORDS = 5000
PAGE_SIZE = 250

Progress = Callable[[float, float | None, str | None], Awaitable[None]]
FetchPage = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


def takes_pages(op: Operation) -> bool:
    return op.paginated and any(p.name == "page_number" for p in op.params)


def page_size_limit(op: Operation) -> int:
    """The biggest page the operation accepts, up to PAGE_SIZE (the detail-record search stops at 50)."""
    size = next((p.schema_ for p in op.params if p.name == "page_size"), {})
    return min(size.get("maximum", PAGE_SIZE), PAGE_SIZE)


def resume_at(page: int, size: int, offset: int = 0) -> dict[str, int]:
    """The arguments that start a call at record `offset` of page `page` (pages of `size`). All three, always:
    a caller that merges them into its previous arguments must not keep an old page_offset."""
    return {"page_number": page, "page_size": size, "page_offset": offset}


async def fetch_all_pages(fetch_page: FetchPage, arguments: dict[str, Any], budget: RecordBudget,
                          progress: Progress | None = None, *, max_pages: int = MAX_PAGES,
                          max_records: int = MAX_RECORDS, page_size: int = PAGE_SIZE) -> dict[str, Any]:
    """Records from `page_number` (default 1) and `page_offset` on, into `budget`; {data, meta} with meta.next
    when more remain. `fetch_page(arguments)` returns one page's {data, meta}, its records as returned."""
    size = arguments.get("page_size", page_size)
    first = page = arguments.get("page_number", 1)
    offset = arguments.get("page_offset", 0)
    meta: dict[str, Any] = {}
    largest_page = 0  # bytes of the largest page taken so far: the guess for the next one
    fetched = 0
    resume: dict[str, int] | None = None
    while True:
        result = await fetch_page({**arguments, "page_number": page, "page_size": size})
        fetched += 1
        batch = (result.get("data") or [])[offset:]
        meta = result.get("meta") or {}
        total_pages = meta.get("total_pages") or page
        if progress is not None:
            await progress(fetched, min(max(total_pages - first + 1, 1), max_pages), f"page {page} of {total_pages}")
        room = max_records - len(budget.records)
        before = budget.used
        taken = budget.take(batch[:room])
        largest_page = max(largest_page, budget.used - before)
        if taken < len(batch):  # even this page did not fit whole: resume inside it
            if not budget.records:
                raise budget.too_large()
            resume = resume_at(page, size, offset + taken)
            break
        if page >= total_pages or not result.get("data"):
            break
        if (fetched >= max_pages or len(budget.records) + size > max_records
                or not budget.has_room(largest_page)):  # the next page would not come back whole
            resume = resume_at(page + 1, size)
            break
        page, offset = page + 1, 0
    summary: dict[str, Any] = {
        **{k: meta[k] for k in ("total_pages", "total_results") if k in meta},
        "page_number": first, "page_size": size, "pages_fetched": fetched,
        "records_returned": len(budget.records), "truncated": resume is not None,
    }
    if first_offset := arguments.get("page_offset", 0):
        summary["page_offset"] = first_offset
    if resume is not None:
        summary["next"] = resume
        summary["note"] = (
            f"One answer holds at most {max_pages} pages, {max_records} records or the server's size limit: "
            f"{len(budget.records)} of {meta.get('total_results', 'more')} records returned. To continue, call "
            f"again with the same filters and the arguments in meta.next ({continuation(resume)}), or narrow "
            "the filters or `fields`."
        )
    return {"data": budget.records, "meta": summary}


def continuation(place: dict[str, int]) -> str:
    return ", ".join(f"{k}={v}" for k, v in place.items())
