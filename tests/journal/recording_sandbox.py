"""The sandbox served over real HTTP on 127.0.0.1 for server processes under test: every request recorded with
the time it arrived, and each changing request held `delay` seconds before the sandbox handles it (a slow
Telnyx), so a signal or a kill lands while known SIMs are in flight. A request whose client went away is still
handled: it reached Telnyx."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx

from api_mock import Served
from telnyx_iot_mcp.sandbox import create_app

CHANGING = ("POST", "PATCH", "DELETE")


def replay(body: bytes) -> Any:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}
    return receive


class RecordingSandbox:
    def __init__(self, *, sim_count: int = 40, delay: float | Callable[[int], float] = 0.0) -> None:
        """`delay`: seconds, or the seconds for the n-th changing request (from 0)."""
        self.app = create_app(seed=11, sim_count=sim_count)
        self.delay = delay if callable(delay) else (lambda n: delay)
        self.changing = 0
        self.seen: list[tuple[float, str, str]] = []  # (time.monotonic() on arrival, method, path)
        self.served = Served(self)
        self.direct = httpx.Client(base_url=self.base_url, timeout=10)  # arranges and reads: not recorded

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not any(k == b"x-direct" for k, _ in scope["headers"]):
            self.seen.append((time.monotonic(), scope["method"], scope["path"]))
            if scope["method"] in CHANGING:
                delay, self.changing = self.delay(self.changing), self.changing + 1
                body, more = b"", True
                while more:  # the whole request is here before the wait: Telnyx has it, whatever the client does
                    message = await receive()
                    body, more = body + message.get("body", b""), message.get("more_body", False)
                await asyncio.sleep(delay)
                receive = replay(body)
        await self.app(scope, receive, send)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.served.port}/v2"

    def __enter__(self) -> RecordingSandbox:
        self.served.__enter__()
        self.direct.headers["x-direct"] = "1"
        return self

    def __exit__(self, *exc: Any) -> None:
        self.direct.close()
        self.served.__exit__(*exc)

    def sends(self, action: str) -> list[tuple[float, str]]:
        """(arrival time, SIM id) of each POST of a SIM action (e.g. set_standby), in order."""
        return [(at, path.split("/")[3]) for at, method, path in self.seen
                if method == "POST" and path.endswith(f"/actions/{action}")]

    def sends_per_sim(self, action: str) -> Counter:
        return Counter(sim for _, sim in self.sends(action))

    def group_of(self, count: int, name: str = "Plan group") -> tuple[str, list[str]]:
        """A new group holding `count` enabled SIM cards: its id and theirs."""
        group = self.direct.post("/sim_card_groups", json={"name": name}).json()["data"]["id"]
        sims = self.direct.get("/sim_cards", params={"page[size]": 250, "filter[status]": "enabled"}).json()["data"]
        ids = [s["id"] for s in sims[:count]]
        assert len(ids) == count
        for sim in ids:
            assert self.direct.patch(f"/sim_cards/{sim}", json={"sim_card_group_id": group}).status_code == 200
        return group, ids

    def status(self, sim: str) -> str:
        return self.direct.get(f"/sim_cards/{sim}").json()["data"]["status"]["value"]

    def wait_for(self, condition, seconds: float = 30.0) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.01)
