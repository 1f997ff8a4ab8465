"""How many requests may be in flight to Telnyx, and how many may start per second.

The client takes a slot for every attempt. `LocalBudget` counts this process only; a shared store
(server/state_redis.py) offers one budget for every replica behind a load balancer.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

import anyio


class NoSlot(Exception):
    """No slot came free before the call's time ran out; the request was not sent."""


class SharedBudgetDown(Exception):
    """The budget shared with other replicas cannot be reached; a change is not sent without it."""


class Budget(Protocol):
    def slot(self, deadline: float, *, changes: bool) -> AbstractAsyncContextManager[None]:
        """An async context holding one slot until it exits; raises NoSlot once `deadline` (monotonic) passes.

        `changes`: the request may change something. A shared budget that cannot be reached refuses
        such requests (SharedBudgetDown) and lets reads fall back to a local budget."""
        ...


class LocalBudget:
    """At most `max_in_flight` requests at once and, with `rate`, at most `rate` starts per rolling second."""

    def __init__(self, max_in_flight: int, rate: float | None = None) -> None:
        self.max_in_flight = max_in_flight
        self.rate = rate
        self._slots = anyio.Semaphore(max_in_flight)
        self._starts: deque[float] = deque()

    @asynccontextmanager
    async def slot(self, deadline: float, *, changes: bool = False) -> AsyncIterator[None]:
        holding = started = False
        with anyio.move_on_after(max(deadline - time.monotonic(), 0.0)):
            await self._slots.acquire()
            holding = True
            await self._wait_for_rate()
            started = True
        if not started:
            if holding:
                self._slots.release()
            raise NoSlot
        try:
            yield
        finally:
            self._slots.release()

    async def _wait_for_rate(self) -> None:
        if not self.rate:
            return
        window = max(1, int(self.rate))  # starts allowed per second
        period = window / self.rate
        while True:
            now = time.monotonic()
            while self._starts and self._starts[0] <= now - period:
                self._starts.popleft()
            if len(self._starts) < window:
                self._starts.append(now)
                return
            await anyio.sleep(self._starts[0] + period - now)


__all__ = ["Budget", "LocalBudget", "NoSlot", "SharedBudgetDown"]
