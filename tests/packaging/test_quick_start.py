"""The README's quick start, run as written from a fresh clone: the commands between its quick-start markers,
with the clone made from this repository instead of from GitHub."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
CLONE = "git clone https://github.com/telnyx-iot-mcp/telnyx-iot-mcp && cd telnyx-iot-mcp"


def quick_start() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- quick-start:start -->", 1)[1].split("<!-- quick-start:end -->", 1)[0]
    return re.search(r"```sh\n(.*?)```", block, re.S)[1].strip().splitlines()


def test_the_readme_quick_start_runs_as_written_from_a_fresh_clone(tmp_path):
    lines = quick_start()
    assert lines[0] == CLONE  # the one line that needs GitHub: done from this repository instead
    clone = tmp_path / "telnyx-iot-mcp"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELNYX_", "VIRTUAL_ENV", "PYTHON"))}
    env.update(HOME=str(tmp_path / "home"), XDG_STATE_HOME=str(tmp_path / "state"))
    outputs = []
    for line in lines[1:]:
        done = subprocess.run(["bash", "-c", line], cwd=clone, env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{line}\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        outputs.append(done.stdout)
    install, doctor, search, call = outputs
    assert re.search(r"^ok +Telnyx API: the sandbox answers", doctor, re.M)
    assert "set_sim_card_standby" in search.splitlines()[1]
    assert len(json.loads(call)["data"]) == 3
