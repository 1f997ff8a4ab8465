"""Detectors over usage series: pure functions, no I/O, the same answer for the same series.

The usage tools (`find_usage_anomalies`, `forecast_data_limits`) call them on series read from wireless detail
records; anything else that watches a fleet (events) can call them on its own series. A series is a list of
daily megabytes, oldest first, one value per UTC day (0.0 for a day without data once the SIM had started).

- `spikes(baseline, window)`: days far above the SIM's own usual day (robust score and a ratio floor).
- `silence(last_seen, now, active_days)`: a SIM that used to send and has sent nothing for hours.
- `new_networks(known, sessions)`: networks (MCC/MNC) the SIM had not used before.
- `forecast(used, limit, recent, today, period_end)`: burn rate and the day the limit is reached.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median

SPIKE_RATIO = 4.0  # a spike is at least this many times the SIM's median day...
SPIKE_SCORE = 5.0  # ...and this many robust deviations (1.4826 x MAD) above it...
SPIKE_MIN_MB = 0.5  # ...and at least this much data: a meter's 0.01 MB day becoming 0.05 MB is no news
MIN_HISTORY_DAYS = 7  # days with data a SIM needs before its own usual day counts; else its group's
SILENT_HOURS = 48
MIN_ACTIVE_DAYS = 3  # days with data in the baseline for a SIM to count as one that used to send
TREND_CHANGE = 0.15  # two fortnights' means must differ by this share before a forecast follows the trend
HORIZON_DAYS = 366


@dataclass(frozen=True)
class Spike:
    day: int  # index into the window
    mb: float
    usual_mb: float  # the median day it is compared with (the SIM's, or its group's)
    ratio: float
    score: float | None  # robust z-score; None when compared with the group's usual day
    against: str  # "sim" or "group"


def spikes(baseline: Sequence[float], window: Sequence[float], *, group_usual: float | None = None,
           ratio: float = SPIKE_RATIO, score: float = SPIKE_SCORE, min_mb: float = SPIKE_MIN_MB) -> list[Spike]:
    """Days of `window` far above `baseline` (the SIM's days before the window): at least `ratio` times its median
    day and `score` robust deviations above it. A SIM with fewer than MIN_HISTORY_DAYS days of data is compared
    (or whose median day is 0) is compared with `group_usual`, the median day of its group's SIMs, on the ratio alone."""
    active = [x for x in baseline if x > 0]
    found = []
    if len(active) >= MIN_HISTORY_DAYS and median(baseline) > 0:
        usual = median(baseline)
        spread = max(1.4826 * median(abs(x - usual) for x in baseline), 0.05 * usual, 1e-6)
        for n, x in enumerate(window):
            z = (x - usual) / spread
            if x >= min_mb and z >= score and x >= ratio * usual:
                found.append(Spike(n, x, usual, x / usual, round(z, 1), "sim"))
    elif group_usual:
        for n, x in enumerate(window):
            if x >= min_mb and x >= ratio * group_usual:
                found.append(Spike(n, x, group_usual, x / group_usual, None, "group"))
    return found


@dataclass(frozen=True)
class Silence:
    hours: float
    usual_mb: float


def silence(last_seen: float | None, now: float, baseline: Sequence[float], *,
            hours: float = SILENT_HOURS) -> Silence | None:
    """A SIM that sent data on at least MIN_ACTIVE_DAYS days of `baseline` and nothing for `hours` before `now`
    (times in seconds; `last_seen` is when its last session ended)."""
    active = [x for x in baseline if x > 0]
    if last_seen is None or len(active) < MIN_ACTIVE_DAYS:
        return None
    quiet = (now - last_seen) / 3600
    return Silence(round(quiet, 1), median(active)) if quiet >= hours else None


@dataclass(frozen=True)
class Session:
    at: float  # start, seconds
    mcc: str
    mnc: str
    mb: float
    cost: float


@dataclass(frozen=True)
class NewNetwork:
    mcc: str
    mnc: str
    first_seen: float
    mb: float
    cost: float
    sessions: int


def new_networks(known: Iterable[tuple[str, str]], sessions: Iterable[Session], *,
                 known_days: int, min_days: int = MIN_ACTIVE_DAYS) -> list[NewNetwork]:
    """Networks of `sessions` (in the window) not in `known` (those the SIM used before it, on `known_days` days
    with data). A SIM with less history than `min_days` has no usual networks yet: nothing is new."""
    if known_days < min_days:
        return []
    seen = set(known)
    found: dict[tuple[str, str], list[float]] = {}
    for s in sorted(sessions, key=lambda s: s.at):
        if (s.mcc, s.mnc) in seen:
            continue
        entry = found.setdefault((s.mcc, s.mnc), [s.at, 0.0, 0.0, 0])
        entry[1] += s.mb
        entry[2] += s.cost
        entry[3] += 1
    return [NewNetwork(mcc, mnc, e[0], e[1], e[2], int(e[3])) for (mcc, mnc), e in found.items()]


@dataclass(frozen=True)
class Forecast:
    burn_mb_per_day: float
    trend_mb_per_day2: float  # growth of the burn rate per day (0 when no steady change shows)
    exhausts_on: date | None  # the day the limit is reached; None when it will not be within HORIZON_DAYS
    days_left: float | None


def forecast(used: float, limit: float, recent: Sequence[float], today: date, used_today: float = 0.0) -> Forecast:
    """When `used` MB reaches `limit` at the burn of `recent` (the complete days before `today`, oldest first, up
    to 28; `used_today` of today is already in `used`). The burn is the last 14 days' mean (two whole weeks), spikes
    set to the usual day, shaped by the weekday rhythm of the last 4 weeks; when the last two fortnights differ by
    more than TREND_CHANGE, it grows along that trend. A SIM with no data in the last 3 days burns nothing."""
    days = list(recent[-28:])
    if days:
        usual = median(days)
        days = [usual if usual > 0 and x > SPIKE_RATIO * usual else x for x in days]
    level = days[-14:]  # two whole weeks: weekly rhythms cancel, and the noise of one day in 14 counts little
    burn = sum(level) / len(level) if level else 0.0
    centre = (len(level) + 1) / 2  # days before today the level stands for
    trend, rhythm = 0.0, [1.0] * 7
    if len(days) >= 28:
        before, after = sum(days[:14]) / 14, sum(days[14:]) / 14
        if before > 0 and abs(after - before) > TREND_CHANGE * before:
            trend = (after - before) / 14
        mean = sum(days) / 28
        if mean > 0:  # days[-1] is yesterday: the weekday of days[i] is that of today - (28 - i)
            for i in range(7):
                rhythm[(today.weekday() - 28 + i) % 7] = sum(days[i::7]) / 4 / mean
    if len(days) >= 3 and not any(days[-3:]) and not used_today:  # it stopped sending: nothing burns now
        burn, trend = 0.0, 0.0
    if used >= limit:
        return Forecast(round(burn, 3), round(trend, 4), today, 0.0)
    left, total = limit - used, 0.0
    for k in range(HORIZON_DAYS):
        daily = max(burn + trend * (k + centre), 0.0) * rhythm[(today.weekday() + k) % 7]
        if k == 0:
            daily = max(daily - used_today, 0.0)
        if daily > 0 and total + daily >= left:
            return Forecast(round(burn, 3), round(trend, 4), today + timedelta(days=k),
                            round(k + (left - total) / daily, 1))
        total += daily
    return Forecast(round(burn, 3), round(trend, 4), None, None)
