"""What the HTTP service's bounds (server/limits.py) cost a normal load: throughput with them on and off.

    .venv/bin/python bench/bounds.py [--calls 1000] [--concurrency 16] [--rounds 3] [--json]

Starts `telnyx-iot-mcp --sandbox --transport http` on loopback, once with the default bounds ("on") and once
with every bound set far beyond the load ("off": the same code path, no limit ever reached), in alternating
rounds, and drives the call mix of bench/load.py through one MCP session at the given concurrency. Prints the
median throughput and p50 latency of each and their ratio (on / off), then what the bounds' bookkeeping costs
one request in process (the middleware around an app that answers at once, against that app alone).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import anyio
from mcp import Client

sys.path.insert(0, str(Path(__file__).parent))
from load import drive, http_server, percentile  # noqa: E402

OFF = {"TELNYX_IOT_MCP_HTTP_MAX_REQUESTS": "1000000", "TELNYX_IOT_MCP_HTTP_BODY_MEMORY": str(1 << 40),
       "TELNYX_IOT_MCP_HTTP_MAX_SESSIONS": "1000000", "TELNYX_IOT_MCP_HTTP_SESSIONS_PER_CLIENT": "1000000",
       "TELNYX_IOT_MCP_HTTP_HEADER_TIMEOUT": "100000", "TELNYX_IOT_MCP_HTTP_BODY_TIMEOUT": "100000"}


async def one_run(bounds: str, calls: int, concurrency: int) -> dict[str, float]:
    env = {**os.environ, "TELNYX_IOT_MCP_MAX_CONCURRENCY": "64", **(OFF if bounds == "off" else {})}
    async with http_server(env, tries=150) as (_, url), Client(url) as session:
        await session.list_tools()
        await drive(session, min(calls, 100), concurrency)  # warm-up
        latencies, errors, elapsed = await drive(session, calls, concurrency)
    if errors:
        raise SystemExit(f"bounds {bounds}: {len(errors)} errors, e.g. {errors[0]}")
    return {"throughput": calls / elapsed, "p50_ms": percentile(latencies, 0.5) * 1000}


async def middleware_cost(requests: int = 20_000) -> dict[str, float]:
    """Microseconds per request of an app that answers at once, with and without the bounds around it."""
    from telnyx_iot_mcp.server.limits import Limits
    from telnyx_iot_mcp.server.settings import Settings

    async def bare(scope, receive, send) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    body = b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_sim_card","arguments":{}}}'
    scope = {"type": "http", "method": "POST", "path": "/mcp", "client": ("127.0.0.1", 5000),
             "headers": [(b"content-length", str(len(body)).encode()), (b"mcp-session-id", b"s1")]}

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message) -> None:
        pass

    timings = {}
    for name, app in (("bare", bare), ("with bounds", Limits(bare, Settings(), sessions=True))):
        started = time.perf_counter()
        for _ in range(requests):
            await app(scope, receive, send)
        timings[name] = (time.perf_counter() - started) / requests * 1e6
    return {"bare_us": timings["bare"], "bounded_us": timings["with bounds"],
            "added_us": timings["with bounds"] - timings["bare"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    runs: dict[str, list[dict[str, float]]] = {"on": [], "off": []}
    for _ in range(args.rounds):
        for bounds in ("on", "off"):
            runs[bounds].append(anyio.run(one_run, bounds, args.calls, args.concurrency))
    result = {bounds: {key: statistics.median(r[key] for r in rs) for key in ("throughput", "p50_ms")}
              for bounds, rs in runs.items()}
    result["ratio_on_to_off"] = result["on"]["throughput"] / result["off"]["throughput"]
    result["middleware"] = anyio.run(middleware_cost)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"calls {args.calls}, concurrency {args.concurrency}, median of {args.rounds} alternating rounds")
    for bounds in ("on", "off"):
        print(f"bounds {bounds:3}  throughput {result[bounds]['throughput']:.0f} calls/s  "
              f"p50 {result[bounds]['p50_ms']:.1f} ms")
    print(f"on / off: {result['ratio_on_to_off']:.2f}x throughput")
    cost = result["middleware"]
    print(f"bounds bookkeeping per request, in process: {cost['added_us']:.1f} us "
          f"({cost['bare_us']:.1f} us bare app, {cost['bounded_us']:.1f} us with the bounds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
