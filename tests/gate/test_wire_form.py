"""tools/call answers reach the client exactly as the SDK's own serialization would send them, in both protocol
eras, whether plain (serialized once, on the way out) or not (a card, a question: the SDK's whole way)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from mcp import Client
from mcp.client import advertise

from fake_api import FakeApi, SIM_ID
from telnyx_iot_mcp.server import wire
from telnyx_iot_mcp.server.apps import EXTENSION_ID
from telnyx_iot_mcp.server.app import create_server

pytestmark = pytest.mark.anyio

CALLS: list[tuple[str, dict[str, Any]]] = [
    ("get_sim_card", {"sim_card_id": SIM_ID}),  # plain
    ("list_sim_cards", {"page_size": 5, "fields": ["id", "status.value"]}),
    ("get_sim_card", {"sim_card_id": "not-a-uuid"}),  # a tool error
    ("no_such_tool", {}),
    ("delete_sim_card", {"sim_card_id": SIM_ID}),  # the user is asked, or a confirmation comes back
    ("show_fleet_dashboard", {}),  # an MCP App's card, where the client draws them
]
APPS = [advertise(EXTENSION_ID, {"mimeTypes": ["text/html;profile=mcp-app"]})]


async def answers(server, mode: str, extensions: list[Any]) -> list[dict[str, Any]]:
    """Each call's answer as the client read it; confirmation tokens and their expiry (new on every call) masked."""
    async with Client(server, mode=mode, extensions=extensions) as session:
        read = [(await session.call_tool(name, arguments)).model_dump(by_alias=True, exclude_none=True)
                for name, arguments in CALLS]
    masked = re.sub(r'"expires_at": "[^"]+"', '"expires_at": "T"', re.sub(r"eyJ[\w.=-]+", "TOKEN", json.dumps(read)))
    return json.loads(masked)


@pytest.mark.parametrize("extensions", [[], APPS], ids=["text", "apps"])
@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_answers_are_those_of_the_sdks_serialization(mode, extensions, monkeypatch):
    api = FakeApi()
    plain: list[bool] = []
    is_plain = wire.is_plain
    monkeypatch.setattr(wire, "is_plain", lambda result: plain.append(is_plain(result)) or plain[-1])
    fast = await answers(create_server(api.client()), mode, extensions)
    taken = list(plain)

    sdk_only = create_server(api.client())
    sdk_only.middleware.remove(wire.in_wire_form)  # nothing held: every result takes the SDK's whole way
    plain.clear()
    assert fast == await answers(sdk_only, mode, extensions)
    assert not plain  # the second server never took the short way
    assert taken.count(True) >= 4  # the first took it for plain answers
    assert (False in taken) == bool(extensions)  # and only for those: a card has _meta
    assert fast[0]["structuredContent"]["data"]["id"] == SIM_ID and fast[2]["isError"]


def test_spans_per_message_only_where_a_tracer_provider_records_them(monkeypatch):
    from opentelemetry import trace

    assert create_server(FakeApi().client()).middleware == [wire.in_wire_form]
    monkeypatch.setattr(trace, "get_tracer_provider", trace.NoOpTracerProvider)  # as opentelemetry-instrument sets one
    traced = create_server(FakeApi().client()).middleware
    assert len(traced) == 2 and type(traced[0]).__name__ == "OpenTelemetryMiddleware" and traced[1] is wire.in_wire_form
