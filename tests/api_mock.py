"""A local HTTP stand-in for the Telnyx API on 127.0.0.1 that records each request and answers from the registry."""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from processes import free_port
from samples import example
from telnyx_iot_mcp.tools.registry import OPERATIONS, Operation


@dataclass
class Seen:
    method: str
    path: str
    query: list[tuple[str, str]]
    json: Any
    headers: dict[str, str]


def canned_body(op: Operation) -> dict[str, Any]:
    record = example(op.returns, full=True)
    body: dict[str, Any] = {"data": [record] if op.returns_list else record}
    if op.paginated:
        body["meta"] = {"page_number": 1, "page_size": 20, "total_pages": 1, "total_results": 1}
    return body


def _route_table() -> list[tuple[str, re.Pattern[str], Operation]]:
    table = []
    for op in OPERATIONS.values():
        pattern = re.sub(r"{\w+}", "[^/]+", op.path)
        table.append((op.method, re.compile(f"^/v2{pattern}$"), op))
    # Literal paths before templated ones (e.g. /sim_cards/actions/... before /sim_cards/{id}).
    table.sort(key=lambda row: row[1].pattern.count("[^/]+"))
    return table


@dataclass
class ApiMock:
    """Answers like Telnyx; `replies` overrides (status, body) for the next requests, in order."""

    requests: list[Seen] = field(default_factory=list)
    replies: list[tuple[int, Any]] = field(default_factory=list)
    url: str = ""
    # The API's clock: a fixed Date header, so the tools that read time from it (the usage window) ask the same twice.
    date: str = "Mon, 07 Dec 2026 12:00:00 GMT"

    def match(self, method: str, path: str) -> Operation | None:
        return next((op for m, rx, op in ROUTES if m == method and rx.match(path)), None)

    async def handle(self, request: Request) -> JSONResponse:
        raw = await request.body()
        self.requests.append(Seen(request.method, request.url.path, list(request.query_params.multi_items()),
                                  json.loads(raw) if raw else None, dict(request.headers)))
        if self.replies:
            status, body = self.replies.pop(0)
            return Response(status_code=status) if body is None else JSONResponse(body, status_code=status)
        op = self.match(request.method, request.url.path)
        if op is None:
            return JSONResponse({"errors": [{"code": "10005", "title": "Resource not found"}]}, status_code=404)
        return JSONResponse(canned_body(op), status_code=202 if op.method == "POST" else 200,
                            headers={"date": self.date})

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self.handle, methods=["GET", "POST", "PATCH", "DELETE"])])

    def writes(self) -> list[Seen]:
        return [r for r in self.requests if r.method != "GET"]


ROUTES = _route_table()


class Served:
    """Runs an ASGI app with uvicorn on 127.0.0.1 in a background thread."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("local server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(5)
