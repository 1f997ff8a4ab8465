"""What auditing every read costs: server CPU per get_sim_card call with read lines on and off, in one run.

The server runs in this process behind an in-memory MCP client session, against a stub Telnyx answer (no
network), with the audit logger at info level writing to a null stream, as `telnyx-iot-mcp` configures it,
plus, with --audit-file, a file. Runs alternate between on and off so load on the machine hits both alike.
Prints CPU microseconds per call (whole process: client, protocol and server) and the ratio on/off.

    .venv/bin/python bench/audit_reads.py [--calls 2000] [--rounds 5] [--audit-file]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time

import anyio
import httpx
from mcp import Client

from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.server.audit import AuditLog
from telnyx_iot_mcp.server.confirm_token import ConfirmationTokens
from telnyx_iot_mcp.server.gate import Gate
from telnyx_iot_mcp.tools.client import TelnyxClient

SIM_ID = "6a09cdc3-8948-47f0-aa62-74ac943d6c58"
SIM = {"data": {"id": SIM_ID, "record_type": "sim_card", "iccid": "89310410106543789301", "status": {"value": "enabled"},
                "tags": ["bench"], "sim_card_group_id": "47a1c2b0-5e2f-4a3b-9c1d-2e3f4a5b6c7d"}}


def answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=SIM, headers={"x-request-id": "req-bench"})


async def cpu_per_call(reads: bool, calls: int, audit_file: str | None) -> float:
    client = TelnyxClient(base_url="http://stub/v2", api_key="KEY-bench-0000000000000000",
                          transport=httpx.MockTransport(answer))
    gate = Gate(client, tokens=ConfirmationTokens(b"bench-secret-0123456789"), audit=AuditLog(audit_file, reads=reads))
    async with Client(create_server(client, gate=gate)) as session:
        for _ in range(50):
            await session.call_tool("get_sim_card", {"sim_card_id": SIM_ID})
        start = time.process_time()
        for _ in range(calls):
            await session.call_tool("get_sim_card", {"sim_card_id": SIM_ID})
        spent = time.process_time() - start
    await client.aclose()
    return spent / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--audit-file", action="store_true", help="also append the lines to a file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=open(os.devnull, "w"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    path = os.path.join(tempfile.mkdtemp(), "audit.jsonl") if args.audit_file else None
    runs: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(args.rounds):
        for reads in (False, True):
            runs[reads].append(anyio.run(cpu_per_call, reads, args.calls, path))
    on, off = statistics.median(runs[True]), statistics.median(runs[False])
    print(f"get_sim_card, {args.calls} calls x {args.rounds} rounds, audit file: {'yes' if path else 'no'}")
    print(f"  reads audited:     {on:8.1f} us CPU per call (median of rounds)")
    print(f"  reads not audited: {off:8.1f} us CPU per call")
    print(f"  ratio on/off:      {on / off:8.3f}x  ({on - off:+.1f} us per call)")


if __name__ == "__main__":
    main()
