"""The sandbox's entry point: its state, one request path, and the ASGI app.

Every request under /v2 is matched against the operations of the facts file, checked (path,
query, body), then handed to the handler registered for its operationId by a resource family
in `families/`. Handlers read and change the `Store`; timed work follows `lifecycle`. The success
status code and the response envelope (`data`, `meta`) come from the facts file, so they cannot
drift from the API description.
"""

from __future__ import annotations

import contextlib
import hmac
import math
import sys
import time
import uuid
from email.utils import formatdate
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from . import fleet, lifecycle
from .families import HANDLERS
from .handlers import Call
from .store import Store, iso
from .validation import ApiError, check_body, check_path, check_query, error, match

PREFIX = "/v2"


class Sandbox:
    """State plus behaviour; `app.state.sandbox` in the ASGI app."""

    def __init__(
        self,
        *,
        seed: int = 7,
        sim_count: int = 48,
        state_path: str | None = None,
        api_key: str | None = None,
        action_delay: float = 1.0,
        clock: Callable[[], float] = time.time,
        rate_limit: int | None = None,
        rate_window: float = 60.0,
    ) -> None:
        self.api_key = api_key
        self.action_delay = float(action_delay)
        self.rate = RateWindow(rate_limit, rate_window)
        self.store = Store(seed=seed, clock=clock, state_path=state_path)
        if not self.store.loaded:
            self._seed(seed, sim_count)

    # -- seeding -------------------------------------------------------------------------

    def _seed(self, seed: int, sim_count: int) -> None:
        now = self.store.now()
        self.store.meta["seeded_at"] = now
        for coll, docs in fleet.build(seed, sim_count).items():
            for doc in docs:
                if coll == "sim_cards":  # what its usage history is scaled to (sandbox/usage.py)
                    doc["_seeded_mb"] = doc["current_billing_period_consumed_data"]["amount"]
                offset = doc.pop("_t0_offset", None)
                if offset is not None:
                    doc["_t0"] = now - offset
                    doc["created_at"] = iso(doc["_t0"])
            self.store.put_many(coll, docs)
        self.store.commit()

    @property
    def seed(self) -> int:
        return self.store.seed

    def registration_codes(self) -> dict[str, str]:
        """Seeded registration codes and whether each is `available` or `registered`."""
        return {d["id"]: d["status"] for d in self.store.all("registration_codes")}

    def address_ids(self) -> list[str]:
        return [d["id"] for d in self.store.all("addresses")]

    def private_wireless_gateway_ids(self) -> list[str]:
        return [d["id"] for d in self.store.all("private_wireless_gateways")]

    def summary(self) -> str:
        sims = list(self.store.all("sim_cards"))
        esims = sum(1 for s in sims if s["type"] == "esim")
        n_groups = self.store.count("sim_card_groups")
        n_block = self.store.count("wireless_blocklists")
        n_orders = self.store.count("sim_card_orders")
        auth = "API key required (Authorization: Bearer)" if self.api_key else "no API key needed"
        return (
            f"Telnyx IoT sandbox: {len(sims)} SIM cards ({len(sims) - esims} physical, "
            f"{esims} eSIM) in {n_groups} group{'s' * (n_groups != 1)}, "
            f"{n_block} blocklist{'s' * (n_block != 1)}, "
            f"{n_orders} order{'s' * (n_orders != 1)}; {auth}"
        )

    # -- request entry point -------------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        body: bytes,
        authorization: str | None,
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Answer one request: status, JSON body and headers (`x-request-id`, `x-ratelimit-*`)."""
        now = self.store.now()
        limited, rate_headers = self.rate.take(now)
        headers = {"x-request-id": str(uuid.uuid4()), "date": formatdate(now, usegmt=True), **rate_headers}
        try:
            self._authorize(authorization)
            if limited:
                raise ApiError(429, [error(
                    "10011", "You have exceeded the maximum number of allowed requests; try again "
                    f"in {headers['x-ratelimit-reset']} s")])
            if not path.startswith(PREFIX + "/"):
                raise ApiError(404, [error("10005", f"{path} is not under {PREFIX}/", pointer="/")])
            op, params = match(method, path[len(PREFIX):])
            check_path(op, params)
            typed_query = check_query(op, query)
            typed_body = check_body(op, body)
            lifecycle.settle(self, now)
            result = HANDLERS[op.operation_id](self, Call(op, params, typed_query, typed_body, now))
            self.store.commit()
        except ApiError as exc:
            self.store.commit()
            return exc.status, exc.body(), headers
        payload: dict[str, Any] = {"data": result.data}
        if op.has_meta and result.meta is not None:
            payload["meta"] = result.meta
        if result.errors:
            payload["errors"] = result.errors
        return op.success_status, payload, headers

    def _authorize(self, authorization: str | None) -> None:
        if self.api_key is None:
            return
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), self.api_key.encode()
        ):
            detail = ("Send your API key as 'Authorization: Bearer <key>'" if not authorization
                      else "The API key in the Authorization header is not valid")
            raise ApiError(401, [error("10009", detail)])


class RateWindow:
    """Telnyx's rate-limit headers over fixed windows of `window` seconds.

    With a `limit`, a request beyond it in one window is answered 429 (code 10011), as Telnyx
    answers; without one nothing is refused and the headers report a nominal limit.
    """

    NOMINAL = 10_000

    def __init__(self, limit: int | None, window: float) -> None:
        self.limit = limit
        self.window = float(window)
        self.start: float | None = None
        self.used = 0

    def take(self, now: float) -> tuple[bool, dict[str, str]]:
        """Count one request: whether it is over the limit, and the headers to send."""
        if self.start is None or now >= self.start + self.window:
            self.start, self.used = now, 0
        self.used += 1
        limit = self.limit if self.limit is not None else self.NOMINAL
        over = self.limit is not None and self.used > self.limit
        reset = max(1, math.ceil(self.start + self.window - now))
        return over, {"x-ratelimit-limit": str(limit),
                      "x-ratelimit-remaining": str(max(0, limit - self.used)),
                      "x-ratelimit-reset": str(reset)}


def create_app(
    *,
    seed: int = 7,
    sim_count: int = 48,
    state_path: str | None = None,
    api_key: str | None = None,
    action_delay: float = 1.0,
    clock: Callable[[], float] = time.time,
    rate_limit: int | None = None,
    rate_window: float = 60.0,
) -> Starlette:
    """The sandbox as an ASGI app serving the Telnyx IoT API under /v2.

    `rate_limit` requests per `rate_window` seconds, if given, are allowed; more are answered
    429 as Telnyx answers them.
    """
    sandbox = Sandbox(seed=seed, sim_count=sim_count, state_path=state_path, api_key=api_key,
                      action_delay=action_delay, clock=clock, rate_limit=rate_limit,
                      rate_window=rate_window)

    async def endpoint(request: Request) -> JSONResponse:
        body = await request.body()
        status, payload, headers = sandbox.handle(
            request.method, request.url.path, request.query_params.multi_items(), body,
            request.headers.get("authorization"),
        )
        return JSONResponse(payload, status_code=status, headers=headers)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            sandbox.store.close()

    methods = ["GET", "POST", "PATCH", "PUT", "DELETE"]
    app = Starlette(routes=[Route("/{path:path}", endpoint, methods=methods)], lifespan=lifespan)
    app.state.sandbox = sandbox
    app.state.store = sandbox.store
    return app


def summary(app: Starlette) -> str:
    """One line describing the sandbox's fleet, e.g. for a CLI banner."""
    return app.state.sandbox.summary()


def serve(host: str = "127.0.0.1", port: int = 8780, **create_app_kwargs: Any) -> None:
    """Run the sandbox over real HTTP with uvicorn (loopback only unless `host` says else).

    Prints one banner line to stderr; stdout stays untouched.
    """
    import uvicorn

    app = create_app(**create_app_kwargs)
    print(f"{summary(app)}; serving http://{host}:{port}{PREFIX}", file=sys.stderr, flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", date_header=False)  # its own Date: the sandbox clock


__all__ = ["Sandbox", "create_app", "serve", "summary"]
