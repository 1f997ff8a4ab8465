"""The change-plan benchmark runs end to end and counts what it claims: one call and one question for the plan."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_plan_benchmark_counts_calls_and_questions():
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "plan.py"), "--sims", "12", "--api-latency-ms", "0",
                          "--json"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "ratio" in run.stdout and "(per SIM / plan)" in run.stdout
    results = json.loads(run.stdout[run.stdout.index("{"):])["0 ms"]
    plan, each = results["plan"], results["per_sim"]
    assert (plan["tool_calls"], plan["questions"], plan["standby"]) == (1, 1, 12)
    assert (each["tool_calls"], each["questions"], each["standby"]) == (13, 12, 12)  # one list, then one per SIM
    assert plan["api_requests"] < each["api_requests"]
