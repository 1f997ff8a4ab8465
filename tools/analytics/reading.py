"""Reading a fleet's usage from the API the cheapest way it allows, folded into per-SIM daily series as it arrives.

SIMs come from list_sim_cards (`fields` kept to what the series need), groups from list_sim_card_groups, sessions
from list_wireless_detail_records (GET /reports/wdrs): every list at its largest page size, the pages after the
first read a few at a time (the client's budget keeps them inside the rate limit). Records are not kept: each
page is added to the series and dropped, so a month of a 10,000-SIM fleet fits in memory.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import anyio

from ..client import ApiResponse, TelnyxClient
from ..executor import execute
from ..paging import PAGE_SIZE, Progress, page_size_limit
from ..registry import OPERATIONS
from ..request import ApiRequest
from ..words import UNITS_SHOWN_IN_MB, megabytes

CONCURRENCY = 6  # pages in flight at once, within the client's own budget
MAX_SIM_IDS = 100
SIM_FIELDS = ["id", "iccid", "status.value", "sim_card_group_id", "tags", "current_billing_period_consumed_data",
              "data_limit"]


class Clocked:
    """The client, counting requests and keeping the API's clock (its Date header) for `now`."""

    def __init__(self, client: TelnyxClient) -> None:
        self._client = client
        self.requests = 0
        self.date: float | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    async def send(self, request: ApiRequest) -> ApiResponse:
        response = await self._client.send(request)
        self.requests += 1
        if response.date is not None:
            self.date = response.date
        return response

    def now(self) -> float:
        return self.date if self.date is not None else time.time()


@dataclass
class Sim:
    id: str
    iccid: str | None
    status: str | None
    group_id: str | None
    tags: list[str]
    used_mb: float
    limit_mb: float | None  # its own
    days: dict[int, float] = field(default_factory=lambda: defaultdict(float))  # date ordinal -> MB
    cost: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    # (date ordinal, mcc, mnc) -> [MB, cost, first start (s), sessions]
    networks: dict[tuple[int, str, str], list[float]] = field(default_factory=dict)
    last_seen: float | None = None  # when its last session ended, seconds
    first_day: int | None = None


@dataclass
class Fleet:
    sims: dict[str, Sim]
    groups: dict[str, dict[str, Any]]  # id -> {name, limit_mb}
    records: int = 0
    currency: set[str] = field(default_factory=set)
    not_in_scope: int = 0  # records of SIMs outside the filters (read because the API cannot filter by tags)
    unreadable: int = 0  # records without a readable time: left out, and counted in the answer


def seconds(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def day_number(t: float) -> int:
    return datetime.fromtimestamp(t, UTC).date().toordinal()


def as_date(ordinal: int) -> date:
    return date.fromordinal(ordinal)


async def pages(client: Clocked, name: str, arguments: dict[str, Any], each: Any,
                progress: Progress | None = None) -> int:
    """Every page of a list operation, `each(records)` called per page (in any order); the total reported."""
    op = OPERATIONS[name]
    size = min(page_size_limit(op), PAGE_SIZE)
    first = await execute(client, op, {**arguments, "page_number": 1, "page_size": size}, whole=True)
    each(first.get("data") or [])
    meta = first.get("meta") or {}
    total_pages, total = int(meta.get("total_pages") or 1), int(meta.get("total_results") or 0)
    done = [1]
    if progress is not None:
        await progress(1, total_pages, f"{name}: page 1 of {total_pages}")
    if total_pages > 1:
        limiter = anyio.Semaphore(CONCURRENCY)

        async def one(number: int) -> None:
            async with limiter:
                result = await execute(client, op, {**arguments, "page_number": number, "page_size": size}, whole=True)
            each(result.get("data") or [])
            done[0] += 1
            if progress is not None:
                await progress(done[0], total_pages, f"{name}: {done[0]} of {total_pages} pages")

        async with anyio.create_task_group() as tg:
            for number in range(2, total_pages + 1):
                tg.start_soon(one, number)
    return total


async def read_groups(client: Clocked) -> dict[str, dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}

    def add(batch: list[dict[str, Any]]) -> None:
        for g in batch:
            if not isinstance(g, dict) or not isinstance(g.get("id"), str):
                continue
            groups[g["id"]] = {"name": g.get("name") or g["id"],
                               "limit_mb": megabytes(g.get("data_limit"), UNITS_SHOWN_IN_MB)}

    await pages(client, "list_sim_card_groups", {}, add)
    return groups


def sim_of(record: dict[str, Any]) -> Sim:
    status = record.get("status")
    return Sim(
        id=record["id"], iccid=record.get("iccid"),
        status=status.get("value") if isinstance(status, dict) else status,
        group_id=record.get("sim_card_group_id"),
        tags=[t for t in record["tags"] if isinstance(t, str)] if isinstance(record.get("tags"), list) else [],
        used_mb=megabytes(record.get("current_billing_period_consumed_data"), UNITS_SHOWN_IN_MB) or 0.0,
        limit_mb=megabytes(record.get("data_limit"), UNITS_SHOWN_IN_MB),
    )


async def read_sims(client: Clocked, scope: dict[str, Any], progress: Progress | None = None) -> dict[str, Sim]:
    """The SIMs in scope: by id (one read each), else the list with the group and tag filters."""
    sims: dict[str, Sim] = {}
    if scope.get("sim_card_ids"):
        limiter = anyio.Semaphore(CONCURRENCY)

        async def one(sim_id: str) -> None:
            async with limiter:
                found = await execute(client, OPERATIONS["get_sim_card"], {"sim_card_id": sim_id}, whole=True)
            if isinstance(found.get("data"), dict):
                sims[sim_id] = sim_of({**found["data"], "id": sim_id})

        async with anyio.create_task_group() as tg:
            for sim_id in scope["sim_card_ids"]:
                tg.start_soon(one, sim_id)
        keep = [s for s in scope["sim_card_ids"] if s in sims]  # in the order asked
        return {s: sims[s] for s in keep if _in_scope(sims[s], scope)}

    def add(batch: list[dict[str, Any]]) -> None:
        for record in batch:
            if isinstance(record, dict) and isinstance(record.get("id"), str):
                sims[record["id"]] = sim_of(record)

    arguments: dict[str, Any] = {"fields": SIM_FIELDS}
    if scope.get("sim_card_group_id"):
        arguments["sim_card_group_id"] = scope["sim_card_group_id"]
    if scope.get("tags"):
        arguments["tags"] = scope["tags"]
    await pages(client, "list_sim_cards", arguments, add, progress)
    return {k: sims[k] for k in sorted(sims) if _in_scope(sims[k], scope)}


def _in_scope(sim: Sim, scope: dict[str, Any]) -> bool:
    group = scope.get("sim_card_group_id")
    tags = scope.get("tags") or []
    return (not group or sim.group_id == group) and all(t in sim.tags for t in tags)


def add_record(fleet: Fleet, record: dict[str, Any]) -> None:
    if not isinstance(record, dict):
        fleet.unreadable += 1
        return
    sim = fleet.sims.get(str(record.get("sim_card_id") or ""))
    if sim is None:
        fleet.not_in_scope += 1
        return
    try:
        start = seconds(str(record["created_at"]))
        day = day_number(start)
        duration = float(record.get("duration_seconds") or 0)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        fleet.unreadable += 1
        return
    fleet.records += 1
    mb = sum(megabytes(record.get(k), UNITS_SHOWN_IN_MB) or 0.0 for k in ("uplink_data", "downlink_data"))
    cost_field = record["cost"] if isinstance(record.get("cost"), dict) else {}
    try:
        cost = float(cost_field.get("amount") or 0)  # a string in the API description, a number in old examples
    except (TypeError, ValueError):
        cost = 0.0
    if isinstance(cost_field.get("currency"), str):
        fleet.currency.add(cost_field["currency"])
    sim.days[day] += mb
    sim.cost[day] += cost
    cell = sim.networks.setdefault((day, str(record.get("mcc") or ""), str(record.get("mnc") or "")),
                                   [0.0, 0.0, start, 0])
    cell[0] += mb
    cell[1] += cost
    cell[2] = min(cell[2], start)
    cell[3] += 1
    ended = start + duration
    sim.last_seen = ended if sim.last_seen is None else max(sim.last_seen, ended)
    sim.first_day = day if sim.first_day is None else min(sim.first_day, day)


async def read_usage(client: Clocked, scope: dict[str, Any], first: date, until: float,
                     progress: Progress | None = None) -> Fleet:
    """SIMs, groups and every session from the start of `first` until `until` (seconds) of the SIMs in scope."""
    groups = await read_groups(client)
    sims = await read_sims(client, scope, progress)
    fleet = Fleet(sims, groups)
    window = {"start_date": f"{first.isoformat()}T00:00:00Z",
              "end_date": datetime.fromtimestamp(until, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}

    def add(batch: list[dict[str, Any]]) -> None:
        for record in batch:
            add_record(fleet, record)

    if scope.get("sim_card_ids"):
        limiter = anyio.Semaphore(CONCURRENCY)

        async def one(sim_id: str) -> None:
            async with limiter:
                await pages(client, "list_wireless_detail_records", {**window, "sim_card_id": sim_id}, add)

        async with anyio.create_task_group() as tg:
            for sim_id in sims:
                tg.start_soon(one, sim_id)
    else:
        by_group = {"sim_group_id": scope["sim_card_group_id"]} if scope.get("sim_card_group_id") else {}
        await pages(client, "list_wireless_detail_records", {**window, **by_group}, add, progress)
    return fleet


async def operator_names(client: Clocked, networks: set[tuple[str, str]]) -> dict[tuple[str, str], dict[str, str]]:
    """Names and countries of networks, one read per country code (MCC) seen."""
    names: dict[tuple[str, str], dict[str, str]] = {}

    def add(batch: list[dict[str, Any]]) -> None:
        for o in batch:
            if isinstance(o, dict):
                names[(str(o.get("mcc")), str(o.get("mnc")))] = {"name": o.get("name"), "country": o.get("country_code")}

    async with anyio.create_task_group() as tg:
        for mcc in sorted({mcc for mcc, _ in networks if mcc}):
            tg.start_soon(pages, client, "list_mobile_network_operators", {"mcc": mcc}, add)
    return names


def days_between(first: date, last: date) -> list[int]:
    return [first.toordinal() + n for n in range((last - first).days + 1)]


def series(sim: Sim, days: list[int]) -> list[float]:
    """The SIM's MB per day over `days`, 0.0 for a day without data (days before its first session left out)."""
    start = sim.first_day if sim.first_day is not None else days[-1] + 1 if days else 0
    return [round(sim.days.get(d, 0.0), 3) for d in days if d >= start]


__all__ = ["Clocked", "Fleet", "Sim", "as_date", "days_between", "operator_names", "read_usage", "series"]
