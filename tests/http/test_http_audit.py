"""The audit log over HTTP: lines name the caller by a fingerprint of its access token; refused requests are recorded."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from served_http import INITIALIZE, MCP_HEADERS, TOKEN, ServedMcp

from audit_lines import lines_of, send_and_end

pytestmark = pytest.mark.anyio

@pytest.fixture
def anyio_backend():
    return "asyncio"


async def test_http_lines_name_the_caller_by_a_fingerprint_and_refused_requests_are_recorded(tmp_path):
    path = tmp_path / "audit.jsonl"
    with ServedMcp(http_token=TOKEN, audit_log=str(path), confirm="off") as served:
        async with served.mcp_client({"Authorization": f"Bearer {TOKEN}"}) as session:
            sim_id = (await session.call_tool("list_sim_cards", {"page_size": 1})).structured_content["data"][0]["id"]
            assert not (await session.call_tool("update_sim_card", {"sim_card_id": sim_id, "tags": ["audited"]})).is_error
        async with httpx.AsyncClient() as http:
            wrong = await http.post(served.url, json=INITIALIZE,
                                    headers={**MCP_HEADERS, "Authorization": "Bearer not-the-token-at-all"})
    lines = lines_of(path)
    send, end = send_and_end([e for e in lines if e["tool"] == "update_sim_card"])
    refused = [e for e in lines if e["tool"] is None]
    assert wrong.status_code == 401 and end["outcome"] == "ok"
    assert send["caller"]["transport"] == "http" and send["caller"]["address"] == "127.0.0.1"
    assert send["caller"]["token"].startswith("token-") and "session" in send["caller"]
    assert [(e["outcome"], e["caller"]["token"] != send["caller"]["token"]) for e in refused] == [("refused", True)]
    assert "access token" in refused[0]["detail"]
    assert TOKEN not in path.read_text()


def test_token_fingerprints_stay_the_same_across_restarts_without_a_configured_secret(tmp_path):
    """The console script keys them with the state store's persistent secret: a log read across restarts (or
    replicas sharing the store) names one caller by one fingerprint; another store, another fingerprint."""
    from test_http_console_script import start

    presented = "not-the-server-token-but-the-same-each-time"

    def refused_fingerprint(state_dir: Path) -> str:
        path = state_dir / "audit.jsonl"
        process, base = start("--state-dir", str(state_dir), "--audit-log", str(path), TELNYX_IOT_MCP_HTTP_TOKEN=TOKEN)
        try:
            assert httpx.post(base + "/mcp", json=INITIALIZE,
                              headers={**MCP_HEADERS, "Authorization": f"Bearer {presented}"}).status_code == 401
        finally:
            process.terminate()
            process.communicate(timeout=20)
        return lines_of(path)[-1]["caller"]["token"]  # the refusal just made

    one, other = tmp_path / "one", tmp_path / "other"
    first = refused_fingerprint(one)
    assert refused_fingerprint(one) == first
    assert refused_fingerprint(other) != first


def test_a_flood_of_requests_without_the_token_is_a_few_audit_lines(tmp_path):
    path = tmp_path / "audit.jsonl"
    with ServedMcp(http_token=TOKEN, audit_log=str(path)) as served, httpx.Client() as client:
        statuses = {client.post(served.url, json=INITIALIZE, headers=MCP_HEADERS).status_code for _ in range(500)}
    assert statuses == {401}
    refused = [e for e in lines_of(path) if e["outcome"] == "refused"]
    assert len(refused) == 1 and "access token" in refused[0]["detail"]  # the rest are counted, not listed


@pytest.mark.anyio
async def test_the_refusals_of_a_flood_are_counted_in_one_line_when_its_window_ends(tmp_path):
    import anyio

    from telnyx_iot_mcp.server.audit import AuditLog
    from telnyx_iot_mcp.server.limits import Summarised

    path = tmp_path / "audit.jsonl"
    summary = Summarised(AuditLog(str(path)), window=0.3)
    for n in range(200):
        summary.refusal("HTTP POST /mcp without the server's access token", f"10.0.0.{n % 3}")
    await anyio.sleep(0.5)
    summary.refusal("HTTP POST /mcp without the server's access token", "10.0.0.9")  # a new window
    details = [e["detail"] for e in lines_of(path)]
    assert details[0] == details[2] == "HTTP POST /mcp without the server's access token"
    assert details[1].startswith("199 more HTTP requests refused alike (HTTP POST /mcp without the server's access "
                                 "token) in the last 0.3 s")
    assert "10.0.0.0, 10.0.0.1, 10.0.0.2" in details[1] and len(details) == 3
