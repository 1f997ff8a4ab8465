"""Starting the installed console script in tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

SCRIPT = shutil.which("telnyx-iot-mcp", path=str(Path(sys.executable).parent)) or "telnyx-iot-mcp"


def clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment without any TELNYX_ setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELNYX_", "MCP_"))}
    return {**env, **extra}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(process: subprocess.Popen, base: str, seconds: float = 30) -> bool:
    """Whether `base`/healthz answered before `process` ended or `seconds` passed."""
    deadline = time.monotonic() + seconds
    while process.poll() is None and time.monotonic() < deadline:
        try:
            httpx.get(base + "/healthz", timeout=2)
            return True
        except httpx.TransportError:
            time.sleep(0.1)
    return False
