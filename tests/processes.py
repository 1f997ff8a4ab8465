"""Starting the installed console script in tests."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

SCRIPT = shutil.which("telnyx-iot-mcp", path=str(Path(sys.executable).parent)) or "telnyx-iot-mcp"


def clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment without any TELNYX_ setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELNYX_", "MCP_"))}
    return {**env, **extra}
