"""The console script starts with Python's cyclic garbage collector paused (server/console.py) and resumes it
once the server is built, whatever the command: a server that never resumed it would grow without bound."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# The console script's entry, then the collector's state when the command is over.
ENTRY = """
import gc, json, sys
from telnyx_iot_mcp.server import console
try:
    console.main()
except SystemExit:
    pass
print(json.dumps({"enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}), file=sys.stderr)
"""


@pytest.mark.parametrize("command", [["tools"], ["--sandbox"]], ids=["tools", "stdio server"])
def test_the_collector_resumes_once_the_server_is_built(command, tmp_path):
    initialize = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX")}
    done = subprocess.run([sys.executable, "-c", ENTRY, "--state-dir", str(tmp_path), *command],
                          input=initialize + "\n", capture_output=True, text=True, timeout=120, env=env)
    state = json.loads(done.stderr.strip().splitlines()[-1])
    # Frozen objects: start-up ran with the collector paused and set what it made aside when it resumed.
    assert state["enabled"] and state["frozen"] > 10_000, (state, done.stderr[-2000:])
