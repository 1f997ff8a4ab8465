"""Determinism, SQLite persistence, what creating a sandbox costs, and paging through large fleets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from starlette.testclient import TestClient

from telnyx_iot_mcp.sandbox import create_app, summary
from telnyx_iot_mcp.sandbox.fleet import build
from telnyx_iot_mcp.sandbox.validation import load_facts, operations

BASE_URL = "http://sandbox/v2"
T0 = 1_780_000_000.0


def _client(**kwargs: Any) -> TestClient:
    kwargs.setdefault("clock", lambda: T0)
    return TestClient(create_app(**kwargs), base_url=BASE_URL)


def _dump(client: TestClient) -> str:
    paths = ["/sim_cards?page[size]=250", "/sim_card_groups", "/sim_card_orders",
             "/wireless_blocklists", "/storage/migrations", "/mobile_voice_connections",
             "/ota_updates", "/sim_card_data_usage_notifications"]
    return json.dumps([client.get(p).json() for p in paths], sort_keys=True)


def test_same_seed_same_bytes_other_seed_other_fleet() -> None:
    assert json.dumps(build(7, 48), sort_keys=True) == json.dumps(build(7, 48), sort_keys=True)
    assert _dump(_client(seed=7)) == _dump(_client(seed=7))
    assert _dump(_client(seed=7)) != _dump(_client(seed=8))
    # ids handed out after seeding are reproducible too
    a, b = _client(seed=3), _client(seed=3)
    assert a.post("/sim_card_groups", json={"name": "x"}).json() == \
        b.post("/sim_card_groups", json={"name": "x"}).json()


def test_seeded_fleet_shape() -> None:
    app = create_app(clock=lambda: T0)
    assert summary(app) == ("Telnyx IoT sandbox: 48 SIM cards (40 physical, 8 eSIM) in 4 "
                            "groups, 1 blocklist, 3 orders; no API key needed")
    store = app.state.sandbox.store
    statuses = {s["status"]["value"] for s in store.all("sim_cards")}
    assert statuses == {"enabled", "disabled", "standby", "data_limit_exceeded",
                        "unauthorized_imei"}
    groups = {g["name"]: g for g in store.all("sim_card_groups")}
    assert set(groups) == {"Trackers", "Berlin Warehouse", "Smart Meters", "Test Bench"}
    assert groups["Smart Meters"]["private_wireless_gateway_id"]
    assert groups["Berlin Warehouse"]["wireless_blocklist_id"]
    assert all(s.get("tags") for s in store.all("sim_cards"))
    small = create_app(sim_count=10, clock=lambda: T0)
    assert summary(small).startswith("Telnyx IoT sandbox: 10 SIM cards")


def test_sqlite_state_survives_a_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "sandbox.db")
    clock = [T0]
    first = _client(state_path=db, clock=lambda: clock[0])
    group = first.post("/sim_card_groups", json={"name": "Persisted"}).json()["data"]
    sim = first.get("/sim_cards", params={"filter[status]": "enabled"}).json()["data"][0]
    first.patch(f"/sim_cards/{sim['id']}", json={"sim_card_group_id": group["id"]})
    action = first.post(f"/sim_cards/{sim['id']}/actions/disable").json()["data"]
    doomed = first.get("/sim_cards").json()["data"][1]["id"]
    first.delete(f"/sim_cards/{doomed}")
    first.app.state.sandbox.store.close()  # type: ignore[attr-defined]

    # a second process: different seed and size are ignored, the file wins
    clock[0] += 5
    second = _client(state_path=db, seed=99, sim_count=5, clock=lambda: clock[0])
    groups = {g["name"]: g["sim_card_count"]
              for g in second.get("/sim_card_groups").json()["data"]}
    assert groups["Persisted"] == 1
    assert second.get("/sim_cards").json()["meta"]["total_results"] == 47
    assert second.get(f"/sim_cards/{doomed}").status_code == 404
    # the pending action was reloaded and settles against the new clock
    got = second.get(f"/sim_card_actions/{action['id']}").json()["data"]
    assert got["status"]["value"] == "completed"
    assert second.get(f"/sim_cards/{sim['id']}").json()["data"]["status"]["value"] == "disabled"
    # new ids do not collide with ones handed out before the restart
    other = second.post("/sim_card_groups", json={"name": "After"}).json()["data"]
    assert other["id"] != group["id"]
    assert "47 SIM cards" in summary(second.app)  # type: ignore[arg-type]


def test_a_new_app_reuses_the_parsed_api_description_and_checks_nothing_yet() -> None:
    """What keeps creating a sandbox cheap, counted rather than timed: the facts file is read and resolved
    once per process, and no body validator is built until a body is checked."""
    create_app()
    parsed = (load_facts.cache_info().misses, operations.cache_info().misses)
    validators = sum(op._validator is not None for op in operations())
    app = create_app(sim_count=12)
    assert (load_facts.cache_info().misses, operations.cache_info().misses) == parsed == (1, 1)
    assert sum(op._validator is not None for op in operations()) == validators
    assert len(list(app.state.sandbox.store.all("sim_cards"))) == 12


def _page_through(size: int, **params: Any) -> tuple[int, list[str]]:
    """Read a `size`-SIM fleet page by page: (documents the sandbox scanned, ids in order)."""
    app = create_app(sim_count=size, clock=lambda: T0)
    client = TestClient(app, base_url=BASE_URL)
    store = app.state.sandbox.store
    before, ids, number = store.scanned, [], 1
    while True:
        body = client.get("/sim_cards", params={"page[number]": number, "page[size]": 250,
                                                **params}).json()
        ids += [s["id"] for s in body["data"]]
        if number >= body["meta"]["total_pages"]:
            return store.scanned - before, ids
        number += 1


def test_paging_through_a_fleet_costs_work_proportional_to_its_size() -> None:
    """One scan per listing, not one per page: 4x the SIMs is 4x the work (it was 16x)."""
    small, ids_small = _page_through(1_000)
    large, ids_large = _page_through(4_000)
    assert len(set(ids_small)) == len(ids_small) == 1_000
    assert len(set(ids_large)) == len(ids_large) == 4_000
    assert (small, large) == (1_000, 4_000)
    # with each SIM's group embedded, the group figures are one more scan, not one per page
    with_groups, _ = _page_through(4_000, include_sim_card_group="true")
    assert with_groups == 2 * 4_000
    # a filtered, sorted listing keeps its order across pages
    scanned, ids = _page_through(4_000, **{"filter[status]": "disabled",
                                           "sort": "-current_billing_period_consumed_data.amount"})
    assert scanned == 4_000 and len(ids) > 250


@pytest.mark.slow
def test_a_fifty_thousand_sim_fleet_pages_in_one_scan() -> None:
    scanned, ids = _page_through(50_000)
    assert scanned == 50_000 and len(set(ids)) == 50_000
