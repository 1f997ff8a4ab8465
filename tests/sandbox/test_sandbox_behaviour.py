"""State stories: what one call changes is what the next call sees."""

from __future__ import annotations

from typing import Any


def test_moving_a_sim_into_a_new_group_changes_counts(env: Any) -> None:
    c = env.client
    group = c.post("/sim_card_groups", json={"name": "Cold chain"}).json()["data"]
    assert group["sim_card_count"] == 0
    trackers = env.group("Trackers")
    before = {g["name"]: g["sim_card_count"] for g in c.get("/sim_card_groups").json()["data"]}
    sim = env.sims(sim_card_group_id=trackers["id"])[0]
    r = c.patch(f"/sim_cards/{sim['id']}", json={"sim_card_group_id": group["id"]})
    assert r.status_code == 200 and r.json()["data"]["sim_card_group_id"] == group["id"]
    after = {g["name"]: g["sim_card_count"] for g in c.get("/sim_card_groups").json()["data"]}
    assert after["Cold chain"] == 1
    assert after["Trackers"] == before["Trackers"] - 1
    got = c.get(f"/sim_card_groups/{group['id']}", params={"include_iccids": "true"}).json()
    assert got["data"]["iccids"] == [sim["iccid"]]
    listed = c.get("/sim_cards", params={"filter[sim_card_group_id]": group["id"]}).json()
    assert [s["id"] for s in listed["data"]] == [sim["id"]]


def test_deleting_a_group_moves_its_sims_to_the_default_group(env: Any) -> None:
    c = env.client
    bench, trackers = env.group("Test Bench"), env.group("Trackers")
    members = {s["id"] for s in env.sims(sim_card_group_id=bench["id"])}
    assert members
    r = c.delete(f"/sim_card_groups/{bench['id']}")
    assert r.status_code == 200
    r = c.get(f"/sim_card_groups/{bench['id']}")
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "10005"
    moved = c.get("/sim_cards", params={"filter[sim_card_group_id]": trackers["id"],
                                        "page[size]": 250}).json()["data"]
    assert members <= {s["id"] for s in moved}
    r = c.delete(f"/sim_card_groups/{trackers['id']}")  # the default group
    assert r.status_code == 422
    assert (r.json()["errors"][0]["code"], r.json()["errors"][0]["title"]) == (
        "70006", "Could not delete default SIM card group")


def test_deleted_things_are_gone(env: Any) -> None:
    c = env.client
    sim = env.sims(status="enabled")[0]
    deleting = c.delete(f"/sim_cards/{sim['id']}")
    assert deleting.status_code == 200
    assert deleting.json()["data"]["status"]["value"] == "disabling"
    assert c.get(f"/sim_cards/{sim['id']}").json()["data"]["status"]["value"] == "disabling"
    assert c.delete(f"/sim_cards/{sim['id']}").status_code == 422  # already being deleted
    env.clock.advance(1)
    assert c.get(f"/sim_cards/{sim['id']}").status_code == 404
    assert c.delete(f"/sim_cards/{sim['id']}").status_code == 404
    total = c.get("/sim_cards").json()["meta"]["total_results"]
    assert total == 47
    mvc = c.post("/mobile_voice_connections", json={}).json()["data"]
    assert c.delete(f"/mobile_voice_connections/{mvc['id']}").status_code == 200
    assert c.get(f"/mobile_voice_connections/{mvc['id']}").status_code == 404
    src = c.get("/storage/migration_sources").json()["data"][0]
    assert c.delete(f"/storage/migration_sources/{src['id']}").status_code == 200
    assert c.get(f"/storage/migration_sources/{src['id']}").status_code == 404


def test_sim_action_lifecycle_with_fake_clock(env: Any) -> None:
    c = env.client
    sim = env.sims(status="enabled", type="physical")[0]
    action = c.post(f"/sim_cards/{sim['id']}/actions/disable").json()["data"]
    assert action["status"]["value"] == "in-progress"
    got = c.get(f"/sim_cards/{sim['id']}").json()["data"]
    assert got["status"]["value"] == "disabling" and got["actions_in_progress"] is True
    assert got["resources_with_in_progress_actions"][0]["id"] == action["id"]
    # A second status change while the first runs is refused.
    assert c.post(f"/sim_cards/{sim['id']}/actions/enable").status_code == 422
    env.clock.advance(0.5)
    assert c.get(f"/sim_card_actions/{action['id']}").json()["data"]["status"]["value"] == \
        "in-progress"
    env.clock.advance(0.6)
    done = c.get(f"/sim_card_actions/{action['id']}").json()["data"]
    assert done["status"]["value"] == "completed"
    got = c.get(f"/sim_cards/{sim['id']}").json()["data"]
    assert got["status"]["value"] == "disabled" and got["actions_in_progress"] is False
    assert c.post(f"/sim_cards/{sim['id']}/actions/disable").status_code == 422
    # standby then enable uses the standby-specific action type
    c.post(f"/sim_cards/{sim['id']}/actions/set_standby")
    env.clock.advance(1)
    assert c.get(f"/sim_cards/{sim['id']}").json()["data"]["status"]["value"] == "standby"
    enable = c.post(f"/sim_cards/{sim['id']}/actions/enable").json()["data"]
    assert enable["action_type"] == "enable_standby_sim_card"
    env.clock.advance(1)
    assert c.get(f"/sim_cards/{sim['id']}").json()["data"]["status"]["value"] == "enabled"
    listed = c.get("/sim_card_actions", params={"filter[sim_card_id]": sim["id"]}).json()
    assert [a["action_type"] for a in listed["data"]] == [
        "enable_standby_sim_card", "set_standby", "disable"]


def test_public_ip_lifecycle(env: Any) -> None:
    c = env.client
    sim = next(s for s in env.sims(status="enabled") if "_public_ip" not in s)
    assert c.get(f"/sim_cards/{sim['id']}/public_ip").status_code == 404
    r = c.post(f"/sim_cards/{sim['id']}/actions/set_public_ip", params={"region_code": "ams1"})
    assert r.status_code == 202
    pending = c.get(f"/sim_cards/{sim['id']}/public_ip").json()["data"]
    assert pending["ip"] is None and pending["region_code"] == "ams1"
    env.clock.advance(1)
    ip = c.get(f"/sim_cards/{sim['id']}/public_ip").json()["data"]
    assert ip["ip"] and ip["region_code"] == "ams1"
    assert c.post(f"/sim_cards/{sim['id']}/actions/set_public_ip").status_code == 422
    c.post(f"/sim_cards/{sim['id']}/actions/remove_public_ip")
    env.clock.advance(1)
    assert c.get(f"/sim_cards/{sim['id']}/public_ip").status_code == 404
    r = c.post(f"/sim_cards/{sim['id']}/actions/set_public_ip", params={"region_code": "xx9"})
    assert r.status_code == 422 and r.json()["errors"][0]["source"] == {"parameter": "region_code"}


def test_data_limit_exceeded_sim_cannot_be_enabled_until_limit_raised(env: Any) -> None:
    c = env.client
    sim = env.sims(status="data_limit_exceeded")[0]
    r = c.post(f"/sim_cards/{sim['id']}/actions/enable")
    assert r.status_code == 422 and "data limit" in r.json()["errors"][0]["detail"]
    r = c.patch(f"/sim_cards/{sim['id']}", json={"data_limit": {"amount": "50", "unit": "GB"}})
    assert r.json()["data"]["status"]["value"] == "enabled"
    r = c.patch(f"/sim_cards/{sim['id']}", json={"data_limit": {"amount": "0.01", "unit": "MB"}})
    assert r.json()["data"]["status"]["value"] == "data_limit_exceeded"


def test_bulk_voice_creates_one_action_per_sim(env: Any) -> None:
    c = env.client
    group = env.group("Smart Meters")
    members = env.sims(sim_card_group_id=group["id"])
    bulk = c.post("/sim_cards/actions/bulk_enable_voice",
                  json={"sim_card_group_id": group["id"]}).json()["data"]
    assert bulk["action_type"] == "bulk_enable_voice"
    assert bulk["settings"] == {"sim_card_group_id": group["id"]}
    actions = c.get("/sim_card_actions", params={
        "filter[bulk_sim_card_action_id]": bulk["id"], "page[size]": 250}).json()
    assert actions["meta"]["total_results"] == len(members) == 12
    assert {a["sim_card_id"] for a in actions["data"]} == {s["id"] for s in members}
    detail = c.get(f"/bulk_sim_card_actions/{bulk['id']}").json()["data"]
    assert detail["sim_card_actions_summary"] == [{"status": "in-progress", "count": 12}]
    env.clock.advance(1)
    detail = c.get(f"/bulk_sim_card_actions/{bulk['id']}").json()["data"]
    assert detail["sim_card_actions_summary"] == [{"status": "completed", "count": 12}]
    assert all(s["voice_enabled"] for s in env.sims(sim_card_group_id=group["id"]))
    listed = c.get("/bulk_sim_card_actions",
                   params={"filter[action_type]": "bulk_disable_voice"}).json()
    assert listed["data"] == []
    r = c.post("/sim_cards/actions/bulk_enable_voice", json={"sim_card_group_id": "nope"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["source"] == {"pointer": "/sim_card_group_id"}


def test_bulk_set_public_ips(env: Any) -> None:
    c = env.client
    sims = [s for s in env.sims(status="enabled") if "_public_ip" not in s][:3]
    ids = [s["id"] for s in sims]
    bulk = c.post("/sim_cards/actions/bulk_set_public_ips", json={"sim_card_ids": ids}).json()
    env.clock.advance(1)
    actions = c.get("/sim_card_actions", params={
        "filter[bulk_sim_card_action_id]": bulk["data"]["id"],
        "filter[action_type]": "set_public_ip", "filter[status]": "completed"}).json()
    assert actions["meta"]["total_results"] == 3
    for sim_id in ids:
        assert c.get(f"/sim_cards/{sim_id}/public_ip").json()["data"]["ip"]
    r = c.post("/sim_cards/actions/bulk_set_public_ips",
               json={"sim_card_ids": [ids[0], "6a09cdc3-8948-47f0-aa62-74ac943d6c58"]})
    assert r.status_code == 422
    assert r.json()["errors"][0]["source"] == {"pointer": "/sim_card_ids/1"}


def test_group_actions_change_the_group_on_completion(env: Any) -> None:
    c = env.client
    bench = env.group("Test Bench")
    gw = env.sandbox.private_wireless_gateway_ids()[1]
    action = c.post(f"/sim_card_groups/{bench['id']}/actions/set_private_wireless_gateway",
                    json={"private_wireless_gateway_id": gw}).json()["data"]
    assert action["status"] == "in-progress" and action["type"] == "set_private_wireless_gateway"
    assert c.get(f"/sim_card_groups/{bench['id']}").json()["data"][
        "private_wireless_gateway_id"] is None
    env.clock.advance(1)
    assert c.get(f"/sim_card_group_actions/{action['id']}").json()["data"]["status"] == \
        "completed"
    assert c.get(f"/sim_card_groups/{bench['id']}").json()["data"][
        "private_wireless_gateway_id"] == gw
    found = c.get("/sim_card_groups", params={"filter[private_wireless_gateway_id]": gw}).json()
    assert [g["name"] for g in found["data"]] == ["Test Bench"]

    wbl = c.post("/wireless_blocklists", json={"name": "x", "type": "mcc",
                                               "values": ["250"]}).json()["data"]
    c.post(f"/sim_card_groups/{bench['id']}/actions/set_wireless_blocklist",
           json={"wireless_blocklist_id": wbl["id"]})
    env.clock.advance(1)
    assert c.get(f"/sim_card_groups/{bench['id']}").json()["data"]["wireless_blocklist_id"] == \
        wbl["id"]
    r = c.delete(f"/wireless_blocklists/{wbl['id']}")
    assert r.status_code == 422 and "Test Bench" in r.json()["errors"][0]["detail"]
    c.post(f"/sim_card_groups/{bench['id']}/actions/remove_wireless_blocklist")
    env.clock.advance(1)
    assert c.delete(f"/wireless_blocklists/{wbl['id']}").status_code == 200
    assert c.get(f"/wireless_blocklists/{wbl['id']}").status_code == 404
    r = c.post(f"/sim_card_groups/{bench['id']}/actions/remove_wireless_blocklist")
    assert r.status_code == 422
    actions = c.get("/sim_card_group_actions", params={
        "filter[sim_card_group_id]": bench["id"], "filter[status]": "completed",
        "filter[type]": "set_wireless_blocklist"}).json()
    assert actions["meta"]["total_results"] == 1
    r = c.post(f"/sim_card_groups/{bench['id']}/actions/set_private_wireless_gateway",
               json={"private_wireless_gateway_id": "6a09cdc3-8948-47f0-aa62-74ac943d6c58"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["source"] == {"pointer": "/private_wireless_gateway_id"}


def test_registration_codes_and_registration(env: Any) -> None:
    c = env.client
    codes = env.sandbox.registration_codes()
    available = sorted(k for k, v in codes.items() if v == "available")
    used = sorted(k for k, v in codes.items() if v == "registered")
    assert len(available) == 4 and len(used) == 2
    result = c.post("/sim_cards/actions/validate_registration_codes",
                    json={"registration_codes": [available[0], used[0], "123"]}).json()
    assert set(result) == {"data"}
    assert [(v["valid"], v["invalid_detail"] is None) for v in result["data"]] == [
        (True, True), (False, False), (False, False)]
    # every code bad: nothing registers, 422
    r = c.post("/actions/register/sim_cards", json={"registration_codes": ["123", used[0]]})
    assert r.status_code == 422
    assert [e["source"] for e in r.json()["errors"]] == [
        {"pointer": "/registration_codes/0"}, {"pointer": "/registration_codes/1"}]
    assert available[1] in r.json()["errors"][0]["detail"]  # the sandbox names spare codes
    # some codes bad: the good ones register, 202 with data and errors together
    r = c.post("/actions/register/sim_cards",
               json={"registration_codes": [available[0], "123"], "tags": ["new"]})
    assert r.status_code == 202
    assert len(r.json()["data"]) == 1
    assert [e["source"] for e in r.json()["errors"]] == [{"pointer": "/registration_codes/1"}]
    assert env.sandbox.registration_codes()[available[0]] == "registered"
    bench = env.group("Test Bench")
    r = c.post("/actions/register/sim_cards", json={
        "registration_codes": available[1:3], "sim_card_group_id": bench["id"],
        "status": "standby", "tags": ["new"]})
    assert r.status_code == 202
    sims = r.json()["data"]
    assert [s["status"]["value"] for s in sims] == ["registering", "registering"]
    env.clock.advance(1)
    for s in sims:
        got = c.get(f"/sim_cards/{s['id']}").json()["data"]
        assert got["status"]["value"] == "standby" and got["tags"] == ["new"]
        assert got["sim_card_group_id"] == bench["id"]
    result = c.post("/sim_cards/actions/validate_registration_codes",
                    json={"registration_codes": available[:1]}).json()
    assert result["data"][0]["valid"] is False
    assert c.get("/sim_cards").json()["meta"]["total_results"] == 51


def test_esim_purchase_gives_activation_codes(env: Any) -> None:
    c = env.client
    r = c.post("/actions/purchase/esims", json={"amount": 3, "tags": ["bought"]})
    assert r.status_code == 202
    sims = r.json()["data"]
    assert len(sims) == 3 and all(s["type"] == "esim" for s in sims)
    trackers = env.group("Trackers")
    assert all(s["sim_card_group_id"] == trackers["id"] for s in sims)  # the default group
    codes = {c.get(f"/sim_cards/{s['id']}/activation_code").json()["data"]["activation_code"]
             for s in sims}
    assert len(codes) == 3
    physical = env.sims(type="physical")[0]
    assert c.get(f"/sim_cards/{physical['id']}/activation_code").status_code == 422
    assert c.post("/actions/purchase/esims", json={"amount": 0}).status_code == 422


def test_orders_have_costs_and_move_through_statuses(env: Any) -> None:
    c = env.client
    address = env.sandbox.address_ids()[1]
    preview = c.post("/sim_card_order_preview", json={"quantity": 10, "address_id": address})
    assert preview.status_code == 202
    assert preview.json()["data"]["sim_cards_cost"]["amount"] == "10.00"
    order = c.post("/sim_card_orders", json={"quantity": 10, "address_id": address}).json()
    order = order["data"]
    assert order["status"] == "pending" and order["cost"]["amount"] == "25.00"
    assert order["order_address"]["country_code"] == "DE"
    seen = []
    for _ in range(6):
        seen.append(c.get(f"/sim_card_orders/{order['id']}").json()["data"]["status"])
        env.clock.advance(3)
    assert seen == ["pending", "processing", "ready_to_ship", "shipped", "delivered",
                    "delivered"]
    assert c.get(f"/sim_card_orders/{order['id']}").json()["data"]["tracking_url"]
    r = c.post("/sim_card_orders", json={"quantity": 1, "address_id": "999"})
    assert r.status_code == 422 and r.json()["errors"][0]["source"] == {"pointer": "/address_id"}
    assert address in r.json()["errors"][0]["detail"]
    de = c.get("/sim_card_orders", params={"filter[address.country_code]": "DE"}).json()
    assert de["meta"]["total_results"] == 2


def test_migration_progress_grows_and_stop_freezes_it(env: Any) -> None:
    c = env.client
    migrations = c.get("/storage/migrations").json()["data"]
    assert sorted(m["status"] for m in migrations) == ["complete", "migrating"]
    running = next(m for m in migrations if m["status"] == "migrating")
    env.clock.advance(60)
    later = c.get(f"/storage/migrations/{running['id']}").json()["data"]
    assert later["bytes_migrated"] > running["bytes_migrated"]
    assert later["bytes_migrated"] < later["bytes_to_migrate"]
    stopped = c.post(f"/storage/migrations/{running['id']}/actions/stop").json()["data"]
    assert stopped["status"] == "stopped"
    env.clock.advance(600)
    again = c.get(f"/storage/migrations/{running['id']}").json()["data"]
    assert again["status"] == "stopped" and again["bytes_migrated"] == stopped["bytes_migrated"]
    assert c.post(f"/storage/migrations/{running['id']}/actions/stop").status_code == 422
    done = next(m for m in migrations if m["status"] == "complete")
    assert done["bytes_migrated"] == done["bytes_to_migrate"]

    source = c.get("/storage/migration_sources").json()["data"][0]
    new = c.post("/storage/migrations", json={
        "source_id": source["id"], "target_bucket_name": "t", "target_region": "r"}).json()
    assert new["data"]["status"] == "pending" and new["data"]["bytes_migrated"] == 0
    env.clock.advance(10**6)
    final = c.get(f"/storage/migrations/{new['data']['id']}").json()["data"]
    assert final["status"] == "complete"
    r = c.post("/storage/migrations", json={
        "source_id": "nope", "target_bucket_name": "t", "target_region": "r"})
    assert r.status_code == 422 and r.json()["errors"][0]["source"] == {"pointer": "/source_id"}


def test_data_usage_notification_crud(env: Any) -> None:
    c = env.client
    sim = env.sims(status="enabled")[0]
    r = c.post("/sim_card_data_usage_notifications",
               json={"sim_card_id": sim["id"], "threshold": {"amount": "1", "unit": "GB"}})
    assert r.status_code == 201
    dun = r.json()["data"]
    listed = c.get("/sim_card_data_usage_notifications",
                   params={"filter[sim_card_id]": sim["id"]}).json()["data"]
    assert dun["id"] in [d["id"] for d in listed]
    r = c.patch(f"/sim_card_data_usage_notifications/{dun['id']}",
                json={"threshold": {"amount": "two"}})
    assert r.status_code == 422
    assert r.json()["errors"][0]["source"] == {"pointer": "/threshold/amount"}
    r = c.post("/sim_card_data_usage_notifications",
               json={"sim_card_id": sim["id"], "threshold": {"amount": "1"}})
    assert r.status_code == 422
    assert r.json()["errors"][0]["source"] == {"pointer": "/threshold/unit"}
    assert c.delete(f"/sim_card_data_usage_notifications/{dun['id']}").status_code == 200
    assert c.get(f"/sim_card_data_usage_notifications/{dun['id']}").status_code == 404


def test_mobile_voice_connection_crud_filter_and_sort(env: Any) -> None:
    c = env.client
    for name in ("Zulu drivers", "Alpha drivers"):
        env.clock.advance(1)
        c.post("/mobile_voice_connections", json={"connection_name": name})
    names = [d["connection_name"] for d in c.get(
        "/mobile_voice_connections", params={"sort": "connection_name"}).json()["data"]]
    assert names == ["Alpha drivers", "Fleet voice", "Zulu drivers"]
    newest = c.get("/mobile_voice_connections", params={"sort": "-created_at"}).json()["data"]
    assert newest[0]["connection_name"] == "Alpha drivers"
    found = c.get("/mobile_voice_connections",
                  params={"filter[connection_name][contains]": "DRIVERS"}).json()
    assert found["meta"]["total_results"] == 2
    r = c.get("/mobile_voice_connections", params={"sort": "colour"})
    assert r.status_code == 422 and r.json()["errors"][0]["source"] == {"parameter": "sort"}
    mvc = found["data"][0]
    r = c.patch(f"/mobile_voice_connections/{mvc['id']}",
                json={"outbound": {"channel_limit": 3}, "webhook_timeout_secs": 10})
    assert r.json()["data"]["outbound"]["channel_limit"] == 3
    assert r.json()["data"]["webhook_timeout_secs"] == 10
    # null is allowed on create but not on update
    r = c.patch(f"/mobile_voice_connections/{mvc['id']}", json={"webhook_timeout_secs": None})
    assert r.status_code == 422


def test_rejected_patch_changes_nothing(env: Any) -> None:
    c = env.client
    sim = env.sims(status="enabled")[0]
    bench = env.group("Test Bench")
    before = c.get(f"/sim_cards/{sim['id']}").json()["data"]
    r = c.patch(f"/sim_cards/{sim['id']}", json={
        "sim_card_group_id": bench["id"], "tags": ["x"], "data_limit": {"amount": "lots",
                                                                       "unit": "MB"}})
    assert r.status_code == 422
    assert r.json()["errors"][0]["source"] == {"pointer": "/data_limit/amount"}
    assert c.get(f"/sim_cards/{sim['id']}").json()["data"] == before
    r = c.patch(f"/sim_cards/{sim['id']}", json={"status": {}, "authorized_imeis": None})
    assert r.status_code == 200 and r.json()["data"]["authorized_imeis"] is None
    wbl = next(iter(env.store.all("wireless_blocklists")))
    r = c.patch(f"/wireless_blocklists/{wbl['id']}", json={"name": "renamed", "values": ["x"]})
    assert r.status_code == 422
    assert c.get(f"/wireless_blocklists/{wbl['id']}").json()["data"]["name"] == wbl["name"]
    r = c.patch(f"/wireless_blocklists/{wbl['id']}", json={"name": "renamed"})
    assert r.status_code == 202 and r.json()["data"]["values"] == wbl["values"]
