"""The usage tools' answers: `find_usage_anomalies`, `forecast_data_limits`, `usage_report`.

Each reads the fleet once (reading.py), runs the detectors (detectors.py) and answers compactly: a list capped at
`limit` with its full count and the arguments that continue it (`meta.next`), the window and the number of records
and requests it took, and the same answer for the same data.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from statistics import median
from typing import Any

from ..client import TelnyxClient
from ..errors import ToolError
from ..executor import execute
from ..paging import Progress
from ..registry import OPERATIONS
from ..shaping import trim
from . import detectors
from .reading import Clocked, Fleet, Sim, as_date, days_between, operator_names, read_usage, series

BASELINE_DAYS = 28
MAX_WINDOW_DAYS = 92
KINDS = ("spike", "silent", "new_network")


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _minute(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%MZ")


def _date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ToolError("invalid_arguments", f"{name}: {value!r} is not a date such as 2026-11-30. Nothing was sent.",
                        problems=[f"{name}: not an ISO date"]) from None


def window(arguments: dict[str, Any], today: date, default_days: int, *,
           default_start: date | None = None) -> tuple[date, date]:
    """[start, end], both inclusive: `start`/`end`, else the `days` up to today, else the tool's default."""
    if arguments.get("days") and arguments.get("start"):
        raise ToolError("invalid_arguments", "days: give either days or start (with end), not both. Nothing was sent.",
                        problems=["days: given with start"])
    end = _date(arguments["end"], "end") if arguments.get("end") else today
    if arguments.get("start"):
        start = _date(arguments["start"], "start")
    elif arguments.get("days"):
        start = end - timedelta(days=arguments["days"] - 1)
    else:
        start = default_start or end - timedelta(days=default_days - 1)
    if start > end:
        raise ToolError("invalid_arguments", f"start: {start} is after end {end}. Nothing was sent.",
                        problems=["start: after end"])
    if (end - start).days + 1 > MAX_WINDOW_DAYS:
        raise ToolError("invalid_arguments", f"start: the window {start}..{end} is longer than {MAX_WINDOW_DAYS} days. "
                        "Nothing was sent.", problems=[f"start: window over {MAX_WINDOW_DAYS} days"])
    return start, end


def scope_of(arguments: dict[str, Any]) -> dict[str, Any]:
    return {k: arguments[k] for k in ("sim_card_group_id", "tags", "sim_card_ids") if arguments.get(k)}


def until_of(end: date, now: float) -> float:
    """The end of the window in seconds: the end of its last day, or now if that is still to come."""
    return min(datetime(end.year, end.month, end.day, tzinfo=UTC).timestamp() + 86400, now)


def period_of(day: date) -> tuple[date, date]:
    """The billing period holding `day`: its calendar month (UTC), first and last day."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def capped(items: list[dict[str, Any]], arguments: dict[str, Any], resolved: dict[str, Any]) -> tuple[list, dict]:
    """One page of `items` (`offset`, `limit`), with `fields` applied, and the meta that says what is left."""
    offset, limit = arguments.get("offset", 0), arguments.get("limit", 30)
    page = items[offset:offset + limit]
    if arguments.get("fields"):
        page = trim(page, arguments["fields"])
    meta: dict[str, Any] = {"total": len(items), "returned": len(page), "offset": offset}
    if offset + len(page) < len(items):
        meta["next"] = {**resolved, "offset": offset + len(page), "limit": limit}
        meta["note"] = (f"{len(page)} of {len(items)} from offset {offset}: call again with the arguments in "
                        "meta.next for the rest.")
    return page, meta


def _read_meta(client: Clocked, fleet: Fleet, start: date, end: date, until: float) -> dict[str, Any]:
    meta = {"window": {"start": start.isoformat(), "end": end.isoformat(), "until": _iso(until)},
            "sim_cards": len(fleet.sims), "records": fleet.records, "requests": client.requests}
    if fleet.unreadable:
        meta["unreadable_records"] = fleet.unreadable  # left out: no readable time
    if len(fleet.currency) > 1:
        meta["currencies"] = sorted(fleet.currency)  # costs are added as numbers; say when they mix
    return meta


def _group(fleet: Fleet, sim: Sim) -> str | None:
    return fleet.groups.get(sim.group_id or "", {}).get("name")


# -- find_usage_anomalies ---------------------------------------------------------------------------------

async def find_usage_anomalies(client: TelnyxClient, arguments: dict[str, Any],
                               progress: Progress | None = None) -> dict[str, Any]:
    api = Clocked(client)
    scope = scope_of(arguments)
    today = await api_today(api)
    start, end = window(arguments, today, 7)
    baseline_start = start - timedelta(days=BASELINE_DAYS)
    until = until_of(end, api.now())
    fleet = await read_usage(api, scope, baseline_start, until, progress)
    kinds = set(arguments.get("kinds") or KINDS)
    hours = arguments.get("silent_hours", detectors.SILENT_HOURS)
    findings = anomalies(fleet, start, end, until, kinds, hours)
    resolved = {"start": start.isoformat(), "end": end.isoformat()}
    page, listed = capped(findings, arguments, resolved)
    networks = {(f["mcc"], f["mnc"]) for f in page if f.get("kind") == "new_network" and "mcc" in f}
    names = await operator_names(api, networks) if networks else {}
    counts = {k: sum(1 for f in findings if f["kind"] == k) for k in KINDS if k in kinds}
    meta = {**_read_meta(api, fleet, start, end, until), "baseline": {
        "start": baseline_start.isoformat(), "end": (start - timedelta(days=1)).isoformat()}, "counts": counts, **listed}
    if names:  # each new network's operator and country, once
        meta["networks"] = {f"{mcc}-{mnc}": " ".join(filter(None, (v.get("name"), f"({v['country']})" if v.get("country")
                                                                    else None))) for (mcc, mnc), v in sorted(names.items())}
    meta["summary"] = (
        f"{len(findings)} findings ({', '.join(f'{n} {k}' for k, n in counts.items())}) among {len(fleet.sims)} SIM "
        f"cards, {start}..{end} against the {BASELINE_DAYS} days before; {fleet.records} records read in "
        f"{api.requests} requests.")
    return {"data": page, "meta": meta}


async def api_today(api: Clocked) -> date:
    """Today by the API's clock: one small read of the groups (the answer's Date header), else the local clock."""
    await execute(api, OPERATIONS["list_sim_card_groups"], {"page_size": 1}, whole=True)
    return datetime.fromtimestamp(api.now(), UTC).date()


def anomalies(fleet: Fleet, start: date, end: date, until: float, kinds: set[str],
              hours: float = detectors.SILENT_HOURS) -> list[dict[str, Any]]:
    """Every finding of `kinds` in [start, end], against the BASELINE_DAYS before: most recent first."""
    base_days = days_between(start - timedelta(days=BASELINE_DAYS), start - timedelta(days=1))
    window_days = days_between(start, end)
    baselines = {sim.id: series(sim, base_days) for sim in fleet.sims.values()}
    usual_by_group: dict[str | None, list[float]] = defaultdict(list)
    for sim in fleet.sims.values():
        active = [x for x in baselines[sim.id] if x > 0]
        if len(active) >= detectors.MIN_HISTORY_DAYS:
            usual_by_group[sim.group_id].append(median(baselines[sim.id]))
    group_usual = {g: median(v) for g, v in usual_by_group.items()}
    found: list[dict[str, Any]] = []
    for sim in fleet.sims.values():
        head = {"sim_card_id": sim.id, "iccid": sim.iccid}
        baseline = baselines[sim.id]
        days = [d for d in window_days if sim.first_day is not None and d >= sim.first_day]
        if "spike" in kinds:
            for s in detectors.spikes(baseline, [sim.days.get(d, 0.0) for d in days],
                                      group_usual=group_usual.get(sim.group_id)):
                found.append({"kind": "spike", **head, "date": as_date(days[s.day]).isoformat(), "mb": round(s.mb, 1),
                              "usual_mb": round(s.usual_mb, 1), **({} if s.score is not None else {"against": "group"})})
        if "silent" in kinds and sim.status in (None, "enabled"):
            quiet = detectors.silence(sim.last_seen, until, baseline, hours=hours)
            if quiet is not None and sim.last_seen is not None:
                found.append({"kind": "silent", **head, "last_seen": _minute(sim.last_seen), "hours": round(quiet.hours),
                              "usual_mb": round(quiet.usual_mb, 1)})
        if "new_network" in kinds:
            known = {(mcc, mnc) for (d, mcc, mnc) in sim.networks if d < window_days[0]}
            sessions = [detectors.Session(c[2], mcc, mnc, c[0], c[1]) for (d, mcc, mnc), c in sim.networks.items()
                        if d >= window_days[0]]
            for n in detectors.new_networks(known, sessions, known_days=sum(1 for x in baseline if x > 0)):
                found.append({"kind": "new_network", **head, "date": _minute(n.first_seen)[:10], "mcc": n.mcc,
                              "mnc": n.mnc, "mb": round(n.mb, 1)})
    order = {k: n for n, k in enumerate(KINDS)}
    found.sort(key=lambda f: (f["sim_card_id"], order[f["kind"]], f.get("mcc", "") + f.get("mnc", "")))
    found.sort(key=lambda f: (f.get("date") or f["last_seen"])[:10], reverse=True)
    return found


# -- forecast_data_limits ---------------------------------------------------------------------------------

async def forecast_data_limits(client: TelnyxClient, arguments: dict[str, Any],
                               progress: Progress | None = None) -> dict[str, Any]:
    api = Clocked(client)
    today = await api_today(api)
    start, end = window(arguments, today - timedelta(days=1), BASELINE_DAYS)
    until = until_of(end, api.now())
    fleet = await read_usage(api, scope_of(arguments), start, until, progress)
    period_start, period_end = period_of(today)
    rows, groups = forecasts(fleet, start, min(end, today - timedelta(days=1)), today, period_end)
    page, listed = capped(rows, arguments, {"start": start.isoformat(), "end": end.isoformat()})
    exhausting = [r for r in rows if r["before_period_end"]]
    meta = {**_read_meta(api, fleet, start, end, until), "today": today.isoformat(),
            "billing_period": {"start": period_start.isoformat(), "end": period_end.isoformat()},
            "exhausting_before_period_end": len(exhausting), "without_limit": len(fleet.sims) - len(rows), **listed}
    meta["summary"] = (
        f"{len(exhausting)} of {len(rows)} SIM cards with a data limit reach it before the billing period ends "
        f"({period_end}); burn rates from {start}..{min(end, today - timedelta(days=1))}, {fleet.records} records "
        f"read in {api.requests} requests.")
    return {"data": {"sim_cards": page, "groups": groups}, "meta": meta}


def forecasts(fleet: Fleet, start: date, last: date, today: date,
              period_end: date) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per SIM with a limit (its own or its group's, the stricter): burn rate and the day it runs out, soonest
    first; and per group: SIMs, use, burn and how many run out before `period_end`."""
    days = days_between(start, last) if start <= last else []
    rows: list[dict[str, Any]] = []
    group_rows: dict[str | None, dict[str, Any]] = {}
    for sim in fleet.sims.values():
        group = fleet.groups.get(sim.group_id or "", {})
        limits = [(v, w) for v, w in ((sim.limit_mb, "sim"), (group.get("limit_mb"), "group")) if v is not None]
        f = None
        entry = group_rows.setdefault(sim.group_id, {
            "sim_card_group_id": sim.group_id, "name": group.get("name"), "limit_mb": group.get("limit_mb"),
            "sim_cards": 0, "used_mb": 0.0, "burn_mb_per_day": 0.0, "exhausting": 0, "first_exhausts_on": None})
        entry["sim_cards"] += 1
        entry["used_mb"] += sim.used_mb
        if limits:
            limit, whose = min(limits)
            f = detectors.forecast(sim.used_mb, limit, series(sim, days), today, sim.days.get(today.toordinal(), 0.0))
            on = f.exhausts_on.isoformat() if f.exhausts_on else None
            before = f.exhausts_on is not None and f.exhausts_on <= period_end
            rows.append({"sim_card_id": sim.id, "iccid": sim.iccid, "group": group.get("name"),
                         "used_mb": round(sim.used_mb, 1), "limit_mb": limit, "limit_of": whose,
                         "burn_mb_per_day": round(f.burn_mb_per_day, 1), "exhausts_on": on, "before_period_end": before})
            entry["burn_mb_per_day"] += f.burn_mb_per_day
            if before:
                entry["exhausting"] += 1
                entry["first_exhausts_on"] = min(filter(None, (entry["first_exhausts_on"], on)))
    rows.sort(key=lambda r: (r["exhausts_on"] is None, r["exhausts_on"] or "", r["sim_card_id"]))
    groups = sorted(group_rows.values(), key=lambda g: (-g["exhausting"], g["name"] or ""))
    for g in groups:
        g["used_mb"], g["burn_mb_per_day"] = round(g["used_mb"], 1), round(g["burn_mb_per_day"], 1)
    return rows, groups


# -- usage_report -----------------------------------------------------------------------------------------

BREAKDOWNS = ("group", "country", "operator", "day", "group_day", "sim")


async def usage_report(client: TelnyxClient, arguments: dict[str, Any],
                       progress: Progress | None = None) -> dict[str, Any]:
    api = Clocked(client)
    today = await api_today(api)
    start, end = window(arguments, today, 31, default_start=today.replace(day=1))
    until = until_of(end, api.now())
    fleet = await read_usage(api, scope_of(arguments), start, until, progress)
    networks = {(mcc, mnc) for sim in fleet.sims.values() for (_, mcc, mnc) in sim.networks}
    names = await operator_names(api, networks) if {"country", "operator"} & set(arguments.get("by") or BREAKDOWNS) else {}
    data, counts = report(fleet, start, end, names, arguments.get("by") or [b for b in BREAKDOWNS if b != "group_day"],
                          arguments.get("top", 10))
    meta = {**_read_meta(api, fleet, start, end, until), "listed": counts}
    cut = [f"{k} {len(data[k])} of {n}" for k, n in counts.items() if k in data and len(data[k]) < n]
    if cut:
        meta["note"] = "Capped at top=" + str(arguments.get("top", 10)) + ": " + ", ".join(cut) + \
            "; call again with a larger top (up to 100), or filter, for the rest."
    total = data["totals"]
    meta["summary"] = (f"{total['mb'] / 1024:.2f} GB and {total['cost']:.2f} {total['currency'] or ''} over {start}..{end} "
                       f"by {total['sim_cards']} SIM cards; {fleet.records} records read in {api.requests} requests.")
    return {"data": data, "meta": meta}


def report(fleet: Fleet, start: date, end: date, names: dict[tuple[str, str], dict[str, str]], by: list[str],
           top: int) -> tuple[dict[str, Any], dict[str, int]]:
    """Totals and the breakdowns `by` names, each sorted (most data first; days in order) and capped at `top`."""
    first, last = start.toordinal(), end.toordinal()
    groups: dict[str | None, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    countries: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    operators: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    days: dict[int, list[float]] = {d: [0.0, 0.0] for d in range(first, last + 1)}
    group_days: dict[int, dict[str, float]] = {d: defaultdict(float) for d in range(first, last + 1)}
    sims = []
    for sim in fleet.sims.values():
        mb = cost = 0.0
        for (day, mcc, mnc), cell in sim.networks.items():
            if not first <= day <= last:
                continue
            mb, cost = mb + cell[0], cost + cell[1]
            countries[mcc][0] += cell[0]
            countries[mcc][1] += cell[1]
            operators[(mcc, mnc)][0] += cell[0]
            operators[(mcc, mnc)][1] += cell[1]
            days[day][0] += cell[0]
            days[day][1] += cell[1]
            group_days[day][_group(fleet, sim) or "no group"] += cell[0]
        if mb or cost:
            entry = groups[sim.group_id]
            entry[0], entry[1], entry[2] = entry[0] + mb, entry[1] + cost, entry[2] + 1
            sims.append({"sim_card_id": sim.id, "iccid": sim.iccid, "group": _group(fleet, sim), "mb": round(mb, 1),
                         "cost": round(cost, 4)})

    def country_of(mcc: str) -> str | None:
        return next((v["country"] for (c, _), v in names.items() if c == mcc and v.get("country")), None)

    lists: dict[str, list[dict[str, Any]]] = {
        "group": [{"sim_card_group_id": g, "name": fleet.groups.get(g or "", {}).get("name"), "mb": round(e[0], 1),
                   "cost": round(e[1], 4), "sim_cards": e[2]} for g, e in groups.items()],
        "country": [{"mcc": mcc, "country": country_of(mcc), "mb": round(e[0], 1), "cost": round(e[1], 4)}
                    for mcc, e in countries.items()],
        "operator": [{"mcc": k[0], "mnc": k[1], "operator": names.get(k, {}).get("name"), "mb": round(e[0], 1),
                      "cost": round(e[1], 4)} for k, e in operators.items()],
        "sim": sims,
    }
    for items in lists.values():
        items.sort(key=lambda r: (-r["mb"], str(r.get("sim_card_id") or r.get("sim_card_group_id") or r.get("mcc"))
                                  + str(r.get("mnc") or "")))
    total_mb = sum(d[0] for d in days.values())
    data: dict[str, Any] = {"totals": {
        "mb": round(total_mb, 1), "cost": round(sum(d[1] for d in days.values()), 4),
        "currency": min(fleet.currency) if fleet.currency else None, "sim_cards": len(sims)}}
    keys = {"group": "by_group", "country": "by_country", "operator": "by_operator", "sim": "top_sim_cards"}
    counts = {}
    for kind, key in keys.items():
        if kind in by:
            data[key] = lists[kind][:top]
            counts[key] = len(lists[kind])
    if "day" in by:
        data["by_day"] = [{"date": as_date(d).isoformat(), "mb": round(e[0], 1), "cost": round(e[1], 4)}
                          for d, e in sorted(days.items())]
    if "group_day" in by:
        data["by_group_day"] = [{"date": as_date(d).isoformat(), **{g: round(v, 1) for g, v in sorted(e.items())}}
                                for d, e in sorted(group_days.items())]
    return data, counts
