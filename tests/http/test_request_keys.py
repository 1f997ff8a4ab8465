"""Per-request Telnyx keys on a shared server: one client for every key, so one limit on calls in flight,
each call with its own caller's key, and keys masked while their request lasts without being remembered."""

from __future__ import annotations

import hashlib

import anyio
import httpx
import pytest

from telnyx_iot_mcp.server.http import RequestKeyClient
from telnyx_iot_mcp.tools import redact
from telnyx_iot_mcp.tools.errors import ToolError
from telnyx_iot_mcp.tools.request import ApiRequest

pytestmark = pytest.mark.anyio

# Random-looking keys, as real ones are: fragments of 8 characters of any secret are masked, so keys that share
# runs such as "0123456789" with other secrets of the test process would mask each other.
SERVER_KEY = "KEY" + hashlib.sha256(b"server").hexdigest()[:32]
READ = ApiRequest("GET", "/sim_cards", operation="list_sim_cards")


@pytest.fixture
def anyio_backend():
    return "asyncio"


def tenant_key(n: int) -> str:
    return "KEY" + hashlib.sha256(f"tenant {n}".encode()).hexdigest()[:32]


async def test_every_key_shares_one_limit_on_calls_in_flight_and_uses_its_own_key():
    in_flight, most, seen = 0, 0, []

    async def answer(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        seen.append((request.url.params.get("n"), request.headers["authorization"]))
        await anyio.sleep(0.05)
        in_flight -= 1
        return httpx.Response(200, json={"data": []})

    client = RequestKeyClient(base_url="http://api/v2", transport=httpx.MockTransport(answer),
                              default_api_key=SERVER_KEY, max_concurrency=2)
    remembered = set(redact._secrets)

    async def call(n: int) -> None:
        redact.request_api_key.set(tenant_key(n) if n else None)  # this task's own context
        await client.send(ApiRequest("GET", "/sim_cards", params=[("n", str(n))], operation="list_sim_cards"))

    async with anyio.create_task_group() as group:
        for n in range(12):
            group.start_soon(call, n)
    await client.aclose()

    assert most == 2  # not 2 per key: the server's limit holds across callers
    assert sorted(seen) == sorted((str(n), f"Bearer {tenant_key(n) if n else SERVER_KEY}") for n in range(12))
    assert redact._secrets == remembered  # twelve callers, nothing new kept


async def test_a_callers_key_is_masked_during_its_request_and_forgotten_after():
    key = tenant_key(1)

    async def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"errors": [{"title": "Unauthorized",
                                                     "detail": f"key {key} is not valid"}]})

    client = RequestKeyClient(base_url="http://api/v2", transport=httpx.MockTransport(echo), default_api_key=None)
    token = redact.request_api_key.set(key)
    try:
        with pytest.raises(ToolError) as raised:
            await client.send(READ)
        logged = redact.redact(f"upstream said: key {key} is not valid")
    finally:
        redact.request_api_key.reset(token)
    await client.aclose()

    assert key not in raised.value.message and redact.MASK in raised.value.message
    assert key not in logged
    assert redact.redact(key) == key  # not remembered once the request is over


async def test_no_key_anywhere_is_refused_before_sending():
    sent = []
    client = RequestKeyClient(base_url="http://api/v2", default_api_key=None,
                              transport=httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(200)))
    with pytest.raises(ToolError) as raised:
        await client.send(READ)
    await client.aclose()
    assert raised.value.payload["kind"] == "unauthorized" and "X-Telnyx-Api-Key" in raised.value.message and not sent
