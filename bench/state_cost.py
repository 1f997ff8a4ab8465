"""What single use costs: a confirmed gated call with each state store, as a ratio against the memory store.

Each call is `disable_sim_card` with a fresh confirmation token, through an in-process MCP client session, the
gate (checking and spending the token in the store) and the Telnyx client (its request budget from the same
store) to a stub answering at once. Only the store differs between rows:
  memory  this process only (the floor);
  sqlite  the default: a SQLite file in a temporary state directory (WAL);
  redis   a redis-server on loopback started by this script (skipped when redis-server is not installed);
  redis-spend-only  the same store with this process's own request budget: what spending the token costs,
          without the shared budget's two round trips (taking and returning a slot).

Run: `.venv/bin/python bench/state_cost.py [--calls 300] [--rounds 5]`. Rows take turns, round after round,
so a busy machine slows them alike; the figure per store is the median over rounds of each round's median.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
from mcp import Client

from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.server.confirm_token import ConfirmationTokens
from telnyx_iot_mcp.server.gate import CONFIRM_TOKEN, Gate
from telnyx_iot_mcp.server.state import MemoryStore, SqliteStore, Store
from telnyx_iot_mcp.tools.budget import LocalBudget
from telnyx_iot_mcp.tools.client import TelnyxClient
from telnyx_iot_mcp.tools.registry import OPERATIONS

SIM_CARD_ID = "6a09cdc3-8948-47f0-aa62-74ac943d6c58"
KEY = "KEYbenchmark0123456789abcdef"
ARGS = {"sim_card_id": SIM_CARD_ID}


def answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(202, json={"data": {"id": SIM_CARD_ID, "record_type": "sim_card", "status": {
        "value": "disabling"}}}, headers={"x-request-id": "req-bench"})


class Row:
    """One store behind one server, with its tokens issued ahead of each round."""

    def __init__(self, store: Store, *, shared_budget: bool = True) -> None:
        self.store = store
        self.client = TelnyxClient(api_key=KEY, base_url="http://stub/v2", transport=httpx.MockTransport(answer),
                                   budget=store.budget(8, None) if shared_budget else LocalBudget(8))
        self.gate = Gate(self.client, tokens=ConfirmationTokens(store=store))
        self.server = create_server(self.client, [OPERATIONS["disable_sim_card"]], gate=self.gate)

    async def round(self, calls: int) -> list[float]:
        account = await self.gate.account()
        tokens = [(await self.gate.tokens.issue(CONFIRM_TOKEN, "disable_sim_card", ARGS, account=account))[0]
                  for _ in range(calls)]
        times = []
        async with Client(self.server, mode="legacy") as session:
            for token in tokens:
                started = time.perf_counter()
                result = await session.call_tool("disable_sim_card", {**ARGS, "confirmation_token": token})
                times.append(time.perf_counter() - started)
                if result.is_error:
                    raise SystemExit(f"the benchmark call failed: {result.content[0].text}")
        return times


def start_redis() -> tuple[subprocess.Popen, str] | None:
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    process.kill()
    return None


async def measure(calls: int, rounds: int, warmup: int) -> dict[str, Any]:
    state_dir = tempfile.mkdtemp(prefix="telnyx-iot-mcp-bench-")
    redis = start_redis()
    rows: dict[str, Row] = {"memory": Row(MemoryStore()), "sqlite": Row(SqliteStore(Path(state_dir) / "state.sqlite3"))}
    if redis is not None:
        from telnyx_iot_mcp.server.state_redis import RedisStore

        rows["redis"] = Row(RedisStore(redis[1]))
        rows["redis-spend-only"] = Row(RedisStore(redis[1]), shared_budget=False)
    try:
        for row in rows.values():
            await row.round(warmup)
        medians: dict[str, list[float]] = {name: [] for name in rows}
        for _ in range(rounds):
            for name, row in rows.items():
                medians[name].append(statistics.median(await row.round(calls)))
    finally:
        for row in rows.values():
            await row.client.aclose()
            await row.store.aclose()
        if redis is not None:
            redis[0].terminate()
            redis[0].wait(10)
        shutil.rmtree(state_dir, ignore_errors=True)
    floor = statistics.median(medians["memory"])
    return {name: {"median_ms": round(statistics.median(m) * 1000, 3),
                   "ratio_to_memory": round(statistics.median(m) / floor, 2)} for name, m in medians.items()} | (
        {} if redis is not None else {"redis": "skipped: redis-server is not installed"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=300, help="confirmed calls per store per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    results = anyio.run(measure, args.calls, args.rounds, args.warmup)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"Confirmed gated call (disable_sim_card with a fresh token), {args.rounds} rounds x {args.calls} calls, "
          f"Python {sys.version.split()[0]}")
    print(f"{'store':17} {'median ms':>10} {'x memory':>9}")
    for name, figures in results.items():
        if isinstance(figures, str):
            print(f"{name:17} {figures}")
        else:
            print(f"{name:17} {figures['median_ms']:>10.3f} {figures['ratio_to_memory']:>9.2f}")


if __name__ == "__main__":
    main()
