"""Single use holds when the shared Redis fails: restarted empty, slow, or ahead of a replica's clock.
Stateless replicas share a real redis-server; faults are made on that server itself."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from redis_server import RedisServer
from test_replicas import ARGS, Replicas, disables, kind
from telnyx_iot_mcp.server.confirm_token import ConfirmationTokens, TokenRefused
from telnyx_iot_mcp.server.state import open_store

pytestmark = pytest.mark.anyio

SECRET = "a-secret-every-replica-is-given-0123"


@pytest.fixture
def redis():
    with RedisServer(debug=True) as server:
        yield server


def redis_command(redis: RedisServer, *words: str) -> bytes:
    with socket.create_connection(("127.0.0.1", redis.port), timeout=10) as s:
        s.sendall(b"*%d\r\n" % len(words) + b"".join(b"$%d\r\n%s\r\n" % (len(w), w.encode()) for w in words))
        answer = s.recv(256)
    assert answer.startswith(b"+OK"), answer
    return answer


async def token_for(replicas: Replicas, n: int = 0, tool: str = "disable_sim_card") -> str:
    async with replicas.client(n, mode="legacy") as client:
        asked = await client.call_tool(tool, ARGS)
    return asked.structured_content["confirmation_required"]["confirmation_token"]


async def present(replicas: Replicas, token: str, n: int, tool: str = "disable_sim_card"):
    async with replicas.client(n, mode="legacy") as client:
        return await client.call_tool(tool, {**ARGS, "confirmation_token": token})


@pytest.mark.parametrize("secret", [None, SECRET], ids=["store-secret", "configured-secret"])
async def test_a_spent_token_stays_spent_after_redis_restarts_empty(redis, api_mock, secret):
    replicas = Replicas(api_mock.url, redis.url, **({"confirm_secret": secret} if secret else {}))
    try:
        token = await token_for(replicas)
        assert kind(await present(replicas, token, 1)) is None and len(disables(api_mock)) == 1
        unspent = await token_for(replicas, 2)
        redis.stop()
        redis.start()  # the same address, nothing kept
        outcomes = [kind(await present(replicas, t, n)) for t in (token, unspent) for n in (0, 1, 2)]
        assert outcomes == ["confirmation_refused"] * 6
        assert len(disables(api_mock)) == 1  # 0 replays
        again = await present(replicas, unspent, 0)
        assert "started over" in again.content[0].text
        # The replicas recover by themselves: a new confirmation works from any replica on any other.
        fresh = await token_for(replicas, 2)
        assert kind(await present(replicas, fresh, 0)) is None and len(disables(api_mock)) == 2
    finally:
        replicas.close()


@pytest.mark.parametrize("first", ["a-replica-that-knew-it", "a-replica-started-after"])
async def test_replicas_agree_on_the_secret_after_redis_restarts_empty(redis, api_mock, first):
    """No configured secret. Whichever replica sets the emptied Redis up again (one that held the secret puts
    that one back; one started since makes a new one), tokens work between all of them, none restarted."""
    early = Replicas(api_mock.url, redis.url, count=2)
    try:
        await present(early, await token_for(early, 0), 1)  # both replicas know the secret
        redis.stop()
        redis.start()
        late = Replicas(api_mock.url, redis.url, count=1)
        try:
            await token_for(late if first == "a-replica-started-after" else early, 0)
            outcomes = [kind(await present(redeemer, await token_for(issuer, i), r))
                        for issuer, i, redeemer, r in ((late, 0, early, 0), (early, 1, late, 0),
                                                      (early, 0, early, 1), (late, 0, early, 1))]
            assert outcomes == [None] * 4
        finally:
            late.close()
    finally:
        early.close()


async def test_a_replica_whose_clock_lags_cannot_replay_an_expired_token(redis):
    store = open_store(redis.url)
    try:
        token, _ = await ConfirmationTokens(store=store, ttl_seconds=1).issue("confirm", "disable_sim_card", ARGS,
                                                                               account="a")
        time.sleep(1.2)  # expired by Redis' clock
        lagging = ConfirmationTokens(store=store, clock=lambda: time.time() - 600)
        outcomes = []
        for _ in range(5):
            try:
                await lagging.redeem(token, "confirm", "disable_sim_card", ARGS, account="a")
                outcomes.append("accepted")
            except TokenRefused as why:
                outcomes.append(str(why))
        assert outcomes == ["the confirmation token has expired"] * 5  # 0 replays
    finally:
        await store.aclose()


async def test_a_slow_redis_makes_a_redemption_unknown_never_already_used(redis, api_mock):
    replicas = Replicas(api_mock.url, redis.url, count=1)
    try:
        token = await token_for(replicas)
        async with replicas.client(0, mode="legacy") as client:
            sleeper = threading.Thread(target=redis_command, args=(redis, "DEBUG", "SLEEP", "4"))
            sleeper.start()
            time.sleep(0.2)
            started = time.monotonic()
            result = await client.call_tool("disable_sim_card", {**ARGS, "confirmation_token": token})
        took = time.monotonic() - started
        sleeper.join()
        assert kind(result) == "confirmation_unknown", result.content[0].text
        text = result.content[0].text
        assert "already used" not in text and "Nothing was sent" in text and "asked anew" in text
        assert took < 3.5  # the store's timeout (a try and a retry), not Redis' sleep
        assert disables(api_mock) == []
        # Asked anew, it runs once.
        assert kind(await present(replicas, await token_for(replicas), 0)) is None and len(disables(api_mock)) == 1
    finally:
        replicas.close()


async def test_a_spend_retried_after_a_lost_answer_counts_as_its_own(redis):
    """The client retries a command once after a timeout; the retried spend finds its own attempt's id."""
    store = open_store(redis.url, timeout=1.0)
    tokens = ConfirmationTokens(store=store)
    try:
        token, _ = await tokens.issue("confirm", "disable_sim_card", ARGS, account="a")
        sleeper = threading.Thread(target=redis_command, args=(redis, "DEBUG", "SLEEP", "1.5"))
        sleeper.start()
        time.sleep(0.1)
        await tokens.redeem(token, "confirm", "disable_sim_card", ARGS, account="a")  # answered on the retry
        sleeper.join()
        with pytest.raises(TokenRefused, match="already used"):
            await tokens.redeem(token, "confirm", "disable_sim_card", ARGS, account="a")
    finally:
        await store.aclose()


async def test_reads_do_not_wait_on_a_redis_that_hangs(redis, api_mock):
    replicas = Replicas(api_mock.url, redis.url, count=1)
    try:
        await token_for(replicas)  # the replica has read its secret
        sleeper = threading.Thread(target=redis_command, args=(redis, "DEBUG", "SLEEP", "6"))
        sleeper.start()
        time.sleep(0.2)
        async with replicas.client(0, mode="legacy") as client:
            took = []
            for _ in range(5):
                started = time.monotonic()
                assert not (await client.call_tool("get_sim_card", ARGS)).is_error
                took.append(time.monotonic() - started)
        sleeper.join()
        assert sum(took) < 3.5, took  # one read waits out the timeout (and its retry); the others do not wait
    finally:
        replicas.close()
