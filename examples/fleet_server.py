"""What every framework example shares: how to start the server, and how a person answers its questions.

On the sandbox unless TELNYX_API_KEY is set; with `uvx telnyx-iot-mcp` unless TELNYX_IOT_MCP_COMMAND names a
checkout's console script (until the package is published: /path/to/telnyx-iot-mcp/.venv/bin/telnyx-iot-mcp).
"""

from __future__ import annotations

import os


def command_and_args() -> tuple[str, list[str]]:
    args = [] if os.environ.get("TELNYX_API_KEY") else ["--sandbox"]
    if os.environ.get("TELNYX_IOT_MCP_COMMAND"):
        return os.environ["TELNYX_IOT_MCP_COMMAND"], args
    return "uvx", ["telnyx-iot-mcp", *args]


def server_env() -> dict[str, str]:
    """The server's environment: the key and settings, and what uv needs to run (never the model's key)."""
    keep = ("TELNYX_", "PATH", "HOME", "UV_", "XDG_")
    return {k: v for k, v in os.environ.items() if k.startswith(keep)}


def ask(question: str, field: dict) -> object:
    """The server's form has one field, "confirm": a yes (boolean) or a text to type (a name, ICCID digits)."""
    said = input(f"{question}\n{field.get('description', 'Go ahead?')} ").strip()
    return said.lower() in ("y", "yes") if field.get("type") == "boolean" else said
