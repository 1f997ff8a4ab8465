"""The catalog search, scored on requests in plain words; fails when it ranks worse than it did when the
thresholds were set (the held-out part was never used to tune the search words)."""

from __future__ import annotations

from scorer import PARTS, requests, score, table

from telnyx_iot_mcp.server.selection import CATALOG

# Set from what the search reached, a few points below, so a change that makes it worse fails. Reached: over the
# first 67 tools 93.8%/100% (tuning) and 87.5%/96.9% (held out); with the 24 further wireless operations and
# their requests, 88.7%/99.0% and 76.8%/91.6% (their requests are the harder part of the held-out set).
THRESHOLDS = {"tuning": (0.85, 0.97), "held-out": (0.75, 0.90)}  # (top-1, top-3)


# Operations the set already asks for while they are being added to the registry; nothing else may be missing.
COMING = {
    "list_wireless_detail_records", "list_sim_card_usage_records", "list_wdr_reports", "create_wdr_report",
    "get_wdr_report", "delete_wdr_report", "list_mobile_phone_numbers", "get_mobile_phone_number",
    "update_mobile_phone_number", "list_mobile_phone_number_messaging_settings",
    "get_mobile_phone_number_messaging_settings", "list_private_wireless_gateways", "create_private_wireless_gateway",
    "get_private_wireless_gateway", "delete_private_wireless_gateway", "enable_sim_card_voice",
    "disable_sim_card_voice", "list_traffic_policy_profiles", "create_traffic_policy_profile",
    "list_traffic_policy_profile_services", "get_traffic_policy_profile", "update_traffic_policy_profile",
    "delete_traffic_policy_profile", "list_mobile_network_operators",
}


def test_the_set_covers_every_operation_with_enough_varied_requests():
    cases = [case for part in PARTS for case in requests(part)]
    expected = {name for case in cases for name in case["expect"]}
    assert len([case for case in cases if set(case["expect"]) <= set(CATALOG)]) >= 120
    assert expected - COMING <= set(CATALOG), f"not operations: {sorted(expected - COMING - set(CATALOG))}"
    assert set(CATALOG) <= expected, f"operations no request asks for: {sorted(set(CATALOG) - expected)}"
    assert len({case["request"].lower() for case in cases}) == len(cases), "a request is listed twice"


def test_search_finds_the_operation_a_careful_operator_would_pick():
    scores = {part: score(part) for part in PARTS}
    print("\n" + table(scores))
    for part, (top1, top3) in THRESHOLDS.items():
        assert scores[part].top1 >= top1, (part, scores[part].misses)
        assert scores[part].top3 >= top3, (part, scores[part].misses)
