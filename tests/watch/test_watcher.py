"""The watcher against the sandbox: each event once, the first poll learns the fleet, restarts repeat nothing."""

from __future__ import annotations

import pytest

from recorded import Recorded
from telnyx_iot_mcp.sandbox import create_app, lifecycle, usage
from telnyx_iot_mcp.server.events import ACTION, ANOMALY, NETWORK, SILENT, STATUS, THRESHOLD, Subscription
from telnyx_iot_mcp.server.watcher import SqliteWatchState, Watcher
from telnyx_iot_mcp.tools.client import TelnyxClient

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 1_796_000_000.0  # mid-December 2026

    def __call__(self) -> float:
        return self.now


def fleet(sim_count: int = 48, clock: Clock | None = None):
    app = create_app(sim_count=sim_count, action_delay=0.0, clock=clock or Clock())
    transport = Recorded(app)
    return app, transport, TelnyxClient(base_url="http://sandbox/v2", transport=transport)


def sims(app) -> dict:
    return app.state.sandbox.store.collection("sim_cards")


def put(app, doc: dict, **fields) -> None:
    app.state.sandbox.store.put("sim_cards", {**doc, **fields})


def use(app, doc: dict, mb: float) -> None:
    put(app, doc, current_billing_period_consumed_data={"amount": f"{mb:.2f}", "unit": "MB"})


def over(doc: dict, percent: float) -> bool:
    used = float(doc["current_billing_period_consumed_data"]["amount"])
    return bool(doc.get("data_limit")) and used >= float(doc["data_limit"]["amount"]) * percent / 100


async def test_first_poll_learns_and_nothing_repeats_after_a_restart(tmp_path):
    clock = Clock()
    app, _, client = fleet(clock=clock)
    expected = {d["id"] for d in sims(app).values() if over(d, 80)}
    assert expected, "the demo fleet has SIMs over 80% of their limit"
    watcher = Watcher(client, SqliteWatchState(tmp_path / "w.db"), "acct", thresholds=(80,), silent_hours=(24,),
                      clock=clock)
    first = await watcher.poll()
    assert {e.type for e in first} == {THRESHOLD}  # statuses and networks seen first are not changes
    assert {e.sim_card_id for e in first} == expected
    assert await watcher.poll() == []  # the same conditions: nothing new
    assert {e.id for _, e in await watcher.unread("me")} == {e.id for e in first}
    await watcher.taken("me", await watcher.state.head("acct"))
    await watcher.state.aclose()

    again = Watcher(client, SqliteWatchState(tmp_path / "w.db"), "acct", thresholds=(80,), silent_hours=(24,),
                    clock=clock)
    assert await again.poll() == []
    assert await again.unread("me") == []  # a restart: the conditions already reported stay reported
    await client.aclose()


async def test_status_change_finished_action_and_silence(tmp_path):
    clock = Clock()
    app, _, client = fleet(clock=clock)
    watcher = Watcher(client, SqliteWatchState(tmp_path / "w.db"), "acct", thresholds=(80,), silent_hours=(24,),
                      clock=clock)
    await watcher.poll()
    await watcher.taken("me", await watcher.state.head("acct"))
    enabled = [d for d in sims(app).values() if d["status"]["value"] == "enabled" and not over(d, 80)]
    target, quiet = enabled[0], enabled[2]

    response = await client._http.post(f"/sim_cards/{target['id']}/actions/disable")
    assert response.status_code == 202, response.text
    clock.now += 60
    await watcher.poll()  # the action is seen in progress (or already done)
    clock.now += 60
    use(app, quiet, float(quiet["current_billing_period_consumed_data"]["amount"]) + 5)
    usage.history(app.state.sandbox).silence(sims(app)[quiet["id"]], clock.now)  # the sandbox's SIMs send daily; this one stops
    await watcher.poll()
    by_type = {}
    for _, e in await watcher.unread("me"):
        by_type.setdefault(e.type, []).append(e)
    assert [e.sim_card_id for e in by_type[STATUS]] == [target["id"]]
    assert by_type[STATUS][0].data["from"] == "enabled" and by_type[STATUS][0].data["to"] == "disabled"
    assert [e.data["action_type"] for e in by_type[ACTION]] == ["disable"]
    assert by_type[ACTION][0].data["status"] == "completed"
    assert SILENT not in by_type
    await watcher.taken("me", await watcher.state.head("acct"))

    clock.now += 23 * 3600
    assert [e for e in await watcher.poll() if e.type == SILENT] == []  # 23 hours: not yet
    clock.now += 2 * 3600
    silent = [e for e in await watcher.poll() if e.type == SILENT]
    assert [e.sim_card_id for e in silent] == [quiet["id"]]  # only the one seen sending, then silent
    clock.now += 3600
    assert [e for e in await watcher.poll() if e.type == SILENT] == []  # once
    await client.aclose()


async def test_usage_anomalies_and_new_networks_from_detail_records(tmp_path):
    """The sandbox's history, and a spike and a trip to a new network seeded for the days after the first poll:
    exactly those SIMs are reported, once each; what the first read (the baseline) holds is the SIMs' usual."""
    clock = Clock()
    app, _, client = fleet(sim_count=200, clock=clock)
    history = usage.history(app.state.sandbox)
    watcher = Watcher(client, SqliteWatchState(tmp_path / "w.db"), "acct", thresholds=(80,), silent_hours=(24,),
                      usage=True, clock=clock)
    learned = await watcher.poll()
    assert not [e for e in learned if e.type in (ANOMALY, NETWORK)]  # the seeded past is the baseline
    senders = [d for d in sims(app).values() if d["status"]["value"] == "enabled" and history.profile(d)
               and history.profile(d).stop_at == float("inf") and not history.profile(d).trip]
    day = int(clock.now // 86400) + 1
    spiking, roaming = senders[:3], senders[3:6]
    for doc in spiking:
        history.profile(doc).spike = (day, 12.0)
    known = {n for d in roaming for n in (history.profile(d).home, *history.profile(d).roams)}
    for doc in roaming:
        history.profile(doc).trip = (day, next(n for n in usage.FOREIGN if n not in known))
    found = []
    for _ in range(4):  # two days, in polls 12 hours apart
        clock.now += 12 * 3600
        found += await watcher.poll()
    anomalies = [e for e in found if e.type == ANOMALY]
    networks = [e for e in found if e.type == NETWORK]
    assert sorted(e.sim_card_id for e in anomalies) == sorted(d["id"] for d in spiking)
    assert all(e.data["ratio"] >= 4 and e.data["day"] == anomalies[0].data["day"] for e in anomalies)
    seeded = {d["id"]: history.profile(d).trip[1] for d in roaming}
    assert {e.sim_card_id: (e.data["mcc"], e.data["mnc"]) for e in networks if e.sim_card_id in seeded} == seeded
    # Any other: a network the SIM roams on now and then that the baseline's days did not happen to show.
    by_id = {d["id"]: d for d in sims(app).values()}
    assert all((e.data["mcc"], e.data["mnc"]) in history.profile(by_id[e.sim_card_id]).roams
               for e in networks if e.sim_card_id not in seeded)
    clock.now += 12 * 3600
    again = await watcher.poll()
    assert not [e for e in again if e.type == ANOMALY and e.sim_card_id in {d["id"] for d in spiking}]  # once each
    assert not [e for e in again if e.type == NETWORK and e.sim_card_id in seeded]
    await client.aclose()


async def test_upstream_requests_per_poll_do_not_grow_with_subscribers(tmp_path):
    app, transport, client = fleet(sim_count=600)
    watcher = Watcher(client, SqliteWatchState(tmp_path / "w.db"), "acct", thresholds=(80,), silent_hours=(24,))
    await watcher.poll()
    groups = sorted({d["sim_card_group_id"] for d in sims(app).values()})
    for count in (1, 100):
        subscriptions = [Subscription(sim_card_group_id=groups[i % len(groups)]) for i in range(count)]
        before = transport.requests
        await watcher.poll()
        for subscription in subscriptions:
            [e for _, e in await watcher.unread("x") if subscription.wants(e, watcher.sims.get(e.sim_card_id))]
        assert transport.requests - before == 4  # 3 pages of 250 SIMs and one page of actions, whoever listens
    await client.aclose()


async def test_actions_that_complete_fail_or_are_interrupted_and_more_than_a_page_of_them(tmp_path):
    clock = Clock()
    app = create_app(sim_count=600, action_delay=600.0, clock=clock)
    client = TelnyxClient(base_url="http://sandbox/v2", transport=Recorded(app))
    watcher = Watcher(client, SqliteWatchState(tmp_path / "w.db"), "acct", thresholds=(80,), silent_hours=(24,),
                      clock=clock)
    await watcher.poll()
    clock.now += 60
    enabled = [d for d in sims(app).values() if d["status"]["value"] == "enabled" and not d["actions_in_progress"]]
    started = {}
    for n, doc in enumerate(enabled[:300]):  # more than one page of actions between two polls
        response = await client._http.post(f"/sim_cards/{doc['id']}/actions/disable")
        assert response.status_code == 202, response.text
        started[response.json()["data"]["id"]] = "completed"
        if n == 0:
            assert (await client._http.delete(f"/sim_cards/{doc['id']}")).status_code == 200
            started[response.json()["data"]["id"]] = "interrupted"
        elif n == 1:
            action = app.state.sandbox.store.get("sim_card_actions", response.json()["data"]["id"])
            lifecycle.fail(app.state.sandbox, action, "The network refused the request.", "2026-11-30T01:00:00Z")
            started[action["id"]] = "failed"
    clock.now += 3600
    found = [e for e in await watcher.poll() if e.type == ACTION]
    assert {e.data["action_id"]: e.data["status"] for e in found} == started
    clock.now += 3600
    assert [e for e in await watcher.poll() if e.type == ACTION] == []
    await client.aclose()


async def test_a_poll_writes_the_rows_of_the_sims_that_changed_only(tmp_path):
    clock = Clock()
    app, _, client = fleet(sim_count=300, clock=clock)
    state = SqliteWatchState(tmp_path / "w.db")
    written = []
    commit = state.commit

    async def recording(account, saved, events, sims=None):
        written.append(dict(sims or {}))
        return await commit(account, saved, events, sims)

    state.commit = recording
    watcher = Watcher(client, state, "acct", thresholds=(80,), silent_hours=(24,), clock=clock)
    await watcher.poll()
    assert set(written[0]) == set(sims(app))  # the first poll learns every SIM
    await watcher.poll()
    assert written[1] == {}  # nothing changed: no SIM row is written
    target = next(d for d in sims(app).values() if d["status"]["value"] == "enabled")
    put(app, target, status={"value": "standby", "reason": ""})
    assert [e.sim_card_id for e in await watcher.poll()] == [target["id"]]
    assert set(written[2]) == {target["id"]}
    assert (await state.load("acct"))["sims"][target["id"]]["s"] == "standby"
    await client.aclose()


def group_used(app, group_id: str) -> float:
    return sum(float(d["current_billing_period_consumed_data"]["amount"]) for d in sims(app).values()
               if d["sim_card_group_id"] == group_id)


async def test_a_group_crossing_its_shared_limit_is_reported_once_also_after_a_restart(tmp_path):
    """A group's use (what its SIMs used together this period) crossing the threshold of the limit they share:
    one event in the poll that sees it, with the sandbox's own figures, none again, nor after a restart."""
    import jsonschema

    from telnyx_iot_mcp.server.events import EVENT_TYPES

    clock = Clock()
    app, transport, client = fleet(clock=clock)
    store = app.state.sandbox.store
    groups = {g["name"]: g for g in store.collection("sim_card_groups").values()}
    target = groups["Berlin Warehouse"]
    for group in groups.values():  # the target at 70% of its limit, the others far below theirs
        share = 0.7 if group is target else 0.25
        store.put("sim_card_groups", {**group, "data_limit": {
            "amount": f"{group_used(app, group['id']) / share / 1024:.3f}", "unit": "GB"}})
    watcher = Watcher(client, SqliteWatchState(tmp_path / "w.db"), "acct", thresholds=(80,), silent_hours=(24,),
                      groups=True, clock=clock)
    before = len(transport.sent)
    first = await watcher.poll()
    assert [r.url.path for r in transport.sent[before:]].count("/v2/sim_card_groups") == 1  # one page, one request
    assert [e for e in first if e.sim_card_id is None] == []  # no group at 80% yet
    await watcher.taken("me", await watcher.state.head("acct"))

    limit = float(store.get("sim_card_groups", target["id"])["data_limit"]["amount"]) * 1024
    member = next(d for d in sims(app).values() if d["sim_card_group_id"] == target["id"])
    use(app, member, float(member["current_billing_period_consumed_data"]["amount"])
        + 0.85 * limit - group_used(app, target["id"]))
    clock.now += 60
    crossed = [e for e in await watcher.poll() if e.data.get("scope") == "group"]
    assert len(crossed) == 1
    event = crossed[0]
    truth = (await client._http.get(f"/sim_card_groups/{target['id']}")).json()["data"]
    assert event.sim_card_id is None and event.type == THRESHOLD
    assert event.data["sim_card_group_id"] == target["id"] and event.data["sim_card_group_name"] == "Berlin Warehouse"
    assert event.data["used_mb"] == pytest.approx(float(truth["consumed_data"]["amount"]), abs=0.01)
    assert event.data["limit_mb"] == pytest.approx(limit, abs=0.01)
    assert event.data["used_percent"] == pytest.approx(85, abs=0.1) and event.data["threshold_percent"] == 80
    jsonschema.validate(event.data, EVENT_TYPES[THRESHOLD].payload)
    line = event.as_json()
    assert line["sim_card_id"] is None and line["sim_card_group_id"] == target["id"]

    # who gets it: everyone, or those of its group; not those of SIMs, tags, another group or threshold
    tags = frozenset(member["tags"])
    assert Subscription().wants(event, None) and Subscription(types=frozenset({THRESHOLD})).wants(event, None)
    assert Subscription(sim_card_group_id=target["id"]).wants(event, None)
    assert not Subscription(sim_card_group_id=groups["Trackers"]["id"]).wants(event, None)
    assert not Subscription(tags=tags).wants(event, None)
    assert not Subscription(sim_card_ids=frozenset({member["id"]})).wants(event, None)
    assert not Subscription(sim_card_group_id=target["id"], tags=tags).wants(event, None)
    assert not Subscription(threshold=90).wants(event, None) and not Subscription(types=frozenset({STATUS})).wants(event, None)

    clock.now += 60
    assert [e for e in await watcher.poll() if e.sim_card_id is None] == []  # once
    assert [e.id for _, e in await watcher.unread("me") if e.sim_card_id is None] == [event.id]
    await watcher.taken("me", await watcher.state.head("acct"))
    await watcher.state.aclose()
    again = Watcher(client, SqliteWatchState(tmp_path / "w.db"), "acct", thresholds=(80,), silent_hours=(24,),
                    groups=True, clock=clock)
    clock.now += 60
    assert [e for e in await again.poll() if e.sim_card_id is None] == []  # a restart: reported already
    assert await again.unread("me") == []
    await client.aclose()


async def test_a_group_whose_sims_together_will_use_up_its_limit_this_period_is_foretold_once(tmp_path):
    """With forecasts, the group's enabled SIMs' daily use together (from detail records) against the limit they
    share: a group about four days from its limit is foretold in the first poll, once; those far from it are not."""
    clock = Clock()
    clock.now = 1_796_000_000.0 + 10 * 86400  # 2026-12-10: three weeks of the period left
    app, _, client = fleet(sim_count=120, clock=clock)
    store, history = app.state.sandbox.store, usage.history(app.state.sandbox)
    history.advance(clock.now)
    groups = {g["name"]: g for g in store.collection("sim_card_groups").values()}
    day = usage.day_of(clock.now)

    def daily(group_id: str) -> float:  # what its enabled SIMs used a day, the last two weeks (the sandbox's own)
        total = 0.0
        for doc in sims(app).values():
            p = history.profile(doc)
            if doc["sim_card_group_id"] == group_id and doc["status"]["value"] == "enabled" and p is not None:
                total += sum(p.megabytes(d) for d in range(day - 14, day) if p.sends(d))
        return total / 14

    near = groups["Berlin Warehouse"]
    for group in groups.values():  # the others 200 days of their use from their limits
        days_left = 4 if group is near else 200
        limit = group_used(app, group["id"]) + days_left * daily(group["id"])
        store.put("sim_card_groups", {**group, "data_limit": {"amount": f"{limit:.0f}", "unit": "MB"}})
    watcher = Watcher(client, SqliteWatchState(tmp_path / "w.db"), "acct", thresholds=(80,), silent_hours=(24,),
                      usage=True, forecast=True, groups=True, clock=clock)
    first = [e for e in await watcher.poll() if e.data.get("scope") == "group" and e.data["kind"] == "forecast"]
    assert [e.data["sim_card_group_id"] for e in first] == [near["id"]]
    event = first[0]
    assert event.sim_card_id is None and event.data["used_mb"] < event.data["limit_mb"]
    assert event.data["exhausts_on"][:7] == event.data["period"] == "2026-12"
    assert event.data["burn_mb_per_day"] == pytest.approx(daily(near["id"]), rel=0.5)
    assert Subscription(forecast=True).wants(event, None) and not Subscription().wants(event, None)
    clock.now += 12 * 3600
    assert [e for e in await watcher.poll() if e.data.get("scope") == "group" and e.data["kind"] == "forecast"] == []
    await client.aclose()
