"""A server on the sandbox for change plans: every HTTP request recorded, a fleet arranged directly."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from mcp import types

from gate_rig import Clock, RecordedAudit
from telnyx_iot_mcp.sandbox import create_app
from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.server.confirm_token import ConfirmationTokens
from telnyx_iot_mcp.server.gate import Gate
from telnyx_iot_mcp.tools.client import TelnyxClient

BASE = "http://sandbox/v2"
CHANGING = ("POST", "PATCH", "DELETE")


class PlanRig:
    def __init__(self, *, sim_count: int = 120, read_only: bool = False, tools_mode: str = "static",
                 policy: str = "elicit-or-token", action_delay: float = 0, audit_path: str | None = None) -> None:
        self.now = [1_800_000_000.0]
        self.app = create_app(seed=11, sim_count=sim_count, action_delay=action_delay, clock=lambda: self.now[0])
        inner = httpx.ASGITransport(app=self.app)
        self.sent: list[httpx.Request] = []
        self.hold: Callable[[httpx.Request], Awaitable[None]] | None = None  # what a change waits for before it is answered

        class Recording(httpx.AsyncBaseTransport):
            async def handle_async_request(this, request: httpx.Request) -> httpx.Response:
                self.sent.append(request)
                if self.hold is not None and request.method in CHANGING:
                    await self.hold(request)
                return await inner.handle_async_request(request)

        self.client = TelnyxClient(base_url=BASE, transport=Recording())
        self.direct = httpx.AsyncClient(transport=inner, base_url=BASE)  # arranges the fleet, not recorded
        self.audit = RecordedAudit(audit_path)
        self.tokens = ConfirmationTokens(secret=b"plan-secret", clock=Clock())
        self.gate = Gate(self.client, policy=policy, audit=self.audit, tokens=self.tokens, read_only=read_only)
        self.server = create_server(self.client, gate=self.gate, tools_mode=tools_mode)

    def changes(self) -> list[httpx.Request]:
        return [r for r in self.sent if r.method in CHANGING]

    async def sims(self, **filters: Any) -> list[dict[str, Any]]:
        params = {"page[size]": 250, **{f"filter[{k}]": v for k, v in filters.items()}}
        return (await self.direct.get("/sim_cards", params=params)).json()["data"]

    async def group_of(self, count: int, name: str = "Plan group") -> tuple[str, list[dict[str, Any]]]:
        """A new group holding `count` enabled SIM cards."""
        group = (await self.direct.post("/sim_card_groups", json={"name": name})).json()["data"]
        enabled = [s for s in await self.sims(status="enabled")][:count]
        assert len(enabled) == count, f"the sandbox has only {len(enabled)} enabled SIMs"
        for sim in enabled:
            moved = await self.direct.patch(f"/sim_cards/{sim['id']}", json={"sim_card_group_id": group["id"]})
            assert moved.status_code == 200, moved.text
        return group["id"], enabled

    async def status(self, sim_id: str) -> str:
        return (await self.direct.get(f"/sim_cards/{sim_id}")).json()["data"]["status"]["value"]

    async def aclose(self) -> None:
        await self.client.aclose()
        await self.direct.aclose()


def asking(action: str, seen: list, *, before_answer=None, typed: str | None = None):
    async def callback(context, params: types.ElicitRequestParams) -> types.ElicitResult:
        seen.append(params)
        if before_answer is not None:
            await before_answer()
        if action != "accept":
            return types.ElicitResult(action=action)
        field = params.requested_schema["properties"]["confirm"]
        value: Any = True if field["type"] == "boolean" else (
            typed if typed is not None else field["description"].removeprefix("Type exactly: "))
        return types.ElicitResult(action="accept", content={"confirm": value})

    return callback
