"""What a usage answer costs: the usage tools against a model paging the detail records by hand.

A sandbox fleet (default 10,000 SIMs, clock mid-month) behind an in-memory MCP client session. For each tool:
wall time, upstream requests and the answer's size. For the model paging by hand: list_wireless_detail_records
over the same 30 days at its largest page (250), through the same MCP session, every page read: the tool calls
a model would make and the bytes of results it would read (a token is about 4 bytes of JSON).

    .venv/bin/python bench/usage.py [--sim-count 10000] [--days 30]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
from mcp import Client

from telnyx_iot_mcp.sandbox import create_app
from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.tools.client import TelnyxClient

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from recorded import Recorded  # noqa: E402

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC).timestamp()


async def main(sim_count: int, days: int) -> None:
    app = create_app(sim_count=sim_count, clock=lambda: NOW)
    transport = Recorded(app)
    client = TelnyxClient(base_url="http://sandbox/v2", transport=transport)
    today = datetime.fromtimestamp(NOW, UTC).date()
    start = (today - timedelta(days=days - 1)).isoformat()
    rows = []
    async with Client(create_server(client)) as session:
        # the model pages the records by hand (first: it also warms the sandbox's listing for the tools)
        began, before, calls, size, records = time.perf_counter(), transport.requests, 0, 0, 0
        page = 1
        while True:
            result = await session.call_tool("list_wireless_detail_records", {
                "start_date": start, "page_size": 250, "page_number": page})
            calls += 1
            size += len(result.content[0].text)
            meta = result.structured_content["meta"]
            records += len(result.structured_content["data"])
            if page >= meta.get("total_pages", page):
                break
            page += 1
        hand = (time.perf_counter() - began, transport.requests - before, size, calls, records)
        for name, arguments in (("usage_report", {"days": days}), ("find_usage_anomalies", {"days": 7}),
                                ("forecast_data_limits", {"days": 28})):
            began, before = time.perf_counter(), transport.requests
            result = await session.call_tool(name, arguments)
            assert not result.is_error, result.content[0].text
            meta = result.structured_content["meta"]
            rows.append((name, time.perf_counter() - began, transport.requests - before, len(result.content[0].text),
                         meta["records"], meta["window"]))
    await client.aclose()
    seconds, requests, size, calls, records = hand
    print(f"{sim_count} SIMs; detail records over {days} days: {records}")
    print("| approach | time | upstream requests | answer bytes | model tool calls | records covered |")
    print("|---|---|---|---|---|---|")
    print(f"| model pages list_wireless_detail_records by hand | {seconds:.1f} s | {requests} | {size:,} "
          f"(~{size // 4:,} tokens) | {calls} | {records} |")
    for name, secs, reqs, answer, covered, window in rows:
        print(f"| {name} ({window['start']}..{window['end']}) | {secs:.1f} s | {reqs} | {answer:,} | 1 | {covered} |")
    report = rows[0]
    print(f"usage_report vs by hand: {size / report[3]:,.0f}x fewer bytes, {calls}x fewer model calls, "
          f"{requests / report[2]:.2f}x the upstream requests")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--sim-count", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    anyio.run(main, args.sim_count, args.days)
