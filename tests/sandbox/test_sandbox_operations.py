"""Every operation of both facts files once, over HTTP, checked against them."""

from __future__ import annotations

import copy
from typing import Any

from jsonschema import Draft202012Validator

from telnyx_iot_mcp.sandbox.validation import match, operations




def _widen_action_types(node: Any) -> Any:
    # The spec's SIMCardAction.action_type enum omits set_public_ip/remove_public_ip (which
    # its own filter[action_type] lists) and the per-SIM voice actions of the bulk voice
    # operations; the sandbox emits those, so the enum is dropped for this check only.
    # Likewise, /wireless_blocklist_values declares data as oneOf three arrays of identical
    # {code, name} shape, which no instance can satisfy; anyOf is what it means.
    if isinstance(node, dict):
        out = {("anyOf" if k == "oneOf" else k): _widen_action_types(v) for k, v in node.items()}
        if node.get("title") == "SIMCardAction":
            out["properties"]["action_type"].pop("enum", None)
        # Telnyx's SIM lifecycle documents the system-imposed unauthorized_imei status, which
        # the spec's SIMCardStatus enum (and filter[status], which lists it) leaves out.
        value = out.get("properties", {}).get("status", {}).get("properties", {}).get("value")
        if value and "data_limit_exceeded" in value.get("enum", []):
            value["enum"] = [*value["enum"], "unauthorized_imei"]
        return out
    if isinstance(node, list):
        return [_widen_action_types(v) for v in node]
    return node


def check(env: Any, seen: set[str], method: str, path: str, **kwargs: Any) -> Any:
    response = env.client.request(method, path, **kwargs)
    op, _ = match(method, path.split("?")[0])
    seen.add(op.operation_id)
    assert response.status_code == op.success_status, (method, path, response.text)
    body = response.json()
    schema = _widen_action_types(copy.deepcopy(op.response_schema))
    errors = list(Draft202012Validator(
        schema, format_checker=Draft202012Validator.FORMAT_CHECKER).iter_errors(body))
    assert not errors, (op.operation_id, [e.message for e in errors][:3])
    assert ("meta" in body) == op.has_meta, op.operation_id
    return body["data"]


def test_every_operation_once(env: Any) -> None:
    seen: set[str] = set()
    sb = env.sandbox
    bench = env.group("Test Bench")
    enabled = [s for s in env.sims(status="enabled", type="physical") if "_public_ip" not in s]
    disabled = env.sims(status="disabled")[0]
    esim = env.sims(type="esim")[0]
    with_ip = next(s for s in env.store.all("sim_cards") if "_public_ip" in s)
    with_device = next(s for s in env.store.all("sim_cards") if "current_imei" in s)
    sim, sim2, sim3, doomed = enabled[0], enabled[1], enabled[2], enabled[3]

    # SIM cards
    assert len(check(env, seen, "GET", "/sim_cards")) == 20
    got = check(env, seen, "GET", f"/sim_cards/{sim['id']}",
                params={"include_sim_card_group": "true", "include_pin_puk_codes": "true"})
    assert got["sim_card_group"]["id"] == sim["sim_card_group_id"]
    assert set(got["pin_puk_codes"]) == {"pin1", "pin2", "puk1", "puk2"}
    assert check(env, seen, "PATCH", f"/sim_cards/{sim['id']}",
                 json={"tags": ["a", "b"]})["tags"] == ["a", "b"]
    assert check(env, seen, "POST", f"/sim_cards/{disabled['id']}/actions/enable")[
        "action_type"] == "enable"
    assert check(env, seen, "POST", f"/sim_cards/{sim['id']}/actions/disable")[
        "status"]["value"] == "in-progress"
    check(env, seen, "POST", f"/sim_cards/{sim2['id']}/actions/set_standby")
    check(env, seen, "POST", f"/sim_cards/{sim3['id']}/actions/set_public_ip?region_code=dc2")
    assert check(env, seen, "GET", f"/sim_cards/{with_ip['id']}/public_ip")["ip"]
    check(env, seen, "POST", f"/sim_cards/{with_ip['id']}/actions/remove_public_ip")
    assert check(env, seen, "GET", f"/sim_cards/{esim['id']}/activation_code")[
        "activation_code"].startswith("LPA:1$")
    assert check(env, seen, "GET", f"/sim_cards/{with_device['id']}/device_details")[
        "imei"] == with_device["current_imei"]
    assert check(env, seen, "GET", f"/sim_cards/{with_device['id']}/wireless_connectivity_logs")
    assert check(env, seen, "DELETE", f"/sim_cards/{doomed['id']}")["id"] == doomed["id"]
    bulk = check(env, seen, "POST", "/sim_cards/actions/bulk_enable_voice",
                 json={"sim_card_group_id": bench["id"]})
    check(env, seen, "POST", "/sim_cards/actions/bulk_disable_voice",
          json={"sim_card_group_id": bench["id"]})
    check(env, seen, "POST", "/sim_cards/actions/bulk_set_public_ips",
          json={"sim_card_ids": [enabled[4]["id"]]})
    codes = sb.registration_codes()
    available = [c for c, s in codes.items() if s == "available"]
    validations = check(env, seen, "POST", "/sim_cards/actions/validate_registration_codes",
                        json={"registration_codes": [available[0], "0000000000"]})
    assert [v["valid"] for v in validations] == [True, False]
    registered = check(env, seen, "POST", "/actions/register/sim_cards",
                       json={"registration_codes": [available[0]]})
    assert registered[0]["status"]["value"] == "registering"
    bought = check(env, seen, "POST", "/actions/purchase/esims", json={"amount": 2})
    assert [s["type"] for s in bought] == ["esim", "esim"]

    # actions
    assert check(env, seen, "GET", "/bulk_sim_card_actions")[0]["action_type"] == \
        "bulk_set_public_ips"
    assert check(env, seen, "GET", f"/bulk_sim_card_actions/{bulk['id']}")[
        "sim_card_actions_summary"]
    action = check(env, seen, "GET", "/sim_card_actions")[0]
    check(env, seen, "GET", f"/sim_card_actions/{action['id']}")
    ota = check(env, seen, "GET", "/ota_updates")[0]
    assert "settings" not in ota
    assert "settings" in check(env, seen, "GET", f"/ota_updates/{ota['id']}")

    # data usage notifications
    assert check(env, seen, "GET", "/sim_card_data_usage_notifications")
    dun = check(env, seen, "POST", "/sim_card_data_usage_notifications",
                json={"sim_card_id": sim["id"], "threshold": {"amount": "512", "unit": "MB"}})
    check(env, seen, "GET", f"/sim_card_data_usage_notifications/{dun['id']}")
    assert check(env, seen, "PATCH", f"/sim_card_data_usage_notifications/{dun['id']}",
                 json={"threshold": {"unit": "GB"}})["threshold"] == {"amount": "512",
                                                                       "unit": "GB"}
    check(env, seen, "DELETE", f"/sim_card_data_usage_notifications/{dun['id']}")

    # groups and group actions
    assert len(check(env, seen, "GET", "/sim_card_groups")) == 4
    group = check(env, seen, "POST", "/sim_card_groups",
                  json={"name": "Pilot", "data_limit": {"amount": "100", "unit": "MB"}})
    assert check(env, seen, "GET", f"/sim_card_groups/{group['id']}",
                 params={"include_iccids": "true"})["iccids"] == []
    check(env, seen, "PATCH", f"/sim_card_groups/{group['id']}", json={"name": "Pilot 2"})
    bare = check(env, seen, "POST", "/sim_card_groups", json={"name": "No limit"})
    assert check(env, seen, "PATCH", f"/sim_card_groups/{bare['id']}",
                 json={"data_limit": {"amount": "5", "unit": "GB"}})["data_limit"] == {
        "amount": "5", "unit": "GB"}
    gw = sb.private_wireless_gateway_ids()[1]
    check(env, seen, "POST", f"/sim_card_groups/{group['id']}/actions/set_private_wireless_gateway",
          json={"private_wireless_gateway_id": gw})
    smart = env.group("Smart Meters")
    check(env, seen, "POST",
          f"/sim_card_groups/{smart['id']}/actions/remove_private_wireless_gateway")
    blocklist_id = next(iter(env.store.all("wireless_blocklists")))["id"]
    check(env, seen, "POST", f"/sim_card_groups/{group['id']}/actions/set_wireless_blocklist",
          json={"wireless_blocklist_id": blocklist_id})
    berlin = env.group("Berlin Warehouse")
    check(env, seen, "POST", f"/sim_card_groups/{berlin['id']}/actions/remove_wireless_blocklist")
    group_action = check(env, seen, "GET", "/sim_card_group_actions")[0]
    check(env, seen, "GET", f"/sim_card_group_actions/{group_action['id']}")
    check(env, seen, "DELETE", f"/sim_card_groups/{group['id']}")

    # orders
    address = sb.address_ids()[0]
    preview = check(env, seen, "POST", "/sim_card_order_preview",
                    json={"quantity": 3, "address_id": address})
    assert preview["total_cost"] == {"amount": "18.00", "currency": "USD"}
    assert len(check(env, seen, "GET", "/sim_card_orders")) == 3
    order = check(env, seen, "POST", "/sim_card_orders",
                  json={"quantity": 3, "address_id": address})
    assert order["cost"]["amount"] == "18.00"
    check(env, seen, "GET", f"/sim_card_orders/{order['id']}")

    # wireless regions and blocklists
    assert check(env, seen, "GET", "/wireless/regions", params={"product": "public_ips"})
    assert check(env, seen, "GET", "/wireless_blocklist_values", params={"type": "mcc"})
    assert check(env, seen, "GET", "/wireless_blocklists")
    wbl = check(env, seen, "POST", "/wireless_blocklists",
                json={"name": "No EU", "type": "country", "values": ["DE", "FR"]})
    check(env, seen, "GET", f"/wireless_blocklists/{wbl['id']}")
    assert check(env, seen, "PATCH", f"/wireless_blocklists/{wbl['id']}",
                 json={"values": ["NL"]})["values"] == ["NL"]
    check(env, seen, "DELETE", f"/wireless_blocklists/{wbl['id']}")

    # mobile voice connections
    assert check(env, seen, "GET", "/mobile_voice_connections")
    mvc = check(env, seen, "POST", "/mobile_voice_connections",
                json={"connection_name": "Drivers", "inbound": {"channel_limit": 5}})
    assert mvc["webhook_api_version"] == "2" and mvc["active"] is True
    check(env, seen, "GET", f"/mobile_voice_connections/{mvc['id']}")
    check(env, seen, "PATCH", f"/mobile_voice_connections/{mvc['id']}", json={"active": False})
    check(env, seen, "DELETE", f"/mobile_voice_connections/{mvc['id']}")

    # storage migrations
    assert check(env, seen, "GET", "/storage/migration_source_coverage")
    assert check(env, seen, "GET", "/storage/migration_sources")
    source = check(env, seen, "POST", "/storage/migration_sources", json={
        "provider": "aws", "bucket_name": "b1", "source_region": "us-east-1",
        "provider_auth": {"access_key": "AK", "secret_access_key": "SECRET"}})
    # credentials come back as the response schema declares them: the server keeps them from its output
    assert source["provider_auth"] == {"access_key": "AK", "secret_access_key": "SECRET"}
    check(env, seen, "GET", f"/storage/migration_sources/{source['id']}")
    assert len(check(env, seen, "GET", "/storage/migrations")) == 2
    mig = check(env, seen, "POST", "/storage/migrations", json={
        "source_id": source["id"], "target_bucket_name": "t1", "target_region": "us-central-1"})
    check(env, seen, "GET", f"/storage/migrations/{mig['id']}")
    assert check(env, seen, "POST", f"/storage/migrations/{mig['id']}/actions/stop")[
        "status"] == "stopped"
    check(env, seen, "DELETE", f"/storage/migration_sources/{source['id']}")

    # private wireless gateways
    assert len(check(env, seen, "GET", "/private_wireless_gateways", params={"filter[region_code]": "dc2"})) == 1
    pwg = check(env, seen, "POST", "/private_wireless_gateways",
                json={"name": "Plant", "network_id": "6a09cdc3-8948-47f0-aa62-74ac943d6c58"})
    assert pwg["status"]["value"] == "provisioning" and pwg["ip_range"] is None
    env.clock.advance(2)
    got = check(env, seen, "GET", f"/private_wireless_gateways/{pwg['id']}")
    assert got["status"]["value"] == "provisioned" and got["ip_range"]
    assert check(env, seen, "DELETE", f"/private_wireless_gateways/{pwg['id']}")["status"][
        "value"] == "decommissioning"

    # mobile network operators
    german = check(env, seen, "GET", "/mobile_network_operators",
                   params={"filter[country_code]": "DE", "filter[name][contains]": "telekom"})
    assert [(o["mcc"], o["mnc"]) for o in german] == [("262", "01")]

    # traffic policy profiles
    assert check(env, seen, "GET", "/traffic_policy_profiles", params={"sort": "-type"})
    assert check(env, seen, "GET", "/traffic_policy_profiles/services", params={"filter[group]": "video"})
    tpp = check(env, seen, "POST", "/traffic_policy_profiles", json={"type": "blacklist", "services": ["youtube"]})
    check(env, seen, "GET", f"/traffic_policy_profiles/{tpp['id']}")
    assert check(env, seen, "PATCH", f"/traffic_policy_profiles/{tpp['id']}",
                 json={"type": "throttling", "limit_bw_kbps": 512})["limit_bw_kbps"] == 512
    assert check(env, seen, "DELETE", f"/traffic_policy_profiles/{tpp['id']}") == {"id": tpp["id"]}

    # wireless detail records
    roamed = check(env, seen, "GET", "/reports/wdrs", params={"mcc": "262", "start_date": "2025-12-01",
                                                              "page[size]": "5"})
    assert roamed and all(r["mcc"] == "262" for r in roamed)
    usage = check(env, seen, "GET", "/detail_records", params={
        "filter[record_type]": "wireless", "filter[mcc]": "262", "filter[date_range]": "last_month"})
    assert usage and all(r["record_type"] == "sim_card_usage" for r in usage)
    report = check(env, seen, "POST", "/wireless/detail_records_reports",
                   json={"start_time": "2025-12-01T00:00:00Z", "end_time": "2026-01-01T00:00:00Z"})
    assert report["status"] == "pending"
    env.clock.advance(2)
    assert check(env, seen, "GET", f"/wireless/detail_records_reports/{report['id']}")["report_url"]
    assert len(check(env, seen, "GET", "/wireless/detail_records_reports")) == 1
    assert check(env, seen, "DELETE", f"/wireless/detail_records_reports/{report['id']}")["status"] == "deleted"

    # per-SIM voice and mobile phone numbers
    talker = env.sims(status="enabled", voice_enabled=False)[0]
    assert check(env, seen, "POST", f"/sim_cards/{talker['id']}/actions/enable_voice", json={})[
        "action_type"] == "enable_voice"
    env.clock.advance(2)
    numbers = check(env, seen, "GET", "/mobile_phone_numbers", params={"page[size]": "250"})
    number = next(n for n in numbers if n["sim_card_id"] == talker["id"])
    check(env, seen, "GET", f"/mobile_phone_numbers/{number['id']}")
    assert check(env, seen, "PATCH", f"/mobile_phone_numbers/{number['id']}", json={
        "call_forwarding": {"call_forwarding_enabled": True, "forwards_to": "+13125550100"},
        "noise_suppression": True})["call_forwarding"]["forwards_to"] == "+13125550100"
    assert check(env, seen, "GET", "/mobile_phone_numbers/messaging")
    check(env, seen, "GET", f"/mobile_phone_numbers/{number['id']}/messaging")
    check(env, seen, "POST", f"/sim_cards/{talker['id']}/actions/disable_voice")

    assert seen == {op.operation_id for op in operations()}
    assert len(seen) == 66 + 24


def test_every_operation_has_exactly_one_handler_in_the_family_of_its_registry_entry() -> None:
    """The sandbox's families mirror the registry's: an operation's handler lives in the module
    named like the registry module that declares its tool."""
    from telnyx_iot_mcp.sandbox import families
    from telnyx_iot_mcp.tools import registry

    assert set(families.HANDLERS) == {op.operation_id for op in operations()}
    family_of_handler = {op_id: fam.__name__.rsplit(".", 1)[1]
                         for fam in families._FAMILIES for op_id in fam.handles}
    for fam in registry._FAMILIES:
        name = fam.__name__.rsplit(".", 1)[1]
        for tool in fam.OPERATIONS:
            op, _ = match(tool.method, _sample_path(tool.path))
            assert family_of_handler[op.operation_id] == name, (tool.name, op.operation_id)


def _sample_path(template: str) -> str:
    import re

    return re.sub(r"\{[^}]+\}", "00000000-0000-4000-8000-000000000000", template)
