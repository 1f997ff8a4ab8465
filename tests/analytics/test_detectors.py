"""The detectors on hand-made series: what each flags and what it leaves alone."""

from __future__ import annotations

from datetime import date

from telnyx_iot_mcp.tools.analytics import detectors

WEEKS = [100.0, 104, 98, 101, 99, 35, 30] * 4  # a warehouse router: weekdays, then a quiet weekend


def test_a_weekly_rhythm_is_no_spike_and_a_tenfold_day_is():
    assert detectors.spikes(WEEKS, [103.0, 34, 97]) == []
    found = detectors.spikes(WEEKS, [100.0, 1000, 99])
    assert [(s.day, s.against) for s in found] == [(1, "sim")] and found[0].ratio > 9


def test_a_short_history_is_compared_with_its_group():
    assert [s.day for s in detectors.spikes([5.0, 6], [30.0, 6], group_usual=5.0)] == [0]
    assert detectors.spikes([5.0, 6], [30.0, 6]) == []


def test_silence_needs_a_sim_that_used_to_send():
    hour = 3600
    assert detectors.silence(0.0, 50 * hour, WEEKS).hours == 50
    assert detectors.silence(0.0, 47 * hour, WEEKS) is None
    assert detectors.silence(0.0, 50 * hour, [0.0, 0, 1]) is None


def test_new_networks_are_those_not_used_before():
    sessions = [detectors.Session(10.0, "208", "01", 5, 0.02), detectors.Session(20.0, "208", "01", 1, 0.01),
                detectors.Session(15.0, "310", "260", 9, 0.01)]
    found = detectors.new_networks({("310", "260")}, sessions, known_days=20)
    assert [(n.mcc, n.mnc, n.first_seen, n.mb, n.sessions) for n in found] == [("208", "01", 10.0, 6, 2)]
    assert detectors.new_networks(set(), sessions, known_days=1) == []


def test_forecast_follows_the_burn_and_stops_for_a_sim_gone_quiet():
    today = date(2026, 11, 16)  # a Monday
    steady = detectors.forecast(500.0, 1000.0, [50.0] * 28, today)
    assert steady.burn_mb_per_day == 50 and steady.exhausts_on == date(2026, 11, 25)
    assert detectors.forecast(500.0, 1000.0, [50.0] * 25 + [0, 0, 0], today).exhausts_on is None
    assert detectors.forecast(1200.0, 1000.0, [50.0] * 28, today).exhausts_on == today
    # a weekend-quiet router burns its weekly rhythm, not its mean, day by day
    routed = detectors.forecast(0.0, 450.0, WEEKS, today)
    assert routed.exhausts_on == date(2026, 11, 20)
