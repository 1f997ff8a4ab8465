"""The console script serving HTTP as a service runs it: its own process, stderr in a file, a free port."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx

from processes import SCRIPT, clean_env, free_port, healthy

INITIALIZE = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


class ServiceProcess:
    """`with ServiceProcess(tmp_path, "--stateless", TELNYX_IOT_MCP_X="1") as service:` serves at service.base."""

    def __init__(self, directory: Path, *args: str, **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.stderr_path = directory / f"stderr-{self.port}.log"
        self.args, self.env = args, env

    def __enter__(self) -> ServiceProcess:
        self.stderr = self.stderr_path.open("wb")
        self.process = subprocess.Popen([SCRIPT, "--sandbox", "--transport", "http", "--port", str(self.port),
                                         *self.args], stdout=subprocess.DEVNULL, stderr=self.stderr,
                                        env=clean_env(**self.env))
        if healthy(self.process, self.base):
            return self
        self.__exit__()
        raise AssertionError(f"the server did not start: {self.stderr_text()}")

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stderr.close()

    def stderr_text(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def open_session(self, client: httpx.Client, **headers: str) -> dict[str, str]:
        """Initializes a session; returns the headers that carry it."""
        answer = client.post(self.base + "/mcp", json=INITIALIZE, headers={**HEADERS, **headers})
        assert answer.status_code == 200, answer.text
        session = {**HEADERS, **headers, "mcp-session-id": answer.headers["mcp-session-id"],
                   "mcp-protocol-version": "2025-11-25"}
        client.post(self.base + "/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"},
                    headers=session)
        return session


def rss_peak_mib(pid: int) -> float:
    """The process's peak resident memory (VmHWM), MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM in /proc")
