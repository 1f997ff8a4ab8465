"""Benchmarks of telnyx-iot-mcp, side by side with FastMCP.from_openapi on the same OpenAPI extract.

Run `bash bench/run.sh` (it makes bench/.venv with the product and the peer, then runs this script).
Prints a table and writes bench/results/latest.json. Measures:
  1. tool-list footprint: the whole `tools/list` result and what a model is given (name, description,
     input schema), in bytes and bytes/4 as a token estimate, per selection of tools, each beside the peer's
     tools for the same API operations (the peer is built from every OpenAPI extract, merged);
  2. cold start: process spawn to the first `tools/list` answer over stdio (a raw JSON-RPC driver);
  3. per-call overhead: get_sim_card through an MCP client session against a local HTTP stub, over
     the same request made with plain httpx;
  4. scale: every page of a 10,000-SIM sandbox fleet (time, peak memory) and concurrent calls over
     streamable HTTP, this server and the peer serving at once and taking turns (`--http-only`: that row alone).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import re
import tempfile
import time
from contextlib import AbstractContextManager, AsyncExitStack, contextmanager
from pathlib import Path
from typing import Any, Iterator

from telnyx_iot_mcp.tools.local import LOCAL_TOOLS
from telnyx_iot_mcp.tools.registry import OPERATIONS, TOOLSETS

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# The OpenAPI extracts sit beside the repository (../shared/spec), or further up for a git worktree.
SPEC_DIR = next((up / "shared" / "spec" for up in ROOT.parents if (up / "shared" / "spec").is_dir()),
                ROOT.parent / "shared" / "spec")
# The first 66 operations and the 24 beyond them: the peer gets the same operations as this server.
DEFAULT_SPECS = [SPEC_DIR / "telnyx-iot-openapi.json", SPEC_DIR / "telnyx-iot-extra-openapi.json"]
PROTOCOL = "2025-11-25"
SIM_CARD_ID = "6a09cdc3-8948-47f0-aa62-74ac943d6c58"


def compact(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


# -- servers under test ------------------------------------------------------------------------

def merged_spec(paths: list[Path]) -> dict[str, Any]:
    """One OpenAPI document from the extracts (their paths are disjoint, their shared components equal)."""
    spec = json.loads(paths[0].read_text(encoding="utf-8"))
    for path in paths[1:]:
        extra = json.loads(path.read_text(encoding="utf-8"))
        for url, item in extra["paths"].items():
            if url in spec["paths"]:
                raise SystemExit(f"bench: {url} is in more than one OpenAPI extract")
            spec["paths"][url] = item
        for section, members in extra.get("components", {}).items():
            target = spec.setdefault("components", {}).setdefault(section, {})
            for name, value in members.items():
                if target.setdefault(name, value) != value:
                    raise SystemExit(f"bench: components/{section}/{name} differs between the OpenAPI extracts")
        spec["tags"] = spec.get("tags", []) + [tag for tag in extra.get("tags", []) if tag not in spec.get("tags", [])]
    return spec


def operation_ids(spec: dict[str, Any]) -> dict[str, str]:
    """Each of this server's operations and the OpenAPI operationId the peer names its tool after."""
    shape = {(method.upper(), re.sub(r"{\w+}", "{}", url)): op["operationId"]
             for url, item in spec["paths"].items() for method, op in item.items() if isinstance(op, dict)
             and "operationId" in op}
    ids = {name: shape.get((op.method, re.sub(r"{\w+}", "{}", op.path))) for name, op in OPERATIONS.items()}
    missing = [name for name, operation_id in ids.items() if operation_id is None]
    if missing:
        raise SystemExit(f"bench: not in the OpenAPI extracts: {', '.join(missing)}")
    return ids


def ours_command() -> list[str]:
    script = Path(sys.executable).with_name("telnyx-iot-mcp")
    return [str(script)] if script.exists() else [sys.executable, "-m", "telnyx_iot_mcp"]


def server_commands(spec: Path | None) -> dict[str, list[str]]:
    """Our server, the floor, and the peer on `spec` (one OpenAPI document) unless it is None."""
    commands = {"ours": ours_command(), "floor": [sys.executable, str(BENCH / "servers" / "floor.py")]}
    if spec is not None:
        commands["peer"] = [sys.executable, str(BENCH / "servers" / "peer.py"), str(spec)]
    return commands


def server_env(base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX")}
    env.update(TELNYX_API_KEY="dummy", TELNYX_BASE_URL=base_url)
    return env


@contextmanager
def api_process(script: Path, argument: object, stop_seconds: float) -> Iterator[str]:
    """An API served by `script` in its own process (it prints its port, and ends when its stdin closes);
    yields its base URL."""
    process = subprocess.Popen([sys.executable, str(script), str(argument)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    try:
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}/v2"
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=stop_seconds)
        except subprocess.TimeoutExpired:
            process.kill()


def stub_server(latency_ms: float = 0) -> AbstractContextManager[str]:
    """The local HTTP stub in its own process; yields its base URL."""
    return api_process(BENCH / "stub.py", latency_ms, 5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- a raw JSON-RPC driver over stdio: no client library in the measurement --------------------

class StdioDriver:
    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.started = time.perf_counter()
        self.instructions = ""
        self.calls = 0
        self.max_rss_mib = 0.0
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, env=env)

    def send(self, message: dict[str, Any]) -> None:
        self.process.stdin.write(compact({"jsonrpc": "2.0", **message}) + b"\n")
        self.process.stdin.flush()

    def answer(self, request_id: int) -> dict[str, Any]:
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"server exited before answering request {request_id}")
            message = json.loads(line)
            if message.get("id") == request_id:
                if "error" in message:
                    raise RuntimeError(f"server answered an error: {message['error']}")
                return message["result"]

    def list_tools(self) -> list[dict[str, Any]]:
        """initialize, then every page of tools/list."""
        self.send({"id": 1, "method": "initialize", "params": {
            "protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}})
        self.instructions = self.answer(1).get("instructions") or ""
        self.send({"method": "notifications/initialized"})
        tools: list[dict[str, Any]] = []
        cursor, request_id = None, 2
        while True:
            self.send({"id": request_id, "method": "tools/list", "params": {"cursor": cursor} if cursor else {}})
            result = self.answer(request_id)
            tools += result["tools"]
            cursor = result.get("nextCursor")
            if not cursor:
                return tools
            request_id += 1

    def call(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        self.calls += 1
        request_id = 10_000 + self.calls
        self.send({"id": request_id, "method": "tools/call", "params": {"name": tool, "arguments": arguments}})
        return self.answer(request_id)

    def close(self) -> float:
        """Ends the server (stdin closed); returns the CPU seconds its process used."""
        self.process.stdin.close()
        deadline = time.monotonic() + 5
        while True:
            pid, status, usage = os.wait4(self.process.pid, os.WNOHANG)
            if pid:
                self.process.returncode = os.waitstatus_to_exitcode(status)
                self.max_rss_mib = usage.ru_maxrss / 1024
                return usage.ru_utime + usage.ru_stime
            if time.monotonic() > deadline:
                self.process.kill()
            time.sleep(0.005)


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- 1. footprint --------------------------------------------------------------------------------

def footprint(tools: list[dict[str, Any]], instructions: str) -> dict[str, Any]:
    """Sizes of the tool list; the server's instructions (sent once, at initialize) are counted apart."""
    whole = len(compact({"tools": tools}))
    model = len(compact([{"name": t["name"], "description": t.get("description", ""),
                          "input_schema": t.get("inputSchema", {})} for t in tools]))
    return {"tools": len(tools), "whole_bytes": whole, "whole_tokens": whole // 4,
            "model_bytes": model, "model_tokens": model // 4, "instructions_bytes": len(instructions.encode())}


def ours_selections() -> dict[str, list[str]]:
    """The command-line flags of each selection measured."""
    selections: dict[str, list[str]] = {"full catalog": [],
                                        "API operations only": ["--exclude-tools", ",".join(LOCAL_TOOLS)]}
    selections.update({f"toolset {name}": ["--toolsets", name] for name in TOOLSETS})
    selections["read-only"] = ["--read-only"]
    selections["dynamic mode"] = ["--tools-mode", "dynamic"]
    return selections


def measure_footprints(commands: dict[str, list[str]], base_url: str, ids: dict[str, str]) -> dict[str, Any]:
    """Each selection of ours; with the peer, its whole list and, beside each row of ours, the peer's tools for
    the API operations that row offers (the dynamic mode reaches every operation through its call tool)."""
    results: dict[str, Any] = {}
    offered: dict[str, list[str]] = {}
    for label, flags in ours_selections().items():
        driver = StdioDriver(commands["ours"] + flags, server_env(base_url))
        try:
            tools = driver.list_tools()
            results[f"ours: {label}"] = footprint(tools, driver.instructions)
            offered[label] = [t["name"] for t in tools if t["name"] in OPERATIONS] or list(OPERATIONS)
        except RuntimeError as error:
            results[f"ours: {label}"] = {"error": str(error)}
        finally:
            driver.close()
    if "peer" in commands:
        driver = StdioDriver(commands["peer"], server_env(base_url))
        try:
            peer_tools = driver.list_tools()
            results["peer: full catalog"] = footprint(peer_tools, driver.instructions)
        finally:
            driver.close()
        by_name = {t["name"]: t for t in peer_tools}
        absent = sorted(set(ids.values()) - set(by_name))
        if absent:
            raise RuntimeError(f"the peer offers no tool for {', '.join(absent)}")
        for label, names in offered.items():
            row = results[f"ours: {label}"]
            row["operations"] = len(names)
            row["peer_same_operations"] = footprint([by_name[ids[name]] for name in names], driver.instructions)
    return results


# -- 2. cold start ---------------------------------------------------------------------------------

def measure_cold_start(commands: dict[str, list[str]], base_url: str, runs: int) -> dict[str, Any]:
    """Wall time from spawn to the first tools/list answer and to the first tools/call answered (get_sim_card
    on the stub; the floor's trivial tool), and the CPU time of the whole process (less noisy)."""
    wall: dict[str, list[float]] = {name: [] for name in commands}
    first_call: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for run in range(runs + 1):  # interleaved, so drift in machine load spreads over every server alike
        for name, command in commands.items():
            driver = StdioDriver(command, server_env(base_url))
            try:
                driver.list_tools()
                listed = time.perf_counter() - driver.started
                tool, arguments = PER_CALL_TARGETS[name]
                if driver.call(tool, arguments).get("isError"):
                    raise RuntimeError(f"{name}: the first {tool} call failed")
                answered = time.perf_counter() - driver.started
            finally:
                used = driver.close()
            if run:  # the first run of each only warms the disk cache and compiles bytecode
                wall[name].append(listed * 1000)
                first_call[name].append(answered * 1000)
                cpu[name].append(used * 1000)
    return {name: {"median_ms": round(statistics.median(wall[name]), 1), "min_ms": round(min(wall[name]), 1),
                   "first_call_median_ms": round(statistics.median(first_call[name]), 1),
                   "first_call_min_ms": round(min(first_call[name]), 1),
                   "cpu_median_ms": round(statistics.median(cpu[name]), 1), "runs": runs} for name in commands}


# -- 3. per-call overhead ---------------------------------------------------------------------------

def timed_median(durations: list[float]) -> float:
    return round(statistics.median(durations) * 1000, 3)


PER_CALL_TARGETS = {
    "ours": ("get_sim_card", {"sim_card_id": SIM_CARD_ID}),
    "peer": ("GetSimCard", {"id": SIM_CARD_ID}),
    "floor": ("double", {"x": 2}),  # the MCP round trip alone: a trivial tool, no HTTP behind it
}


async def measure_per_call(commands: dict[str, list[str]], latency_ms: float, calls: int,
                           warmup: int) -> dict[str, Any]:
    """get_sim_card through an MCP client session over stdio, and through a raw JSON-RPC driver (the
    server's share, no client library), against the same request with plain httpx, all on one stub.

    Every client stays connected and the calls take turns, so a change in machine load hits all alike.
    """
    import httpx
    from mcp import Client, StdioServerParameters

    names = [name for name in PER_CALL_TARGETS if name in commands and (name != "floor" or not latency_ms)]
    samples: dict[str, list[float]] = {name: [] for name in ["plain httpx", *names, *(f"{n} raw" for n in names)]}
    with stub_server(latency_ms) as base_url:
        env = server_env(base_url)
        async with AsyncExitStack() as stack:
            http = await stack.enter_async_context(
                httpx.AsyncClient(base_url=base_url, headers={"Authorization": "Bearer dummy"}))
            sessions = {}
            drivers = {}
            for name in names:
                command = commands[name]
                sessions[name] = await stack.enter_async_context(
                    Client(StdioServerParameters(command=command[0], args=command[1:], env=env)))
                drivers[name] = StdioDriver(command, env)
                stack.callback(drivers[name].close)
                drivers[name].list_tools()
            cpu_before: dict[str, float] = {}
            for i in range(warmup + calls):
                if i == warmup:
                    cpu_before = {name: process_cpu(drivers[name].process.pid) for name in names}
                timings: dict[str, float] = {}
                start = time.perf_counter()
                response = await http.get(f"/sim_cards/{SIM_CARD_ID}")
                response.raise_for_status()
                response.json()
                timings["plain httpx"] = time.perf_counter() - start
                for name in names:
                    tool, arguments = PER_CALL_TARGETS[name]
                    start = time.perf_counter()
                    result = await sessions[name].call_tool(tool, arguments)
                    timings[name] = time.perf_counter() - start
                    if result.is_error:
                        raise RuntimeError(f"{tool} failed: {result.content[0].text if result.content else result}")
                    start = time.perf_counter()
                    drivers[name].send({"id": 1000 + i, "method": "tools/call",
                                        "params": {"name": tool, "arguments": arguments}})
                    if drivers[name].answer(1000 + i).get("isError"):
                        raise RuntimeError(f"{tool} failed over the raw driver")
                    timings[f"{name} raw"] = time.perf_counter() - start
                if i >= warmup:
                    for key, seconds in timings.items():
                        samples[key].append(seconds)
            server_cpu = {name: (process_cpu(drivers[name].process.pid) - cpu_before[name]) / calls
                          for name in names}
    httpx_ms = timed_median(samples["plain httpx"])
    results: dict[str, Any] = {"plain httpx": {"median_ms": httpx_ms, "ratio": 1.0}}
    for name in names:
        ms, raw_ms = timed_median(samples[name]), timed_median(samples[f"{name} raw"])
        results[name] = {"median_ms": ms, "ratio": round(ms / httpx_ms, 2), "overhead_ms": round(ms - httpx_ms, 3),
                         "raw_driver_ms": raw_ms, "raw_driver_ratio": round(raw_ms / httpx_ms, 2),
                         "server_cpu_ms": round(server_cpu[name] * 1000, 3)}
    return results


# -- 4. scale ----------------------------------------------------------------------------------------

def sandbox_api(sim_count: int) -> AbstractContextManager[str]:
    """The sandbox's HTTP API with `sim_count` SIMs in its own process; yields its base URL."""
    return api_process(BENCH / "servers" / "sandbox_api.py", sim_count, 10)


def read_fleet(driver: StdioDriver, all_pages: bool) -> dict[str, Any]:
    """Every SIM of the fleet through the server: page by page (page_size 250), or with all_pages from page 1,
    following each answer's meta.next as a model would. Counts records seen more than once."""
    ids: set[str] = set()
    calls = repeats = 0
    arguments: dict[str, Any] = {"all_pages": True} if all_pages else {"page_number": 1, "page_size": 250}
    while True:
        result = driver.call("list_sim_cards", arguments)
        calls += 1
        if result.get("isError"):
            raise RuntimeError(result["content"][0]["text"])
        body = result.get("structuredContent") or {}
        for record in body.get("data") or []:
            repeats += record["id"] in ids
            ids.add(record["id"])
        meta = body.get("meta") or {}
        if all_pages:
            if "next" not in meta:
                break
            arguments = {**arguments, **meta["next"]}
        else:
            if arguments["page_number"] >= (meta.get("total_pages") or 0):
                break
            arguments = {**arguments, "page_number": arguments["page_number"] + 1}
    return {"records": len(ids), "repeats": repeats, "total": meta.get("total_results"), "calls": calls}


def measure_fleet(sim_count: int, passes: int = 2) -> dict[str, Any]:
    """Our server (its own process, over stdio, default settings) reading the whole fleet from the sandbox
    (another process), by hand and by following all_pages; one server process per way, passes interleaved.
    Time: the fastest pass; RSS: the server process's peak."""
    ways = {"pages of 250 by hand": False, "all_pages, following meta.next": True}
    results: dict[str, Any] = {}
    with sandbox_api(sim_count) as base_url:
        drivers = {label: StdioDriver(ours_command(), server_env(base_url)) for label in ways}
        times: dict[str, list[float]] = {label: [] for label in ways}
        try:
            for driver in drivers.values():
                driver.list_tools()
            for _ in range(passes):
                for label, all_pages in ways.items():
                    start = time.perf_counter()
                    results[label] = read_fleet(drivers[label], all_pages)
                    times[label].append(time.perf_counter() - start)
        finally:
            cpu = {label: driver.close() for label, driver in drivers.items()}
    for label, row in results.items():
        seconds = min(times[label])
        row.update(seconds=round(seconds, 2), records_per_s=round(row["records"] / seconds),
                   server_cpu_s=round(cpu[label], 2), peak_rss_mib=round(drivers[label].max_rss_mib, 1))
    return {f"{sim_count:,}-SIM sandbox, {label}": row for label, row in results.items()}


def http_command(name: str, commands: dict[str, list[str]], port: int) -> list[str]:
    if name == "ours":
        return commands["ours"] + ["--transport", "http", "--port", str(port), "--log-level", "WARNING"]
    return commands["peer"] + ["--http", str(port)]


async def http_server(command: list[str], base_url: str, port: int, stack: AsyncExitStack) -> subprocess.Popen:
    """A server under test over streamable HTTP, stopped when `stack` closes; returns once it accepts connections."""
    process = subprocess.Popen(command, env=server_env(base_url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop() -> None:
        process.terminate()
        os.wait4(process.pid, 0)
        process.returncode = 0

    stack.callback(stop)
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{command[0]} did not start serving HTTP on port {port}")


async def measure_http_throughput(commands: dict[str, list[str]], base_url: str, clients: int, calls_each: int,
                                  bursts: int = 10, era: str = "modern") -> dict[str, Any]:
    """Ours and the peer over streamable HTTP, both serving at once, each with `clients` MCP client sessions opened
    and warmed (3 calls each) before the clock starts. The calls come in `bursts` turns: in each, every server in
    turn gets `calls_each / bursts` get_sim_card calls per session, all sessions at once (the order flips every
    turn), so a change in machine load hits both alike. Throughput: calls over the time spent in that server's
    turns; server CPU (from /proc): those turns only. `era`: modern (2026-07-28, what the SDK's client picks) or
    legacy (2025-11-25 sessions opened by initialize, what most desktop clients speak today)."""
    from mcp import Client

    names = [name for name in ("ours", "peer") if name in commands]
    bursts = max(1, min(bursts, calls_each))
    per_burst = calls_each // bursts
    totals = {name: {"calls": 0, "seconds": 0.0, "server_cpu": 0.0, "client_cpu": 0.0} for name in names}

    async def calls(session: Any, tool: str, arguments: dict[str, Any], count: int) -> int:
        for _ in range(count):
            result = await session.call_tool(tool, arguments)
            if result.is_error:
                raise RuntimeError(result.content[0].text if result.content else str(result))
        return count

    async with AsyncExitStack() as stack:
        servers: dict[str, tuple[subprocess.Popen, list[Any]]] = {}
        for name in names:
            port = free_port()
            process = await http_server(http_command(name, commands, port), base_url, port, stack)
            sessions = [await stack.enter_async_context(Client(f"http://127.0.0.1:{port}/mcp",
                                                               mode="legacy" if era == "legacy" else "auto"))
                        for _ in range(clients)]
            await asyncio.gather(*(calls(session, *PER_CALL_TARGETS[name], 3) for session in sessions))
            servers[name] = (process, sessions)
        for burst in range(bursts):
            for name in names if burst % 2 == 0 else names[::-1]:
                process, sessions = servers[name]
                server_cpu, own_cpu, start = process_cpu(process.pid), time.process_time(), time.perf_counter()
                done = sum(await asyncio.gather(*(calls(session, *PER_CALL_TARGETS[name], per_burst)
                                                  for session in sessions)))
                row = totals[name]
                row["seconds"] += time.perf_counter() - start
                row["server_cpu"] += process_cpu(process.pid) - server_cpu
                row["client_cpu"] += time.process_time() - own_cpu
                row["calls"] += done
    return {f"streamable HTTP, {name}": {
        "clients": clients, "era": era, "calls": row["calls"], "bursts": bursts, "seconds": round(row["seconds"], 2),
        "calls_per_s": round(row["calls"] / row["seconds"], 1), "client_cpu_s": round(row["client_cpu"], 2),
        "server_cpu_s": round(row["server_cpu"], 2),
        "server_cpu_ms_per_call": round(row["server_cpu"] / row["calls"] * 1000, 3),
        "load_average": round(os.getloadavg()[0], 1)} for name, row in totals.items()}


# -- report ------------------------------------------------------------------------------------------

def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a and b else "-"


def scale_lines(scale: dict[str, Any]) -> list[str]:
    lines = ["", "Scale"]
    for name, row in scale.items():
        if "error" in row:
            lines.append(f"  {name:<40}  error: {row['error'][:80]}")
        elif "calls_per_s" in row:
            lines.append(f"  {name:<56}{row['calls']:>7} calls, {row['clients']} warm sessions ({row['era']} era), "
                         f"{row['bursts']} turns, "
                         f"{row['seconds']:.2f} s: "
                         f"{row['calls_per_s']:,} calls/s (CPU: clients {row['client_cpu_s']} s, "
                         f"server {row['server_cpu_s']} s, {row['server_cpu_ms_per_call']} ms per call)")
        else:
            lines.append(f"  {name:<56}{row['records']:>7,} SIMs ({row['repeats']} twice) in {row['calls']} "
                         f"calls, {row['seconds']:.2f} s, server: {row['server_cpu_s']} s CPU in all, "
                         f"peak RSS {row['peak_rss_mib']} MiB")
    ours, peer = scale.get("streamable HTTP, ours"), scale.get("streamable HTTP, peer")
    if ours and peer and "calls_per_s" in ours and "calls_per_s" in peer:
        lines.append(f"  streamable HTTP, ours / peer: {ratio(ours['calls_per_s'], peer['calls_per_s'])} throughput, "
                     f"{ratio(ours['server_cpu_ms_per_call'], peer['server_cpu_ms_per_call'])} server CPU per call")
    fleet = [row for row in scale.values() if "peak_rss_mib" in row]
    if len(fleet) == 2:
        lines.append(f"  all_pages / by hand: {ratio(fleet[1]['seconds'], fleet[0]['seconds'])} time, "
                     f"{ratio(fleet[1]['peak_rss_mib'], fleet[0]['peak_rss_mib'])} server peak RSS")
    return lines


def table(results: dict[str, Any]) -> str:
    if "footprint" not in results:  # --http-only
        return "\n".join(scale_lines(results.get("scale", {})))
    lines: list[str] = []
    fp = results["footprint"]
    lines += ["Tool-list footprint (bytes; tokens ~ bytes/4); the peer: its tools for the same API operations",
              f"  {'selection':<40}{'tools':>6}{'ops':>5}{'tools/list':>12}{'~tokens':>9}{'model-facing':>14}"
              f"{'~tokens':>9}{'instructions':>14}{'peer model':>12}{'vs peer (list / model / model+instr.)':>40}"]
    for label, row in fp.items():
        if "error" in row:
            lines.append(f"  {label:<40}  error: {row['error'][:80]}")
            continue
        peer = row.get("peer_same_operations")
        versus = peer_model = ""
        if peer:
            peer_model = f"{peer['model_bytes']:,}"
            versus = (f"{ratio(row['whole_bytes'], peer['whole_bytes'])} / "
                      f"{ratio(row['model_bytes'], peer['model_bytes'])} / "
                      f"{ratio(row['model_bytes'] + row['instructions_bytes'], peer['model_bytes'] + peer['instructions_bytes'])}")
        lines.append(f"  {label:<40}{row['tools']:>6}{row.get('operations', ''):>5}{row['whole_bytes']:>12,}"
                     f"{row['whole_tokens']:>9,}{row['model_bytes']:>14,}{row['model_tokens']:>9,}"
                     f"{row['instructions_bytes']:>14,}{peer_model:>12}{versus:>40}")
    if "cold_start" not in results:
        return "\n".join(lines)
    cold = results["cold_start"]
    lines += ["", f"Cold start over stdio, median of {cold['ours']['runs']} runs: spawn to the first tools/list answer, "
                  "and to the first tools/call answered (get_sim_card on the stub; the floor: a trivial tool)",
              f"  {'server':<40}{'list ms':>10}{'min ms':>10}{'call ms':>10}{'min ms':>10}{'CPU ms':>10}"]
    for name, row in cold.items():
        lines.append(f"  {name:<40}{row['median_ms']:>10.1f}{row['min_ms']:>10.1f}{row['first_call_median_ms']:>10.1f}"
                     f"{row['first_call_min_ms']:>10.1f}{row['cpu_median_ms']:>10.1f}")
    for key, label in (("median_ms", "to tools/list"), ("first_call_median_ms", "to first call answered")):
        versus_peer = f"{ratio(cold['ours'][key], cold['peer'][key])} the peer, " if "peer" in cold else ""
        lines.append(f"  ours {label}: {versus_peer}{ratio(cold['ours'][key], cold['floor'][key])} the floor "
                     f"({cold['ours'][key] - cold['floor'][key]:+.0f} ms)")
    if "peer" in cold:
        lines.append(f"  CPU of the whole run: {ratio(cold['ours']['cpu_median_ms'], cold['peer']['cpu_median_ms'])} "
                     f"the peer, {ratio(cold['ours']['cpu_median_ms'], cold['floor']['cpu_median_ms'])} the floor")
    for stub, per_call in results["per_call"].items():
        lines += ["", f"Per call: get_sim_card, {stub} ({results['config']['calls']} calls, median)",
                  f"  {'server (mcp.Client session over stdio)':<40}{'median ms':>10}{'vs httpx':>10}{'overhead ms':>13}"
                  f"{'raw JSON-RPC ms':>17}{'vs httpx':>10}{'server CPU ms':>15}"]
        for name, row in per_call.items():
            label = "floor (bare mcp, trivial tool)" if name == "floor" else name
            raw = (f"{row['raw_driver_ms']:>17.3f}{row['raw_driver_ratio']:>9.2f}x{row['server_cpu_ms']:>15.3f}"
                   if "raw_driver_ms" in row else "")
            lines.append(f"  {label:<40}{row['median_ms']:>10.3f}{row['ratio']:>9.2f}x{row.get('overhead_ms', 0):>13.3f}"
                         + raw)
        if "peer" in per_call:
            lines.append(f"  server CPU per call (raw driver's server, calls only): ours "
                         f"{ratio(per_call['ours']['server_cpu_ms'], per_call['peer']['server_cpu_ms'])} the peer")
    if results.get("scale"):
        lines += scale_lines(results["scale"])
    return "\n".join(lines)


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version(), "machine": f"{platform.machine()}, {os.cpu_count()} cores"}
    for package in ("telnyx-iot-mcp", "mcp", "fastmcp", "httpx"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            pass
    return found


async def run(args: argparse.Namespace) -> dict[str, Any]:
    specs = [] if args.no_peer else [Path(spec) for spec in args.spec or DEFAULT_SPECS]
    for spec in specs:
        if not spec.exists():
            raise SystemExit(f"bench: OpenAPI extract not found at {spec} (pass --spec, or --no-peer)")
    merged = merged_spec(specs) if specs else None
    ids = operation_ids(merged) if merged else {}
    workdir = tempfile.TemporaryDirectory(prefix="bench-")
    peer_spec = None
    if merged:
        peer_spec = Path(workdir.name) / "openapi.json"
        peer_spec.write_text(json.dumps(merged), encoding="utf-8")
    commands = server_commands(peer_spec)
    results: dict[str, Any] = {"config": {"cold_runs": args.cold_runs, "calls": args.calls,
                                          "sim_count": args.sim_count, "api_latency_ms": args.api_latency_ms,
                                          "peer_extracts": [spec.name for spec in specs]}, "versions": versions()}
    with workdir, stub_server() as base_url:
        if args.http_only:
            results["scale"] = await measure_http_throughput(commands, base_url, args.http_clients, args.http_calls,
                                                             era=args.http_era)
            return results
        results["footprint"] = measure_footprints(commands, base_url, ids)
        if args.footprint_only:
            return results
        results["cold_start"] = measure_cold_start(commands, base_url, args.cold_runs)
        results["per_call"] = {
            f"stub answering in {latency:g} ms": await measure_per_call(commands, latency, args.calls, args.warmup)
            for latency in dict.fromkeys((0, args.api_latency_ms))
        }
        scale: dict[str, Any] = {}
        if args.sim_count:
            scale.update(measure_fleet(args.sim_count))
        if args.http_clients:
            try:
                scale.update(await measure_http_throughput(commands, base_url, args.http_clients, args.http_calls,
                                                           era=args.http_era))
            except Exception as error:  # report and go on: the other figures still stand
                scale["streamable HTTP"] = {"error": f"{type(error).__name__}: {error}"}
        results["scale"] = scale
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", action="append", metavar="PATH",
                        help="an OpenAPI extract for the peer, repeated for several (default: "
                             + ", ".join(spec.name for spec in DEFAULT_SPECS) + ", merged)")
    parser.add_argument("--no-peer", action="store_true", help="measure without FastMCP")
    parser.add_argument("--footprint-only", action="store_true", help="measure the tool lists only (seconds)")
    parser.add_argument("--http-only", action="store_true", help="measure streamable HTTP throughput only")
    parser.add_argument("--cold-runs", type=int, default=9)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--api-latency-ms", type=float, default=50,
                        help="second per-call run with the stub answering this late, like a real API round trip")
    parser.add_argument("--sim-count", type=int, default=10_000, help="0 skips the fleet")
    parser.add_argument("--http-clients", type=int, default=8, help="0 skips the HTTP throughput run")
    parser.add_argument("--http-calls", type=int, default=80, help="calls per HTTP client session, over 10 turns")
    parser.add_argument("--http-era", choices=["modern", "legacy"], default="modern",
                        help="protocol era of the HTTP clients: modern (2026-07-28) or legacy (2025-11-25 sessions)")
    parser.add_argument("--output", default=str(BENCH / "results" / "latest.json"))
    args = parser.parse_args(argv)
    results = asyncio.run(run(args))
    print(table(results))
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {output}")


if __name__ == "__main__":
    main()
