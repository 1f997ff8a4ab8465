"""Log lines of the HTTP service reach stderr (containers read it), however long it serves."""

from __future__ import annotations

import httpx

from service_process import ServiceProcess

CALLS = 1_000


def test_stderr_carries_every_call_after_a_thousand_http_calls(tmp_path):
    with ServiceProcess(tmp_path) as service, httpx.Client(timeout=30) as client:
        session = service.open_session(client)
        for n in range(1, CALLS + 1):
            answer = client.post(service.base + "/mcp", headers=session, json={
                "jsonrpc": "2.0", "id": n, "method": "tools/call",
                "params": {"name": "list_sim_card_groups", "arguments": {}}})
            assert answer.status_code == 200
    text = service.stderr_text()
    assert "serving MCP on http://127.0.0.1" in text
    assert text.count('"tool": "list_sim_card_groups"') >= CALLS  # one audit line per call, the last ones too


def test_the_audit_file_can_be_rotated_by_renaming_it(tmp_path):
    """logrotate's default (rename, then a new file): the next line goes to a new file at the configured path,
    with no signal and no restart; lines are never written to the renamed file afterwards."""
    path, rotated = tmp_path / "audit.jsonl", tmp_path / "audit.jsonl.1"
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "list_sim_card_groups", "arguments": {}}}
    with ServiceProcess(tmp_path, "--audit-log", str(path)) as service, httpx.Client(timeout=30) as client:
        session = service.open_session(client)
        assert client.post(service.base + "/mcp", headers=session, json=call).status_code == 200
        path.rename(rotated)
        assert client.post(service.base + "/mcp", headers=session, json={**call, "id": 2}).status_code == 200
    assert rotated.read_text().count("list_sim_card_groups") == 1
    assert path.read_text().count("list_sim_card_groups") == 1
