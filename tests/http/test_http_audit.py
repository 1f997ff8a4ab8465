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
