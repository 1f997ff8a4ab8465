"""The documented Telnyx rules the sandbox follows, one test per rule, at the HTTP level.

Sources are listed with each rule in sandbox/README.md.
"""

from __future__ import annotations

from typing import Any

import pytest

Env = Any


def _error(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    return r.json()["errors"][0]


def test_every_answer_carries_a_request_id_and_the_rate_limit_headers(env: Env) -> None:
    ok = env.client.get("/sim_cards")
    bad = env.client.get("/sim_cards/not-a-uuid")
    ids = set()
    for r in (ok, bad):
        assert {"x-request-id", "x-ratelimit-limit", "x-ratelimit-remaining",
                "x-ratelimit-reset"} <= set(r.headers)
        ids.add(r.headers["x-request-id"])
    assert len(ids) == 2
    assert int(bad.headers["x-ratelimit-remaining"]) == int(ok.headers["x-ratelimit-remaining"]) - 1


def test_the_optional_rate_limit_answers_429_as_telnyx_does(make_env: Any) -> None:
    env = make_env(rate_limit=3, rate_window=45)
    answers = [env.client.get("/sim_card_groups") for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert [r.headers["x-ratelimit-remaining"] for r in answers] == ["2", "1", "0", "0"]
    e = _error(answers[-1], 429)
    assert (e["code"], e["title"]) == ("10011", "Too many requests")
    assert answers[-1].headers["x-ratelimit-limit"] == "3"
    assert answers[-1].headers["x-ratelimit-reset"] == "45"
    env.clock.advance(30)
    assert env.client.get("/sim_card_groups").headers["x-ratelimit-reset"] == "15"
    env.clock.advance(15)
    assert env.client.get("/sim_card_groups").status_code == 200


def test_a_group_data_limit_is_shared_by_its_sims_and_raising_it_releases_them(env: Env) -> None:
    """Telnyx's SIMCardGroup `data_limit` is what "the SIM cards, within the group, can use", and the group's
    `consumed_data` what they used together: over it, every enabled SIM of the group stops."""
    c = env.client
    group = env.group("Berlin Warehouse")
    members = env.sims(sim_card_group_id=group["id"])
    together = sum(float(s["current_billing_period_consumed_data"]["amount"]) for s in members)
    shown = c.get(f"/sim_card_groups/{group['id']}").json()["data"]
    assert float(shown["consumed_data"]["amount"]) == pytest.approx(together, abs=0.01)
    enabled = {s["id"] for s in members if s["status"]["value"] == "enabled"}
    assert enabled and together < float(shown["data_limit"]["amount"])  # the seeded fleet fits its groups
    # a limit each SIM fits alone but not all together stops all of them; the rest keep their status
    cap = max(float(s["current_billing_period_consumed_data"]["amount"]) for s in members) + 1
    assert cap < together
    c.patch(f"/sim_card_groups/{group['id']}", json={"data_limit": {"amount": f"{cap:.0f}", "unit": "MB"}})
    after = {s["id"]: s["status"]["value"] for s in env.sims(sim_card_group_id=group["id"])}
    assert {i for i, v in after.items() if v == "data_limit_exceeded"} >= enabled
    assert {i: v for i, v in after.items() if i not in enabled and v != "data_limit_exceeded"} == {
        s["id"]: s["status"]["value"] for s in members if s["id"] not in enabled and s["status"]["value"] != "data_limit_exceeded"}
    # a SIM's own limit raised does not free it: the group's is used up
    one = next(iter(enabled))
    c.patch(f"/sim_cards/{one}", json={"data_limit": {"amount": "50", "unit": "GB"}})
    assert env.store.get("sim_cards", one)["status"]["value"] == "data_limit_exceeded"
    e = _error(c.post(f"/sim_cards/{one}/actions/disable"), 422)
    assert "its group's SIMs used" in e["detail"] and "shared data limit" in e["detail"]
    c.patch(f"/sim_card_groups/{group['id']}", json={"data_limit": {"amount": "100", "unit": "GB"}})
    assert all(env.store.get("sim_cards", i)["status"]["value"] == "enabled" for i in enabled)
    # a SIM moved into a group takes its use along: past the group's limit, the group's SIMs stop with it
    bench = env.group("Test Bench")
    bench_used = float(c.get(f"/sim_card_groups/{bench['id']}").json()["data"]["consumed_data"]["amount"])
    heavy = max(enabled, key=lambda i: float(env.store.get("sim_cards", i)["current_billing_period_consumed_data"]["amount"]))
    heavy_used = float(env.store.get("sim_cards", heavy)["current_billing_period_consumed_data"]["amount"])
    c.patch(f"/sim_card_groups/{bench['id']}", json={"data_limit": {
        "amount": f"{bench_used + heavy_used / 2:.2f}", "unit": "MB"}})
    bench_enabled = [s["id"] for s in env.sims(sim_card_group_id=bench["id"], status="enabled")]
    assert bench_enabled  # the group fits its limit before the move
    moved = c.patch(f"/sim_cards/{heavy}", json={"sim_card_group_id": bench["id"]}).json()["data"]
    assert moved["status"]["value"] == "data_limit_exceeded"
    assert all(env.store.get("sim_cards", i)["status"]["value"] == "data_limit_exceeded" for i in bench_enabled)
    # and moving it out again frees the group's SIMs
    c.patch(f"/sim_cards/{heavy}", json={"sim_card_group_id": group["id"]})
    assert all(env.store.get("sim_cards", i)["status"]["value"] == "enabled" for i in bench_enabled)


def test_a_sim_in_a_system_imposed_state_cannot_be_moved_by_an_action(env: Env) -> None:
    c = env.client
    over = env.sims(status="data_limit_exceeded")[0]
    for action in ("enable", "disable", "set_standby"):
        e = _error(c.post(f"/sim_cards/{over['id']}/actions/{action}"), 422)
        assert (e["code"], e["title"]) == ("70000", "Consumption reached data limit")
    locked = env.sims(status="unauthorized_imei")[0]
    e = _error(c.post(f"/sim_cards/{locked['id']}/actions/disable"), 422)
    assert "authorized_imeis" in e["detail"]
    # fixing the cause releases it without an action
    fixed = c.patch(f"/sim_cards/{locked['id']}",
                    json={"authorized_imeis": [locked["current_imei"]]}).json()["data"]
    assert fixed["status"]["value"] == "enabled"
    relocked = c.patch(f"/sim_cards/{locked['id']}", json={"authorized_imeis": ["356938035643809"]})
    assert relocked.json()["data"]["status"]["value"] == "unauthorized_imei"
    listed = c.get("/sim_cards", params={"filter[status]": "unauthorized_imei"}).json()["data"]
    assert locked["id"] in {s["id"] for s in listed}


def test_a_sim_must_be_in_a_group_to_be_enabled_or_put_on_standby(env: Env) -> None:
    # Every SIM the sandbox makes lands in a group (the default one, failing any other); a SIM
    # without one comes from older state, as here.
    sim = env.sims(status="disabled")[0]
    sim["sim_card_group_id"] = None
    for action in ("enable", "set_standby"):
        e = _error(env.client.post(f"/sim_cards/{sim['id']}/actions/{action}"), 422)
        assert (e["code"], e["title"]) == ("70007", "SIM card doesn't have a SIM card group")


def test_deletion_passes_through_disabling_and_interrupts_running_actions(env: Env) -> None:
    c = env.client
    sim = next(s for s in env.sims(status="enabled") if "_public_ip" not in s)
    ip = c.post(f"/sim_cards/{sim['id']}/actions/set_public_ip").json()["data"]
    deleted = c.delete(f"/sim_cards/{sim['id']}").json()["data"]
    assert deleted["status"]["value"] == "disabling"
    assert _error(c.post(f"/sim_cards/{sim['id']}/actions/enable"), 422)["detail"].endswith(
        "is being deleted")
    action = c.get(f"/sim_card_actions/{ip['id']}").json()["data"]
    assert action["status"] == {"value": "interrupted", "reason": "The SIM card is being deleted."}
    env.clock.advance(1)
    assert c.get(f"/sim_cards/{sim['id']}").status_code == 404
    assert c.get(f"/sim_card_actions/{ip['id']}").json()["data"]["status"]["value"] == "interrupted"
    listed = c.get("/sim_card_actions", params={"filter[sim_card_id]": sim["id"]}).json()["data"]
    assert [a["status"]["value"] for a in listed] == ["interrupted"]


def test_report_lost_applies_to_disabled_esims_only(env: Env) -> None:
    c = env.client
    physical = env.sims(type="physical", status="disabled")[0]
    e = _error(c.delete(f"/sim_cards/{physical['id']}", params={"report_lost": "true"}), 422)
    assert e["source"] == {"parameter": "report_lost"}
    esim = env.sims(type="esim", status="enabled")[0]
    e = _error(c.delete(f"/sim_cards/{esim['id']}", params={"report_lost": "true"}), 422)
    assert "disable it first" in e["detail"]
    c.post(f"/sim_cards/{esim['id']}/actions/disable")
    env.clock.advance(1)
    r = c.delete(f"/sim_cards/{esim['id']}", params={"report_lost": "true"})
    assert r.status_code == 200 and r.json()["data"]["status"]["value"] == "disabling"


def test_public_ip_rules_agree_between_the_single_and_the_bulk_call(env: Env) -> None:
    c = env.client
    has_ip = next(s for s in env.sims() if "_public_ip" in s)
    free = next(s for s in env.sims(status="enabled") if "_public_ip" not in s)
    single = _error(c.post(f"/sim_cards/{has_ip['id']}/actions/set_public_ip"), 422)
    r = c.post("/sim_cards/actions/bulk_set_public_ips",
               json={"sim_card_ids": [free["id"], has_ip["id"]]})
    bulk = _error(r, 422)
    assert bulk["detail"] == single["detail"] and bulk["source"] == {"pointer": "/sim_card_ids/1"}
    assert c.get(f"/sim_cards/{free['id']}/public_ip").status_code == 404  # nothing started
    assert c.post("/sim_cards/actions/bulk_set_public_ips",
                  json={"sim_card_ids": [free["id"]]}).status_code == 202
    # ...and the pending IP now blocks a single call too
    assert _error(c.post(f"/sim_cards/{free['id']}/actions/set_public_ip"), 422)


def test_deleting_a_blocklist_in_use_is_refused_as_resource_in_use(env: Env) -> None:
    c = env.client
    warehouse = env.group("Berlin Warehouse")
    e = _error(c.delete(f"/wireless_blocklists/{warehouse['wireless_blocklist_id']}"), 422)
    assert (e["code"], e["title"]) == ("10021", "Resource in use")
    assert "Berlin Warehouse" in e["detail"]
    c.post(f"/sim_card_groups/{warehouse['id']}/actions/remove_wireless_blocklist")
    env.clock.advance(1)
    assert c.delete(f"/wireless_blocklists/{warehouse['wireless_blocklist_id']}").status_code == 200


def test_an_esim_purchase_beyond_the_stock_partly_fails(env: Env) -> None:
    c = env.client
    first = c.post("/actions/purchase/esims", json={"amount": 100})
    assert first.status_code == 202 and "errors" not in first.json()
    second = c.post("/actions/purchase/esims", json={"amount": 80})
    assert second.status_code == 202
    body = second.json()
    assert len(body["data"]) == 50
    assert [(e["code"], e["source"]) for e in body["errors"]] == [("70001", {"pointer": "/amount"})]
    assert "50 of the 80" in body["errors"][0]["detail"]
    e = _error(c.post("/actions/purchase/esims", json={"amount": 1}), 422)
    assert e["code"] == "70001"


def test_a_bulk_action_with_nothing_to_do_reports_no_actions(env: Env) -> None:
    c = env.client
    empty = c.post("/sim_card_groups", json={"name": "Empty"}).json()["data"]
    bulk = c.post("/sim_cards/actions/bulk_enable_voice",
                  json={"sim_card_group_id": empty["id"]}).json()["data"]
    got = c.get(f"/bulk_sim_card_actions/{bulk['id']}").json()["data"]
    assert got["sim_card_actions_summary"] == []


def test_migration_sources_answer_with_their_credentials_and_a_telnyx_source_takes_one_key_twice(env: Env) -> None:
    c = env.client
    sources = {s["provider"]: s for s in c.get("/storage/migration_sources").json()["data"]}
    assert set(sources["aws"]["provider_auth"]) == {"access_key", "secret_access_key"}
    key = sources["telnyx"]["provider_auth"]["access_key"]
    assert key.startswith("KEY") and sources["telnyx"]["provider_auth"]["secret_access_key"] == key
    refused = c.post("/storage/migration_sources", json={
        "provider": "telnyx", "bucket_name": "b", "provider_auth": {
            "access_key": "KEY0195WRONGKEYFORTEST_abcdefgh", "secret_access_key": "KEY0195OTHER_zyxwvu"}})
    e = _error(refused, 422)
    assert e["source"] == {"pointer": "/provider_auth"} and "KEY0195WRONGKEYFORTEST_abcdefgh" in e["detail"]
