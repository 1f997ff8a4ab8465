"""Property: over any sequence of calls, no destructive or billable request reaches the API unless that
exact call was confirmed (an accepted elicitation, or an unused, unexpired token issued for it). Calls that
ask because of an effect rule, and change plans (one confirmation for several SIMs), are held to the same."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import anyio
from hypothesis import given, settings
from hypothesis import strategies as st
from mcp import Client

from fake_api import GATED_SAMPLES, OTHER_ID, SIM_ID
from gate_rig import ERAS, Rig, answering
from test_gate_every_tool import changed, tampered
from telnyx_iot_mcp.tools.registry import OPERATIONS

UNGATED = {"update_sim_card": {"sim_card_id": SIM_ID, "tags": ["a"]}, "get_sim_card": {"sim_card_id": SIM_ID}}
# Calls that must be confirmed: key -> (tool, arguments, the operation that reaches the API, requests per yes)
ASKING: dict[str, tuple[str, dict[str, Any], str, int]] = {
    **{name: (name, arguments, name, 1) for name, arguments in GATED_SAMPLES.items()},
    "update_sim_card: limit below use": ("update_sim_card", {  # the fake SIM is enabled and used 1.2 GB
        "sim_card_id": SIM_ID, "data_limit": {"amount": "1", "unit": "MB"}}, "update_sim_card", 1),
    "plan: disable two SIMs": ("apply_to_sim_cards", {
        "sim_card_ids": [SIM_ID, OTHER_ID], "operation": "disable_sim_card"}, "disable_sim_card", 2),
}
TOOLS = sorted(ASKING) + sorted(UNGATED)


@dataclass
class Issued:
    token: str
    tool: str
    arguments: dict[str, Any]
    used: bool = False
    expired: bool = False


@st.composite
def steps(draw) -> list[tuple]:
    """A few tools per sequence, so tokens get reused, replayed and mixed up often."""
    pool = draw(st.lists(st.sampled_from(TOOLS), min_size=1, max_size=3, unique=True))
    call = st.tuples(
        st.just("call"),
        st.sampled_from(pool),
        st.sampled_from([False, False, False, True]),  # changed arguments
        st.sampled_from(["accept", "decline", "cancel"] + ["cannot-ask"] * 6),
        st.sampled_from([None, 0, 0, 1, 2]),  # which issued token to send (0: the latest), if any
        st.sampled_from([False, False, False, True]),  # tamper with it
    )
    return draw(st.lists(st.one_of(call, call, call, st.just(("wait",))), max_size=10))


async def run(era: str, sequence: list[tuple]) -> None:
    rig = Rig()
    answer = {"action": "accept"}
    issued: list[Issued] = []

    async def callback(context, params):
        return await answering(answer["action"], [])(context, params)

    async with Client(rig.server, mode=era, elicitation_callback=callback) as asking, \
            Client(rig.server, mode=era) as plain:
        for step in sequence:
            if step[0] == "wait":
                rig.clock.now += rig.tokens.ttl_seconds + 1
                for item in issued:
                    item.expired = True
                continue
            _, key, alter, action, pick, tamper = step
            tool, arguments, sent_op, per_yes = ASKING.get(key) or (key, UNGATED[key], key, 0)
            arguments = dict(arguments)
            if alter and key in ASKING:
                arguments = changed(arguments)
            chosen = issued[-1 - pick % len(issued)] if pick is not None and issued and key in ASKING else None
            if chosen:
                arguments["confirmation_token"] = tampered(chosen.token) if tamper else chosen.token
            answer["action"] = action if action != "cannot-ask" else "accept"
            before = len(rig.api.requests)

            result = await (plain if action == "cannot-ask" else asking).call_tool(tool, arguments)

            reached = [r for r in rig.api.requests[before:] if r.op is None or not r.op.read_only]
            plain_args = {k: v for k, v in arguments.items() if k != "confirmation_token"}
            if key not in ASKING:
                continue  # free calls run unasked; they are here to be mixed with the others
            if action != "cannot-ask":
                expected = per_yes if action == "accept" else 0
            else:
                valid = (chosen is not None and not tamper and not chosen.used and not chosen.expired
                         and chosen.tool == tool and chosen.arguments == plain_args)
                expected = per_yes if valid else 0
                if valid:
                    chosen.used = True
                asked = (result.structured_content or {}).get("confirmation_required")
                if asked:
                    assert not result.is_error  # the user is being asked: not a failed call
                    issued.append(Issued(asked["confirmation_token"], tool, plain_args))
            assert len(reached) == expected, (step, result.content[0].text)
            assert all(r.op.name == sent_op for r in reached)


@settings(max_examples=40, deadline=None)
@given(era=st.sampled_from(ERAS), sequence=steps())
def test_nothing_destructive_or_billable_reaches_the_api_unconfirmed(era, sequence):
    anyio.run(run, era, sequence)
