"""Fleet events: what the watcher reports when the fleet changes while nobody is asking.

Telnyx sends no SIM events, so they are computed: each poll reads the fleet once, and `detect` compares it
with what the previous poll saw. An event's id is derived from what happened (the SIM, the condition, the
billing period or the new value), so the same occurrence gets the same id however often, and by whichever
replica, it is computed: that is what makes emission once-only across restarts and failover.

Each type has a subscription schema (what a subscriber may narrow it by) and a payload schema (`data`),
compact and free of secrets: ids, ICCIDs, statuses, amounts, network codes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..tools.words import megabytes, status_of

THRESHOLD = "sim_card.data_threshold_crossed"
STATUS = "sim_card.status_changed"
ACTION = "sim_card_action.finished"
NETWORK = "sim_card.new_network"
ANOMALY = "sim_card.usage_anomaly"
SILENT = "sim_card.silent"
DEFAULT_THRESHOLD = 80.0
DEFAULT_SILENT_HOURS = 24.0
FINISHED = ("completed", "failed", "interrupted")
USAGE_TYPES = frozenset({ANOMALY, NETWORK})  # the types read from detail records
USAGE_DAYS = 35  # days of daily totals kept per SIM: the detectors' baseline is the 28 before a day

_SIM_FILTERS = {
    "sim_card_group_id": {"type": "string", "format": "uuid", "description": "Only SIMs in this group."},
    "tags": {"type": "array", "items": {"type": "string", "maxLength": 128}, "maxItems": 20,
             "description": "Only SIMs with all of these tags."},
    "sim_card_ids": {"type": "array", "items": {"type": "string", "format": "uuid"}, "maxItems": 1000,
                     "description": "Only these SIMs."},
}
_SIM_PAYLOAD = {"sim_card_id": {"type": "string"}, "iccid": {"type": ["string", "null"]},
                "sim_card_group_id": {"type": ["string", "null"]}}
_GROUP_FILTERS = {  # the filters of a type that has group events too: by group they match, by SIM or tag never
    "sim_card_group_id": {"type": "string", "format": "uuid",
                          "description": "Only SIMs in this group, and the group's own events."},
    "tags": {**_SIM_FILTERS["tags"], "description": "Only SIMs with all of these tags (no group events)."},
    "sim_card_ids": {**_SIM_FILTERS["sim_card_ids"], "description": "Only these SIMs (no group events)."},
}


def _schema(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "additionalProperties": False}


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    subscription: dict[str, Any]  # JSON Schema of a subscription's arguments
    payload: dict[str, Any]  # JSON Schema of an event's `data`


EVENT_TYPES: dict[str, EventType] = {t.name: t for t in (
    EventType(THRESHOLD, "A SIM's data use this billing period crossed a percentage of its own data limit "
              "(scope sim, kind crossed), or a SIM card group's use crossed a percentage of the limit its SIMs "
              "share (scope group, sim_card_id null); or, with forecast, a SIM's burn rate (or a group's SIMs' "
              "together) will reach its limit before the period ends (kind forecast, once per period).",
              _schema({**_GROUP_FILTERS, "threshold": {"type": "number", "minimum": 1, "maximum": 100,
                                                       "default": DEFAULT_THRESHOLD,
                                                       "description": "Percent of the SIM's or group's data limit."},
                       "forecast": {"type": "boolean", "default": False,
                                    "description": "Also tell when the limit will be reached before the billing "
                                                   "period ends (from the SIM's, or the group's SIMs', daily "
                                                   "use)."}}),
              _schema({**_SIM_PAYLOAD, "sim_card_id": {"type": ["string", "null"], "description": "null: a group's"},
                       "scope": {"type": "string", "enum": ["sim", "group"]},
                       "sim_card_group_name": {"type": ["string", "null"], "description": "scope group"},
                       "kind": {"type": "string", "enum": ["crossed", "forecast"]},
                       "threshold_percent": {"type": "number"}, "used_mb": {"type": "number"},
                       "limit_mb": {"type": "number"}, "used_percent": {"type": "number"},
                       "period": {"type": "string", "description": "YYYY-MM, UTC"},
                       "exhausts_on": {"type": "string", "description": "YYYY-MM-DD, UTC (forecast)"},
                       "burn_mb_per_day": {"type": "number", "description": "forecast"}})),
    EventType(STATUS, "A SIM's status changed (enabled, disabled, standby, data_limit_exceeded, ...).",
              _schema(_SIM_FILTERS),
              _schema({**_SIM_PAYLOAD, "from": {"type": "string"}, "to": {"type": "string"}})),
    EventType(ACTION, "A SIM card action (enable, disable, standby, public IP, voice) completed, failed or was "
              "interrupted.",
              _schema({"sim_card_ids": _SIM_FILTERS["sim_card_ids"]}),
              _schema({"sim_card_id": {"type": ["string", "null"]}, "action_id": {"type": "string"},
                       "action_type": {"type": ["string", "null"]}, "status": {"type": "string"},
                       "reason": {"type": ["string", "null"]}})),
    EventType(ANOMALY, "A SIM's data use on a day is far above its usual day (a spike: several times its median "
              "day, and far outside its usual spread).",
              _schema(_SIM_FILTERS),
              _schema({**_SIM_PAYLOAD, "kind": {"type": "string", "enum": ["spike"]},
                       "day": {"type": "string", "description": "YYYY-MM-DD, UTC"}, "mb": {"type": "number"},
                       "usual_mb": {"type": "number"}, "ratio": {"type": "number"}})),
    EventType(NETWORK, "A SIM used a mobile network (MCC/MNC) it had not used before: roaming somewhere new.",
              _schema(_SIM_FILTERS),
              _schema({**_SIM_PAYLOAD, "mcc": {"type": "string"}, "mnc": {"type": "string"},
                       "first_seen": {"type": "string"}})),
    EventType(SILENT, "An enabled SIM that used to send data has sent none for a number of hours.",
              _schema({**_SIM_FILTERS, "hours": {"type": "number", "minimum": 1, "maximum": 720,
                                                 "default": DEFAULT_SILENT_HOURS}}),
              _schema({**_SIM_PAYLOAD, "silent_since": {"type": "string"}, "hours": {"type": "number"}})),
)}


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    time: str  # ISO 8601, UTC: when the watcher saw it
    sim_card_id: str | None
    data: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        value = {"id": self.id, "type": self.type, "time": self.time, "sim_card_id": self.sim_card_id,
                 "data": self.data}
        if self.data.get("scope") == "group":
            value["sim_card_group_id"] = self.data.get("sim_card_group_id")
        return value


def event_id(*parts: Any) -> str:
    return "evt_" + hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:32]


def period_of(moment: float) -> str:
    """The billing period a moment falls in: the calendar month in UTC."""
    return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m")


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class Seen:
    """What the watcher remembers of one SIM between polls (kept in the state store)."""

    status: str | None = None
    networks: list[str] = field(default_factory=list)  # "mcc-mnc" seen, oldest first
    used_mb: float | None = None
    grew_at: float | None = None  # when its use this period last grew (None: never seen sending)
    silences: list[float] = field(default_factory=list)  # the hours of silence reported since it last sent
    days: dict[str, float] = field(default_factory=dict)  # MB per UTC day (date ordinal), from detail records
    sent_at: float | None = None  # the start of its newest session in the detail records read

    def as_json(self) -> dict[str, Any]:
        value = {"s": self.status, "n": self.networks, "u": self.used_mb, "g": self.grew_at, "q": self.silences}
        if self.days:
            value["d"] = self.days
        if self.sent_at is not None:
            value["r"] = self.sent_at
        return value

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Seen:
        return cls(value.get("s"), list(value.get("n") or []), value.get("u"), value.get("g"),
                   list(value.get("q") or []), dict(value.get("d") or {}), value.get("r"))


def _sim_data(sim: dict[str, Any]) -> dict[str, Any]:
    return {"sim_card_id": sim.get("id"), "iccid": sim.get("iccid"), "sim_card_group_id": sim.get("sim_card_group_id")}


def detect_sims(sims: list[dict[str, Any]], seen: dict[str, Seen], *, now: float,
                thresholds: tuple[float, ...]) -> list[Event]:
    """Events from one read of the SIM list, updating `seen` in place (silence is judged apart, `detect_silence`).

    On the first poll the fleet is learned: statuses and networks seen for the first time are not changes;
    a threshold already crossed is reported (its id holds the period, so once per period, also after a
    restart)."""
    events: list[Event] = []
    stamp, period = iso(now), period_of(now)
    for sim in sims:
        sim_id = sim.get("id")
        if not sim_id:
            continue
        before = seen.get(sim_id)
        known = before is not None
        state = before or Seen()
        base = _sim_data(sim)
        status = status_of(sim)
        if known and status and state.status and status != state.status:
            events.append(Event(event_id(STATUS, sim_id, state.status, status, sim.get("updated_at") or stamp),
                                STATUS, stamp, sim_id, {**base, "from": state.status, "to": status}))
        if known and status == "enabled" and state.status not in (None, "enabled") and state.grew_at is not None:
            state.grew_at, state.silences = now, []  # silence counts while enabled: a SIM let back in starts afresh
        state.status = status or state.status

        used = megabytes(sim.get("current_billing_period_consumed_data"))
        limit = megabytes(sim.get("data_limit"))
        if used is not None and limit:
            for threshold in thresholds:
                if used >= limit * threshold / 100:
                    events.append(Event(event_id(THRESHOLD, sim_id, threshold, period), THRESHOLD, stamp, sim_id,
                                        {**base, "scope": "sim", "kind": "crossed", "threshold_percent": threshold,
                                         "used_mb": round(used, 2), "limit_mb": round(limit, 2),
                                         "used_percent": round(100 * used / limit, 1), "period": period}))
        if used is not None:
            if state.used_mb is not None and (used > state.used_mb or 0 < used < state.used_mb):
                state.grew_at, state.silences = now, []  # it sent (a smaller amount: a new period began)
            state.used_mb = used

        seen[sim_id] = state
    return events


def detect_groups(groups: list[dict[str, Any]], *, now: float, thresholds: tuple[float, ...]) -> list[Event]:
    """Groups whose use this billing period (`consumed_data`: what their SIMs used together) reached a percentage
    of the data limit they share. Like a SIM's, a threshold already crossed at the first poll is reported then,
    and the id holds the group, the threshold and the period: once per period, also after a restart."""
    events: list[Event] = []
    stamp, period = iso(now), period_of(now)
    for group in groups:
        group_id = group.get("id")
        used, limit = megabytes(group.get("consumed_data")), megabytes(group.get("data_limit"))
        if not group_id or used is None or not limit:
            continue
        for threshold in thresholds:
            if used >= limit * threshold / 100:
                events.append(Event(event_id(THRESHOLD, "group", group_id, threshold, period), THRESHOLD, stamp, None, {
                    "sim_card_id": None, "iccid": None, "sim_card_group_id": group_id,
                    "sim_card_group_name": group.get("name"), "scope": "group", "kind": "crossed",
                    "threshold_percent": threshold, "used_mb": round(used, 2), "limit_mb": round(limit, 2),
                    "used_percent": round(100 * used / limit, 1), "period": period}))
    return events


def detect_silence(sims: list[dict[str, Any]], seen: dict[str, Seen], *, now: float, hours: tuple[float, ...],
                   records_until: float | None = None, learning: bool = False) -> list[Event]:
    """Enabled SIMs seen sending that have sent nothing for `hours`: neither their use this period grew (SIM list)
    nor, when detail records are read (up to `records_until`), has a session started. Records count because the
    SIM list's amounts are rounded: a device sending a few kilobytes a day shows no growth there. `learning` (the
    first poll): a silence the records already show is taken as known, never reported."""
    events: list[Event] = []
    stamp = iso(now)
    for sim in sims:
        state = seen.get(sim.get("id") or "")
        if state is None or status_of(sim) != "enabled":
            continue
        quiet = []
        if state.grew_at is not None:
            quiet.append(now - state.grew_at)
        if records_until is not None and state.sent_at is not None:
            quiet.append(records_until - state.sent_at)
        if not quiet:
            continue  # never seen sending
        since = max(t for t in (state.grew_at, state.sent_at) if t is not None)
        for limit in hours:
            if min(quiet) >= limit * 3600 and limit not in state.silences:
                state.silences.append(limit)
                if learning:
                    continue
                events.append(Event(event_id(SILENT, sim["id"], since, limit), SILENT, stamp, sim["id"],
                                    {**_sim_data(sim), "silent_since": iso(since), "hours": limit}))
    return events


def moment(text: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def detect_actions(actions: list[dict[str, Any]], running: set[str], *, now: float,
                   since: float | None) -> list[Event]:
    """Actions that finished since the last poll (`since`; None: this is the first, and what already finished
    is history). `running` holds the ids seen in progress, updated in place."""
    events: list[Event] = []
    stamp = iso(now)
    for action in actions:
        action_id = action.get("id")
        status = status_of(action)
        if not action_id or not status:
            continue
        if status in FINISHED:
            finished_at = moment(action.get("updated_at"))
            if action_id in running or (since is not None and (finished_at is None or finished_at >= since)):
                events.append(Event(event_id(ACTION, action_id, status), ACTION, stamp, action.get("sim_card_id"), {
                    "sim_card_id": action.get("sim_card_id"), "action_id": action_id,
                    "action_type": action.get("action_type"), "status": status,
                    "reason": (action.get("status") or {}).get("reason") if isinstance(action.get("status"), dict)
                    else None}))
            running.discard(action_id)
        else:
            running.add(action_id)
    return events


@dataclass(frozen=True)
class Subscription:
    """What one subscriber wants: event types and the SIMs they concern. Empty means all."""

    types: frozenset[str] = frozenset()
    sim_card_group_id: str | None = None
    tags: frozenset[str] = frozenset()
    sim_card_ids: frozenset[str] = frozenset()
    threshold: float = DEFAULT_THRESHOLD
    silent_hours: float = DEFAULT_SILENT_HOURS
    forecast: bool = False

    def wants(self, event: Event, sim: dict[str, Any] | None) -> bool:
        if self.types and event.type not in self.types:
            return False
        if event.type == THRESHOLD and (not self.forecast if event.data.get("kind") == "forecast"
                                        else event.data.get("threshold_percent") != self.threshold):
            return False
        if event.type == SILENT and event.data.get("hours") != self.silent_hours:
            return False
        if event.data.get("scope") == "group":  # a group's own event: chosen by its group, never by SIM or tag
            return not (self.sim_card_ids or self.tags) and self.sim_card_group_id in (
                None, event.data.get("sim_card_group_id"))
        if self.sim_card_ids and event.sim_card_id not in self.sim_card_ids:
            return False
        if self.sim_card_group_id or self.tags:
            if sim is None:  # an action of a SIM outside the list read: it cannot be matched, so it is left out
                return False
            if self.sim_card_group_id and sim.get("sim_card_group_id") != self.sim_card_group_id:
                return False
            if self.tags and not self.tags <= set(sim.get("tags") or ()):
                return False
        return True


def _record(record: Any) -> tuple[str, float, float, str] | None:
    """(SIM id, start in seconds, MB, "mcc-mnc") of a detail record; None when unreadable."""
    if not isinstance(record, dict) or not record.get("sim_card_id"):
        return None
    start = moment(record.get("created_at"))
    if start is None:
        return None
    mb = sum(megabytes(record.get(k)) or 0.0 for k in ("uplink_data", "downlink_data"))
    return str(record["sim_card_id"]), start, mb, f"{record.get('mcc') or ''}-{record.get('mnc') or ''}"


def detect_usage(records: list[dict[str, Any]], seen: dict[str, Seen], sims: dict[str, dict[str, Any]], *,
                 now: float, learning: bool) -> list[Event]:
    """Events from the detail records that arrived since the last poll, updating each SIM's daily totals and
    networks in `seen`. `learning`: the first read (its baseline of days) reports nothing: what it shows is the
    SIM's usual. A new network counts once the SIM has MIN_ACTIVE_DAYS days with data; a spike is the usage
    tools' own detector (tools/analytics/detectors.py) on the day's total against the 28 days before it."""
    from ..tools.analytics.detectors import MIN_ACTIVE_DAYS, spikes

    events: list[Event] = []
    stamp = iso(now)
    touched: dict[str, set[int]] = {}
    readable = sorted(filter(None, map(_record, records)), key=lambda r: r[1])
    for sim_id, start, mb, network in readable:
        state = seen.setdefault(sim_id, Seen())
        day = datetime.fromtimestamp(start, timezone.utc).date().toordinal()
        before = sum(1 for d, v in state.days.items() if v > 0 and int(d) < day)
        state.days[str(day)] = state.days.get(str(day), 0.0) + mb
        if state.sent_at is None or start > state.sent_at:
            state.sent_at, state.silences = start, []
        touched.setdefault(sim_id, set()).add(day)
        if network != "-" and network not in state.networks:
            if not learning and state.networks and before >= MIN_ACTIVE_DAYS:
                mcc, mnc = network.split("-", 1)
                events.append(Event(event_id(NETWORK, sim_id, network), NETWORK, stamp, sim_id, {
                    **_sim_data(sims.get(sim_id) or {"id": sim_id}), "mcc": mcc, "mnc": mnc, "first_seen": iso(start)}))
            state.networks = (state.networks + [network])[-20:]
    for sim_id, days in touched.items():
        state = seen[sim_id]
        if not learning:
            first = min(int(d) for d in state.days)
            for day in sorted(days):
                baseline = [state.days.get(str(d), 0.0) for d in range(max(first, day - 28), day)]
                for spike in spikes(baseline, [state.days[str(day)]]):
                    events.append(Event(event_id(ANOMALY, sim_id, "spike", day), ANOMALY, stamp, sim_id, {
                        **_sim_data(sims.get(sim_id) or {"id": sim_id}), "kind": "spike",
                        "day": datetime.fromordinal(day).date().isoformat(), "mb": round(spike.mb, 2),
                        "usual_mb": round(spike.usual_mb, 2), "ratio": round(spike.ratio, 1)}))
        oldest = max(int(d) for d in state.days) - USAGE_DAYS
        state.days = {d: v for d, v in state.days.items() if int(d) > oldest}
    return events


def detect_forecasts(sims: list[dict[str, Any]], seen: dict[str, Seen], *, now: float) -> list[Event]:
    """SIMs whose daily use (from detail records, in `seen`) reaches their own data limit before the billing period
    ends, by the usage tools' forecast (tools/analytics/detectors.py); once per SIM and period. A SIM already at its
    limit is left out (the crossed threshold and its status tell that), and so is one with under a week of days."""
    from ..tools.analytics.detectors import forecast

    events: list[Event] = []
    stamp, period = iso(now), period_of(now)
    today, period_end = _today_and_period_end(now)
    for sim in sims:
        state = seen.get(sim.get("id") or "")
        used, limit = megabytes(sim.get("current_billing_period_consumed_data")), megabytes(sim.get("data_limit"))
        if state is None or not state.days or used is None or not limit or used >= limit or status_of(sim) != "enabled":
            continue
        first, now_day = min(int(d) for d in state.days), today.toordinal()
        recent = [state.days.get(str(d), 0.0) for d in range(max(first, now_day - 28), now_day)]
        if len(recent) < 7:
            continue
        found = forecast(used, limit, recent, today, state.days.get(str(now_day), 0.0))
        if found.exhausts_on is not None and found.exhausts_on <= period_end:
            events.append(Event(event_id(THRESHOLD, sim["id"], "forecast", period), THRESHOLD, stamp, sim["id"], {
                **_sim_data(sim), "scope": "sim", "kind": "forecast", "threshold_percent": 100.0,
                "used_mb": round(used, 2), "limit_mb": round(limit, 2), "used_percent": round(100 * used / limit, 1),
                "period": period, "exhausts_on": found.exhausts_on.isoformat(),
                "burn_mb_per_day": round(found.burn_mb_per_day, 2)}))
    return events


def _today_and_period_end(now: float):
    from datetime import date, timedelta

    today = datetime.fromtimestamp(now, timezone.utc).date()
    return today, date(today.year + today.month // 12, today.month % 12 + 1, 1) - timedelta(days=1)


def detect_group_forecasts(groups: list[dict[str, Any]], sims: list[dict[str, Any]], seen: dict[str, Seen], *,
                           now: float) -> list[Event]:
    """Groups whose enabled SIMs' daily use together (from detail records, in `seen`) reaches the limit they share
    before the billing period ends, by the same forecast as a SIM's; once per group and period. Left out as for a
    SIM: a group at its limit already, or with under a week of days."""
    from ..tools.analytics.detectors import forecast

    days: dict[str, dict[int, float]] = {}  # group id: MB per day of its enabled SIMs
    for sim in sims:
        state = seen.get(sim.get("id") or "")
        if state is None or not state.days or not sim.get("sim_card_group_id") or status_of(sim) != "enabled":
            continue
        total = days.setdefault(sim["sim_card_group_id"], {})
        for day, mb in state.days.items():
            total[int(day)] = total.get(int(day), 0.0) + mb
    events: list[Event] = []
    stamp, period = iso(now), period_of(now)
    today, period_end = _today_and_period_end(now)
    now_day = today.toordinal()
    for group in groups:
        group_id = group.get("id")
        used, limit = megabytes(group.get("consumed_data")), megabytes(group.get("data_limit"))
        daily = days.get(group_id or "")
        if not daily or used is None or not limit or used >= limit:
            continue
        recent = [daily.get(d, 0.0) for d in range(max(min(daily), now_day - 28), now_day)]
        if len(recent) < 7:
            continue
        found = forecast(used, limit, recent, today, daily.get(now_day, 0.0))
        if found.exhausts_on is not None and found.exhausts_on <= period_end:
            events.append(Event(event_id(THRESHOLD, "group", group_id, "forecast", period), THRESHOLD, stamp, None, {
                "sim_card_id": None, "iccid": None, "sim_card_group_id": group_id,
                "sim_card_group_name": group.get("name"), "scope": "group", "kind": "forecast",
                "threshold_percent": 100.0, "used_mb": round(used, 2), "limit_mb": round(limit, 2),
                "used_percent": round(100 * used / limit, 1), "period": period,
                "exhausts_on": found.exhausts_on.isoformat(), "burn_mb_per_day": round(found.burn_mb_per_day, 2)}))
    return events
