"""The state store for many replicas: Redis (`--state-url redis://host:port/db`), through redis' asyncio client.

- The deployment (one hash) holds the secret, the store's generation and the run id of the Redis process
  that generation belongs to. One script reads it and creates what is missing: the secret once (a replica
  that knew it before puts back that same secret, so an emptied Redis gets the secret every replica already
  holds, and a replica that did not adopts the stored one); a new generation whenever the Redis process is
  not the one the generation was made in (a restart, empty or from a snapshot, or a failover).
- A spent token or round-trip state is one script: the token's generation must be the current one, the
  expiry must be ahead of Redis' own clock (TIME), then the key is set until that expiry unless it is
  held. Atomic, so of any number of replicas redeeming one token at once exactly one wins; a restarted
  Redis, or a replica whose clock lags, cannot make a spent token new again. The key holds a random id of
  the attempt, so a command retried after a lost answer recognises its own spend.
- The budget is shared: one Lua script admits a request only while fewer than `max_in_flight` leases
  are held by all replicas together and fewer than the rate allows have started in the last window.
  Leases expire on their own, so a replica that dies does not keep its slots.

When Redis cannot be reached, spending fails (the gate refuses, fail closed), and so does a request that
changes something; reads fall back to this replica's own budget and still answer, and for a few seconds
after a failure do not wait on Redis at all. Every command gives up after `timeout` (1 s by default).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio

from ..tools.budget import Budget, LocalBudget, NoSlot, SharedBudgetDown
from .state import Deployment, SpendUnknown, Spent, StoreUnavailable, new_generation, safe_url

log = logging.getLogger("telnyx_iot_mcp.state")

PREFIX = "telnyx-iot-mcp:"
FULL = -1  # the script's answer when every in-flight slot is taken

# KEYS: leases (zset: lease id -> lease expiry ms), starts (zset: lease id -> start ms)
# ARGV: lease id, max in flight, lease ms, starts per window (0: no rate), window ms
# Returns 0 when admitted, FULL when no slot is free, else the milliseconds until the rate admits one more.
ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return -1 end
local per_window = tonumber(ARGV[4])
if per_window > 0 then
  local window = tonumber(ARGV[5])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
  if redis.call('ZCARD', KEYS[2]) >= per_window then
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    return math.max(1, tonumber(oldest[2]) + window - now)
  end
  redis.call('ZADD', KEYS[2], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[2], window)
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 0
"""


# The run id of this Redis process: changes with every restart (and on failover to another node).
# A Redis that does not let scripts run INFO gives '': then only an emptied store starts a new generation.
RUN_ID = """
local info = redis.pcall('INFO', 'server')
local run = type(info) == 'string' and string.match(info, 'run_id:(%x+)') or ''
"""

# KEYS: deployment (hash), the secret key of earlier versions. ARGV: a secret, a generation (either used only
# when missing). Returns the secret, the generation, and Redis' clock (seconds, microseconds).
DEPLOYMENT = RUN_ID + """
local d = redis.call('HMGET', KEYS[1], 'secret', 'generation', 'run')
if not d[1] then
  d[1] = redis.call('GET', KEYS[2]) or ARGV[1]
  redis.call('HSET', KEYS[1], 'secret', d[1])
end
if not d[2] or d[3] ~= run then
  d[2] = ARGV[2]
  redis.call('HSET', KEYS[1], 'generation', d[2], 'run', run)
end
local t = redis.call('TIME')
return {d[1], d[2], t[1], t[2]}
"""

# KEYS: deployment, the spent key. ARGV: the token's generation, its expiry (ms), the attempt's id.
SPEND = RUN_ID + """
local d = redis.call('HMGET', KEYS[1], 'generation', 'run')
if d[1] ~= ARGV[1] or d[2] ~= run then return 'stale' end
local t = redis.call('TIME')
if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) >= tonumber(ARGV[2]) then return 'expired' end
local held = redis.call('GET', KEYS[2])
if not held then
  redis.call('SET', KEYS[2], ARGV[3], 'PXAT', ARGV[2])
  return 'spent'
end
if held == ARGV[3] then return 'spent' end
return 'used'
"""


class RedisStore:
    def __init__(self, url: str, *, prefix: str = PREFIX, timeout: float = 1.0) -> None:
        try:
            import redis.asyncio as redis
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff
        except ImportError:
            raise ValueError("state_url: a redis:// store needs the redis package: "
                             "pip install 'telnyx-iot-mcp[redis]'") from None
        self.description = f"Redis at {safe_url(url)}"
        self.prefix = prefix
        # One immediate retry (a pooled connection may predate a Redis restart), then fail: a gated call
        # must be refused promptly, not after a long backoff. Every command is safe to run twice.
        self._redis = redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                     retry=Retry(NoBackoff(), 1))
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._timeouts: tuple[type[BaseException], ...] = (redis.TimeoutError, TimeoutError)
        self._acquire = self._redis.register_script(ACQUIRE)
        self._deployment = self._redis.register_script(DEPLOYMENT)
        self._spend = self._redis.register_script(SPEND)
        self._known_secret: bytes | None = None

    def _unavailable(self, error: BaseException) -> StoreUnavailable:
        return StoreUnavailable(f"{self.description} cannot be reached ({type(error).__name__}: {error})")

    async def spend(self, key: str, expires_at: float, generation: str) -> Spent:
        keys = [f"{self.prefix}deployment", f"{self.prefix}spent:{key}"]
        try:
            answer = await self._spend(keys=keys, args=[generation, max(int(expires_at * 1000), 1),
                                                        secrets.token_hex(8)])
        except self._errors as error:
            if isinstance(error, self._timeouts):
                raise SpendUnknown(f"{self.description} did not answer within its timeout "
                                   f"({type(error).__name__})") from None
            raise self._unavailable(error) from None
        return answer.decode() if isinstance(answer, bytes) else answer

    async def deployment(self) -> Deployment:
        keys = [f"{self.prefix}deployment", f"{self.prefix}secret"]
        try:
            secret, generation, seconds, micros = await self._deployment(
                keys=keys, args=[self._known_secret or secrets.token_bytes(32), new_generation()])
        except self._errors as error:
            raise self._unavailable(error) from None
        self._known_secret = bytes(secret)
        return Deployment(self._known_secret, generation.decode(), int(seconds) + int(micros) / 1e6)

    async def secret(self) -> bytes:
        return (await self.deployment()).secret

    async def check(self) -> str | None:
        """At start: what this Redis lacks for single use to survive its restarts, or None."""
        try:
            info = await self._redis.info("server")
        except self._errors as error:
            return f"{self._unavailable(error)}: confirmations are refused until it is back"
        if info.get("run_id"):
            return None
        return (f"{self.description} does not report its run id (INFO), so a restart from a snapshot cannot be "
                "told from a running store: run it without persistence (an empty restart refuses every earlier "
                "token) or with `appendfsync always`")

    def budget(self, max_in_flight: int, rate: float | None, *, hold_seconds: float = 60.0) -> Budget:
        return RedisBudget(self, max_in_flight, rate, hold_seconds)

    async def count(self, key: str, window_ms: int) -> tuple[int, int]:
        """One more in the fixed window named `key`, counted across every replica: the count with this one,
        and the milliseconds until the window resets. Raises StoreUnavailable."""
        name = f"{self.prefix}count:{key}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(name, 0, nx=True, px=window_ms)
                pipe.incr(name)
                pipe.pttl(name)
                _, used, left = await pipe.execute()
        except self._errors as error:
            raise self._unavailable(error) from None
        return int(used), max(int(left), 0)

    async def admit(self, lease: str, max_in_flight: int, hold_ms: int, per_window: int, window_ms: int) -> int:
        keys = [f"{self.prefix}budget:leases", f"{self.prefix}budget:starts"]
        try:
            return int(await self._acquire(keys=keys, args=[lease, max_in_flight, hold_ms, per_window, window_ms]))
        except self._errors as error:
            raise self._unavailable(error) from None

    async def release(self, lease: str) -> None:
        try:
            await self._redis.zrem(f"{self.prefix}budget:leases", lease)
        except self._errors as error:  # the lease expires by itself
            log.warning("could not return a request slot to %s (%s); it frees itself within its lease",
                        self.description, type(error).__name__)

    async def aclose(self) -> None:
        try:
            await self._redis.aclose()
        except self._errors:
            pass


class RedisBudget:
    """Requests in flight and started per second, counted over every replica sharing the Redis."""

    PROBE_EVERY = 5.0  # seconds reads skip the shared budget after Redis failed

    def __init__(self, store: RedisStore, max_in_flight: int, rate: float | None, hold_seconds: float) -> None:
        self.store = store
        self.max_in_flight = max_in_flight
        self.rate = rate
        self.local = LocalBudget(max_in_flight, rate)  # this replica alone: never more than the shared limit
        self._hold_ms = int(hold_seconds * 1000)
        self._per_window = max(1, int(rate)) if rate else 0
        self._window_ms = int(self._per_window / rate * 1000) if rate else 0
        self._down_since: float | None = None
        self._probed = 0.0

    @asynccontextmanager
    async def slot(self, deadline: float, *, changes: bool = False) -> AsyncIterator[None]:
        async with self.local.slot(deadline, changes=changes):
            lease = secrets.token_hex(8)
            shared = changes or not self._resting()
            if shared:
                try:
                    await self._admit(lease, deadline)
                except StoreUnavailable as why:
                    if changes:
                        raise SharedBudgetDown(f"the request budget shared by the replicas is unavailable ({why})") from None
                    self._note_down(why)  # reads go on within this replica's own limit
                    shared = False
                else:
                    self._note_up()
            try:
                yield
            finally:
                if shared:
                    with anyio.CancelScope(shield=True):
                        await self.store.release(lease)

    def _resting(self) -> bool:
        """Redis failed a moment ago: reads do not wait on it again until PROBE_EVERY has passed."""
        return self._down_since is not None and time.monotonic() - self._probed < self.PROBE_EVERY

    async def _admit(self, lease: str, deadline: float) -> None:
        while True:
            wait = await self.store.admit(lease, self.max_in_flight, self._hold_ms, self._per_window, self._window_ms)
            if wait == 0:
                return
            pause = (0.01 + secrets.randbelow(20) / 1000) if wait == FULL else wait / 1000
            if time.monotonic() + pause >= deadline:
                raise NoSlot
            await anyio.sleep(pause)

    def _note_down(self, why: Any) -> None:
        self._probed = time.monotonic()
        if self._down_since is None:
            self._down_since = time.monotonic()
            log.warning("%s; reads continue within this replica's own limits, changes are refused", why)

    def _note_up(self) -> None:
        if self._down_since is not None:
            self._down_since = None
            log.warning("%s is reachable again; the shared request budget applies", self.store.description)
