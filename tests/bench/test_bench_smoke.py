"""The benchmark script runs end to end (tiny counts, no peer) and writes every section of its report."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]  # a benchmark run: 18 tool-list selections, fleets, HTTP


def test_bench_runs_and_reports_every_item(tmp_path: Path) -> None:
    output = tmp_path / "latest.json"
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--no-peer", "--cold-runs", "1", "--calls", "3",
         "--warmup", "1", "--api-latency-ms", "0", "--sim-count", "300", "--http-clients", "2", "--http-calls", "2", "--output", str(output)],
        capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Cold start" in run.stdout and "Per call" in run.stdout
    results = json.loads(output.read_text())
    full = results["footprint"]["ours: full catalog"]
    assert full["tools"] > 60 and 0 < full["model_bytes"] < full["whole_bytes"]
    assert results["footprint"]["ours: read-only"]["tools"] < full["tools"]
    assert set(results["cold_start"]) == {"ours", "floor"}
    per_call = results["per_call"]["stub answering in 0 ms"]
    assert per_call["ours"]["median_ms"] > 0 and per_call["floor"]["median_ms"] > 0
    by_hand = results["scale"]["300-SIM sandbox, pages of 250 by hand"]
    followed = results["scale"]["300-SIM sandbox, all_pages, following meta.next"]
    assert (by_hand["records"], by_hand["calls"], by_hand["repeats"]) == (300, 2, 0)
    assert (followed["records"], followed["repeats"]) == (300, 0)
    http = results["scale"]["streamable HTTP, ours"]
    assert (http["clients"], http["calls"], http["bursts"]) == (2, 4, 2) and http["server_cpu_ms_per_call"] > 0


def test_http_row_alone_with_legacy_sessions(tmp_path: Path) -> None:
    output = tmp_path / "latest.json"
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--no-peer", "--http-only", "--http-clients", "3",
         "--http-calls", "20", "--http-era", "legacy", "--output", str(output)],
        capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "streamable HTTP, ours" in run.stdout and "Cold start" not in run.stdout
    results = json.loads(output.read_text())
    assert "footprint" not in results
    http = results["scale"]["streamable HTTP, ours"]
    assert (http["clients"], http["era"], http["calls"], http["bursts"]) == (3, "legacy", 60, 10)
    assert http["calls_per_s"] > 0
