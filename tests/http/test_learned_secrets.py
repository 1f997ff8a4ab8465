"""A migration source's credentials are masked as learned secrets: never from a call that was refused, only in
the account that sent them, as whole values or long runs, and never over what identifies a change in the audit
log. Once, an invalid create_migration_source made any 16 characters of text a secret of the whole process:
a later disable's sim_card_id read [REDACTED] in every audit line, and every tenant's results were masked."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from mcp import Client, types
from served_http import ServedMcp

from audit_lines import lines_of
from telnyx_iot_mcp.sandbox import create_app
from telnyx_iot_mcp.server.http import RequestKeyClient
from telnyx_iot_mcp.tools.redact import MASK

pytestmark = pytest.mark.anyio

KEY_A, KEY_B = "KEYtenantA91d0c3e5b7f2a4c6e8d", "KEYtenantB0e2f4a6c8d1b3e5f7a9"
CONSEQUENCE = "Disconnects a live device"  # what the question about a disable says it does


@pytest.fixture
def anyio_backend():
    return "asyncio"


def accept(asked: list[str]):
    async def callback(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        field = params.requested_schema["properties"]["confirm"]
        value = field["description"].removeprefix("Type exactly: ") if field["type"] == "string" else True
        return types.ElicitResult(action="accept", content={"confirm": value})

    return callback


async def enabled_sims(client: Client, count: int) -> list[str]:
    found = await client.call_tool("list_sim_cards", {"status": ["enabled"], "page_size": count})
    return [sim["id"] for sim in found.structured_content["data"]]


def served(tmp_path) -> ServedMcp:
    client = RequestKeyClient(default_api_key=None, base_url="http://sandbox/v2",
                              transport=httpx.ASGITransport(app=create_app()))
    return ServedMcp(client, allow_client_api_key=True, state_url="memory", audit_log=str(tmp_path / "audit.jsonl"))


def credentials_holding(sim: str) -> dict[str, str]:
    """Credentials made of a SIM card's id and the words of a disable's question, as a prompt injection might."""
    return {"access_key": f"AKIA{sim}", "secret_access_key": f"{CONSEQUENCE}. {sim} {CONSEQUENCE}"}


def intact(line: dict[str, Any]) -> bool:
    return MASK not in str(line)


async def test_credentials_of_a_refused_call_mask_nothing_after_it(tmp_path):
    asked: list[str] = []
    with served(tmp_path) as server:
        async with server.mcp_client({"X-Telnyx-Api-Key": KEY_A}, mode="legacy",
                                     elicitation_callback=accept(asked)) as a:
            sim = (await enabled_sims(a, 1))[0]
            too_long = {**credentials_holding(sim), "secret_access_key": f"{CONSEQUENCE} {sim}" * 8}
            refused = await a.call_tool("create_migration_source", {  # no such provider: refused, nothing sent
                "provider": "gcs", "bucket_name": "logs", "provider_auth": too_long})
            disabled = await a.call_tool("disable_sim_card", {"sim_card_id": sim})
            shown = await a.call_tool("get_sim_card", {"sim_card_id": sim})
    said = refused.content[0].text
    assert refused.is_error and "'gcs' is not one of" in said and "secret_access_key" in said
    assert f"{CONSEQUENCE} {sim}" not in said and MASK in said  # quoted back within its own call: masked
    assert not disabled.is_error, disabled.content[0].text
    assert len(asked) == 1 and CONSEQUENCE in asked[0]  # the question keeps its consequence sentence
    assert shown.structured_content["data"]["id"] == sim and MASK not in shown.content[0].text
    lines = [e for e in lines_of(tmp_path / "audit.jsonl") if e["tool"] == "disable_sim_card"]
    assert [e["event"] for e in lines] == ["ask", "send", "end"]
    assert all(intact(e) and e["arguments"] == {"sim_card_id": sim} for e in lines)


async def test_accepted_credentials_are_masked_for_their_account_only_and_never_in_what_identifies_a_change(tmp_path):
    asked: list[str] = []
    with served(tmp_path) as server:
        async with server.mcp_client({"X-Telnyx-Api-Key": KEY_A}, mode="legacy",
                                     elicitation_callback=accept(asked)) as a, \
                server.mcp_client({"X-Telnyx-Api-Key": KEY_B}, mode="legacy",
                                  elicitation_callback=accept(asked)) as b:
            sim, other = await enabled_sims(a, 2)
            auth = credentials_holding(sim)
            created = await a.call_tool("create_migration_source", {
                "provider": "aws", "bucket_name": "logs", "provider_auth": auth})
            a_disabled = await a.call_tool("disable_sim_card", {"sim_card_id": sim})
            b_shown = await b.call_tool("get_sim_card", {"sim_card_id": sim})  # another account
            b_disabled = await b.call_tool("disable_sim_card", {"sim_card_id": other})
            a_echo = await a.call_tool("update_sim_card", {"sim_card_id": other, "tags": [auth["secret_access_key"][:40]]})
    assert not created.is_error and not a_disabled.is_error and not b_disabled.is_error
    assert b_shown.structured_content["data"]["id"] == sim and MASK not in b_shown.content[0].text
    assert CONSEQUENCE in asked[1]  # B's question: nothing of A's credentials touches it
    # in A's own account the credentials are masked where they turn up: 40 characters of one, echoed in tags
    assert auth["secret_access_key"][:40] not in a_echo.content[0].text and MASK in a_echo.content[0].text
    lines = lines_of(tmp_path / "audit.jsonl")
    for line in lines:
        assert auth["secret_access_key"] not in str(line) and auth["access_key"] not in str(line)
    changes = [e for e in lines if e["tool"] == "disable_sim_card"]
    assert [e["event"] for e in changes] == ["ask", "send", "end"] * 2
    for e in changes:  # the tool, ids, account and call of every line stand as they were
        assert e["arguments"]["sim_card_id"] in (sim, other) and MASK not in str(
            {k: v for k, v in e.items() if k != "detail"})
    assert [e["arguments"]["sim_card_id"] for e in changes] == [sim] * 3 + [other] * 3
