"""Every event type on a 10,000-SIM sandbox fleet, seeded through the sandbox's clock and usage history: each
event is emitted by the first poll that can see it, once, across a restart (SQLite) and a failover between two
replicas sharing a real redis-server; and nothing is emitted that the sandbox's own record does not hold.

The truth comes from the sandbox, never from the watcher: its store after each poll (statuses, use against
limits, what each group's SIMs used together against the limit they share, finished actions), the usage profiles it draws sessions from (`usage.truth`, `Profile`), and the
sessions still to come this billing period (for forecasts).
"""

from __future__ import annotations

from datetime import UTC, datetime

import anyio
import httpx
import pytest

from redis_server import RedisServer
from telnyx_iot_mcp.sandbox import create_app, lifecycle, usage
from telnyx_iot_mcp.server.events import ACTION, ANOMALY, FINISHED, NETWORK, SILENT, STATUS, THRESHOLD, iso
from telnyx_iot_mcp.server.watcher import USAGE_LAG, RedisWatchState, SqliteWatchState, Watcher
from telnyx_iot_mcp.tools.client import TelnyxClient

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

START = datetime(2026, 12, 10, 6, tzinfo=UTC).timestamp()  # a Thursday: the seeded day is a working day
INTERVAL = 12 * 3600.0
POLLS = 7  # three days
DAY = 86400.0
SILENT_HOURS = 24.0


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def mb(amount: dict | None) -> float:
    return float(amount["amount"]) if amount else 0.0


class Fleet:
    """The sandbox fleet, the events seeded into it, and what its store held after each poll."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.app = create_app(sim_count=10_000, action_delay=600.0, clock=self.clock)
        self.sb = self.app.state.sandbox
        self.history = usage.history(self.sb)
        self.client = TelnyxClient(base_url="http://sandbox/v2", transport=httpx.ASGITransport(app=self.app))
        self.snapshots: list[dict] = []
        self.forecast_sims: set[str] = set()
        self.action_kinds: dict[str, str] = {}
        self.seed_groups()

    def group_used(self) -> dict[str, float]:
        """MB each group's SIMs used together this period, from the sandbox's SIMs."""
        used: dict[str, float] = {}
        for d in self.sims().values():
            used[d["sim_card_group_id"]] = used.get(d["sim_card_group_id"], 0.0) + mb(d["current_billing_period_consumed_data"])
        return used

    def seed_groups(self) -> None:
        """Shared limits near the groups' use: Test Bench over 80% already at the first poll (its limit raised
        after the second, before it runs out), Smart Meters at 70%, crossing 80% while the watch runs."""
        self.history.advance(self.clock.now)  # the use at the first poll
        groups = {g["name"]: g for g in self.sb.store.all("sim_card_groups")}
        used = self.group_used()
        self.seeded_groups = {groups["Test Bench"]["id"]: 0.85, groups["Smart Meters"]["id"]: 0.70}
        for group_id, share in self.seeded_groups.items():
            group = self.sb.store.get("sim_card_groups", group_id)
            self.sb.store.put("sim_card_groups", {**group, "data_limit": {"amount": f"{used[group_id] / share:.0f}",
                                                                            "unit": "MB"}})

    def raise_group_limit(self, name: str) -> None:
        group = next(g for g in self.sb.store.all("sim_card_groups") if g["name"] == name)
        self.sb.store.put("sim_card_groups", {**group, "data_limit": {
            "amount": f"{self.group_used()[group['id']] * 2:.0f}", "unit": "MB"}})

    def sims(self) -> dict[str, dict]:
        return self.sb.store.collection("sim_cards")

    def snapshot(self) -> None:
        sims = self.sims()
        self.snapshots.append({
            "status": {i: d["status"]["value"] for i, d in sims.items()},
            "used": {i: mb(d["current_billing_period_consumed_data"]) for i, d in sims.items()},
            "over": {i for i, d in sims.items() if mb(d["current_billing_period_consumed_data"])
                     >= mb(d["data_limit"]) * 0.8},
            "groups_over": {g: used for g, used in self.group_used().items() if used >= 0.8 * mb(
                (self.sb.store.get("sim_card_groups", g) or {}).get("data_limit")) > 0},
            "finished": {a["id"]: a["status"]["value"] for a in self.sb.store.all("sim_card_actions")
                         if a["status"]["value"] in FINISHED},
        })

    def until_period_end(self, doc: dict, now: float) -> float:
        """MB the SIM will still use this billing period if it stays enabled (its sessions after `now`)."""
        p = self.history.profile(doc)
        if p is None:
            return 0.0
        end = datetime(2027, 1, 1, tzinfo=UTC).timestamp()
        return sum(p.megabytes(d) for d in range(usage.day_of(now), usage.day_of(end) + 1)
                   if p.sends(d) and now < p.starts(d) < end)

    def seed_usage(self) -> None:
        """After the first poll: spikes, trips and silences on the next day, and limits that will run out."""
        sims, h, now = self.sims(), self.history, self.clock.now
        day = usage.day_of(now) + 1
        quiet = []
        for doc in sorted(sims.values(), key=lambda d: d["id"]):
            p = h.profile(doc)
            if (doc["status"]["value"] == "enabled" and p is not None and p.stop_at == float("inf")
                    and p.trip is None and p.spike is None and p.first_day <= h.anchor_day - 21
                    and doc["sim_card_group_id"] not in self.seeded_groups):  # its group's limit is near
                group = self.sb.store.get("sim_card_groups", doc.get("sim_card_group_id") or "") or {}
                limit = min(mb(doc["data_limit"]), mb(group.get("data_limit")) or float("inf"))
                daily = sum(p.megabytes(d) for d in range(day - 14, day)) / 14
                if mb(doc["current_billing_period_consumed_data"]) + 20 * daily < 0.75 * limit:
                    quiet.append((doc, p, daily))  # far from its limits (a SIM stopped at one sends nothing)
        step = len(quiet) // 200
        chosen = quiet[::step][:200]  # spread over the fleet: 50 of each kind
        spiking, roaming, silenced, forecast = chosen[:50], chosen[50:100], chosen[100:150], chosen[150:200]
        self.changed_sims = {doc["id"] for doc, _, _ in chosen[:150]}  # their days to come differ from their past
        for doc, p, _ in spiking:
            p.spike = (day, 12.0)
        for doc, p, _ in roaming:
            p.trip = (day, next(n for n in usage.FOREIGN if n not in (p.home, *p.roams)))
        for doc, p, _ in silenced:
            h.silence(doc, (day + 1) * DAY)
        for doc, p, daily in forecast:  # about four days' use left: the limit runs out this month
            limit = mb(doc["current_billing_period_consumed_data"]) + 4 * daily
            self.sb.store.put("sim_cards", {**doc, "data_limit": {"amount": f"{limit:.0f}", "unit": "MB"}})
            self.forecast_sims.add(doc["id"])

    async def seed_actions(self) -> None:
        """Between two polls: 300 actions that complete (more than a page), 20 interrupted by the SIM's
        deletion, 20 that fail."""
        http = self.client._http
        truth = usage.truth(self.sb)
        seeded = self.forecast_sims | set(truth["silent"]) | set(truth["spike"]) | set(truth["new_network"])
        free = [d for d in sorted(self.sims().values(), key=lambda d: d["id"], reverse=True)
                if d["status"]["value"] == "enabled" and d["id"] not in seeded
                and not d["actions_in_progress"] and d["sim_card_group_id"] not in self.seeded_groups][:340]
        for n, doc in enumerate(free):
            kind = ("disable", "set_standby")[n % 2]
            response = await http.post(f"/sim_cards/{doc['id']}/actions/{kind}")
            assert response.status_code == 202, response.text
            action = response.json()["data"]
            self.action_kinds[action["id"]] = kind
            if n >= 320:
                lifecycle.fail(self.sb, self.sb.store.get("sim_card_actions", action["id"]),
                               "The network refused the request.", usage.iso(self.clock.now))
            elif n >= 300:
                response = await http.delete(f"/sim_cards/{doc['id']}")
                assert response.status_code == 200, response.text


def key(event) -> tuple:
    d = event.data
    if event.type == THRESHOLD:
        return (THRESHOLD, d["kind"], event.sim_card_id or ("group", d["sim_card_group_id"]), d["period"])
    if event.type == STATUS:
        return (STATUS, event.sim_card_id, d["from"], d["to"])
    if event.type == ACTION:
        return (ACTION, d["action_id"], d["status"])
    if event.type == NETWORK:
        return (NETWORK, event.sim_card_id, d["mcc"], d["mnc"])
    if event.type == ANOMALY:
        return (ANOMALY, event.sim_card_id, d["day"])
    return (SILENT, event.sim_card_id, d["silent_since"])


def first_uses(fleet: Fleet, doc: dict, until: float) -> dict[tuple[str, str], float]:
    """The networks a SIM first used after the first read's baseline, and when (its sessions, by its profile)."""
    p = fleet.history.profile(doc)
    if p is None:
        return {}
    base = START - USAGE_LAG - 14 * DAY
    known, found = set(), {}
    for d in range(usage.day_of(base) - 1, usage.day_of(until) + 1):
        start = p.starts(d)
        if p.sends(d) and base <= start <= until - USAGE_LAG:
            if start <= START - USAGE_LAG:
                known.add(p.network(d))
            elif p.network(d) not in known:
                known.add(p.network(d))
                found[p.network(d)] = start
    return found


def expected(fleet: Fleet, times: list[float]) -> dict[tuple, int]:
    """Each event the sandbox's record holds (but forecasts, judged apart), and the poll that can first see it."""
    snaps, out = fleet.snapshots, {}
    period = "2026-12"
    for k, snap in enumerate(snaps):
        for sim_id in snap["over"]:
            out.setdefault((THRESHOLD, "crossed", sim_id, period), k)
        for group_id in snap["groups_over"]:
            out.setdefault((THRESHOLD, "crossed", ("group", group_id), period), k)
        if k == 0:
            continue
        before = snaps[k - 1]
        for sim_id, status in snap["status"].items():
            if sim_id in before["status"] and before["status"][sim_id] != status:
                out[(STATUS, sim_id, before["status"][sim_id], status)] = k
        for action_id, status in snap["finished"].items():
            if action_id not in before["finished"]:
                out[(ACTION, action_id, status)] = k

    def first_poll(moment: float) -> int:
        return next(k for k, t in enumerate(times) if t >= moment)

    truth, sims, h = usage.truth(fleet.sb), fleet.sims(), fleet.history
    first = usage.day_of(START) + 1
    for sim_id, day in truth["spike"].items():
        when = datetime.fromisoformat(day + "T00:00:00+00:00").timestamp()
        if when >= first * DAY:
            p = h.profile(sims[sim_id])
            out[(ANOMALY, sim_id, day)] = first_poll(p.starts(usage.day_of(when)) + USAGE_LAG)
    # New networks: from each session the profile says the SIM started, the ones on a network it had not used
    # since the first read's baseline began (the seeded trips among them). SIMs not enabled throughout are judged
    # apart: the sandbox lists no session of a stopped SIM after seeding.
    steady = {i for i in sims if all(snap["status"].get(i) == "enabled" for snap in fleet.snapshots)}
    for sim_id in steady:
        for (mcc, mnc), start in first_uses(fleet, sims[sim_id], times[-1]).items():
            out[(NETWORK, sim_id, mcc, mnc)] = first_poll(start + USAGE_LAG)
    trips = {(NETWORK, i, mcc, mnc) for i, (mcc, mnc, day) in truth["new_network"].items()
             if h.profile(sims[i]).trip[0] >= first}
    assert trips and trips <= set(out), "every seeded trip is among the new networks"
    for sim_id, at in truth["silent"].items():
        if "T" in at:  # silenced by the test: the last session before it, seen by the next poll
            p = h.profile(sims[sim_id])
            last = max(d for d in range(first - 1, usage.day_of(p.stop_at) + 1) if p.starts(d) < p.stop_at)
            grew = times[first_poll(p.starts(last))]  # the poll that saw its use grow
            quiet = max(grew + SILENT_HOURS * 3600, p.starts(last) + SILENT_HOURS * 3600 + USAGE_LAG)
            out[(SILENT, sim_id, iso(grew))] = first_poll(quiet)  # and whose records show no session since
    return out


def check(fleet: Fleet, found: list[tuple[int, object]], times: list[float]) -> dict[str, int]:
    """`found`: (poll, event) as emitted. Every expected event at its poll, once; anything else is a true event
    the expectation leaves to judgement (new networks a roaming SIM had not shown, forecasts) and is judged."""
    want = expected(fleet, times)
    got: dict[tuple, list[int]] = {}
    ids = [e.id for _, e in found]
    assert len(ids) == len(set(ids)), "an event id was emitted twice"
    for poll, event in found:
        got.setdefault(key(event), []).append(poll)
    assert all(len(polls) == 1 for polls in got.values()), [k for k, p in got.items() if len(p) > 1][:5]
    missing = {k: p for k, p in want.items() if k not in got}
    assert not missing, f"{len(missing)} events not emitted, e.g. {list(missing.items())[:5]}"
    late = {k: (p, got[k][0]) for k, p in want.items() if got[k][0] != p}
    assert not late, f"{len(late)} events not emitted by the first poll that could see them: {list(late.items())[:5]}"

    sims = fleet.sims()
    extra = {k: p[0] for k, p in got.items() if k not in want}
    forecasts = {k[2]: p for k, p in extra.items() if k[:2] == (THRESHOLD, "forecast")}
    for k, poll in extra.items():
        if k[0] == NETWORK:  # of a SIM stopped during the run: a first use its profile holds, seen in time
            _, sim_id, mcc, mnc = k
            start = first_uses(fleet, sims[sim_id], times[poll]).get((mcc, mnc))
            assert start is not None and times[poll - 1] < start + USAGE_LAG <= times[poll], k
        else:
            assert k[:2] == (THRESHOLD, "forecast"), f"an event the sandbox does not hold: {k}"
    # Forecasts: every seeded limit that runs out this month is foretold by the first poll after it was set;
    # any other forecast is of a SIM whose sessions still to come this month really take it near its limit.
    assert {s for s, poll in forecasts.items() if poll == 1} >= fleet.forecast_sims
    for sim_id, poll in forecasts.items():
        doc = sims.get(sim_id)
        if doc is not None and sim_id not in fleet.forecast_sims:
            total = fleet.snapshots[poll]["used"][sim_id] + fleet.until_period_end(doc, times[poll])
            assert total >= 0.8 * mb(doc["data_limit"]), (sim_id, poll, total, doc["data_limit"])
    # And the first poll foretells every SIM whose sessions still to come clearly take it past its own limit.
    first = fleet.snapshots[0]
    for sim_id, doc in sims.items():
        p = fleet.history.profile(doc)
        if (first["status"].get(sim_id) == "enabled" and p is not None and p.first_day <= usage.day_of(START) - 14
                and sim_id not in fleet.forecast_sims | fleet.changed_sims and first["used"][sim_id] < mb(doc["data_limit"])):
            total = first["used"][sim_id] + fleet.until_period_end(doc, START)
            if total >= 1.25 * mb(doc["data_limit"]):
                assert forecasts.get(sim_id) == 0, (sim_id, total, doc["data_limit"], forecasts.get(sim_id))
    kinds: dict[str, int] = {}
    for k in got:
        name = k[0] if k[0] != THRESHOLD else f"{THRESHOLD}:{k[1]}"
        kinds[name] = kinds.get(name, 0) + 1
    return kinds


async def run(fleet: Fleet, poller, times: list[float]) -> list[tuple[int, object]]:
    """Poll at each of `times` with whichever watcher `poller(k)` gives, seeding after the first two polls."""
    found = []
    for k, at in enumerate(times):
        fleet.clock.now = at
        watcher = await poller(k)
        found += [(k, e) for e in await watcher.poll()]
        fleet.snapshot()
        if k == 0:
            fleet.seed_usage()
        if k == 1:
            fleet.clock.now = at + 3600
            await fleet.seed_actions()
            fleet.raise_group_limit("Test Bench")  # under 80% again: no second event this period
    return found


def watcher(fleet: Fleet, state) -> Watcher:
    return Watcher(fleet.client, state, "acct", thresholds=(80,), silent_hours=(SILENT_HOURS,), usage=True,
                   forecast=True, groups=True, clock=fleet.clock)


def check_groups(fleet: Fleet, found: list[tuple[int, object]], times: list[float]) -> None:
    """Test Bench at the first poll, Smart Meters by the poll after its SIMs' use together passed 80% of the limit
    they share, each once, with the sandbox's figures; no other group. A group foretold to run out: its enabled
    SIMs' sessions still to come this period really take it near its limit."""
    groups = {g["name"]: g["id"] for g in fleet.sb.store.all("sim_card_groups")}
    for poll, event in found:
        if event.data.get("scope") == "group" and event.data["kind"] == "forecast":
            group_id = event.data["sim_card_group_id"]
            members = [d for d in fleet.sims().values() if d["sim_card_group_id"] == group_id]
            total = sum(fleet.snapshots[poll]["used"][d["id"]] for d in members) + sum(
                fleet.until_period_end(d, times[poll]) for d in members
                if fleet.snapshots[poll]["status"][d["id"]] == "enabled")
            assert total >= 0.8 * event.data["limit_mb"], (event.data, total)
    crossed = {e.data["sim_card_group_id"]: (poll, e) for poll, e in found
               if e.data.get("scope") == "group" and e.data["kind"] == "crossed"}
    assert set(crossed) == {groups["Test Bench"], groups["Smart Meters"]}, crossed
    assert crossed[groups["Test Bench"]][0] == 0 and crossed[groups["Smart Meters"]][0] > 0
    for group_id, (poll, event) in crossed.items():
        assert event.sim_card_id is None and event.data["used_mb"] == pytest.approx(
            fleet.snapshots[poll]["groups_over"][group_id], abs=0.01)


async def test_every_event_type_once_with_a_restart_on_sqlite(tmp_path):
    fleet = Fleet()
    times = [START + k * INTERVAL for k in range(POLLS)]
    current = [watcher(fleet, SqliteWatchState(tmp_path / "w.db"))]

    async def poller(k: int) -> Watcher:
        if k == 4:  # a restart: the same state file, a new process's watcher; the same moment polled again
            await current[0].state.aclose()
            current[0] = watcher(fleet, SqliteWatchState(tmp_path / "w.db"))
            fleet.clock.now = times[3]
            assert await current[0].poll() == []
            fleet.clock.now = times[4]
        return current[0]

    found = await run(fleet, poller, times)
    kinds = check(fleet, found, times)
    check_groups(fleet, found, times)
    assert {THRESHOLD + ":crossed", THRESHOLD + ":forecast", STATUS, ACTION, ANOMALY, NETWORK, SILENT} <= set(kinds)
    assert {s for k, s in ((k, s) for k, s in fleet.snapshots[-1]["finished"].items()
                           if k in fleet.action_kinds)} == {"completed", "failed", "interrupted"}
    print("events by type:", kinds)
    await current[0].state.aclose()
    await fleet.client.aclose()


async def test_every_event_type_once_across_a_failover_on_redis():
    fleet = Fleet()
    times = [START + k * INTERVAL for k in range(POLLS)]
    with RedisServer() as redis:
        replicas = [watcher(fleet, RedisWatchState(redis.url)) for _ in range(2)]
        lease = 8.0  # seconds of real time (longer than a poll): the holder renews it each poll

        async def poller(k: int) -> Watcher:
            if k == 3:  # the holder dies in the middle of its poll; the other takes over once the lease lapses
                holder = replicas[0]
                assert await holder.lead(lease)
                with anyio.move_on_after(0.3) as killed:
                    await holder.poll()
                assert killed.cancelled_caught, "the poll was stopped before it finished"
                await holder.state.aclose()
                assert not await replicas[1].lead(lease)
                await anyio.sleep(lease + 0.2)
                replicas.pop(0)
            assert await replicas[0].lead(lease)
            if len(replicas) > 1:
                assert not await replicas[1].lead(lease)  # one poller at a time
            return replicas[0]

        found = await run(fleet, poller, times)
        kinds = check(fleet, found, times)
        check_groups(fleet, found, times)
        assert {THRESHOLD + ":crossed", THRESHOLD + ":forecast", STATUS, ACTION, ANOMALY, NETWORK, SILENT} <= set(kinds)
        logged = await replicas[0].state.read("acct", 0, 100_000)
        assert sorted(e.id for _, e in logged) == sorted(e.id for _, e in found)  # the log holds each once
        await replicas[0].state.aclose()
    await fleet.client.aclose()
