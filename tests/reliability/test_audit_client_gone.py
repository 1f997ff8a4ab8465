"""The audit log when the client goes away: the real console script over stdio, a DELETE in flight."""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

from audit_lines import lines_of, send_and_end
from faulty_upstream import Upstream, hang, reply

pytestmark = pytest.mark.anyio

SCRIPT = Path(sys.executable).with_name("telnyx-iot-mcp")
API_KEY = "KEY0d8f02a5b3c46e79f1a28b0d5c3e94f6_Ua5rX9oNy3Ms8Wc"
SIM_ID = "6a09cdc3-8948-47f0-aa62-74ac943d6c58"


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def test_a_client_that_goes_away_mid_change_leaves_a_send_line_and_an_unknown_outcome(tmp_path):
    """The client exits while the DELETE is in flight."""
    path, stderr_path = tmp_path / "audit.jsonl", tmp_path / "stderr.log"
    with Upstream(default=reply(200, {"data": {"id": SIM_ID}})) as upstream, stderr_path.open("w") as stderr:
        upstream.play(hang(30))
        params = StdioServerParameters(command=str(SCRIPT), args=["--confirm", "off", "--audit-log", str(path)],
                                       env={"TELNYX_API_KEY": API_KEY, "TELNYX_BASE_URL": upstream.base_url,
                                            "PATH": str(SCRIPT.parent)})
        async with Client(stdio_client(params, errlog=stderr)) as session:
            async with anyio.create_task_group() as group:
                group.start_soon(session.call_tool, "delete_sim_card", {"sim_card_id": SIM_ID})
                with anyio.fail_after(20):
                    while not upstream.seen:
                        await anyio.sleep(0.05)
                group.cancel_scope.cancel()
        # leaving the client closed the server's stdin: it stops, and says how the change ended
        with anyio.fail_after(20):
            while len(lines_of(path)) < 2:
                await anyio.sleep(0.05)
    send, end = send_and_end(lines_of(path))
    assert upstream.seen[0].method == "DELETE"
    assert (send["confirmation"], end["outcome"]) == ("policy-off", "unknown")
    assert send["caller"]["transport"] == "stdio" and isinstance(send["caller"]["pid"], int)
    assert API_KEY not in path.read_text() and API_KEY not in stderr_path.read_text()
