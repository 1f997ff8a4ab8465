"""wait_for_action: polls until the action completes or fails, reports progress, and gives up at the timeout."""

from __future__ import annotations

import json

import httpx
import pytest
from mcp import Client

from telnyx_iot_mcp.sandbox import create_app
from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.server.gate import Gate
from telnyx_iot_mcp.tools.client import TelnyxClient

pytestmark = pytest.mark.anyio
ACTION_ID = "6a09cdc3-8948-47f0-aa62-74ac943d6c58"


class Ticking:
    """A sandbox clock that moves one second each time it is read."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def flipping_api(kind_path: str, bodies: list[dict]):
    """Answers each poll with the next body (the last one repeats) and counts the polls."""
    polls = []

    def handle(request: httpx.Request) -> httpx.Response:
        assert request.url.path == f"/v2/{kind_path}/{ACTION_ID}"
        polls.append(request)
        return httpx.Response(200, json={"data": bodies[min(len(polls), len(bodies)) - 1]})

    client = TelnyxClient(base_url="http://api/v2", transport=httpx.MockTransport(handle))
    return client, polls


async def call(client, arguments, mode="auto"):
    progress = []

    async def on_progress(value, total, message):
        progress.append((value, total, message))

    async with Client(create_server(client), mode=mode) as mcp:
        result = await mcp.call_tool("wait_for_action", arguments, progress_callback=on_progress)
    return result, progress


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_sim_card_action_polled_until_completed(mode):
    in_progress = {"id": ACTION_ID, "status": {"value": "in-progress"}}
    done = {"id": ACTION_ID, "status": {"value": "completed"}}
    client, polls = flipping_api("sim_card_actions", [in_progress, in_progress, in_progress, done])
    result, progress = await call(client, {"action_id": ACTION_ID, "kind": "sim_card", "interval_seconds": 0.1}, mode)
    meta = result.structured_content["meta"]
    assert not result.is_error
    assert len(polls) == 4 and meta["polls"] == 4 and meta["done"] is True and meta["status"] == "completed"
    assert result.structured_content["data"]["status"]["value"] == "completed"
    assert [p[0] for p in progress] == [1, 2, 3, 4] and "completed" in progress[-1][2]


async def test_bulk_action_reports_counts_as_progress():
    def summary(done, failed, running):
        return {"id": ACTION_ID, "sim_card_actions_summary": [
            {"status": "completed", "count": done}, {"status": "failed", "count": failed},
            {"status": "in-progress", "count": running}]}

    client, polls = flipping_api("bulk_sim_card_actions", [summary(0, 0, 4), summary(2, 0, 2), summary(3, 1, 0)])
    result, progress = await call(client, {"action_id": ACTION_ID, "kind": "bulk", "interval_seconds": 0.1})
    assert result.structured_content["meta"]["status"] == "failed" and len(polls) == 3
    assert [(p[0], p[1]) for p in progress] == [(0, 4), (2, 4), (4, 4)]


async def test_failed_group_action_ends_the_wait():
    client, polls = flipping_api("sim_card_group_actions", [{"id": ACTION_ID, "status": "failed"}])
    result, _ = await call(client, {"action_id": ACTION_ID, "kind": "group"})
    meta = result.structured_content["meta"]
    assert meta["done"] is True and meta["status"] == "failed" and len(polls) == 1


async def test_timeout_returns_what_was_seen_with_a_note():
    client, polls = flipping_api("sim_card_actions", [{"id": ACTION_ID, "status": {"value": "in-progress"}}])
    result, _ = await call(client, {"action_id": ACTION_ID, "kind": "sim_card", "timeout_seconds": 1,
                                    "interval_seconds": 0.3})
    meta = result.structured_content["meta"]
    assert not result.is_error and meta["timed_out"] is True and meta["done"] is False
    assert "wait_for_action again" in meta["note"] and len(polls) >= 2


@pytest.mark.parametrize("arguments, field", [
    ({"action_id": ACTION_ID}, "kind"),
    ({"action_id": ACTION_ID, "kind": "order"}, "kind"),
    ({"action_id": "../sim_cards", "kind": "bulk"}, "action_id"),
    ({"action_id": ACTION_ID, "kind": "bulk", "timeout_seconds": 3600}, "timeout_seconds"),
])
async def test_bad_arguments_name_the_field_and_send_nothing(arguments, field):
    client, polls = flipping_api("bulk_sim_card_actions", [{}])
    result, _ = await call(client, arguments)
    assert result.is_error and field in result.content[0].text and polls == []


async def test_upstream_failure_is_a_tool_error():
    client = TelnyxClient(base_url="http://api/v2", transport=httpx.MockTransport(
        lambda r: httpx.Response(404, json={"errors": [{"code": "10005", "title": "Resource not found"}]})))
    result, _ = await call(client, {"action_id": ACTION_ID, "kind": "sim_card"})
    assert result.is_error and "404" in result.content[0].text


async def test_waits_for_a_real_disable_in_the_sandbox():
    app = create_app(action_delay=3.0, clock=Ticking())
    client = TelnyxClient(base_url="http://sandbox/v2", transport=httpx.ASGITransport(app=app))
    async with Client(create_server(client, gate=Gate(client, policy="off"))) as mcp:
        sims = await mcp.call_tool("list_sim_cards", {"status": ["enabled"], "page_size": 1, "fields": ["id"]})
        sim_id = sims.structured_content["data"][0]["id"]
        disabled = await mcp.call_tool("disable_sim_card", {"sim_card_id": sim_id})
        action = disabled.structured_content["data"]
        assert action["status"]["value"] == "in-progress", json.dumps(action)
        waited = await mcp.call_tool("wait_for_action", {"action_id": action["id"], "kind": "sim_card",
                                                         "interval_seconds": 0.1, "timeout_seconds": 30})
        sim = await mcp.call_tool("get_sim_card", {"sim_card_id": sim_id})
    assert waited.structured_content["meta"]["status"] == "completed", waited.content[0].text
    assert waited.structured_content["meta"]["polls"] >= 2
    assert sim.structured_content["data"]["status"]["value"] == "disabled"
