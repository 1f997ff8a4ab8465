"""Fault injection: the MCP server against a real misbehaving HTTP upstream on 127.0.0.1.

For each fault: the tool returns a clear error or the retried success, the server keeps answering,
attempts stay within the retry limits, and a change that may have reached Telnyx is never sent twice.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import AsyncIterator
from types import SimpleNamespace

import httpx
import pytest
import stamina
from mcp import Client

from faulty_upstream import Upstream, drip, hang, huge, reply, reset, truncated
from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.server.gate import Gate
from telnyx_iot_mcp.tools import client as client_module
from telnyx_iot_mcp.tools.client import TelnyxClient, parse_retry_after
from telnyx_iot_mcp.tools.errors import ToolError
from telnyx_iot_mcp.tools.registry import OPERATIONS
from telnyx_iot_mcp.tools.request import build_request

pytestmark = pytest.mark.anyio

KEY = "KEY0123456789ABCDEF_faultsecret"
MAX_ATTEMPTS = 3
SIM = "6a09cdc3-8948-47f0-aa62-74ac943d6c58"
BROKEN_ANSWERS = pytest.mark.parametrize("fault", [reset, hang, truncated, drip],
                                         ids=["reset", "read-timeout", "truncated", "slow-drip"])
ACTION = {"data": {"id": SIM, "action_type": "enable", "status": {"value": "in-progress"}}}


@pytest.fixture(scope="module")
def upstream():
    with Upstream() as served:
        yield served


def make_client(upstream: Upstream, **overrides) -> TelnyxClient:
    # 2 s per attempt: a hang (5 s) or a drip (10 s) outlasts it, and a good answer from a loaded machine fits in it
    options = dict(base_url=upstream.base_url, api_key=KEY, timeout=2.0, connect_timeout=2.0, retry_budget=4.0,
                   max_attempts=MAX_ATTEMPTS, backoff_initial=0.01, backoff_max=0.05, retry_after_cap=2.0,
                   max_response_bytes=1_000_000, max_result_bytes=20_000)
    return TelnyxClient(**{**options, **overrides})


@pytest.fixture
def scheduled_waits():
    """The backoff stamina scheduled before each retry, in seconds."""
    waits: list[float] = []
    previous = stamina.instrumentation.get_on_retry_hooks()
    stamina.instrumentation.set_on_retry_hooks([*previous, lambda details: waits.append(details.wait_for)])
    yield waits
    stamina.instrumentation.set_on_retry_hooks(previous)


@pytest.fixture
async def mcp(upstream) -> AsyncIterator[Client]:
    client = make_client(upstream)
    try:  # about the HTTP client, not the gate: a change (enable_sim_card bills) goes straight through
        async with Client(create_server(client, gate=Gate(client, policy="off"))) as session:
            yield session
    finally:
        await client.aclose()


# A change first reads the SIM's state for the change journal (server/journal.py), then sends once.
STATE_BEFORE = reply(200, {"data": {"id": SIM, "status": {"value": "disabled"}}})


def changes_sent(upstream: Upstream) -> int:
    return sum(1 for seen in upstream.seen if seen.method != "GET")


async def call(session: Client, tool: str, arguments: dict | None = None):
    result = await session.call_tool(tool, arguments or {})
    return result, result.structured_content or {}


async def assert_still_serving(session: Client, upstream: Upstream) -> None:
    upstream.play()
    result, content = await call(session, "list_sim_cards")
    assert not result.is_error, result.content[0].text
    assert content["data"] == []


def error_of(content: dict) -> dict:
    assert "error" in content, content
    assert content["error"]["kind"] != "internal"
    return content["error"]


# -- rate limits -------------------------------------------------------------------------------

async def test_429_with_retry_after_seconds_is_waited_out_and_retried(mcp, upstream, scheduled_waits):
    too_many = {"errors": [{"code": "10011", "title": "Too many requests"}]}
    upstream.play(reply(429, too_many, headers={"Retry-After": "1"}))
    result, content = await call(mcp, "list_sim_cards")
    assert not result.is_error, result.content[0].text
    assert len(upstream.seen) == 2
    assert scheduled_waits == [1.0]  # the wait the API asked for, not the short backoff


async def test_429_with_retry_after_http_date_is_honoured(mcp, upstream, scheduled_waits):
    soon = email.utils.formatdate(time.time() + 2, usegmt=True)
    upstream.play(reply(429, {}, headers={"Retry-After": soon}))
    result, _ = await call(mcp, "list_sim_cards")
    assert not result.is_error
    assert len(upstream.seen) == 2
    assert len(scheduled_waits) == 1 and 0.05 < scheduled_waits[0] <= 2.0


async def test_429_without_retry_after_backs_off_then_gives_up_with_a_clear_error(mcp, upstream):
    upstream.play(*[reply(429, {"errors": [{"title": "Too many requests"}]})] * 10)
    result, content = await call(mcp, "list_sim_cards")
    assert result.is_error
    error = error_of(content)
    assert error["status"] == 429 and "Rate-limited" in error["hint"]
    assert len(upstream.seen) == MAX_ATTEMPTS
    await assert_still_serving(mcp, upstream)


async def test_429_asking_for_a_wait_beyond_the_cap_is_returned_not_waited(mcp, upstream):
    upstream.play(reply(429, {}, headers={"Retry-After": "3600"}))
    result, content = await call(mcp, "list_sim_cards")
    assert result.is_error
    assert error_of(content)["retry_after"] == "3600"
    assert len(upstream.seen) == 1


async def test_429_on_a_change_is_not_retried(mcp, upstream):
    upstream.play(STATE_BEFORE, reply(429, {}, headers={"Retry-After": "0"}))
    result, content = await call(mcp, "enable_sim_card", {"sim_card_id": SIM})
    assert result.is_error and error_of(content)["status"] == 429
    assert changes_sent(upstream) == 1


@pytest.mark.parametrize("header", ["0", "1.5", "Wed, 21 Oct 2015 07:28:00 GMT", "soon", "", "-4", "nan", "1e400"])
def test_retry_after_parsing_never_fails(header):
    seconds = parse_retry_after(header)
    assert seconds is None or seconds >= 0


def test_retry_after_http_date_is_relative_to_now():
    now = time.time()
    assert parse_retry_after(email.utils.formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30, abs=1)


# -- server errors -------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_error_on_a_read_is_retried_to_success(mcp, upstream, status):
    upstream.play(reply(status, {"errors": [{"title": "Internal error"}]}))
    result, content = await call(mcp, "list_sim_cards")
    assert not result.is_error, result.content[0].text
    assert len(upstream.seen) == 2


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_error_on_a_read_gives_up_within_the_attempt_limit(mcp, upstream, status):
    upstream.play(*[reply(status, {"errors": [{"title": "Internal error"}]})] * 10)
    result, content = await call(mcp, "get_sim_card", {"sim_card_id": SIM})
    assert result.is_error
    assert error_of(content)["status"] == status
    assert len(upstream.seen) == MAX_ATTEMPTS
    await assert_still_serving(mcp, upstream)


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_error_on_a_change_is_never_repeated_and_says_how_to_check(mcp, upstream, status):
    upstream.play(STATE_BEFORE, reply(status, {"errors": [{"title": "Internal error"}]}))
    result, content = await call(mcp, "enable_sim_card", {"sim_card_id": SIM})
    assert result.is_error
    assert changes_sent(upstream) == 1
    hint = error_of(content)["hint"]
    assert "may have reached Telnyx" in hint and "list_sim_card_actions" in hint


async def test_read_only_post_preview_is_retried(mcp, upstream):
    upstream.play(reply(503, {}), reply(200, {"data": {"quantity": 2}}))
    result, content = await call(mcp, "preview_sim_card_order", {"quantity": 2, "address_id": "1293384261075731499"})
    assert not result.is_error, result.content[0].text
    assert [s.method for s in upstream.seen] == ["POST", "POST"]


async def test_client_errors_are_not_retried(mcp, upstream):
    upstream.play(reply(404, {"errors": [{"code": "10005", "title": "Resource not found"}]}))
    result, content = await call(mcp, "get_sim_card", {"sim_card_id": SIM})
    assert error_of(content)["status"] == 404
    assert len(upstream.seen) == 1


# -- broken connections and bodies ---------------------------------------------------------------

@BROKEN_ANSWERS
async def test_broken_answer_to_a_read_is_retried_to_success(mcp, upstream, fault):
    upstream.play(fault())
    result, content = await call(mcp, "list_sim_cards")
    assert not result.is_error, result.content[0].text
    assert len(upstream.seen) == 2


@BROKEN_ANSWERS
async def test_broken_answer_to_a_read_every_time_ends_in_a_network_error(mcp, upstream, fault):
    upstream.play(*[fault()] * 10)
    result, content = await call(mcp, "get_sim_card", {"sim_card_id": SIM})
    assert result.is_error
    assert error_of(content)["kind"] == "network"
    assert len(upstream.seen) <= MAX_ATTEMPTS
    await assert_still_serving(mcp, upstream)


@BROKEN_ANSWERS
async def test_broken_answer_to_a_change_is_never_repeated(mcp, upstream, fault):
    upstream.play(STATE_BEFORE, fault(), reply(200, ACTION))
    result, content = await call(mcp, "enable_sim_card", {"sim_card_id": SIM})
    assert result.is_error
    assert changes_sent(upstream) == 1
    error = error_of(content)
    assert "may have reached Telnyx" in error["hint"] and "list_sim_card_actions" in error["hint"]
    await assert_still_serving(mcp, upstream)


@pytest.mark.parametrize("body, content_type, expect", [
    (b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html", "text/html"),
    (b"upstream connect error or disconnect/reset before headers", "text/plain", "text/plain"),
])
async def test_non_json_error_page_is_summarised_not_dumped(mcp, upstream, body, content_type, expect):
    upstream.play(*[reply(502, body, content_type=content_type)] * 10)
    result, content = await call(mcp, "list_sim_cards")
    error = error_of(content)
    assert error["status"] == 502 and expect in error["message"]
    assert "<html>" not in result.content[0].text


@pytest.mark.parametrize("body", [
    b"not json at all", b"[1, 2, 3]", b'{"data": [', b"\xff\xfe garbage",
    b"[" * 100_000 + b"]" * 100_000,  # nesting deeper than the parser's recursion limit
    b'{"data": ' + b"9" * 5000 + b"}",  # an integer longer than Python parses
], ids=["text", "array", "cut", "bytes", "deep", "long-number"])
async def test_unusable_success_body_is_a_clear_error(mcp, upstream, body):
    upstream.play(*[reply(200, body)] * 10)
    result, content = await call(mcp, "list_sim_cards")
    assert error_of(content)["kind"] == "bad_response"
    assert len(upstream.seen) == MAX_ATTEMPTS


async def test_unusable_success_body_for_a_change_says_it_may_have_happened(mcp, upstream):
    upstream.play(STATE_BEFORE, reply(200, b"<html>OK</html>", content_type="text/html"))
    result, content = await call(mcp, "enable_sim_card", {"sim_card_id": SIM})
    assert "list_sim_card_actions" in error_of(content)["hint"]
    assert changes_sent(upstream) == 1


# -- size limits ---------------------------------------------------------------------------------

@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "chunked"])
async def test_huge_body_is_refused_without_reading_it_all(mcp, upstream, declare_length):
    upstream.play(huge(50_000_000, declare_length=declare_length))
    result, content = await call(mcp, "list_sim_cards")
    error = error_of(content)
    assert error["kind"] == "too_large" and "page_size" in error["hint"] and "fields" in error["hint"]
    assert len(upstream.seen) == 1
    await assert_still_serving(mcp, upstream)


async def test_page_larger_than_the_result_cap_is_cut_with_a_note(mcp, upstream):
    records = [{"id": f"{i:08d}-0000-4000-8000-000000000000", "iccid": "8900000000000000000", "tags": ["x" * 100]}
               for i in range(400)]
    upstream.play(reply(200, {"data": records, "meta": {"page_number": 1, "page_size": 400, "total_pages": 3,
                                                       "total_results": 1200}}))
    result, content = await call(mcp, "list_sim_cards")
    assert not result.is_error, result.content[0].text
    assert len(result.content[0].text.encode()) <= 20_000
    assert 0 < len(content["data"]) < 400
    assert content["data"] == records[: len(content["data"])]
    note = content["truncated"]
    assert note["received"] == 400 and note["returned"] == len(content["data"])
    assert "page_size" in note["note"] and "fields" in note["note"]
    assert content["meta"]["total_results"] == 1200


async def test_single_record_larger_than_the_result_cap_is_an_error(mcp, upstream):
    upstream.play(reply(200, {"data": {"id": SIM, "tags": ["y" * 1000] * 40}}))
    result, content = await call(mcp, "get_sim_card", {"sim_card_id": SIM})
    assert error_of(content)["kind"] == "too_large"


# -- requests that never left -------------------------------------------------------------------

async def test_a_change_that_could_not_connect_is_retried_because_nothing_was_sent():
    sent: list[httpx.Request] = []
    failures = iter([httpx.ConnectError("refused"), httpx.ConnectTimeout("slow connect")])

    def handler(request: httpx.Request) -> httpx.Response:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        sent.append(request)
        return httpx.Response(200, json=ACTION)

    client = TelnyxClient(base_url="http://upstream.test/v2", transport=httpx.MockTransport(handler),
                          backoff_initial=0.01, backoff_max=0.05)
    op = OPERATIONS["purchase_esims"]
    response = await client.send(build_request(op, {"amount": 1}))
    assert response.status == 200 and len(sent) == 1
    await client.aclose()


async def test_nothing_listening_is_a_network_error_without_may_have_happened():
    with Upstream() as gone:
        base_url = gone.base_url
    client = TelnyxClient(base_url=base_url, retry_budget=1.0, backoff_initial=0.01, backoff_max=0.05)
    with pytest.raises(ToolError) as caught:
        await client.send(build_request(OPERATIONS["create_sim_card_order"], {"quantity": 1, "address_id": "1"}))
    assert caught.value.payload["kind"] == "network"
    assert "may have" not in caught.value.payload["hint"]
    await client.aclose()


@pytest.mark.parametrize("tool, arguments, check_with", [
    ("purchase_esims", {"amount": 1}, "list_sim_cards"),
    ("create_sim_card_order", {"quantity": 1, "address_id": "1"}, "list_sim_card_orders"),
    ("disable_sim_card", {"sim_card_id": SIM}, "list_sim_card_actions"),
    ("delete_sim_card_group", {"sim_card_group_id": SIM}, "get_sim_card_group"),
])
async def test_unanswered_change_names_the_read_tool_that_checks_it(upstream, tool, arguments, check_with):
    upstream.play(reset(), reply(200, ACTION))
    client = make_client(upstream)
    with pytest.raises(ToolError) as caught:
        await client.send(build_request(OPERATIONS[tool], arguments))
    await client.aclose()
    assert len(upstream.seen) == 1
    assert check_with in caught.value.payload["hint"] and "not repeated" in caught.value.payload["hint"]


async def test_retries_stop_at_the_time_budget(monkeypatch):
    """Counted against the client's own clock, which each timed-out attempt moves on by 0.4 s: with 1 s of
    budget, attempts start at 0, 0.4 and 0.8 s, and none after (not the 10 attempts allowed)."""
    now = [time.monotonic()]
    monkeypatch.setattr(client_module, "time", SimpleNamespace(monotonic=lambda: now[0], time=time.time))
    sent: list[httpx.Request] = []

    def timed_out(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        now[0] += 0.4
        raise httpx.ReadTimeout("no answer", request=request)

    client = TelnyxClient(base_url="http://upstream.test/v2", transport=httpx.MockTransport(timed_out), timeout=0.4,
                          retry_budget=1.0, max_attempts=10, backoff_initial=0.001, backoff_max=0.01)
    with pytest.raises(ToolError) as caught:
        await client.send(build_request(OPERATIONS["list_sim_cards"], {}))
    await client.aclose()
    assert len(sent) == 3 and caught.value.payload["kind"] == "network"


async def test_concurrent_requests_never_exceed_the_limit(upstream):
    in_flight, peak = 0, 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        import anyio
        await anyio.sleep(0.01)
        in_flight -= 1
        return httpx.Response(200, json={"data": []})

    client = TelnyxClient(base_url="http://upstream.test/v2", transport=httpx.MockTransport(handler), max_concurrency=3)
    import anyio
    async with anyio.create_task_group() as group:
        for _ in range(20):
            group.start_soon(client.send, build_request(OPERATIONS["list_sim_cards"], {}))
    await client.aclose()
    assert peak == 3


async def test_the_key_is_sent_to_the_api_but_never_shown(mcp, upstream):
    echo = {"errors": [{"title": "Unauthorized", "detail": f"Bearer {KEY} was rejected; key={KEY}"}]}
    upstream.play(reply(401, echo))
    result, content = await call(mcp, "list_sim_cards")
    assert upstream.seen[0].headers["authorization"] == f"Bearer {KEY}"
    assert result.is_error
    assert KEY not in result.content[0].text and KEY not in str(content)


async def test_a_call_that_waits_too_long_for_a_free_slot_is_not_sent(upstream):
    upstream.play()
    client = make_client(upstream, max_concurrency=1, retry_budget=0.3)
    busy = client.budget.slot(time.monotonic() + 1, changes=False)
    await busy.__aenter__()  # the one slot is busy with another call for longer than the budget
    with pytest.raises(ToolError) as caught:
        await client.send(build_request(OPERATIONS["create_sim_card_group"], {"name": "a"}))
    await busy.__aexit__(None, None, None)
    assert "was not sent" in caught.value.message
    assert upstream.seen == []
    async with client.budget.slot(time.monotonic() + 60):  # the slot is free again (taken at once; no race)
        pass
    await client.aclose()
