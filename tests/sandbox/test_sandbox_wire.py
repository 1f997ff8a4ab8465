"""Wire format: pagination, filters, sort, and the errors[] envelopes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from telnyx_iot_mcp.sandbox import create_app

BASE_URL = "http://sandbox/v2"


def _err(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    errors = r.json()["errors"]
    assert errors and all({"code", "title", "detail"} <= set(e) for e in errors)
    return errors[0]


def test_pagination_meta(env: Any) -> None:
    c = env.client
    first = c.get("/sim_cards").json()
    assert first["meta"] == {"page_number": 1, "page_size": 20, "total_pages": 3,
                             "total_results": 48}
    last = c.get("/sim_cards", params={"page[number]": 3, "page[size]": 20}).json()
    assert len(last["data"]) == 8 and last["meta"]["page_number"] == 3
    pages = [c.get("/sim_cards", params={"page[number]": n, "page[size]": 7}).json()["data"]
             for n in range(1, 8)]
    ids = [s["id"] for page in pages for s in page]
    assert len(ids) == len(set(ids)) == 48
    beyond = c.get("/sim_cards", params={"page[number]": 9}).json()
    assert beyond["data"] == [] and beyond["meta"]["total_results"] == 48
    assert _err(c.get("/sim_cards", params={"page[size]": 251}), 422)["source"] == {
        "parameter": "page[size]"}
    assert _err(c.get("/sim_cards", params={"page[number]": 0}), 422)["source"] == {
        "parameter": "page[number]"}
    assert _err(c.get("/sim_cards", params={"page[size]": "ten"}), 422)["source"] == {
        "parameter": "page[size]"}
    # storage lists take no page parameters but still return meta
    assert c.get("/storage/migrations").json()["meta"]["total_results"] == 2
    # ...and, like the API, ignore query parameters they do not know
    ignored = c.get("/storage/migrations", params={"page[number]": 1, "colour": "red"})
    assert ignored.status_code == 200 and ignored.json()["meta"]["total_results"] == 2
    # bare data arrays
    regions = c.get("/wireless/regions", params={"product": "public_ips"}).json()
    assert set(regions) == {"data"} and isinstance(regions["data"], list)


def test_sim_card_filters(env: Any) -> None:
    c = env.client

    def ids(**params: Any) -> set[str]:
        body = c.get("/sim_cards", params={"page[size]": 250, **params}).json()
        return {s["id"] for s in body["data"]}

    by_status = lambda *v: {s["id"] for s in env.sims() if s["status"]["value"] in v}  # noqa: E731
    assert ids(**{"filter[status]": "disabled"}) == by_status("disabled") != set()
    both = by_status("disabled", "standby")
    assert ids(**{"filter[status]": "disabled,standby"}) == both
    assert {s["id"] for s in c.get("/sim_cards", params=[
        ("filter[status]", "disabled"), ("filter[status]", "standby"),
        ("page[size]", "250")]).json()["data"]} == both
    assert ids(**{"filter[status][]": "standby"}) == by_status("standby")
    over = ids(**{"filter[status]": "data_limit_exceeded"})
    assert over and all(
        float(s["current_billing_period_consumed_data"]["amount"]) >
        float(s["data_limit"]["amount"]) for s in env.sims() if s["id"] in over)
    unauthorized = ids(**{"filter[status]": "unauthorized_imei"})
    assert unauthorized and all(
        s["current_imei"] not in s["authorized_imeis"] for s in env.sims()
        if s["id"] in unauthorized)
    sim = env.sims()[5]
    assert ids(**{"filter[iccid]": sim["iccid"]}) == {sim["id"]}
    assert sim["id"] in ids(**{"filter[iccid]": sim["iccid"][-6:]})
    assert ids(**{"filter[msisdn]": sim["msisdn"]}) == {sim["id"]}
    tagged = ids(**{"filter[tags]": "meter"})
    assert tagged == {s["id"] for s in env.sims() if "meter" in s["tags"]} != set()
    assert ids(**{"filter[tags]": "meter,tracker"}) == set()
    group = env.group("Berlin Warehouse")
    assert ids(**{"filter[sim_card_group_id]": group["id"]}) == {
        s["id"] for s in env.sims(sim_card_group_id=group["id"])}
    _err(c.get("/sim_cards", params={"filter[status]": "enabling"}), 422)
    _err(c.get("/sim_cards", params={"filter[sim_card_group_id]": "berlin"}), 422)


def test_sim_card_sort(env: Any) -> None:
    c = env.client
    amounts = lambda body: [float(s["current_billing_period_consumed_data"]["amount"])  # noqa
                            for s in body["data"]]
    up = amounts(c.get("/sim_cards", params={
        "sort": "current_billing_period_consumed_data.amount", "page[size]": 250}).json())
    down = amounts(c.get("/sim_cards", params={
        "sort": "-current_billing_period_consumed_data.amount", "page[size]": 250}).json())
    assert up == sorted(up) and down == sorted(down, reverse=True) and len(up) == 48
    assert _err(c.get("/sim_cards", params={"sort": "iccid"}), 422)["source"] == {
        "parameter": "sort"}


def test_other_list_filters(env: Any) -> None:
    c = env.client
    assert [g["name"] for g in c.get("/sim_card_groups", params={
        "filter[name]": "meter"}).json()["data"]] == ["Smart Meters"]
    berlin = env.group("Berlin Warehouse")
    found = c.get("/sim_card_groups", params={
        "filter[wireless_blocklist_id]": berlin["wireless_blocklist_id"]}).json()["data"]
    assert [g["id"] for g in found] == [berlin["id"]]
    assert c.get("/wireless_blocklists", params={"filter[values]": "KP"}).json()["data"]
    assert c.get("/wireless_blocklists", params={"filter[values]": "DE"}).json()["data"] == []
    assert c.get("/wireless_blocklists", params={"filter[type]": "mcc"}).json()["data"] == []
    otas = c.get("/ota_updates", params={"filter[status]": "failed"}).json()["data"]
    assert [o["status"] for o in otas] == ["failed"]
    orders = c.get("/sim_card_orders", params={"filter[quantity]": 50}).json()["data"]
    assert [o["status"] for o in orders] == ["delivered"]
    assert c.get("/sim_card_orders", params={"filter[cost.amount]": "65"}).json()["data"]
    _err(c.get("/sim_card_orders", params={"filter[created_at]": "yesterday"}), 422)
    e = _err(c.get("/sim_card_orders", params={"filter[cost.amount]": "cheap"}), 422)
    assert e["source"] == {"parameter": "filter[cost.amount]"}
    _err(c.get("/ota_updates", params={"filter[type]": "firmware"}), 422)


def test_errors_404_envelope(env: Any) -> None:
    c = env.client
    missing = "6a09cdc3-8948-47f0-aa62-74ac943d6c58"
    e = _err(c.get(f"/sim_cards/{missing}"), 404)
    assert e["code"] == "10005" and e["title"] == "Resource not found"
    assert e["source"] == {"pointer": "/id"} and missing in e["detail"]
    _err(c.get(f"/sim_card_groups/{missing}"), 404)
    _err(c.get("/mobile_voice_connections/123"), 404)
    _err(c.get("/nowhere"), 404)
    # the doubled /v2 of the spec's mobile voice connection paths does not exist
    _err(c.get("/v2/mobile_voice_connections"), 404)
    # /wireless_blocklists takes PATCH only with an id (the seed's collection PATCH is stale)
    _err(c.patch("/wireless_blocklists", json={"name": "x"}), 405)


def test_errors_422_envelope(env: Any) -> None:
    c = env.client
    sim = env.sims()[0]
    e = _err(c.get("/sim_cards/not-a-uuid"), 422)
    assert e["source"] == {"parameter": "id"} and "UUID" in e["detail"]
    assert (e["code"], e["title"]) == ("10006", "Invalid ID")
    # unknown query parameters are ignored, as the API ignores them
    assert c.get("/sim_cards", params={"filter[colour]": "red"}).json()["meta"][
        "total_results"] == 48
    e = _err(c.get(f"/sim_card_groups/{env.group('Trackers')['id']}",
                   params={"include_iccids": "True"}), 422)
    assert "true or false" in e["detail"]
    e = _err(c.get("/wireless/regions"), 422)
    assert e["source"] == {"parameter": "product"}
    assert (e["code"], e["title"]) == ("10004", "Missing required parameter")
    e = _err(c.get("/wireless_blocklist_values", params={"type": "planet"}), 422)
    assert e["source"] == {"parameter": "type"}
    e = _err(c.post("/sim_card_data_usage_notifications",
                    json={"sim_card_id": sim["id"], "threshold": {"amount": "1", "unit": "KB"}}),
             422)
    assert e["source"] == {"pointer": "/threshold/unit"}
    assert (e["code"], e["title"]) == ("10015", "Bad Request")
    e = _err(c.post("/sim_card_data_usage_notifications", json={"sim_card_id": sim["id"]}), 422)
    assert e["source"] == {"pointer": "/threshold"} and "required" in e["detail"]
    e = _err(c.post("/sim_card_data_usage_notifications",
                    json={"sim_card_id": "x", "threshold": {"amount": "1", "unit": "MB"}}), 422)
    assert e["source"] == {"pointer": "/sim_card_id"}
    e = _err(c.post("/wireless_blocklists", json={"name": "n", "type": "continent",
                                                  "values": ["EU"]}), 422)
    assert e["source"] == {"pointer": "/type"}
    e = _err(c.post("/wireless_blocklists", json={"name": "n", "type": "country",
                                                  "values": ["Germany"]}), 422)
    assert e["source"] == {"pointer": "/values/0"}
    e = _err(c.post("/wireless_blocklists", json={"name": "n", "type": "country",
                                                  "values": [{"code": "DE"}]}), 422)
    assert e["source"] == {"pointer": "/values/0"}
    # the seed's stale blocklist PATCH sends type, which the API does not take
    wbl = next(iter(env.store.all("wireless_blocklists")))
    e = _err(c.patch(f"/wireless_blocklists/{wbl['id']}", json={"type": "mcc"}), 422)
    assert e["source"] == {"pointer": "/type"}
    # parameters that belong in the query are not accepted in a body
    e = _err(c.post(f"/sim_cards/{sim['id']}/actions/set_public_ip",
                    json={"region_code": "dc2"}), 422)
    assert e["source"] == {"pointer": "/"}
    r = c.post("/sim_card_groups", content=b"{not json", headers={"content-type":
                                                                    "application/json"})
    _err(r, 400)
    _err(c.post("/sim_card_groups", json=["name"]), 422)
    _err(c.post("/sim_card_groups", json={"name": "   "}), 422)


def test_read_only_fields_are_rejected(env: Any) -> None:
    c = env.client
    sim = env.sims()[0]
    r = c.patch(f"/sim_cards/{sim['id']}", json={
        "iccid": "1", "status": {"value": "enabled"}, "voice_enabled": True, "tags": ["ok"]})
    pointers = {e["source"]["pointer"] for e in r.json()["errors"]}
    assert r.status_code == 422
    assert pointers == {"/iccid", "/status/value", "/voice_enabled"}
    assert c.get(f"/sim_cards/{sim['id']}").json()["data"]["tags"] != ["ok"]  # nothing applied
    dun = next(iter(env.store.all("sim_card_data_usage_notifications")))
    e = _err(c.patch(f"/sim_card_data_usage_notifications/{dun['id']}",
                     json={"id": dun["id"]}), 422)
    assert e["source"] == {"pointer": "/id"} and "read-only" in e["detail"]
    source = next(iter(env.store.all("migration_sources")))
    e = _err(c.post("/storage/migrations", json={
        "source_id": source["id"], "target_bucket_name": "t", "target_region": "r",
        "status": "complete"}), 422)
    assert e["source"] == {"pointer": "/status"}
    # array items of a readOnly-typed id are still sendable (bulk_set_public_ips)
    r = c.post("/sim_cards/actions/bulk_set_public_ips", json={"sim_card_ids": [sim["id"]]})
    assert r.status_code == 202
    e = _err(c.post("/sim_cards/actions/bulk_set_public_ips",
                    json={"sim_card_ids": ["not-a-uuid"]}), 422)
    assert e["source"] == {"pointer": "/sim_card_ids/0"}


def test_auth_401() -> None:
    from starlette.testclient import TestClient

    app = create_app(api_key="KEY123")
    with TestClient(app, base_url=BASE_URL) as c:
        e = _err(c.get("/sim_cards"), 401)
        assert e["code"] == "10009" and "Bearer" in e["detail"]
        _err(c.get("/sim_cards", headers={"Authorization": "Bearer KEY124"}), 401)
        _err(c.get("/sim_cards", headers={"Authorization": "KEY123"}), 401)
        _err(c.get("/nowhere", headers={"Authorization": "Bearer wrong"}), 401)
        ok = c.get("/sim_cards", headers={"Authorization": "Bearer KEY123"})
        assert ok.status_code == 200
    assert "API key required" in app.state.sandbox.summary()


@pytest.mark.anyio
async def test_production_transport_shape() -> None:
    """The MCP server's own client setup: AsyncClient over ASGITransport at /v2."""
    app = create_app(api_key="k", action_delay=0)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL,
                                 headers={"Authorization": "Bearer k"}) as client:
        sims = (await client.get("/sim_cards", params={"page[size]": 1})).json()
        sim_id = sims["data"][0]["id"]
        action = (await client.post(f"/sim_cards/{sim_id}/actions/disable")).json()["data"]
        done = (await client.get(f"/sim_card_actions/{action['id']}")).json()["data"]
        assert done["status"]["value"] == "completed"  # action_delay=0 settles on next read
        r = await client.get("/mobile_voice_connections")
        assert r.status_code == 200 and r.json()["meta"]["total_results"] == 1
