"""The one HTTP client that talks to Telnyx (or the sandbox): auth, timeouts, retries, limits, JSON in and out.

Retries (stamina): a request is sent again only when repeating it cannot do anything twice, i.e. it reads
(`safety.may_repeat`) or it never left this machine (no connection was made). A change that may have reached
Telnyx is never repeated; its error names the read tool that shows whether it took effect.
"""

from __future__ import annotations

import json
import logging
import math
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import TYPE_CHECKING, Any

import anyio

if TYPE_CHECKING:
    import httpx

# httpx and stamina are imported on the first request: a starting server answers its first tool list
# without waiting for them (together with the TLS context, tens of milliseconds of every cold start).
from .. import __version__
from .budget import Budget, LocalBudget, NoSlot, SharedBudgetDown
from .errors import ToolError, bad_response, may_have_happened, too_large, transport_error, upstream_error
from .redact import holds_secret, redact_value, register_secret, request_api_key
from .request import ApiRequest
from .safety import check_tool, may_repeat

log = logging.getLogger("telnyx_iot_mcp.client")

DEFAULT_BASE_URL = "https://api.telnyx.com/v2"
NARROW_HINT = ("Ask for less: use the list tool's filters, a smaller page_size, or the `fields` argument "
               "to return only the fields you need.")


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: dict[str, Any]
    request_id: str | None
    date: float | None = None  # the API's clock (its Date header), seconds


def header_time(value: str | None) -> float | None:
    """An HTTP date header as seconds; None if absent or unreadable."""
    try:
        when = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).timestamp()


class _Failure(Exception):
    """One failed attempt: the error to show, and whether (and after how long) it may be tried again."""

    def __init__(self, error: ToolError, *, retryable: bool, never_sent: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(error.message)
        self.error, self.retryable, self.never_sent, self.retry_after = error, retryable, never_sent, retry_after


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delay in seconds or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = when.timestamp() - (now if now is not None else datetime.now(timezone.utc).timestamp())
    return max(0.0, seconds) if math.isfinite(seconds) else None


def rate_limit_wait(headers: httpx.Headers) -> float | None:
    """Seconds until a 429 may be retried: Retry-After if sent, else Telnyx's x-ratelimit-reset (seconds
    until the window resets); None when the answer says neither."""
    wait = parse_retry_after(headers.get("retry-after"))
    if wait is None:
        try:
            reset = float(headers.get("x-ratelimit-reset", ""))
        except ValueError:
            return None
        wait = reset if math.isfinite(reset) and reset >= 0 else None
    return wait


class TelnyxClient:
    # Told of every request's operation, HTTP status (None: no answer) and seconds taken (server metrics).
    on_response: Callable[[str | None, int | None, float], None] | None = None

    def __init__(self, *, base_url: str = DEFAULT_BASE_URL, api_key: str | None = None,
                 timeout: float = 30.0, transport: httpx.AsyncBaseTransport | None = None,
                 connect_timeout: float = 5.0, retry_budget: float = 60.0, max_attempts: int = 4,
                 max_concurrency: int = 8, max_response_bytes: int = 8_000_000,
                 max_result_bytes: int = 200_000, backoff_initial: float = 0.5, backoff_max: float = 8.0,
                 retry_after_cap: float = 30.0, budget: Budget | None = None) -> None:
        """`timeout` bounds one attempt from start to last byte (and each read); `retry_budget` bounds a
        whole call, retries and waits included. `max_response_bytes` stops reading a body beyond it;
        `max_result_bytes` is what the executor hands to the model at most. `budget` limits requests in flight
        (and per second), by default `max_concurrency` at once in this process."""
        headers = {"Accept": "application/json", "User-Agent": f"telnyx-iot-mcp/{__version__}"}
        self._api_key = api_key or None
        if api_key:
            register_secret(api_key)
            headers["Authorization"] = f"Bearer {api_key}"
        self._http_options: dict[str, Any] = dict(
            base_url=base_url.rstrip("/"), headers=headers, transport=transport, follow_redirects=False,
        )
        self._http_limits = (timeout, min(timeout, connect_timeout), max_concurrency)
        self._built_http: httpx.AsyncClient | None = None
        self._building = threading.Lock()  # warm() may build it in another thread
        self._attempt_timeout = timeout
        self._budget = retry_budget
        self._max_attempts = max_attempts
        self.budget: Budget = budget or LocalBudget(max_concurrency)
        self.max_concurrency = max_concurrency  # a change plan uses part of it
        self._max_response_bytes = max_response_bytes
        self.max_result_bytes = max_result_bytes
        self._backoff = (backoff_initial, backoff_max)
        self._retry_after_cap = retry_after_cap

    @property
    def _http(self) -> httpx.AsyncClient:
        if self._built_http is None:
            with self._building:
                if self._built_http is None:
                    import httpx

                    timeout, connect, connections = self._http_limits
                    self._built_http = httpx.AsyncClient(
                        **self._http_options, timeout=httpx.Timeout(timeout, connect=connect), cookies=no_cookie_jar(),
                        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
                        verify=self._tls_context(),
                    )
        return self._built_http

    def _tls_context(self) -> ssl.SSLContext | bool:
        """TLS verified against the system's trusted CAs (httpx's default). A plain http:// base URL (a local
        sandbox or stub) opens no TLS connection: redirects are not followed and every request goes to the base
        URL. There, a context that trusts no CA, so no CA store is loaded at all and no TLS connection could
        ever be trusted by mistake."""
        if self._http_options["base_url"].startswith("http://"):
            return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        return True

    def api_key_in_use(self) -> str | None:
        """The key the next request is sent with: the calling request's own key, else this client's."""
        return request_api_key.get() or self._api_key

    def warm(self) -> None:
        """Does ahead what the first call would: imports httpx and stamina, builds the pool and its TLS context.
        Safe to run in a thread while the event loop serves."""
        import stamina  # noqa: F401

        self._http  # noqa: B018

    async def aclose(self) -> None:
        if self._built_http is not None:
            await self._built_http.aclose()

    async def send(self, request: ApiRequest) -> ApiResponse:
        """Send with retries where they are safe; raises ToolError on failure."""
        import stamina

        repeatable = may_repeat(request)
        deadline = time.monotonic() + self._budget

        def backoff(exc: Exception) -> bool | float:
            if not isinstance(exc, _Failure) or not exc.retryable or not (repeatable or exc.never_sent):
                return False
            remaining = deadline - time.monotonic()
            if exc.retry_after is not None:  # a longer wait is the caller's to decide: the error carries it
                wait = exc.retry_after
                fits = wait <= self._retry_after_cap and wait < remaining
                decision: bool | float = max(wait, 0.001) if fits else False
            else:
                decision = remaining > self._backoff[1]  # room left for the longest backoff and another try
            if decision is not False:
                log.warning("%s %s failed (%s); trying again", request.method, request.path, exc.error.message)
            return decision

        try:
            async for attempt in stamina.retry_context(
                on=backoff, attempts=self._max_attempts, timeout=None,
                wait_initial=self._backoff[0], wait_max=self._backoff[1], wait_jitter=self._backoff[0],
            ):
                with attempt:
                    return await self._attempt(request, repeatable, deadline)
        except _Failure as failure:
            raise failure.error from None
        raise AssertionError("unreachable: stamina either returns or raises")  # pragma: no cover

    async def _attempt(self, request: ApiRequest, repeatable: bool, deadline: float) -> ApiResponse:
        try:
            async with self.budget.slot(deadline, changes=not repeatable):
                return await self._exchange(request, repeatable, deadline)
        except NoSlot:
            raise _Failure(transport_error("too many calls to Telnyx were in flight; this one was not sent"),
                           retryable=False, never_sent=True) from None
        except SharedBudgetDown as down:
            raise _Failure(ToolError("state_unavailable", f"Not sent to Telnyx: {down}. Changes wait until it is "
                                     "back, so that the replicas together keep to one limit; reads still work."),
                           retryable=False, never_sent=True) from None

    async def _exchange(self, request: ApiRequest, repeatable: bool, deadline: float) -> ApiResponse:
        import httpx

        maybe = None if repeatable else may_have_happened(request.operation or request.path,
                                                          check_tool(request.operation or ""))
        limit = min(self._attempt_timeout, deadline - time.monotonic())
        key = request_api_key.get()  # a caller's own key replaces the server's for this request
        started, status = time.monotonic(), None
        try:
            with anyio.fail_after(max(limit, 0.0)):
                async with self._http.stream(request.method, request.path, params=request.params or None,
                                             json=request.json,
                                             headers={"Authorization": f"Bearer {key}"} if key else None,
                                             ) as response:
                    status = response.status_code
                    content = await self._read_capped(response)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise _Failure(transport_error(f"could not connect ({type(exc).__name__})"),
                           retryable=True, never_sent=True) from None
        except (httpx.TimeoutException, TimeoutError):
            raise _Failure(transport_error(f"no complete answer within {limit:.3g} s", may_have_happened=maybe),
                           retryable=True) from None
        except httpx.HTTPError as exc:
            raise _Failure(transport_error(f"the connection failed ({type(exc).__name__})", may_have_happened=maybe),
                           retryable=True) from None
        finally:
            if self.on_response is not None:
                self.on_response(request.operation, status, time.monotonic() - started)
        return self._parse(response, content, maybe)

    async def _read_capped(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_response_bytes:
            raise _Failure(too_large(int(declared), self._max_response_bytes, narrow=NARROW_HINT), retryable=False)
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self._max_response_bytes:
                raise _Failure(too_large(size, self._max_response_bytes, narrow=NARROW_HINT), retryable=False)
            chunks.append(chunk)
        return b"".join(chunks)

    def _parse(self, response: httpx.Response, content: bytes, maybe: str | None) -> ApiResponse:
        status, request_id = response.status_code, response.headers.get("x-request-id")
        try:
            body: Any = json.loads(content) if content else {}
        except (ValueError, RecursionError):  # bad JSON, bad UTF-8, a 5000-digit number, deep nesting
            body = None
        if response.is_success:
            if not isinstance(body, dict):
                what = "not a JSON object" if body is not None else _content_kind(response)
                raise _Failure(bad_response(status, what, request_id=request_id, may_have_happened=maybe),
                               retryable=True)
            if holds_secret(content):  # an upstream that echoes the Authorization header
                body = redact_value(body)
            return ApiResponse(status, body, request_id, header_time(response.headers.get("date")))
        retry_after = response.headers.get("retry-after")
        wait = rate_limit_wait(response.headers) if status == 429 else None
        error = upstream_error(status, body, request_id=request_id,
                               retry_after=f"{wait:g}" if wait is not None else retry_after,
                               may_have_happened=maybe if status >= 500 else None)
        if body is None and content:
            error.payload["message"] += f" (the body was {_content_kind(response)})"
        if status == 429:
            if wait is not None:
                error.payload["retry_after_seconds"] = wait
                error.payload["hint"] = (f"Rate-limited by Telnyx: the limit resets in {wait:g} s. Call again "
                                         f"after that (nothing was done); narrow list calls with filters.")
            raise _Failure(error, retryable=True, retry_after=wait)
        raise _Failure(error, retryable=status >= 500 or status == 408)


def no_cookie_jar() -> CookieJar:
    """A jar that keeps and sends no cookie. Telnyx authenticates each request by its bearer key alone (its API
    declares no other scheme and no cookie parameter); a cookie kept from one caller's answer would go out with
    the next caller's request on a server shared by several Telnyx accounts."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def _content_kind(response: httpx.Response) -> str:
    kind = response.headers.get("content-type", "").split(";")[0].strip() or "of no declared type"
    return f"not JSON: {kind}"


__all__ = ["ApiResponse", "TelnyxClient", "ToolError", "DEFAULT_BASE_URL", "parse_retry_after", "rate_limit_wait"]
