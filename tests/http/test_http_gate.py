"""The confirmation gate over real HTTP: the user is asked through the client's elicitation callback."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client, types
from served_http import ServedMcp

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


def answering(action: str, asked: list[str]):
    async def callback(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        if action != "accept":
            return types.ElicitResult(action=action)
        field = params.requested_schema["properties"]["confirm"]
        value = field["description"].removeprefix("Type exactly: ") if field["type"] == "string" else True
        return types.ElicitResult(action="accept", content={"confirm": value})

    return callback


async def enabled_sim(client: Client) -> str:
    result = await client.call_tool("list_sim_cards", {"status": ["enabled"], "page_size": 1})
    return result.structured_content["data"][0]["id"]


async def status_of(client: Client, sim_id: str) -> str:
    return (await client.call_tool("get_sim_card", {"sim_card_id": sim_id})).structured_content["data"]["status"]["value"]


@pytest.mark.parametrize(("mode", "stateless"), [("auto", False), ("legacy", False), ("auto", True)])
async def test_gated_call_runs_after_the_user_accepts(mode, stateless):
    asked: list[str] = []
    with ServedMcp(stateless=stateless) as served:
        async with Client(served.url, mode=mode, elicitation_callback=answering("accept", asked)) as client:
            sim_id = await enabled_sim(client)
            result = await client.call_tool("disable_sim_card", {"sim_card_id": sim_id})
            assert not result.is_error, result.content[0].text
            assert await status_of(client, sim_id) != "enabled"
    assert len(asked) == 1


async def test_stateless_handshake_era_falls_back_to_a_confirmation_token():
    """Without sessions a 2025-11-25 server never learns that the client can elicit: the gate hands out a
    single-use token instead, and the repeated call with it runs (on whichever request it lands)."""
    asked: list[str] = []
    with ServedMcp(stateless=True) as served:
        async with Client(served.url, mode="legacy", elicitation_callback=answering("accept", asked)) as client:
            sim_id = await enabled_sim(client)
            first = await client.call_tool("disable_sim_card", {"sim_card_id": sim_id})
            # a question for the user, not a failed call (hosts render an error result as a failure)
            assert not first.is_error and await status_of(client, sim_id) == "enabled"
            token = first.structured_content["confirmation_required"]["confirmation_token"]
            second = await client.call_tool("disable_sim_card", {"sim_card_id": sim_id, "confirmation_token": token})
            assert not second.is_error, second.content[0].text
            assert await status_of(client, sim_id) != "enabled"
    assert asked == []


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_gated_call_sends_nothing_when_the_user_declines(mode):
    asked: list[str] = []
    with ServedMcp() as served:
        async with Client(served.url, mode=mode, elicitation_callback=answering("decline", asked)) as client:
            sim_id = await enabled_sim(client)
            result = await client.call_tool("disable_sim_card", {"sim_card_id": sim_id})
            assert await status_of(client, sim_id) == "enabled"
    assert len(asked) == 1
    assert result.is_error
