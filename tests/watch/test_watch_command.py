"""`telnyx-iot-mcp watch` as a person or a script runs it: JSON lines on stdout only, once each, until SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

EXE = [str(Path(sys.executable).with_name("telnyx-iot-mcp"))]  # the console script, as installed


def watch(tmp_path: Path, *flags: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX")}
    return subprocess.run([*EXE, "--state-dir", str(tmp_path / "state"), "--sandbox-state", str(tmp_path / "fleet.db"),
                           "watch", "--once", *flags], capture_output=True, text=True, timeout=timeout, env=env)


def lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def test_once_prints_each_event_once_as_json_lines_and_a_restart_repeats_nothing(tmp_path):
    first = watch(tmp_path)
    assert first.returncode == 0, first.stderr
    events = lines(first.stdout)  # every stdout line is an event: nothing else goes there
    assert events and all({"id", "type", "time", "sim_card_id", "data"} <= set(e) for e in events)
    assert {e["type"] for e in events} == {"sim_card.data_threshold_crossed"}  # the first poll learns statuses
    assert all(e["data"]["used_mb"] >= 0.8 * e["data"]["limit_mb"] for e in events)
    again = watch(tmp_path)
    assert again.returncode == 0 and again.stdout == ""


def test_threshold_group_and_exec(tmp_path):
    out = tmp_path / "exec.jsonl"
    done = watch(tmp_path, "--threshold", "50", "--group", "trackers",
                 "--exec", f"cat >> {out}; echo \" $TELNYX_IOT_EVENT_TYPE\" >> {out}")
    assert done.returncode == 0, done.stderr
    events = lines(done.stdout)
    assert events and all(e["data"]["threshold_percent"] == 50 for e in events)
    assert len({e["data"]["sim_card_group_id"] for e in events}) == 1
    ran = out.read_text().splitlines()
    assert len(ran) == len(events) and all(r.endswith(" sim_card.data_threshold_crossed") for r in ran)


def test_forecast(tmp_path):
    """--forecast reads detail records and also reports SIMs whose daily use reaches their limit this period."""
    done = watch(tmp_path, "--forecast", "--event", "sim_card.data_threshold_crossed")
    assert done.returncode == 0, done.stderr
    events = lines(done.stdout)
    forecasts = [e for e in events if e["data"]["kind"] == "forecast"]
    assert forecasts and all(e["data"]["used_mb"] < e["data"]["limit_mb"] for e in forecasts)
    assert all(e["data"]["exhausts_on"][:7] == e["data"]["period"] for e in forecasts)
    plain = watch(tmp_path / "plain", "--event", "sim_card.data_threshold_crossed")
    assert not [e for e in lines(plain.stdout) if e["data"]["kind"] == "forecast"]


@pytest.mark.parametrize("flags, says", [
    (["--group", "No Such Group"], "--group: no SIM card group is named 'No Such Group'"),
    (["--threshold", "120"], "--threshold: 120 is not a percentage"),
    (["--interval", "1"], "--interval: 1 is not between 10 and 86400"),
    (["--sim", "abc"], "--sim: 'abc' is not a SIM card id"),
])
def test_bad_flags_are_named(tmp_path, flags, says):
    done = watch(tmp_path, *flags)
    assert done.returncode == 2 and says in done.stderr and done.stdout == ""


def test_sigterm_stops_a_running_watch(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX")}
    process = subprocess.Popen([*EXE, "--state-dir", str(tmp_path / "state"), "watch", "--sandbox",
                                "--interval", "3600"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    first = process.stdout.readline()  # the first poll's events arrive at once, flushed per line
    assert json.loads(first)["type"] == "sim_card.data_threshold_crossed"
    process.send_signal(signal.SIGTERM)
    started = time.monotonic()
    assert process.wait(timeout=10) == 0
    assert time.monotonic() - started < 10
