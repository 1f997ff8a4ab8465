"""Benchmark: N SIMs of a group to standby on the sandbox, one change plan against one call per SIM.

Both sides run through a real MCP client session on the same server code, with an elicitation callback
that says yes and counts the questions. The per-SIM side does what a model does today: list the group's
SIMs, then call set_sim_card_standby once per SIM, one call after another (clients run tool calls in
sequence). Each side gets a fresh sandbox with the same seed. `--api-latency-ms` adds a delay to every
request the server sends, as a stand-in for the network between the server and Telnyx.

    python bench/plan.py [--sims 200] [--api-latency-ms 0 50]

Prints tool calls, questions to the user, API requests and wall time per side, and their ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

import httpx
from mcp import Client, types

from telnyx_iot_mcp.sandbox import create_app
from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.server.gate import Gate
from telnyx_iot_mcp.tools.client import TelnyxClient

BASE = "http://sandbox/v2"


class Side:
    """A fresh sandbox holding a group of `sims` enabled SIM cards, and a server in front of it."""

    def __init__(self, sims: int, latency: float) -> None:
        self.app = create_app(seed=3, sim_count=sims * 2 + 50, action_delay=0)
        inner = httpx.ASGITransport(app=self.app)
        self.requests = 0
        side = self

        class Network(httpx.AsyncBaseTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                side.requests += 1
                if latency:
                    await asyncio.sleep(latency)
                return await inner.handle_async_request(request)

        self.client = TelnyxClient(base_url=BASE, transport=Network())
        self.direct = httpx.AsyncClient(transport=inner, base_url=BASE)
        self.server = create_server(self.client, gate=Gate(self.client))
        self.questions = 0
        self.calls = 0

    async def arrange(self, sims: int) -> str:
        group = (await self.direct.post("/sim_card_groups", json={"name": "Bench"})).json()["data"]["id"]
        enabled = (await self.direct.get("/sim_cards", params={"filter[status]": "enabled", "page[size]": 250,
                                                                "page[number]": 1})).json()["data"]
        page = 2
        while len(enabled) < sims:
            more = (await self.direct.get("/sim_cards", params={"filter[status]": "enabled", "page[size]": 250,
                                                                 "page[number]": page})).json()["data"]
            if not more:
                raise SystemExit(f"the sandbox has only {len(enabled)} enabled SIMs")
            enabled += more
            page += 1
        for sim in enabled[:sims]:
            await self.direct.patch(f"/sim_cards/{sim['id']}", json={"sim_card_group_id": group})
        return group

    async def yes(self, context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        self.questions += 1
        field = params.requested_schema["properties"]["confirm"]
        value: Any = True if field["type"] == "boolean" else field["description"].removeprefix("Type exactly: ")
        return types.ElicitResult(action="accept", content={"confirm": value})

    async def call(self, session: Client, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        self.calls += 1
        result = await session.call_tool(name, arguments)
        if result.is_error:
            raise SystemExit(f"{name} failed: {result.content[0].text}")
        return result.structured_content

    async def standby_count(self, group: str) -> int:
        listed = await self.direct.get("/sim_cards", params={"filter[sim_card_group_id]": group,
                                                             "filter[status]": "standby", "page[size]": 1})
        return listed.json()["meta"]["total_results"]


async def one_plan(sims: int, latency: float) -> dict[str, Any]:
    side = Side(sims, latency)
    group = await side.arrange(sims)
    async with Client(side.server, mode="legacy", elicitation_callback=side.yes) as session:
        started = time.perf_counter()
        done = await side.call(session, "apply_to_sim_cards", {"operation": "set_sim_card_standby",
                                                               "filter": {"sim_card_group_id": group}})
        seconds = time.perf_counter() - started
    assert len(done["data"]) == sims
    return {"tool_calls": side.calls, "questions": side.questions, "api_requests": side.requests,
            "seconds": seconds, "standby": await side.standby_count(group)}


async def per_sim(sims: int, latency: float) -> dict[str, Any]:
    side = Side(sims, latency)
    group = await side.arrange(sims)
    async with Client(side.server, mode="legacy", elicitation_callback=side.yes) as session:
        started = time.perf_counter()
        listed = await side.call(session, "list_sim_cards", {"sim_card_group_id": group, "all_pages": True,
                                                             "fields": ["id"]})
        for sim in listed["data"]:
            await side.call(session, "set_sim_card_standby", {"sim_card_id": sim["id"]})
        seconds = time.perf_counter() - started
    return {"tool_calls": side.calls, "questions": side.questions, "api_requests": side.requests,
            "seconds": seconds, "standby": await side.standby_count(group)}


def ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b else "n/a"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, default=200)
    parser.add_argument("--api-latency-ms", type=float, nargs="+", default=[0.0, 50.0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON as well")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    print(f"{args.sims} SIMs of one group to standby, on the sandbox: one plan vs one call per SIM")
    print(f"{'API latency':>12} {'side':>9} {'tool calls':>11} {'questions':>10} {'API requests':>13} {'wall s':>8}")
    for latency_ms in args.api_latency_ms:
        plan = await one_plan(args.sims, latency_ms / 1000)
        each = await per_sim(args.sims, latency_ms / 1000)
        assert plan["standby"] == each["standby"] == args.sims, (plan, each)
        for name, row in (("plan", plan), ("per SIM", each)):
            print(f"{latency_ms:>10g}ms {name:>9} {row['tool_calls']:>11} {row['questions']:>10} "
                  f"{row['api_requests']:>13} {row['seconds']:>8.2f}")
        print(f"{'':>12} {'ratio':>9} {ratio(each['tool_calls'], plan['tool_calls']):>11} "
              f"{ratio(each['questions'], plan['questions']):>10} "
              f"{ratio(each['api_requests'], plan['api_requests']):>13} {ratio(each['seconds'], plan['seconds']):>8}"
              "   (per SIM / plan)")
        results[f"{latency_ms:g} ms"] = {"plan": plan, "per_sim": each}
    if args.json:
        print(json.dumps(results, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
