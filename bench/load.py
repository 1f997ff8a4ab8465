"""Load test: many concurrent tool calls against the sandbox, over stdio and Streamable HTTP, on loopback only.

    .venv/bin/python bench/load.py [--calls 2000] [--concurrency 32] [--transport stdio|http|both]

Starts `telnyx-iot-mcp --sandbox` (stdio) and `telnyx-iot-mcp --sandbox --transport http --host 127.0.0.1`,
drives a mix of read and write calls through one MCP session per transport, and prints errors (which must be
zero: the exit status is 1 otherwise), p50/p99 latency, throughput and the server's RSS before and after.
"""

from __future__ import annotations

import argparse
import itertools
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

SCRIPT = Path(sys.executable).with_name("telnyx-iot-mcp")
MAX_CALLS, MAX_CONCURRENCY = 100_000, 256


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child_server_pid() -> int:
    """The stdio server that `stdio_client` started: our child running the console script."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == os.getpid() and b"telnyx-iot-mcp" in cmdline:
            return int(entry.name)
    raise RuntimeError("the stdio server process was not found")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def workload(session: Client) -> list[tuple[str, dict[str, Any]]]:
    """A call mix built from what the sandbox holds: lists, gets, action history and a tag update."""
    listing = await session.call_tool("list_sim_cards", {"page_size": 20})
    sims = [s["id"] for s in listing.structured_content["data"]]
    groups = (await session.call_tool("list_sim_card_groups", {})).structured_content["data"]
    calls: list[tuple[str, dict[str, Any]]] = [
        ("list_sim_cards", {"page_size": 20}),
        ("list_sim_cards", {"status": ["enabled"], "page_size": 50, "fields": ["id", "iccid", "status.value"]}),
        ("list_sim_card_groups", {}),
        ("list_sim_card_actions", {"page_size": 10}),
        ("list_wireless_regions", {"product": "public_ips"}),
    ]
    calls += [("get_sim_card", {"sim_card_id": sim}) for sim in sims[:5]]
    calls += [("get_sim_card_group", {"sim_card_group_id": g["id"]}) for g in groups[:2]]
    calls += [("update_sim_card", {"sim_card_id": sims[0], "tags": ["load-test"]})]
    return calls


async def drive(session: Client, calls: int, concurrency: int) -> tuple[list[float], list[str], float]:
    mix = itertools.cycle(await workload(session))
    latencies: list[float] = []
    errors: list[str] = []
    remaining = iter(range(calls))

    async def worker() -> None:
        for _ in remaining:
            name, arguments = next(mix)
            started = time.perf_counter()
            try:
                result = await session.call_tool(name, arguments)
                if result.is_error:
                    errors.append(f"{name}: {result.content[0].text[:200]}")
            except Exception as exc:  # counted, not fatal: the figures are the point
                errors.append(f"{name}: {type(exc).__name__}: {exc}"[:200])
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    async with anyio.create_task_group() as group:
        for _ in range(concurrency):
            group.start_soon(worker)
    return latencies, errors, time.perf_counter() - started


def report(transport: str, calls: int, concurrency: int, latencies: list[float], errors: list[str],
           elapsed: float, rss_before: float, rss_after: float) -> None:
    print(f"{transport:5}  calls {calls}  concurrency {concurrency}  errors {len(errors)}  "
          f"p50 {percentile(latencies, 0.50) * 1000:.1f} ms  p99 {percentile(latencies, 0.99) * 1000:.1f} ms  "
          f"throughput {calls / elapsed:.0f}/s  RSS {rss_before:.1f} -> {rss_after:.1f} MB", flush=True)
    for line in errors[:5]:
        print(f"       error: {line}", flush=True)


async def run_stdio(calls: int, concurrency: int) -> int:
    params = StdioServerParameters(command=str(SCRIPT), args=["--sandbox", "--log-level", "WARNING"],
                                   env={**os.environ, "TELNYX_IOT_MCP_MAX_CONCURRENCY": str(min(concurrency, 64))})
    with open(os.devnull, "w") as quiet:
        async with Client(stdio_client(params, errlog=quiet)) as session:
            pid = child_server_pid()
            await session.list_tools()
            before = rss_mb(pid)
            latencies, errors, elapsed = await drive(session, calls, concurrency)
            report("stdio", calls, concurrency, latencies, errors, elapsed, before, rss_mb(pid))
    return len(errors)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def http_server(env: dict[str, str], tries: int = 100) -> AsyncIterator[tuple[subprocess.Popen, str]]:
    """`telnyx-iot-mcp --sandbox --transport http` on a free loopback port, answering /healthz: the process
    and its MCP URL; stopped when the block ends."""
    port = free_port()
    server = subprocess.Popen(
        [str(SCRIPT), "--sandbox", "--transport", "http", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "WARNING"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )
    try:
        async with httpx.AsyncClient() as probe:
            for _ in range(tries):
                try:
                    if (await probe.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await anyio.sleep(0.1)
            else:
                raise RuntimeError("the HTTP server did not come up")
        yield server, f"http://127.0.0.1:{port}/mcp"
    finally:
        server.terminate()
        server.wait(10)


async def run_http(calls: int, concurrency: int) -> int:
    env = {**os.environ, "TELNYX_IOT_MCP_MAX_CONCURRENCY": str(min(concurrency, 64))}
    async with http_server(env) as (server, url), Client(url) as session:
        await session.list_tools()
        before = rss_mb(server.pid)
        latencies, errors, elapsed = await drive(session, calls, concurrency)
        report("http", calls, concurrency, latencies, errors, elapsed, before, rss_mb(server.pid))
    return len(errors)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--transport", choices=["stdio", "http", "both"], default="both")
    args = parser.parse_args(argv)
    calls, concurrency = min(args.calls, MAX_CALLS), min(args.concurrency, MAX_CONCURRENCY)
    errors = 0
    if args.transport in ("stdio", "both"):
        errors += anyio.run(run_stdio, calls, concurrency)
    if args.transport in ("http", "both"):
        errors += anyio.run(run_http, calls, concurrency)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
