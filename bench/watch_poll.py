"""What one Fleet Watch poll costs on a large fleet: wall time, upstream requests, and bytes written to the watch
state (SQLite, the default).

A sandbox fleet (default 10,000 SIMs) with its clock running: the watcher polls every interval (default 300 s, the
server's default), reading detail
records too (usage anomalies, new networks, forecasts). Per poll: seconds, requests by path, the bytes the process
wrote (write(2) calls, /proc/self/io `wchar`, during the commit) and the events found. The first poll learns the
fleet (14 days of detail records as the baseline).

    .venv/bin/python bench/watch_poll.py [--sim-count 10000] [--polls 6] [--interval 300]
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import anyio
import httpx

from telnyx_iot_mcp.sandbox import create_app
from telnyx_iot_mcp.server.watcher import SqliteWatchState, Watcher
from telnyx_iot_mcp.tools.client import TelnyxClient

START = datetime(2026, 12, 10, 6, tzinfo=UTC).timestamp()


def written() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    return 0


class Counting(httpx.AsyncBaseTransport):
    def __init__(self, app) -> None:
        self.inner, self.paths = httpx.ASGITransport(app=app), collections.Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths[request.url.path.removeprefix("/v2")] += 1
        return await self.inner.handle_async_request(request)


async def main(sim_count: int, polls: int, interval: float) -> None:
    now = [START]
    app = create_app(sim_count=sim_count, clock=lambda: now[0])
    transport = Counting(app)
    client = TelnyxClient(base_url="http://sandbox/v2", transport=transport)
    state = SqliteWatchState(Path(tempfile.mkdtemp(prefix="watch-bench-")) / "watch.sqlite3")
    commit, wrote = state.commit, []

    async def measured(*args, **kwargs):
        before = written()
        try:
            return await commit(*args, **kwargs)
        finally:
            wrote.append(written() - before)

    state.commit = measured
    watcher = Watcher(client, state, "bench", thresholds=(80.0,), silent_hours=(24.0,), usage=True, forecast=True,
                      clock=lambda: now[0])
    print(f"{sim_count} SIMs, a poll every {interval:g} s, detail records read (anomalies, new networks, forecasts)")
    print(f"{'poll':>4} {'seconds':>8} {'requests':>8}  {'by path':<52} {'KB written':>10} {'events':>7}")
    for n in range(polls):
        transport.paths.clear()
        started = time.perf_counter()
        events = await watcher.poll()
        seconds = time.perf_counter() - started
        paths = ", ".join(f"{p} {c}" for p, c in sorted(transport.paths.items()))
        print(f"{n:>4} {seconds:>8.2f} {sum(transport.paths.values()):>8}  {paths:<52} {wrote[-1] / 1024:>10.0f}"
              f" {len(events):>7}")
        now[0] += interval
    later = wrote[1:]
    print(f"after the first poll: {sum(later) / len(later) / 1024:.0f} KB written per poll on average")
    await state.aclose()
    await client.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sim-count", type=int, default=10_000)
    parser.add_argument("--polls", type=int, default=6)
    parser.add_argument("--interval", type=float, default=300.0, help="seconds of the sandbox's clock between polls")
    args = parser.parse_args()
    anyio.run(main, args.sim_count, args.polls, args.interval)
