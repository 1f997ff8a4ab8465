"""Every tool through a real MCP client on the sandbox, in an order in which each has real ids to work on."""

from __future__ import annotations

import pytest

from telnyx_iot_mcp.tools.registry import OPERATIONS

pytestmark = pytest.mark.anyio


async def test_tour_of_every_tool(fleet):
    called: set[str] = set()

    async def call(name, arguments=None):
        called.add(name)
        return await fleet.call(name, arguments)

    groups = {g["name"]: g for g in (await call("list_sim_card_groups", {"page_size": 250}))["data"]}
    trackers = groups["Trackers"]
    sims = (await call("list_sim_cards", {"sim_card_group_id": trackers["id"], "page_size": 250}))["data"]
    assert sims and all(s["sim_card_group_id"] == trackers["id"] for s in sims)
    sim = next(s for s in sims if s["status"]["value"] == "enabled")
    esim = next(s for s in (await call("list_sim_cards", {"page_size": 250}))["data"] if s["type"] == "esim")

    await call("get_sim_card", {"sim_card_id": sim["id"], "include_sim_card_group": True})
    await call("get_sim_card_device_details", {"sim_card_id": sim["id"]})
    await call("list_wireless_connectivity_logs", {"sim_card_id": sim["id"]})
    await call("get_sim_card_activation_code", {"sim_card_id": esim["id"]})
    await call("update_sim_card", {"sim_card_id": sim["id"], "tags": ["tour"]})

    regions = (await call("list_wireless_regions", {"product": "public_ips"}))["data"]
    action = (await call("set_sim_card_public_ip", {"sim_card_id": sim["id"], "region_code": regions[0]["code"]}))["data"]
    await call("get_sim_card_action", {"action_id": action["id"]})
    fleet.later()
    await call("get_sim_card_public_ip", {"sim_card_id": sim["id"]})
    await call("remove_sim_card_public_ip", {"sim_card_id": sim["id"]})
    await call("list_sim_card_actions", {"sim_card_id": sim["id"]})
    await call("set_sim_card_standby", {"sim_card_id": sim["id"]})
    fleet.later()
    await call("enable_sim_card", {"sim_card_id": sim["id"]})
    fleet.later()
    await call("disable_sim_card", {"sim_card_id": sim["id"]})
    fleet.later()

    bulk = (await call("bulk_enable_voice", {"sim_card_group_id": trackers["id"]}))["data"]
    await call("get_bulk_sim_card_action", {"action_id": bulk["id"]})
    await call("list_bulk_sim_card_actions", {})
    await call("bulk_disable_voice", {"sim_card_group_id": trackers["id"]})
    await call("bulk_set_public_ips", {"sim_card_ids": [sim["id"]]})

    codes = [code for code, state in fleet.app.state.sandbox.registration_codes().items() if state == "available"]
    checked = (await call("validate_registration_codes", {"registration_codes": codes[:1]}))["data"]
    assert checked[0]["valid"] is True
    await call("register_sim_cards", {"registration_codes": codes[:1], "sim_card_group_id": trackers["id"]})
    await call("purchase_esims", {"amount": 1, "sim_card_group_id": trackers["id"]})

    group = (await call("create_sim_card_group", {"name": "Tour", "data_limit": {"amount": "500", "unit": "MB"}}))["data"]
    await call("get_sim_card_group", {"sim_card_group_id": group["id"], "include_iccids": True})
    await call("update_sim_card_group", {"sim_card_group_id": group["id"], "name": "Tour 2"})
    gateway = groups["Smart Meters"]["private_wireless_gateway_id"]
    group_action = (await call("set_group_private_wireless_gateway",
                               {"sim_card_group_id": group["id"], "private_wireless_gateway_id": gateway}))["data"]
    await call("get_sim_card_group_action", {"action_id": group_action["id"]})
    fleet.later()
    await call("remove_group_private_wireless_gateway", {"sim_card_group_id": group["id"]})
    fleet.later()
    await call("list_wireless_blocklist_values", {"type": "country"})
    blocklist = (await call("create_wireless_blocklist", {"name": "No DE", "type": "country", "values": ["DE"]}))["data"]
    await call("list_wireless_blocklists", {"type": "country"})
    await call("get_wireless_blocklist", {"blocklist_id": blocklist["id"]})
    await call("update_wireless_blocklist", {"blocklist_id": blocklist["id"], "values": ["DE", "FR"]})
    await call("set_group_wireless_blocklist", {"sim_card_group_id": group["id"], "wireless_blocklist_id": blocklist["id"]})
    fleet.later()
    await call("remove_group_wireless_blocklist", {"sim_card_group_id": group["id"]})
    fleet.later()
    await call("list_sim_card_group_actions", {"sim_card_group_id": group["id"]})
    await call("delete_wireless_blocklist", {"blocklist_id": blocklist["id"]})
    await call("delete_sim_card_group", {"sim_card_group_id": group["id"]})

    orders = (await call("list_sim_card_orders", {}))["data"]
    address = orders[0]["order_address"]["id"]
    preview = (await call("preview_sim_card_order", {"quantity": 3, "address_id": address}))["data"]
    assert preview["total_cost"]["amount"]
    order = (await call("create_sim_card_order", {"quantity": 3, "address_id": address}))["data"]
    await call("get_sim_card_order", {"order_id": order["id"]})

    note = (await call("create_data_usage_notification",
                       {"sim_card_id": sim["id"], "threshold": {"amount": "1", "unit": "GB"}}))["data"]
    await call("list_data_usage_notifications", {"sim_card_id": sim["id"]})
    await call("get_data_usage_notification", {"notification_id": note["id"]})
    await call("update_data_usage_notification", {"notification_id": note["id"], "threshold": {"amount": "2", "unit": "GB"}})
    await call("delete_data_usage_notification", {"notification_id": note["id"]})

    ota = (await call("list_ota_updates", {}))["data"][0]
    await call("get_ota_update", {"ota_update_id": ota["id"]})

    connection = (await call("create_mobile_voice_connection", {"connection_name": "Tour voice"}))["data"]
    await call("list_mobile_voice_connections", {"connection_name_contains": "Tour"})
    await call("get_mobile_voice_connection", {"connection_id": connection["id"]})
    await call("update_mobile_voice_connection", {"connection_id": connection["id"], "active": False})
    await call("delete_mobile_voice_connection", {"connection_id": connection["id"]})

    await call("list_migration_source_coverage", {})
    source = (await call("create_migration_source", {
        "provider": "aws", "bucket_name": "tour", "source_region": "us-east-1",
        "provider_auth": {"access_key": "AKIA", "secret_access_key": "s3cr3t"}}))["data"]
    await call("list_migration_sources", {})
    await call("get_migration_source", {"migration_source_id": source["id"]})
    migration = (await call("create_migration", {"source_id": source["id"], "target_bucket_name": "tour-copy",
                                                  "target_region": "us-central-1"}))["data"]
    await call("list_migrations", {})
    await call("get_migration", {"migration_id": migration["id"]})
    await call("stop_migration", {"migration_id": migration["id"]})
    await call("delete_migration_source", {"migration_source_id": source["id"]})

    # gateways: the group actions' previews read them; create and delete run through the gate
    gateways = (await call("list_private_wireless_gateways", {"region_code": "dc2"}))["data"]
    assert gateways[0]["ip_range"]
    pwg_regions = (await call("list_wireless_regions", {"product": "private_wireless_gateways"}))["data"]
    pwg = (await call("create_private_wireless_gateway", {"name": "Tour PWG", "network_id": gateways[0]["network_id"],
                                                          "region_code": pwg_regions[0]["code"]}))["data"]
    assert pwg["status"]["value"] == "provisioning"
    fleet.later()
    assert (await call("get_private_wireless_gateway", {"private_wireless_gateway_id": pwg["id"]}))["data"][
        "status"]["value"] == "provisioned"
    await call("delete_private_wireless_gateway", {"private_wireless_gateway_id": pwg["id"]})

    operators = (await call("list_mobile_network_operators", {"country_code": "DE"}))["data"]
    assert {o["mcc"] for o in operators} == {"262"}

    services = (await call("list_traffic_policy_profile_services", {}))["data"]
    profile = (await call("create_traffic_policy_profile", {"type": "whitelist", "services": [services[0]["id"]]}))["data"]
    await call("list_traffic_policy_profiles", {"type": "whitelist"})
    await call("get_traffic_policy_profile", {"traffic_policy_profile_id": profile["id"]})
    await call("update_traffic_policy_profile", {"traffic_policy_profile_id": profile["id"], "type": "throttling",
                                                 "limit_bw_kbps": 1024})
    await call("delete_traffic_policy_profile", {"traffic_policy_profile_id": profile["id"]})

    roamed = (await call("list_wireless_detail_records", {"sim_group_id": trackers["id"], "mcc": "262",
                                                          "start_date": "2025-12-01", "sort": ["-created_at"]}))["data"]
    assert roamed and {r["sim_group_name"] for r in roamed} == {"Trackers"} and roamed[0]["cost"]["amount"]
    usage = (await call("list_sim_card_usage_records", {"date_range": "last_month", "sim_group_id": trackers["id"],
                                                        "all_pages": True}))["data"]
    assert usage and {u["record_type"] for u in usage} == {"sim_card_usage"}
    report = (await call("create_wdr_report", {"start_time": "2025-12-01T00:00:00Z",
                                               "end_time": "2026-01-01T00:00:00Z"}))["data"]
    fleet.later()
    assert (await call("get_wdr_report", {"report_id": report["id"]}))["data"]["report_url"]
    await call("list_wdr_reports", {})
    await call("delete_wdr_report", {"report_id": report["id"]})

    talker = next(s for s in (await call("list_sim_cards", {"status": ["enabled"], "page_size": 250}))["data"]
                  if not s["voice_enabled"])
    voice = (await call("enable_sim_card_voice", {"sim_card_id": talker["id"]}))["data"]
    assert voice["action_type"] == "enable_voice"
    fleet.later()
    numbers = (await call("list_mobile_phone_numbers", {"page_size": 250}))["data"]
    number = next(n for n in numbers if n["sim_card_id"] == talker["id"])
    await call("get_mobile_phone_number", {"mobile_phone_number_id": number["id"]})
    await call("update_mobile_phone_number", {"mobile_phone_number_id": number["id"], "call_forwarding": {
        "call_forwarding_enabled": True, "forwards_to": "+13125550100"}})
    await call("list_mobile_phone_number_messaging_settings", {})
    await call("get_mobile_phone_number_messaging_settings", {"mobile_phone_number_id": number["id"]})
    await call("disable_sim_card_voice", {"sim_card_id": talker["id"]})
    await call("list_sim_card_actions", {"action_type": "disable_voice"})

    await call("delete_sim_card", {"sim_card_id": esim["id"]})
    assert called == set(OPERATIONS), sorted(set(OPERATIONS) - called)
