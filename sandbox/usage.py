"""The fleet's usage history: one data session per SIM and day, from 60 days before the sandbox was seeded on as
its clock runs, generated on demand from the seed (a 10,000-SIM fleet costs nothing until its records are read).

Each SIM has a profile: a daily volume with a weekly rhythm (warehouse routers rest at weekends), for some a
steady growth, day-to-day noise, its home network and the networks it roams on, and the events the usage tools
must find, seeded so tests know the truth: a spike day, a silence, a trip to a network it never used (`truth`).
Volumes are scaled so that a SIM's sessions this billing period (the UTC calendar month) add up, at seeding, to
its `current_billing_period_consumed_data`; as the clock runs, `advance` adds the sessions that follow.
"""

from __future__ import annotations

import math
import uuid
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from . import fleet
from .store import Doc, iso

if TYPE_CHECKING:
    from .app import Sandbox

HISTORY_DAYS = 60
DAY = fleet.DAY
MASK = (1 << 64) - 1
# Foreign networks SIMs roam on (MCC, MNC): trackers use two of them routinely; a trip goes to one never used.
FOREIGN = (("262", "01"), ("262", "02"), ("208", "01"), ("334", "020"), ("204", "08"), ("234", "15"))
SEEDED_SHARE = 0.04  # of eligible SIMs, each: a spike, a silence, a trip to a new network
ACTIVE = ("enabled",)  # statuses in which a SIM keeps sending after the sandbox was seeded


def _mix(*values: int) -> int:
    """splitmix64 folded over `values`: a cheap, stable hash (Python's own hash of str is salted per process)."""
    h = 0x9E3779B97F4A7C15
    for v in values:
        z = (h ^ (v & MASK)) + 0x9E3779B97F4A7C15 & MASK
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9 & MASK
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB & MASK
        h = z ^ (z >> 31)
    return h


def _unit(*values: int) -> float:
    return _mix(*values) / 2.0**64


def _normal(*values: int) -> float:
    """A standard normal draw (Box-Muller, both uniforms from one hash)."""
    h = _mix(*values)
    u1, u2 = (h >> 32) / 2.0**32, (h & 0xFFFFFFFF) / 2.0**32
    return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2 * math.pi * u2)


def day_of(t: float) -> int:
    return int(t // DAY)


def period_start(t: float) -> float:
    """The start of the billing period (UTC calendar month) holding `t`."""
    at = datetime.fromtimestamp(t, UTC)
    return datetime(at.year, at.month, 1, tzinfo=UTC).timestamp()


@dataclass
class Profile:
    """One SIM's usage: every number its sessions are made from, drawn once from the seed and its id."""

    key: int
    offset: float  # seconds into the UTC day its daily session starts
    first_day: int
    stop_at: float  # no session starts at or after this (silenced, disabled, cut off); inf = keeps sending
    base: float  # MB on an ordinary day, before scaling
    weekly: tuple[float, ...]  # factor per weekday, Monday first
    trend: float  # growth per day, relative to the first day of the history
    home: tuple[str, str]
    roams: tuple[tuple[str, str], ...]  # networks it roams on now and then
    trip: tuple[int, tuple[str, str]] | None  # from this day on, on a network it never used before
    spike: tuple[int, float] | None  # this day, this many times the usual
    silent_from: int | None
    anchor_day: int  # the day the sandbox was seeded: trends and seeded events count from it
    target: float = 0.0  # MB used this period at seeding, which the sessions are scaled to
    seeded_at: float = 0.0
    scale: float | None = None  # from `calibrate`, when the first volume is asked for
    _cache: dict[int, float] = field(default_factory=dict, repr=False)

    def starts(self, day: int) -> float:
        return day * DAY + self.offset

    def sends(self, day: int) -> bool:
        return day >= self.first_day and self.starts(day) < self.stop_at

    def network(self, day: int) -> tuple[str, str]:
        if self.trip is not None and day >= self.trip[0]:
            return self.trip[1]
        if self.roams and _unit(self.key, day, 3) < 0.5:
            return self.roams[_mix(self.key, day, 4) % len(self.roams)]
        return self.home

    def raw(self, day: int) -> float:
        """MB on `day` before scaling: base x weekday x trend x noise (x the spike)."""
        amount = self.base * self.weekly[(day + 3) % 7] * (1.0 + self.trend * (day - self.anchor_day + HISTORY_DAYS))
        amount *= math.exp(0.2 * _normal(self.key, day, 5))
        if self.spike is not None and self.spike[0] == day:
            amount *= self.spike[1]
        return amount

    def megabytes(self, day: int) -> float:
        if self.scale is None:
            self.scale = self.calibrate()
        if day not in self._cache:
            self._cache[day] = round(self.raw(day) * (self.scale or 1.0), 3)
        return self._cache[day]

    def calibrate(self) -> float:
        """The scale that makes the sessions this period, up to seeding, add up to what the SIM said it used."""
        start = period_start(self.seeded_at)
        raw = sum(self.raw(d) for d in range(day_of(start), self.anchor_day + 1)
                  if self.sends(d) and start <= self.starts(d) <= self.seeded_at)
        return self.target / raw if raw > 0 and self.target > 0 else 1.0

    def duration(self, day: int) -> float:
        return round(1800 + _unit(self.key, day, 6) * 10800, 1)

    def uplink_share(self, day: int) -> float:
        return 0.1 + 0.2 * _unit(self.key, day, 7)


def offset(key: int) -> float:
    """Seconds into the UTC day a SIM's daily session starts."""
    return _unit(key, 1) * 20 * 3600


class History:
    """Profiles of the SIMs whose sessions were asked for, and the listings built from them (a few, newest kept)."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.seed = sb.seed
        self.seeded_at = float(sb.store.meta.get("seeded_at", sb.store.now()))
        self.anchor_day = day_of(self.seeded_at)
        self.profiles: dict[str, Profile] = {}
        self.listings: dict[tuple[Any, ...], Listing] = {}
        self.next_at: float | None = None

    # -- profiles ----------------------------------------------------------------------

    def profile(self, sim: Doc) -> Profile | None:
        """The SIM's profile; None for a SIM without a device or one added after seeding (no history)."""
        if "current_imei" not in sim or sim["created_at"] > iso(self.seeded_at):
            return None
        found = self.profiles.get(sim["id"])
        if found is None:
            found = self.profiles[sim["id"]] = self._draw(sim)
        return found

    def key(self, sim: Doc) -> int:
        return _mix(self.seed, int(sim["id"].replace("-", "")[:16], 16))

    def _draw(self, sim: Doc) -> Profile:
        key, a = self.key(sim), self.anchor_day
        tags = sim.get("tags") or []
        status = sim["status"]["value"]
        created = datetime.fromisoformat(sim["created_at"].replace("Z", "+00:00")).timestamp()
        first_day = max(a - HISTORY_DAYS, day_of(created) + 1)
        flat = (1.0,) * 7
        if "warehouse" in tags:
            base, weekly = 400.0, (1.0, 1.0, 1.0, 1.0, 1.0, 0.35, 0.3)
        elif "meter" in tags:
            base, weekly = 0.6, flat
        elif "lab" in tags:
            base, weekly = 20.0, (1.0, 1.1, 1.0, 1.2, 0.9, 0.2, 0.2)
        else:
            base, weekly = 30.0, (1.0, 1.0, 1.0, 1.0, 1.0, 0.7, 0.6)
        base *= 0.5 + _unit(key, 10)
        trend = 0.005 + 0.01 * _unit(key, 12) if _unit(key, 11) < 0.2 else 0.0  # linear growth, per day
        home = (sim.get("current_mcc", "310"), sim.get("current_mnc", "260"))
        roams: tuple[tuple[str, str], ...] = ()
        if "tracker" in tags:
            first = _mix(key, 13) % len(FOREIGN)
            roams = (FOREIGN[first], FOREIGN[(first + 1 + _mix(key, 14) % (len(FOREIGN) - 1)) % len(FOREIGN)])
        eligible = status in ACTIVE and first_day <= a - 21
        seeded = [eligible and _unit(key, 20 + n) < SEEDED_SHARE for n in range(3)]
        spike = (a - 1 - _mix(key, 30) % 6, 6.0 + 9.0 * _unit(key, 31)) if seeded[0] else None
        silent_from = a - 3 - _mix(key, 32) % 8 if seeded[1] else None
        trip = None
        if seeded[2] and not seeded[1]:
            unused = [n for n in FOREIGN if n not in roams and n != home]
            trip = (a - 1 - _mix(key, 33) % 5, unused[_mix(key, 34) % len(unused)])
        if silent_from is not None:
            stop_at = silent_from * DAY
        elif "_silent_at" in sim:
            stop_at = sim["_silent_at"]
        elif status in ACTIVE:
            stop_at = math.inf
        else:  # stopped sending a few days before seeding, but not before this billing period began
            stop_at = min(self.seeded_at, max(self.seeded_at - (1 + _mix(key, 35) % 5) * DAY,
                                              period_start(self.seeded_at) + DAY))
        profile = Profile(key=key, offset=offset(key), first_day=first_day, stop_at=stop_at,
                          base=base, weekly=weekly, trend=trend, home=home, roams=roams, trip=trip, spike=spike,
                          silent_from=silent_from, anchor_day=a, seeded_at=self.seeded_at,
                          target=float(sim.get("_seeded_mb", sim["current_billing_period_consumed_data"]["amount"])))
        return profile

    def silence(self, sim: Doc, at: float) -> None:
        """The SIM's device goes quiet at `at`: no session starts after it (for tests and demos)."""
        sim["_silent_at"] = at
        self.sb.store.put("sim_cards", sim)
        if sim["id"] in self.profiles:
            self.profiles[sim["id"]].stop_at = min(self.profiles[sim["id"]].stop_at, at)

    # -- sessions ----------------------------------------------------------------------

    def visible(self, sim: Doc, profile: Profile, day: int, now: float) -> bool:
        """Whether the SIM's session of `day` has started by `now` (after seeding, only SIMs still enabled send)."""
        return day in self.days(sim, profile, None, now)

    def days(self, sim: Doc, profile: Profile, start: float | None, now: float) -> range:
        """The days whose session of the SIM started in [start, now] (after seeding, only enabled SIMs send)."""
        until = min(now, profile.stop_at - 1e-3)
        if sim["status"]["value"] not in ACTIVE:
            until = min(until, self.seeded_at)
        first = profile.first_day if start is None else max(profile.first_day, math.ceil((start - profile.offset) / DAY))
        return range(first, math.floor((until - profile.offset) / DAY) + 1)

    def record(self, sim: Doc, profile: Profile, day: int, group_name: str | None) -> dict[str, Any]:
        """A session in the shape of `GET /reports/wdrs` (ExternalWdrDetailRecordDto)."""
        mb = profile.megabytes(day)
        up = round(mb * profile.uplink_share(day), 3)
        mcc, mnc = profile.network(day)
        rate = fleet.DATA_RATE if (mcc, mnc) == profile.home else fleet.ROAMING_RATE
        at = profile.starts(day)
        return {
            "id": str(uuid.UUID(int=(_mix(profile.key, day, 8) << 64) | _mix(profile.key, day, 9), version=4)),
            "record_type": "wdr", "created_at": iso(at), "duration_seconds": profile.duration(day),
            "sim_card_id": sim["id"], "sim_group_id": sim.get("sim_card_group_id"), "sim_group_name": group_name,
            "imsi": sim["imsi"], "phone_number": sim["msisdn"], "mcc": mcc, "mnc": mnc,
            "uplink_data": {"amount": up, "unit": "MB"}, "downlink_data": {"amount": round(mb - up, 3), "unit": "MB"},
            "cost": {"amount": f"{mb * float(rate):.4f}", "currency": fleet.CURRENCY},
            "rate": {"amount": rate, "currency": fleet.CURRENCY},
            "_closed_at": iso(at + profile.duration(day)), "_tags": ",".join(sim.get("tags") or []),
        }

    def listing(self, now: float, start: float | None, end: float | None, match: dict[str, Any]) -> Listing:
        """The sessions started in [start, end) and by `now` of the SIMs and networks `match` names, oldest first."""
        now = math.floor(now / 60) * 60  # a minute's new sessions show together, so paging sees one listing
        key = (now, start, end, tuple(sorted(match.items())), self.sb.store.version("sim_cards"))
        found = self.listings.get(key)
        if found is None:
            if len(self.listings) >= 8:
                self.listings.pop(next(iter(self.listings)))
            found = self.listings[key] = self._build(now, start, end, match)
        return found

    def _build(self, now: float, start: float | None, end: float | None, match: dict[str, Any]) -> Listing:
        groups = {g["id"]: g["name"] for g in self.sb.store.all("sim_card_groups")}
        sims = []
        for sim in self.sb.store.all("sim_cards"):
            name = groups.get(sim.get("sim_card_group_id") or "")
            fields = {"sim_card_id": sim["id"], "imsi": sim["imsi"], "phone_number": sim["msisdn"],
                      "sim_group_id": sim.get("sim_card_group_id"), "sim_group_name": name}
            if any(fields[k] != v for k, v in match.items() if k in fields):
                continue
            profile = self.profile(sim)
            if profile is not None:
                sims.append((profile.offset, sim["id"], sim, profile, name))
        sims.sort(key=lambda s: (s[0], s[1]))
        until = now if end is None else min(now, end - 1e-3)
        lowest = self.anchor_day - HISTORY_DAYS
        network = (match.get("mcc"), match.get("mnc"))
        by_day: dict[int, list[tuple[Doc, Profile, str | None]]] = {}
        for _, _, sim, p, name in sims:
            for day in self.days(sim, p, start, until):
                if day >= lowest and (network == (None, None) or _on(p.network(day), network)):
                    by_day.setdefault(day, []).append((sim, p, name))
        days = sorted(by_day.items())
        return Listing(self, days)

    # -- the clock ---------------------------------------------------------------------

    def advance(self, now: float) -> None:
        """Add the sessions started since the last look to each SIM's usage this period (a new period starts it
        again), then let the lifecycle stop SIMs now over a limit. Costs nothing until a session has started."""
        if self.next_at is not None and now < self.next_at:
            return
        meta = self.sb.store.meta
        since = float(meta.get("usage_at", self.seeded_at))
        new_period = period_start(now) > since
        after = period_start(now) - 1e-6 if new_period else since
        changed, starts = [], []
        for sim in list(self.sb.store.all("sim_cards")):
            if "current_imei" not in sim:
                continue
            first = offset(self.key(sim))
            starts.append(first + (day_of(now - first) + 1) * DAY)
            days = [d for d in range(day_of(after - first), day_of(now - first) + 1) if after < d * DAY + first <= now]
            profile = self.profile(sim) if days or new_period else None
            if profile is None:
                continue
            added = sum(profile.megabytes(d) for d in days if self.visible(sim, profile, d, now))
            used = 0.0 if new_period else float(sim["current_billing_period_consumed_data"]["amount"])
            if added or new_period:
                sim["current_billing_period_consumed_data"] = {"amount": f"{used + added:.2f}", "unit": "MB"}
                changed.append(sim)
        if changed:
            from .lifecycle import recheck

            for sim in changed:
                self.sb.store.put("sim_cards", sim)
            recheck(self.sb, changed, iso(now), {s.get("sim_card_group_id") for s in changed})
        meta["usage_at"] = now
        self.next_at = min(starts, default=now + DAY)


def _on(network: tuple[str, str], wanted: tuple[str | None, str | None]) -> bool:
    return all(w is None or w == have for have, w in zip(network, wanted))


class Listing:
    """Sessions in order, as a sequence: `len()` and slices, each record made only when its page is asked for."""

    def __init__(self, history: History, days: list[tuple[int, list[tuple[Doc, Profile, str | None]]]]) -> None:
        self.history = history
        self.days = days
        self.ends: list[int] = []
        total = 0
        for _, present in days:
            total += len(present)
            self.ends.append(total)

    def __len__(self) -> int:
        return self.ends[-1] if self.ends else 0

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        start, stop, _ = window.indices(len(self))
        out = []
        i = start
        while i < stop:
            n = bisect_right(self.ends, i)
            day, present = self.days[n]
            before = self.ends[n] - len(present)
            for sim, profile, name in present[i - before:stop - before]:
                out.append(self.history.record(sim, profile, day, name))
            i = self.ends[n]
        return out


def history(sb: Sandbox) -> History:
    found = getattr(sb, "_usage", None)
    if found is None:
        found = sb._usage = History(sb)  # type: ignore[attr-defined]
    return found


def truth(sb: Sandbox) -> dict[str, Any]:
    """What the seeded history holds for the usage tools to find, per SIM: spike days, silences (the day, or the
    moment a test silenced it), new networks."""
    h = history(sb)
    out: dict[str, Any] = {"spike": {}, "silent": {}, "new_network": {}}
    for sim in sb.store.all("sim_cards"):
        p = h.profile(sim)
        if p is None:
            continue
        if p.spike is not None:
            out["spike"][sim["id"]] = iso(p.spike[0] * DAY)[:10]
        if p.silent_from is not None:
            out["silent"][sim["id"]] = iso(p.silent_from * DAY)[:10]
        elif "_silent_at" in sim:
            out["silent"][sim["id"]] = iso(sim["_silent_at"])
        if p.trip is not None:
            out["new_network"][sim["id"]] = (*p.trip[1], iso(p.trip[0] * DAY)[:10])
    return out
