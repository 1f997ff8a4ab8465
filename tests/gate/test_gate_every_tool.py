"""Every gated tool, in both protocol eras: accept, decline, cancel, tokens, strict policy.

The fake API records every HTTP request, so each test checks what reached Telnyx, not what the
server says it did.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from mcp import Client, types

from fake_api import GATED_SAMPLES, TYPED_SAMPLES
from gate_rig import ERAS, Rig, answering
from telnyx_iot_mcp.tools.registry import OPERATIONS

pytestmark = pytest.mark.anyio
GATED = sorted(name for name, op in OPERATIONS.items() if op.gated)


def changed(arguments: dict[str, Any]) -> dict[str, Any]:
    """The same call with its first argument altered to another valid value."""
    key, value = next(iter(arguments.items()))
    if isinstance(value, bool):
        new: Any = not value
    elif isinstance(value, int):
        new = value + 1
    elif isinstance(value, list):
        new = list(reversed(value))
    else:
        new = value[:-1] + str((int(value[-1]) + 1) % 10)
    assert new != value
    return {**arguments, key: new}


def tampered(token: str) -> str:
    """The token with its expiry pushed an hour later and the signature kept."""
    body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["e"] += 3600
    forged = base64.urlsafe_b64encode(json.dumps(claims, sort_keys=True, separators=(",", ":")).encode())
    return f"{forged.rstrip(b'=').decode()}.{signature}"


def sent_paths(rig: Rig, name: str) -> list[str]:
    return [r.path for r in rig.api.gated() if r.op.name == name]


@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize("name", GATED)
async def test_accept_sends_once_after_the_user_says_yes(mode, name):
    rig, seen = Rig(), []
    async with Client(rig.server, mode=mode, elicitation_callback=answering("accept", seen, api=rig.api)) as client:
        result = await client.call_tool(name, GATED_SAMPLES[name])
    assert not result.is_error, result.content[0].text
    assert len(seen) == 1 and seen[0][1] == 0  # asked once, before anything changing was sent
    assert seen[0][0].message.startswith(OPERATIONS[name].title + ":")
    assert len(rig.api.gated()) == 1 and rig.api.gated()[0].op.name == name
    assert [e["confirmation"] for e in rig.audit.entries if e["outcome"] == "ok"] == ["elicitation"]


@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize("action", ["decline", "cancel"])
@pytest.mark.parametrize("name", GATED)
async def test_decline_and_cancel_send_nothing_and_say_so(mode, action, name):
    rig, seen = Rig(), []
    async with Client(rig.server, mode=mode, elicitation_callback=answering(action, seen)) as client:
        result = await client.call_tool(name, GATED_SAMPLES[name])
    assert result.is_error and len(seen) == 1
    assert "Nothing was sent" in result.content[0].text
    assert result.structured_content["error"]["kind"] == {"decline": "declined", "cancel": "cancelled"}[action]
    assert rig.api.changes() == []
    assert rig.audit.entries[-1]["outcome"] == {"decline": "declined", "cancel": "cancelled"}[action]


@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize("name", GATED)
async def test_without_elicitation_a_token_confirms_exactly_one_call(mode, name):
    rig, args = Rig(), GATED_SAMPLES[name]
    async with Client(rig.server, mode=mode) as client:  # no callback: the client declares no elicitation
        first = await client.call_tool(name, args)
        # a question for the user, not a failure: hosts show an error result as a failed call
        assert not first.is_error and set(first.structured_content) == {"confirmation_required"}
        token = first.structured_content["confirmation_required"]["confirmation_token"]
        # the answer says how to use the token: the argument's schema leaves that to it
        assert f'{name} again with the same arguments plus confirmation_token="{token}"' in first.content[0].text
        assert "Nothing was sent" in first.content[0].text
        assert rig.api.changes() == []

        refusals = [
            await client.call_tool(name, {**args, "confirmation_token": tampered(token)}),
            await client.call_tool(name, {**args, "confirmation_token": token[:-2] + ("AA" if token[-2:] != "AA" else "BB")}),
            await client.call_tool(name, {**changed(args), "confirmation_token": token}),
        ]
        assert rig.api.changes() == []

        ok = await client.call_tool(name, {**args, "confirmation_token": token})
        assert not ok.is_error, ok.content[0].text
        assert len(sent_paths(rig, name)) == 1

        refusals.append(await client.call_tool(name, {**args, "confirmation_token": token}))  # replay

        second = await client.call_tool(name, args)
        rig.clock.now += rig.tokens.ttl_seconds + 1
        refusals.append(await client.call_tool(name, {**args, "confirmation_token":
                                                      second.structured_content["confirmation_required"]["confirmation_token"]}))
    for refused in refusals:
        assert refused.is_error and refused.structured_content["error"]["kind"] == "confirmation_refused"
        assert "Nothing was sent" in refused.content[0].text
    reasons = [r.content[0].text for r in refusals]
    assert "signature" in reasons[0] and "signature" in reasons[1]
    assert "different tool or different arguments" in reasons[2]
    assert "already used" in reasons[3] and "expired" in reasons[4]
    assert len(rig.api.gated()) == 1  # only the confirmed call ever reached the API
    assert [e["confirmation"] for e in rig.audit.entries if e["outcome"] == "ok"] == ["token"]


@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize("name", GATED)
async def test_strict_policy_refuses_when_the_client_cannot_ask(mode, name):
    rig = Rig(policy="elicit-only")
    other = Rig()  # a token from a server that would accept it, presented to the strict one
    async with Client(other.server, mode=mode) as client:
        token = (await client.call_tool(name, GATED_SAMPLES[name])).structured_content["confirmation_required"]["confirmation_token"]
    async with Client(rig.server, mode=mode) as client:
        for args in (GATED_SAMPLES[name], {**GATED_SAMPLES[name], "confirmation_token": token}):
            result = await client.call_tool(name, args)
            assert result.is_error and result.structured_content["error"]["kind"] == "confirmation_unavailable"
            assert "Nothing was sent" in result.content[0].text
    assert rig.api.requests == []
    assert rig.audit.entries[-1]["outcome"] == "refused"


@pytest.mark.parametrize("mode", ERAS)
@pytest.mark.parametrize("name", sorted(TYPED_SAMPLES))
async def test_most_dangerous_calls_need_the_typed_name_or_digits(mode, name):
    args, expected = TYPED_SAMPLES[name]
    rig, seen = Rig(), []
    async with Client(rig.server, mode=mode, elicitation_callback=answering("accept", seen, typed="nope")) as client:
        wrong = await client.call_tool(name, args)
    assert wrong.is_error and wrong.structured_content["error"]["kind"] == "confirmation_mismatch"
    assert rig.api.changes() == []
    field = seen[0][0].requested_schema["properties"]["confirm"]
    assert field["type"] == "string" and expected in field["description"]

    async with Client(rig.server, mode=mode, elicitation_callback=answering("accept", seen, typed=f" {expected} ")) as client:
        right = await client.call_tool(name, args)
    assert not right.is_error, right.content[0].text
    assert len(sent_paths(rig, name)) == 1

    async def just_yes(context, params):
        return types.ElicitResult(action="accept", content={"confirm": True})

    async with Client(rig.server, mode=mode, elicitation_callback=just_yes) as client:
        ticked = await client.call_tool(name, args)  # a plain "yes" does not do for these
    assert ticked.is_error and len(sent_paths(rig, name)) == 1


@pytest.mark.parametrize("mode", ERAS)
async def test_an_unticked_accept_is_a_no(mode):
    rig, seen = Rig(), []
    async with Client(rig.server, mode=mode, elicitation_callback=answering("accept", seen, tick=False)) as client:
        result = await client.call_tool("disable_sim_card", GATED_SAMPLES["disable_sim_card"])
    assert result.is_error and rig.api.changes() == []
