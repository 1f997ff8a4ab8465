"""`show_fleet_dashboard`: one picture of the fleet, read through the registry's list operations.

The same payload serves a model (its `summary` and records) and the dashboard App that hosts with MCP Apps draw
from it: status counts, data used by group and by SIM, SIMs over their limit, actions running or failed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from .client import TelnyxClient
from .executor import execute
from .paging import PAGE_SIZE, Progress
from .registry import OPERATIONS
from .words import UNITS_SHOWN_IN_MB, megabytes

MAX_SIM_CARDS = 10_000  # read at most this many SIMs (40 requests); the payload says when it stopped there
MAX_LISTED = 50  # actions listed by name
MAX_HISTORY_SIMS = 2_000  # beyond this, usage over time is left to usage_report (a month of records: 250 requests)
SIM_FIELDS = ["id", "iccid", "status.value", "sim_card_group_id", "current_billing_period_consumed_data",
              "data_limit"]


async def read_pages(client: TelnyxClient, name: str, arguments: dict[str, Any], limit: int,
                     progress: Progress | None = None) -> tuple[list[dict[str, Any]], int | None]:
    """Records of a list operation, page by page up to `limit`; and the total the API reports."""
    records: list[dict[str, Any]] = []
    total: int | None = None
    page = 1
    while len(records) < limit:
        result = await execute(client, OPERATIONS[name], {**arguments, "page_number": page, "page_size": PAGE_SIZE})
        batch = result.get("data") or []
        meta = result.get("meta") or {}
        total = meta.get("total_results", total)
        records.extend(batch)
        if progress is not None:
            await progress(len(records), total, f"{name}: {len(records)} of {total or '?'} read")
        if not batch or page >= (meta.get("total_pages") or page):
            break
        page += 1
    return records[:limit], total


def sim_row(sim: dict[str, Any], group_names: dict[str, str]) -> dict[str, Any]:
    return {
        "id": sim.get("id"), "iccid": sim.get("iccid"), "status": (sim.get("status") or {}).get("value"),
        "group": group_names.get(sim.get("sim_card_group_id") or "", None),
        "used_mb": round(megabytes(sim.get("current_billing_period_consumed_data"), UNITS_SHOWN_IN_MB) or 0.0, 2),
        "limit_mb": megabytes(sim.get("data_limit"), UNITS_SHOWN_IN_MB),
    }


def action_row(action: dict[str, Any]) -> dict[str, Any]:
    status = action.get("status")
    return {
        "id": action.get("id"), "action_type": action.get("action_type"), "sim_card_id": action.get("sim_card_id"),
        "status": status.get("value") if isinstance(status, dict) else status,
        "reason": status.get("reason") if isinstance(status, dict) else None, "created_at": action.get("created_at"),
    }


async def fleet_dashboard(client: TelnyxClient, arguments: dict[str, Any],
                          progress: Progress | None = None) -> dict[str, Any]:
    group_id = arguments.get("sim_card_group_id")
    top = arguments.get("top", 10)
    groups, _ = await read_pages(client, "list_sim_card_groups", {}, MAX_SIM_CARDS)
    group_names = {g["id"]: g.get("name") or g["id"] for g in groups if g.get("id")}
    sims, total = await read_pages(client, "list_sim_cards",
                                   {"fields": SIM_FIELDS, **({"sim_card_group_id": group_id} if group_id else {})},
                                   MAX_SIM_CARDS, progress)
    running, _ = await read_pages(client, "list_sim_card_actions", {"status": "in-progress"}, MAX_LISTED)
    failed, _ = await read_pages(client, "list_sim_card_actions", {"status": "failed"}, MAX_LISTED)

    rows = [sim_row(sim, group_names) for sim in sims]
    by_status = Counter(row["status"] or "unknown" for row in rows)
    over = sorted((r for r in rows if r["status"] == "data_limit_exceeded"
                   or (r["limit_mb"] is not None and r["used_mb"] > r["limit_mb"])),
                  key=lambda r: (-r["used_mb"], r["id"] or ""))  # every one, most used first: the App pages them
    by_group: dict[str | None, dict[str, Any]] = defaultdict(lambda: {"sim_cards": 0, "used_mb": 0.0})
    for sim, row in zip(sims, rows):
        entry = by_group[sim.get("sim_card_group_id")]
        entry["sim_cards"] += 1
        entry["used_mb"] += row["used_mb"]
    groups_used = sorted(
        ({"id": gid, "name": group_names.get(gid or "", "no group"), "sim_cards": e["sim_cards"],
          "used_mb": round(e["used_mb"], 2)} for gid, e in by_group.items()),
        key=lambda g: -g["used_mb"])
    used = round(sum(r["used_mb"] for r in rows), 2)
    scope = {"sim_card_group_id": group_id, "group": group_names.get(group_id) if group_id else None}
    truncated = total is not None and len(rows) < total
    summary = (
        f"{len(rows)} SIM cards{' in ' + repr(scope['group'] or group_id) if group_id else ''}: "
        + ", ".join(f"{n} {s}" for s, n in by_status.most_common())
        + f". {len(over)} over their data limit. {used / 1024:.2f} GB used this period"
        + (f", most by {groups_used[0]['name']!r} ({groups_used[0]['used_mb'] / 1024:.2f} GB)" if groups_used else "")
        + f". Actions: {len(running)} in progress, {len(failed)} failed."
        + (f" Only the first {len(rows)} of {total} SIM cards were read." if truncated else "")
    )
    history = await usage_history(client, group_id, len(rows), progress)
    if history.get("note"):
        summary += " " + history["note"]
    return {
        "data": {
            "scope": scope,
            "billing_period": history.pop("billing_period"),
            "sim_cards": {"total": len(rows), "by_status": dict(by_status.most_common())},
            "data_used_mb": used,
            "by_group": groups_used,
            "top_sim_cards": sorted(rows, key=lambda r: -r["used_mb"])[:top],
            "over_limit": over,
            "actions": {"in_progress": [action_row(a) for a in running],
                        "failed": [action_row(a) for a in failed]},
            **history,
        },
        "meta": {"summary": summary, "sim_cards_read": len(rows), "total_results": total, "truncated": truncated},
    }


async def usage_history(client: TelnyxClient, group_id: str | None, sims: int,
                        progress: Progress | None = None) -> dict[str, Any]:
    """The billing period's dates and, for a fleet of at most MAX_HISTORY_SIMS, its usage over time from the
    detail records: data per group and day, cost by country, SIMs running out before the period ends, and
    the last week's unusual usage (tools/analytics)."""
    from datetime import timedelta

    from .analytics import answers, reading

    api = reading.Clocked(client)
    today = await answers.api_today(api)
    first, last = answers.period_of(today)
    out: dict[str, Any] = {"billing_period": {"start": first.isoformat(), "end": last.isoformat(),
                                              "today": today.isoformat()}}
    if sims > MAX_HISTORY_SIMS:
        out["note"] = (f"Usage over time is left out for more than {MAX_HISTORY_SIMS} SIM cards: usage_report, "
                       "forecast_data_limits and find_usage_anomalies answer it.")
        return out
    start = min(first, today - timedelta(days=answers.BASELINE_DAYS + 6))
    now = api.now()
    fleet = await reading.read_usage(api, {"sim_card_group_id": group_id} if group_id else {}, start, now, progress)
    networks = {(mcc, mnc) for sim in fleet.sims.values() for (_, mcc, mnc) in sim.networks}
    names = await reading.operator_names(api, networks)
    report, _ = answers.report(fleet, first, today, names, ["group_day", "country"], 100)
    forecasts, _ = answers.forecasts(fleet, today - timedelta(days=28), today - timedelta(days=1), today, last)
    out.update({
        "usage_by_day": report["by_group_day"],
        "cost_by_country": sorted(report["by_country"], key=lambda c: (-c["cost"], c["mcc"])),
        "currency": report["totals"]["currency"],
        "running_out": [f for f in forecasts if f["before_period_end"]],
        "anomalies": answers.anomalies(fleet, today - timedelta(days=6), today, now, set(answers.KINDS)),
        "usage_read": {"records": fleet.records, "requests": api.requests, "since": start.isoformat()},
    })
    return out
