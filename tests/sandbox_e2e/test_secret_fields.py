"""Secrets in the API's answers, through a real MCP client on the sandbox, in both protocol eras.

PIN/PUK codes and eSIM activation codes are shown only after a person says yes (checked at the HTTP level:
nothing asking for them is sent before), and every reveal is audited without the secret. Migration-source
credentials never reach the client: not from a read, a list, a create, nor an error that quotes them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client, types

from audit_lines import lines_of
from recorded import Recorded
from telnyx_iot_mcp.sandbox import create_app
from telnyx_iot_mcp.sandbox.fleet import TELNYX_SOURCE_KEY
from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.server.audit import AuditLog
from telnyx_iot_mcp.server.confirm_token import ConfirmationTokens
from telnyx_iot_mcp.server.gate import Gate
from telnyx_iot_mcp.tools.client import TelnyxClient

pytestmark = pytest.mark.anyio
ERAS = ["auto", "legacy"]  # auto: 2026-07-28 (InputRequiredResult); legacy: 2025-11-25 (elicitation mid-call)


class Rig:
    def __init__(self, tmp_path: Path) -> None:
        self.app = create_app(seed=7, sim_count=24, action_delay=0)
        self.store = self.app.state.sandbox.store
        self.http = Recorded(self.app)
        self.audit_path = tmp_path / "audit.jsonl"
        self.client = TelnyxClient(base_url="http://sandbox/v2", transport=self.http)
        self.gate = Gate(self.client, tokens=ConfirmationTokens(secret=b"k" * 32, ttl_seconds=300),
                         audit=AuditLog(str(self.audit_path)))
        self.server = create_server(self.client, gate=self.gate)
        self.asked: list[str] = []

    def answering(self, action: str):
        async def callback(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
            self.asked.append(params.message)
            if action != "accept":
                return types.ElicitResult(action=action)
            return types.ElicitResult(action="accept", content={"confirm": True})
        return callback

    def sim(self, sim_type: str) -> dict[str, Any]:
        return next(s for s in self.store.all("sim_cards") if s["type"] == sim_type and s["status"]["value"] == "enabled")

    def lines(self) -> list[dict[str, Any]]:
        return lines_of(self.audit_path)


@pytest.fixture
async def rig(tmp_path):
    made = Rig(tmp_path)
    yield made
    await made.client.aclose()


def everything_said(result: types.CallToolResult) -> str:
    return json.dumps([c.model_dump() for c in result.content]) + json.dumps(result.structured_content)


@pytest.mark.parametrize("mode", ERAS)
async def test_pin_and_puk_codes_are_asked_for_and_a_no_sends_nothing(rig, mode):
    sim = rig.sim("physical")
    async with Client(rig.server, mode=mode, elicitation_callback=rig.answering("decline")) as c:
        result = await c.call_tool("get_sim_card", {"sim_card_id": sim["id"], "include_pin_puk_codes": True})
    assert result.is_error and "declined" in result.content[0].text
    assert not any("include_pin_puk_codes" in url for url in rig.http.urls()), rig.http.urls()
    said = everything_said(result)
    assert all(code not in said for code in sim["_pin_puk"].values() if len(code) == 8)
    [question] = rig.asked
    assert "PIN and PUK codes" in question and f"{sim['iccid'][:4]}...{sim['iccid'][-4:]}" in question
    [end] = [line for line in rig.lines() if line["event"] == "end" and line["outcome"] != "awaiting_confirmation"]
    assert (end["tool"], end["outcome"], end["reveals"]) == ("get_sim_card", "declined", ["PIN and PUK codes"])


@pytest.mark.parametrize("mode", ERAS)
async def test_pin_and_puk_codes_shown_after_a_yes_and_audited_without_them(rig, mode):
    sim = rig.sim("physical")
    async with Client(rig.server, mode=mode, elicitation_callback=rig.answering("accept")) as c:
        plain = await c.call_tool("get_sim_card", {"sim_card_id": sim["id"]})
        result = await c.call_tool("get_sim_card", {"sim_card_id": sim["id"], "include_pin_puk_codes": True})
    assert len(rig.asked) == 1  # the plain read was not asked about
    assert "pin_puk_codes" not in plain.structured_content["data"]
    assert not result.is_error and result.structured_content["data"]["pin_puk_codes"] == sim["_pin_puk"]
    assert sum("include_pin_puk_codes=true" in url for url in rig.http.urls()) == 1
    lines = rig.lines()
    [end] = [line for line in lines if line["event"] == "end" and line["outcome"] == "ok" and "reveals" in line]
    [read] = [line for line in lines if "reveals" not in line]  # the plain read: its one line, revealing nothing
    assert (read["kind"], read["confirmation"], read["outcome"]) == ("read", "not-needed", "ok")
    assert end["tool"] == "get_sim_card" and end["kind"] == "read" and end["reveals"] == ["PIN and PUK codes"]
    assert end["confirmation"] == "elicitation" and end["arguments"]["sim_card_id"] == sim["id"]
    written = rig.audit_path.read_text()
    assert all(code not in written for code in (sim["_pin_puk"]["puk1"], sim["_pin_puk"]["puk2"]))


async def test_pin_and_puk_codes_by_confirmation_token_when_the_client_cannot_ask(rig):
    sim = rig.sim("physical")
    arguments = {"sim_card_id": sim["id"], "include_pin_puk_codes": True}
    async with Client(rig.server) as c:  # no elicitation: the preview and a token come back
        first = await c.call_tool("get_sim_card", arguments)
        assert not any("include_pin_puk_codes" in url for url in rig.http.urls())
        asked = first.structured_content["confirmation_required"]
        assert "PIN and PUK codes" in asked["preview"] and "pin_puk_codes" not in everything_said(first)
        result = await c.call_tool("get_sim_card", {**arguments, "confirmation_token": asked["confirmation_token"]})
        again = await c.call_tool("get_sim_card", {**arguments, "confirmation_token": asked["confirmation_token"]})
    assert result.structured_content["data"]["pin_puk_codes"] == sim["_pin_puk"]
    assert again.is_error and "pin_puk_codes" not in everything_said(again)  # the token was spent
    [end] = [line for line in rig.lines() if line["event"] == "end" and line["outcome"] == "ok" and "reveals" in line]
    assert end["confirmation"] == "token" and end["reveals"] == ["PIN and PUK codes"]


@pytest.mark.parametrize("mode", ERAS)
async def test_an_esim_activation_code_is_asked_for_first(rig, mode):
    esim = rig.sim("esim")
    async with Client(rig.server, mode=mode, elicitation_callback=rig.answering("decline")) as c:
        declined = await c.call_tool("get_sim_card_activation_code", {"sim_card_id": esim["id"]})
    assert declined.is_error and esim["_activation_code"] not in everything_said(declined)
    assert not any(url.endswith("/activation_code") for url in rig.http.urls())
    async with Client(rig.server, mode=mode, elicitation_callback=rig.answering("accept")) as c:
        shown = await c.call_tool("get_sim_card_activation_code", {"sim_card_id": esim["id"]})
    assert shown.structured_content["data"]["activation_code"] == esim["_activation_code"]
    assert all("activation code" in q for q in rig.asked) and len(rig.asked) == 2
    ends = [line for line in rig.lines() if line["event"] == "end" and line["outcome"] != "awaiting_confirmation"]
    assert [(e["outcome"], e["reveals"]) for e in ends] == [("declined", ["eSIM activation code"]),
                                                           ("ok", ["eSIM activation code"])]
    assert esim["_activation_code"] not in rig.audit_path.read_text()


@pytest.mark.parametrize("mode", ERAS)
async def test_migration_source_credentials_never_reach_the_client(rig, mode):
    aws_secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYNEWSOURCE1"
    wrong_key = "KEY0195NOTTHERIGHTKEY3A5D4E8B_q7WzXn4Rt"
    async with Client(rig.server, mode=mode, elicitation_callback=rig.answering("accept")) as c:
        listed = await c.call_tool("list_migration_sources", {})
        sources = listed.structured_content["data"]
        telnyx = next(s for s in sources if s["provider"] == "telnyx")
        got = await c.call_tool("get_migration_source", {"migration_source_id": telnyx["id"]})
        created = await c.call_tool("create_migration_source", {
            "provider": "aws", "bucket_name": "logs", "source_region": "us-east-1",
            "provider_auth": {"access_key": "AKIANEWSOURCEEXAMPLE", "secret_access_key": aws_secret}})
        refused = await c.call_tool("create_migration_source", {
            "provider": "telnyx", "bucket_name": "logs",
            "provider_auth": {"access_key": wrong_key, "secret_access_key": TELNYX_SOURCE_KEY}})
        deleted = await c.call_tool("delete_migration_source",
                                    {"migration_source_id": created.structured_content["data"]["id"]})
    assert refused.is_error and "does not match" in refused.content[0].text  # the API's error, its key masked
    assert not deleted.is_error
    answers = [listed, got, created, refused, deleted]
    said = "".join(map(everything_said, answers)) + "".join(rig.asked) + rig.audit_path.read_text()
    for secret in (TELNYX_SOURCE_KEY, "AKIASANDBOXEXAMPLE7Q", "AKIANEWSOURCEEXAMPLE", aws_secret, wrong_key):
        assert secret not in said and secret[4:20] not in said
    assert all("provider_auth" not in s for s in sources) and len(sources) == 2
    # the credentials did reach the sandbox: the server kept them from its answers, it did not drop them
    assert any(aws_secret in (r.content or b"").decode() for r in rig.http.sent)


async def test_codes_an_upstream_sends_unasked_for_are_removed():
    """Fail closed: PIN/PUK codes in an answer nobody asked them for (a list, a plain read, an update) are dropped."""
    sim = {"id": "6a09cdc3-8948-47f0-aa62-74ac943d6c58", "record_type": "sim_card", "iccid": "89310410106543789301",
           "status": {"value": "enabled"}, "pin_puk_codes": {"pin1": "1234", "pin2": "5678",
                                                            "puk1": "24681357", "puk2": "97531864"}}

    def answer(request: httpx.Request) -> httpx.Response:
        data = [sim] if request.url.path.endswith("/sim_cards") else sim
        meta = {"page_number": 1, "page_size": 20, "total_pages": 1, "total_results": 1}
        return httpx.Response(200, json={"data": data, **({"meta": meta} if isinstance(data, list) else {})})

    client = TelnyxClient(base_url="http://upstream.test/v2", transport=httpx.MockTransport(answer))
    async with Client(create_server(client)) as c:
        results = [await c.call_tool("list_sim_cards", {}),
                   await c.call_tool("get_sim_card", {"sim_card_id": sim["id"]}),
                   await c.call_tool("update_sim_card", {"sim_card_id": sim["id"], "tags": ["a"]})]
    await client.aclose()
    for result in results:
        assert not result.is_error, result.content[0].text
        said = everything_said(result)
        assert "pin_puk_codes" not in said and "24681357" not in said and sim["iccid"] in said
