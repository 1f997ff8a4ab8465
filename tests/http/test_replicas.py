"""Three stateless HTTP replicas sharing a real redis-server: a confirmation is spent once across all of them,
and when Redis goes away gated calls are refused while reads still answer."""

from __future__ import annotations

import itertools
import time
from contextlib import ExitStack
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, types
from mcp.client.streamable_http import streamable_http_client

from api_mock import Served
from redis_server import RedisServer
from samples import SAMPLE_UUID
from served_http import ServedMcp
from telnyx_iot_mcp.server import cli
from telnyx_iot_mcp.server.settings import Settings
from telnyx_iot_mcp.server.state import open_store
from telnyx_iot_mcp.tools.errors import ToolError
from telnyx_iot_mcp.tools.registry import OPERATIONS
from telnyx_iot_mcp.tools.request import build_request

pytestmark = pytest.mark.anyio

KEY = "KEYreplicas0123456789abcdef"
ARGS = {"sim_card_id": SAMPLE_UUID}


class RoundRobin(httpx2.AsyncBaseTransport):
    """A load balancer in front of the replicas: each HTTP request goes to the next one."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = itertools.cycle(ports)
        self.inner = httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        port = next(self.ports)
        request.url = request.url.copy_with(port=port)
        request.headers["host"] = f"127.0.0.1:{port}"
        return await self.inner.handle_async_request(request)


def replica(base_url: str, **settings: Any) -> ServedMcp:
    """One stateless replica on its own port, its requests limited by the store's budget."""
    config = Settings(api_key=KEY, base_url=base_url, transport="http", stateless=True, **settings)
    client = cli.make_client(config, open_store(config.state_url))
    return ServedMcp(client, api_key=KEY, base_url=base_url, stateless=True, **settings)


class Replicas:
    def __init__(self, base_url: str, redis_url: str, count: int = 3, **settings: Any) -> None:
        self.stack = ExitStack()
        self.served = [self.stack.enter_context(replica(base_url, state_url=redis_url, **settings))
                       for _ in range(count)]

    def client(self, n: int | None = None, **kwargs: Any) -> Client:
        """An MCP client of replica `n`, or of all of them behind a round-robin."""
        ports = [s.port for s in self.served] if n is None else [self.served[n].port]
        http = httpx2.AsyncClient(transport=RoundRobin(ports), timeout=30)
        return Client(streamable_http_client(f"http://127.0.0.1:{ports[0]}/mcp", http_client=http), **kwargs)

    def close(self) -> None:
        self.stack.close()


@pytest.fixture
def redis():
    with RedisServer() as server:
        yield server


@pytest.fixture
def replicas(api_mock, redis):
    group = Replicas(api_mock.url, redis.url)
    yield group
    group.close()


def disables(api_mock) -> list:
    return [r for r in api_mock.requests if r.method != "GET" and r.path.endswith("/actions/disable")]


def kind(result: types.CallToolResult) -> str | None:
    return (result.structured_content or {}).get("error", {}).get("kind")


async def test_a_token_is_spent_once_across_replicas(replicas, api_mock):
    async with replicas.client(0, mode="legacy") as first:
        asked = await first.call_tool("disable_sim_card", ARGS)
    token = asked.structured_content["confirmation_required"]["confirmation_token"]  # no configured secret: Redis holds it
    outcomes = []
    for n in (1, 2, 0):
        async with replicas.client(n, mode="legacy") as client:
            outcomes.append(kind(await client.call_tool("disable_sim_card", {**ARGS, "confirmation_token": token})))
    assert outcomes == [None, "confirmation_refused", "confirmation_refused"]
    assert len(disables(api_mock)) == 1


async def test_ten_concurrent_redemptions_over_the_replicas_send_one_request(replicas, api_mock):
    async with replicas.client(0, mode="legacy") as first:
        token = (await first.call_tool("disable_sim_card", ARGS)).structured_content["confirmation_required"]["confirmation_token"]
    outcomes: list[str | None] = []
    go = anyio.Event()

    async def redeem() -> None:
        async with replicas.client(mode="legacy") as client:  # each client's requests spread over the replicas
            await go.wait()
            outcomes.append(kind(await client.call_tool("disable_sim_card", {**ARGS, "confirmation_token": token})))

    async with anyio.create_task_group() as group:
        for _ in range(10):
            group.start_soon(redeem)
        await anyio.sleep(1.0)  # every client has connected
        go.set()
    assert sorted(outcomes, key=str) == [None] + ["confirmation_refused"] * 9
    assert len(disables(api_mock)) == 1


async def yes(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
    return types.ElicitResult(action="accept", content={"confirm": True})


async def test_a_round_trip_state_is_single_use_across_replicas(replicas, api_mock):
    accept = {"confirm": types.ElicitResult(action="accept", content={"confirm": True})}
    async with replicas.client(0, mode="auto", elicitation_callback=yes) as first:
        asked = await first.session.call_tool("disable_sim_card", ARGS, allow_input_required=True)
    assert isinstance(asked, types.InputRequiredResult) and disables(api_mock) == []
    outcomes = []
    for n in (1, 2):
        async with replicas.client(n, mode="auto", elicitation_callback=yes) as client:
            answered = await client.session.call_tool("disable_sim_card", ARGS, input_responses=accept,
                                                      request_state=asked.request_state)
            outcomes.append(kind(answered))
    assert outcomes == [None, "confirmation_refused"]
    assert len(disables(api_mock)) == 1


async def test_with_redis_stopped_gated_calls_are_refused_and_reads_answer(replicas, redis, api_mock):
    async with replicas.client(0, mode="legacy") as first:
        token = (await first.call_tool("disable_sim_card", ARGS)).structured_content["confirmation_required"]["confirmation_token"]
    redis.stop()
    async with replicas.client(mode="legacy") as client:
        refused = await client.call_tool("disable_sim_card", {**ARGS, "confirmation_token": token})
        fresh_refused = await client.call_tool("delete_sim_card", ARGS)  # no token issued without the store
        read = await client.call_tool("get_sim_card", ARGS)
        listed = await client.call_tool("list_sim_cards", {})
    assert kind(refused) == kind(fresh_refused) == "state_unavailable"
    assert "confirmation store" in refused.content[0].text and "Redis" in refused.content[0].text
    assert not read.is_error and not listed.is_error
    assert disables(api_mock) == [] and not [r for r in api_mock.requests if r.method == "DELETE"]


async def test_with_redis_stopped_a_change_confirmed_by_a_person_is_not_sent_either(replicas, redis, api_mock):
    """Elicitation needs no token, but the shared budget of requests is gone: changes wait for it."""
    with replica(api_mock.url, state_url=redis.url) as served:  # sessions, so the client can be asked mid-call
        redis.stop()
        async with served.mcp_client(mode="legacy", elicitation_callback=yes) as client:
            result = await client.call_tool("disable_sim_card", ARGS)
            read = await client.call_tool("get_sim_card", ARGS)
    assert result.is_error and kind(result) == "state_unavailable" and "reads still work" in result.content[0].text
    assert not read.is_error and disables(api_mock) == []


class RateLimitedApi:
    """A stand-in for Telnyx that allows `limit` requests in any rolling second (else 429) and notes how
    many requests were in flight at once."""

    def __init__(self, limit: int, delay: float) -> None:
        self.limit, self.delay = limit, delay
        self.starts: list[float] = []
        self.too_many = 0
        self.in_flight = self.most_in_flight = 0

    def app(self):
        from starlette.applications import Starlette
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        async def sim_cards(request):
            now = time.monotonic()
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            try:
                if sum(1 for t in self.starts if t > now - 1.0) >= self.limit:
                    self.too_many += 1
                    return JSONResponse({"errors": [{"code": "10011", "title": "Too many requests"}]},
                                        status_code=429, headers={"Retry-After": "1"})
                self.starts.append(now)
                await anyio.sleep(self.delay)
                return JSONResponse({"data": [], "meta": {"page_number": 1, "page_size": 20, "total_pages": 0,
                                                          "total_results": 0}})
            finally:
                self.in_flight -= 1

        return Starlette(routes=[Route("/v2/sim_cards", sim_cards)])


@pytest.mark.parametrize("shared", [True, False], ids=["shared-budget", "each-replica-alone"])
async def test_replicas_together_keep_to_the_upstream_rate_limit(redis, shared):
    """The Telnyx clients of three replicas, each set to 3 requests/s and 2 in flight, read at once; the
    upstream allows 6 in any second. Sharing the budget through Redis they keep to it together (the margin
    absorbs the time between a replica starting a request and the upstream receiving it); each on its own
    (memory store), they exceed it."""
    upstream = RateLimitedApi(limit=6, delay=0.2)
    with Served(upstream.app()) as api:
        settings = Settings(api_key=KEY, base_url=f"http://127.0.0.1:{api.port}/v2", rate_limit=3, max_concurrency=2,
                            state_url=redis.url if shared else "memory")
        clients = [cli.make_client(settings, open_store(settings.state_url)) for _ in range(3)]
        failures = []

        async def read(client) -> None:
            try:
                await client.send(build_request(OPERATIONS["list_sim_cards"], {}))
            except ToolError as error:
                failures.append(error)

        async with anyio.create_task_group() as tasks:
            for n in range(12):
                tasks.start_soon(read, clients[n % 3])
        for client in clients:
            await client.aclose()
    if shared:
        assert upstream.too_many == 0 and upstream.most_in_flight <= 2
        assert failures == [] and len(upstream.starts) == 12
    else:  # the control: without a shared budget the same load breaks both limits
        assert upstream.too_many > 0 and upstream.most_in_flight > 2
