"""A tiny run of the load test script: both transports answer every concurrent call without an error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "load.py"


@pytest.mark.slow
def test_load_script_small_run_has_no_errors():
    done = subprocess.run([sys.executable, str(SCRIPT), "--calls", "60", "--concurrency", "8"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if "calls 60" in line]
    assert len(lines) == 2 and all("errors 0" in line for line in lines), done.stdout
