"""The state-store benchmark runs end to end (tiny counts) and reports each store against memory."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_state_cost_reports_each_store_as_a_ratio_to_memory():
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "state_cost.py"), "--calls", "5", "--rounds", "1",
                          "--warmup", "1", "--json"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads(run.stdout)
    assert results["memory"]["ratio_to_memory"] == 1.0
    assert results["sqlite"]["median_ms"] > 0 and results["sqlite"]["ratio_to_memory"] > 0
    assert "redis" in results  # measured, or says why it was skipped
