"""The HTTP bounds benchmark runs end to end (tiny counts) and reports throughput with the bounds on and off."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_bounds_bench_reports_on_and_off_as_a_ratio():
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "bounds.py"), "--calls", "20", "--rounds", "1",
                          "--json"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads(run.stdout)
    assert results["on"]["throughput"] > 0 and results["off"]["throughput"] > 0
    assert results["ratio_on_to_off"] == results["on"]["throughput"] / results["off"]["throughput"]
    assert results["middleware"]["bounded_us"] > 0
