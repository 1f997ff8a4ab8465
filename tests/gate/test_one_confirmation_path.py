"""One path to a yes: whatever makes a call need a person (its class, an effect rule, a change plan, a secret
it would reveal), each kind of host gets the same treatment, in both protocol eras. An Apps host that cannot
elicit gets the confirmation card and nothing the model could confirm with; a host that elicits is asked; a
bare host gets a token. The fake API records every HTTP request: nothing the yes is about reaches it before."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from mcp import Client, types

from fake_api import FakeApi, SIM_ID
from gate_rig import ERAS, Rig
from telnyx_iot_mcp.server.apps import CONFIRM_TOOL, CONFIRMATION_META
from telnyx_iot_mcp.tools.schema import CONFIRMATION_TOKEN
from test_gate_apps import APPS, answered

pytestmark = pytest.mark.anyio


def changes(api: FakeApi) -> list:
    return api.changes()


def reveals(api: FakeApi) -> list:
    return [r for r in api.requests if "include_pin_puk_codes=true" in r.query]


# subject -> (tool, arguments, the requests the yes is about, the one request expected after it)
SUBJECTS: dict[str, tuple[str, dict[str, Any], Callable[[FakeApi], list], str]] = {
    "class-gated": ("disable_sim_card", {"sim_card_id": SIM_ID}, changes, "disable_sim_card"),
    "effect-raised": ("update_sim_card", {"sim_card_id": SIM_ID, "data_limit": {"amount": "1", "unit": "MB"}},
                      changes, "update_sim_card"),
    "plan": ("apply_to_sim_cards", {"operation": "set_sim_card_standby", "sim_card_ids": [SIM_ID]},
             changes, "set_sim_card_standby"),
    "reveal": ("get_sim_card", {"sim_card_id": SIM_ID, "include_pin_puk_codes": True}, reveals, "get_sim_card"),
}


def model_facing(result: types.CallToolResult) -> str:
    return json.dumps([c.model_dump(mode="json") for c in result.content]) + json.dumps(result.structured_content)


@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize("subject", sorted(SUBJECTS))
async def test_an_apps_host_that_cannot_elicit_gets_the_card_and_no_token(mode, subject):
    name, arguments, sent, operation = SUBJECTS[subject]
    rig = Rig()
    async with Client(rig.server, mode=mode, extensions=APPS) as session:
        listed = {t.name: t for t in (await session.list_tools()).tools}
        shown = await session.call_tool(name, arguments)
        assert not shown.is_error, shown.content
        card = shown.meta[CONFIRMATION_META]
        assert sent(rig.api) == [], "sent before the yes"
        # The model reads no token, is told to wait, and a token it made up or copied is no yes.
        facing = model_facing(shown)
        assert card["token"] not in facing and CONFIRMATION_TOKEN not in facing
        assert "Waiting for the user" in shown.content[0].text
        misuse = await session.call_tool(name, {**arguments, CONFIRMATION_TOKEN: card["token"]})
        assert CONFIRMATION_META in (misuse.meta or {}) and sent(rig.api) == []
        done = await session.call_tool(CONFIRM_TOOL, answered(card))
        again = await session.call_tool(CONFIRM_TOOL, answered(card))
    assert listed[name].meta["ui"]["resourceUri"]  # the host draws the card on this tool's results
    assert card["operation"] == name and card["arguments"] == arguments
    assert not done.is_error, done.content
    assert [r.op.name for r in sent(rig.api)] == [operation]
    assert again.is_error and "already used" in again.content[0].text and len(sent(rig.api)) == 1
    assert "app-card" in [e["confirmation"] for e in rig.audit.entries if e["outcome"] == "ok"]


@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize("subject", sorted(SUBJECTS))
async def test_the_card_asks_the_question_an_elicitation_would(mode, subject):
    """The card carries the very form request an elicitation sends: the two cannot drift apart."""
    name, arguments, sent, _ = SUBJECTS[subject]
    asked: list[types.ElicitRequestParams] = []

    async def decline(context, params):
        asked.append(params)
        return types.ElicitResult(action="decline")

    rig = Rig()
    async with Client(rig.server, mode=mode, extensions=APPS) as session:
        card = (await session.call_tool(name, arguments)).meta[CONFIRMATION_META]
    async with Client(rig.server, mode=mode, elicitation_callback=decline) as session:
        await session.call_tool(name, arguments)
    elicited = asked[0].model_dump(mode="json", by_alias=True, exclude_none=True)
    assert card["elicitation"] == elicited
    assert sent(rig.api) == []


@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize("subject", sorted(SUBJECTS))
async def test_an_elicitation_host_is_asked_and_nothing_is_sent_before_the_yes(mode, subject):
    name, arguments, sent, operation = SUBJECTS[subject]
    rig = Rig()
    asked: list[int] = []

    async def yes(context, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(len(sent(rig.api)))
        field = params.requested_schema["properties"]["confirm"]
        value = True if field["type"] == "boolean" else field["description"].removeprefix("Type exactly: ")
        return types.ElicitResult(action="accept", content={"confirm": value})

    async with Client(rig.server, mode=mode, extensions=APPS, elicitation_callback=yes) as session:
        result = await session.call_tool(name, arguments)
    assert not result.is_error, result.content
    assert CONFIRMATION_META not in (result.meta or {})
    assert asked == [0]
    assert [r.op.name for r in sent(rig.api)] == [operation]


@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize("subject", sorted(SUBJECTS))
async def test_a_bare_host_gets_a_token_and_only_the_token_runs_it(mode, subject):
    name, arguments, sent, operation = SUBJECTS[subject]
    rig = Rig()
    async with Client(rig.server, mode=mode) as session:
        asked = await session.call_tool(name, arguments)
        assert sent(rig.api) == []
        token = asked.structured_content["confirmation_required"]["confirmation_token"]
        done = await session.call_tool(name, {**arguments, CONFIRMATION_TOKEN: token})
    assert CONFIRMATION_META not in (asked.meta or {})
    assert not done.is_error, done.content
    assert [r.op.name for r in sent(rig.api)] == [operation]
