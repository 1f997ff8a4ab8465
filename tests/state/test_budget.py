"""This process's request budget: in flight at once, and started per second."""

from __future__ import annotations

import time

import anyio
import pytest

from telnyx_iot_mcp.tools.budget import LocalBudget, NoSlot

pytestmark = pytest.mark.anyio


async def test_starts_keep_to_the_rate_and_slots_to_the_limit():
    budget, starts, in_flight, most = LocalBudget(max_in_flight=2, rate=4), [], 0, 0

    async def request() -> None:
        nonlocal in_flight, most
        async with budget.slot(time.monotonic() + 10):
            starts.append(time.monotonic())
            in_flight += 1
            most = max(most, in_flight)
            await anyio.sleep(0.05)
            in_flight -= 1

    async with anyio.create_task_group() as group:
        for _ in range(6):
            group.start_soon(request)
    starts.sort()
    assert most == 2
    assert all(later - earlier >= 0.99 for earlier, later in zip(starts, starts[4:]))  # 4 per rolling second


async def test_a_wait_past_the_deadline_gives_the_slot_back():
    budget = LocalBudget(max_in_flight=1, rate=1)
    async with budget.slot(time.monotonic() + 1):
        pass  # the one start of this second
    with pytest.raises(NoSlot):
        async with budget.slot(time.monotonic() + 0.1):
            pass
    async with budget.slot(time.monotonic() + 2):  # the slot was not kept by the refused wait
        pass
