"""A session belongs to the caller that opened it: over HTTP with sessions, a request on it that carries another
access token or Telnyx key is refused (an elicitation answer included), and no log line holds a session id."""

from __future__ import annotations

import logging

import anyio
import httpx
import httpx2
import pytest
from mcp import Client, types
from mcp.client.streamable_http import streamable_http_client
from served_http import MCP_HEADERS, TOKEN, ServedMcp

from audit_lines import lines_of
from telnyx_iot_mcp.sandbox import create_app
from telnyx_iot_mcp.server.http import BearerTokenAuth, RequestKeyClient, _header
from telnyx_iot_mcp.server.sessions import hide_session_ids

pytestmark = pytest.mark.anyio

SIM = "8a6a63ec-24ed-46a4-ab4c-b2424a23d596"  # a sandbox SIM card, enabled
KEY_A, KEY_B = "KEYtenantA7f3e91c0b2d4a6e8f1", "KEYtenantB2c8d04e6f1a3b5c7d9"


@pytest.fixture
def anyio_backend():
    return "asyncio"


def recording_client(sent: list[tuple[str, str, str | None]]) -> RequestKeyClient:
    async def record(request):
        sent.append((request.method, request.url.path, request.headers.get("authorization")))

    client = RequestKeyClient(default_api_key=None, base_url="http://sandbox/v2",
                              transport=httpx.ASGITransport(app=create_app()))
    client._http.event_hooks["request"].append(record)
    return client


def session_keeping(headers: dict[str, str], sessions: list[str]) -> httpx2.AsyncClient:
    """An HTTP client for MCP that notes the session id the server gives it."""
    async def note(response: httpx2.Response) -> None:
        if response.headers.get("mcp-session-id"):
            sessions.append(response.headers["mcp-session-id"])

    return httpx2.AsyncClient(headers=headers, timeout=30, event_hooks={"response": [note]})


@pytest.mark.parametrize("other", ["key", "token"])
async def test_an_answer_posted_on_another_callers_session_is_refused(other, tmp_path, monkeypatch):
    """Tenant A is asked about a disable. B, who holds the shared access token and A's session id (from a log),
    posts a yes on A's session with its own key while A's person is still deciding: refused; A's person
    declines; nothing is sent. The same with A's key but another access token (a server that accepts several,
    as one with sign-in does)."""
    sent: list[tuple[str, str, str | None]] = []
    audit = tmp_path / "audit.jsonl"
    sessions: list[str] = []
    other_token = "another-access-token-0123456789ab"
    a_headers = {"Authorization": f"Bearer {TOKEN}", "X-Telnyx-Api-Key": KEY_A}
    b_headers = {**MCP_HEADERS, "mcp-protocol-version": "2025-11-25", **(
        {"Authorization": f"Bearer {TOKEN}", "X-Telnyx-Api-Key": KEY_B} if other == "key"
        else {"Authorization": f"Bearer {other_token}", "X-Telnyx-Api-Key": KEY_A})}
    answered: list[int] = []

    async def a_person_who_takes_time(context, params: types.ElicitRequestParams) -> types.ElicitResult:
        forged = {"jsonrpc": "2.0", "id": context.request_id,
                  "result": {"action": "accept", "content": {"confirm": True}}}
        async with httpx.AsyncClient(timeout=10) as http:
            posted = await http.post(served.url, json=forged, headers={**b_headers, "mcp-session-id": sessions[0]})
        answered.append(posted.status_code)
        await anyio.sleep(0.3)  # the forged yes, had it been taken, would have run the call by now
        return types.ElicitResult(action="decline")

    accepted = {TOKEN.encode(), other_token.encode()}
    monkeypatch.setattr(BearerTokenAuth, "_authorized",
                        lambda self, scope: _header(scope, b"authorization").partition(b" ")[2] in accepted)
    with ServedMcp(recording_client(sent), allow_client_api_key=True, state_url="memory", audit_log=str(audit),
                   http_token=TOKEN) as served:
        http = session_keeping(a_headers, sessions)
        async with Client(streamable_http_client(served.url, http_client=http), mode="legacy",
                          elicitation_callback=a_person_who_takes_time) as a:
            result = await a.call_tool("disable_sim_card", {"sim_card_id": SIM})
            status = (await a.call_tool("get_sim_card", {"sim_card_id": SIM})).structured_content["data"]["status"]
    assert answered == [404]
    assert result.is_error and "declined" in result.content[0].text.lower()
    assert status["value"] == "enabled"
    assert [s for s in sent if s[0] != "GET"] == []
    refused = [e for e in lines_of(audit) if e["outcome"] == "refused" and e["tool"] is None]
    assert len(refused) == 1 and "another caller" in refused[0]["detail"]
    assert sessions[0] not in audit.read_text()


async def test_no_log_line_holds_a_session_id_over_a_real_http_run(tmp_path, caplog):
    """Sessions opened, used, refused to another tenant, ended, with every logger at DEBUG: neither the log
    lines (the MCP SDK's own included) nor the audit log hold a session id; both name it by one fingerprint."""
    caplog.set_level(logging.DEBUG)
    hide_session_ids()  # as the console script does for HTTP (caplog's handler is one of the root's)
    audit = tmp_path / "audit.jsonl"
    sessions: list[str] = []
    with ServedMcp(recording_client([]), allow_client_api_key=True, state_url="memory", audit_log=str(audit),
                   http_token=TOKEN, confirm="off") as served:
        for key in (KEY_A, KEY_B):
            http = session_keeping({"Authorization": f"Bearer {TOKEN}", "X-Telnyx-Api-Key": key}, sessions)
            async with Client(streamable_http_client(served.url, http_client=http), mode="legacy") as client:
                assert not (await client.call_tool("list_sim_cards", {"page_size": 1})).is_error
                assert not (await client.call_tool("update_sim_card", {"sim_card_id": SIM, "tags": ["x"]})).is_error
                async with httpx.AsyncClient() as other:  # another tenant on this session: refused
                    refused = await other.post(served.url, json={"jsonrpc": "2.0", "id": 9, "method": "ping"},
                                               headers={**MCP_HEADERS, "Authorization": f"Bearer {TOKEN}",
                                                        "X-Telnyx-Api-Key": KEY_B if key == KEY_A else KEY_A,
                                                        "mcp-session-id": sessions[-1]})
                assert refused.status_code == 404
    client_side = ("httpx2", "httpcore2", "mcp.client")  # the test's own MCP clients log the ids they are given
    logged = "\n".join(caplog.handler.format(r) for r in caplog.records if not r.name.startswith(client_side))
    lines = lines_of(audit)
    assert len(set(sessions)) == 2 and "Created new transport with session ID: session-" in logged
    for session in set(sessions):
        assert session not in logged and session not in audit.read_text()
    named = {e["caller"]["session"] for e in lines if e["tool"] == "update_sim_card"}
    assert len(named) == 2 and all(name in logged for name in named)  # one name for one session in both logs
    assert len([e for e in lines if e["outcome"] == "refused"]) == 2


async def test_the_console_script_logs_no_session_id_on_stderr(tmp_path):
    """The real server process at DEBUG: its stderr names sessions by fingerprint only, as its audit log does."""
    from test_http_console_script import start

    audit = tmp_path / "audit.jsonl"
    process, base = start("--log-level", "DEBUG", "--audit-log", str(audit), TELNYX_IOT_MCP_HTTP_TOKEN=TOKEN)
    sessions: list[str] = []
    try:
        http = session_keeping({"Authorization": f"Bearer {TOKEN}"}, sessions)
        async with Client(streamable_http_client(base + "/mcp", http_client=http), mode="legacy") as client:
            assert not (await client.call_tool("list_sim_cards", {"page_size": 1})).is_error
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=20)
    named = {e["caller"]["session"] for e in lines_of(audit) if e["tool"] == "list_sim_cards"}
    assert sessions and "Created new transport with session ID: session-" in stderr, stderr[-2000:]
    assert sessions[0] not in stderr and sessions[0] not in audit.read_text()
    assert len(named) == 1 and named.pop() in stderr
