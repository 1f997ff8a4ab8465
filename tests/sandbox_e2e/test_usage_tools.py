"""The usage tools through a real MCP client on the sandbox: compact answers with evidence, continuations that
read every item once, a window that says what it covered, and usage that grows as the sandbox's clock runs."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from mcp import Client

from telnyx_iot_mcp.sandbox import create_app
from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.tools.client import TelnyxClient

pytestmark = pytest.mark.anyio
ICCID = re.compile(r"^[0-9]{19,20}F?$")


async def test_anomalies_carry_checkable_evidence_and_continue_without_loss(fleet):
    whole = await fleet.call("find_usage_anomalies", {"limit": 200})
    meta = whole["meta"]
    assert meta["total"] == len(whole["data"]) >= 1 and meta["records"] > 0 and meta["requests"] >= 2
    assert meta["window"]["start"] and meta["baseline"]["start"] < meta["window"]["start"]
    assert str(meta["records"]) in meta["summary"]
    for finding in whole["data"]:
        assert finding["kind"] in ("spike", "silent", "new_network") and ICCID.match(finding["iccid"])
        assert {"spike": {"date", "mb", "usual_mb"}, "silent": {"last_seen", "hours"},
                "new_network": {"mcc", "mnc", "date"}}[finding["kind"]] <= set(finding)
        if finding["kind"] == "new_network":
            assert meta["networks"][f"{finding['mcc']}-{finding['mnc']}"]
    # one at a time through meta.next: the same findings, each once, in the same order
    seen, arguments = [], {"limit": 1}
    while True:
        page = await fleet.call("find_usage_anomalies", arguments)
        seen += page["data"]
        if "next" not in page["meta"]:
            break
        assert page["meta"]["total"] == meta["total"] and "meta.next" in page["meta"]["note"]
        arguments = page["meta"]["next"]
    assert seen == whole["data"]
    slim = await fleet.call("find_usage_anomalies", {"fields": ["kind", "sim_card_id"], "kinds": ["spike"]})
    assert all(set(f) == {"kind", "sim_card_id"} and f["kind"] == "spike" for f in slim["data"])


async def test_thirty_findings_fit_in_about_four_kilobytes():
    app = create_app(sim_count=600, clock=time.time)
    client = TelnyxClient(base_url="http://sandbox/v2", transport=httpx.ASGITransport(app=app))
    async with Client(create_server(client)) as session:
        result = await session.call_tool("find_usage_anomalies", {"limit": 30})
    await client.aclose()
    answer = result.structured_content
    assert answer["meta"]["total"] > 30 and len(answer["data"]) == 30 and answer["meta"]["next"]["offset"] == 30
    assert len(json.dumps(answer["data"], separators=(",", ":"))) <= 4700  # about 155 bytes a finding
    assert len(result.content[0].text) <= 6000  # with the window, counts, summary and continuation


async def test_forecasts_name_the_day_and_the_billing_period(fleet):
    answer = await fleet.call("forecast_data_limits", {"limit": 200})
    meta, rows = answer["meta"], answer["data"]["sim_cards"]
    today = datetime.fromisoformat(meta["today"]).date()
    assert meta["billing_period"]["start"] == today.replace(day=1).isoformat()
    assert meta["billing_period"]["end"] >= today.isoformat()
    dated = [r["exhausts_on"] for r in rows if r["exhausts_on"]]
    assert dated == sorted(dated) and rows[:len(dated)] == [r for r in rows if r["exhausts_on"]]
    for row in rows:
        assert ICCID.match(row["iccid"]) and row["limit_of"] in ("sim", "group")
        assert row["before_period_end"] == bool(row["exhausts_on"] and row["exhausts_on"] <= meta["billing_period"]["end"])
    assert meta["exhausting_before_period_end"] == sum(r["before_period_end"] for r in rows)
    groups = answer["data"]["groups"]
    assert sum(g["sim_cards"] for g in groups) == meta["sim_cards"]
    trackers = next(g for g in groups if g["name"] == "Trackers")
    only = await fleet.call("forecast_data_limits", {"sim_card_group_id": trackers["sim_card_group_id"]})
    assert {r["group"] for r in only["data"]["sim_cards"]} == {"Trackers"}


async def test_the_report_adds_up_and_matches_what_the_sim_cards_say_they_used(fleet):
    report = await fleet.call("usage_report", {"top": 100, "by": ["group", "country", "operator", "day", "sim"]})
    data = report["data"]
    total = data["totals"]["mb"]
    for key in ("by_group", "by_country", "by_operator", "by_day", "top_sim_cards"):
        assert abs(sum(item["mb"] for item in data[key]) - total) < 1 + 0.001 * total, key
    assert [c["mb"] for c in data["by_country"]] == sorted((c["mb"] for c in data["by_country"]), reverse=True)
    assert {c["country"] for c in data["by_country"]} >= {"US", "DE"}
    assert data["by_day"][0]["date"] == report["meta"]["window"]["start"]
    # this billing period's sessions add up to what each SIM card says it used this period
    sims = {s["id"]: s for s in (await fleet.call("list_sim_cards", {"page_size": 250}))["data"]}
    for row in data["top_sim_cards"]:
        said = float(sims[row["sim_card_id"]]["current_billing_period_consumed_data"]["amount"])
        assert abs(row["mb"] - said) <= 0.5 + 0.001 * said, (row, said)


async def test_usage_grows_while_the_clock_runs(fleet):
    before = await fleet.call("usage_report", {"by": ["day"]})
    sims = (await fleet.call("list_sim_cards", {"page_size": 250, "status": ["enabled"]}))["data"]
    used = {s["id"]: float(s["current_billing_period_consumed_data"]["amount"]) for s in sims}
    fleet.later(2 * 86400)
    after = await fleet.call("usage_report", {"by": ["day"], "start": before["meta"]["window"]["start"],
                                              "end": (datetime.now(UTC).date() + timedelta(days=3)).isoformat()})
    assert after["data"]["totals"]["mb"] > before["data"]["totals"]["mb"] and after["meta"]["records"] > before["meta"]["records"]
    now = (await fleet.call("list_sim_cards", {"page_size": 250}))["data"]
    grown = [s for s in now if s["id"] in used and float(s["current_billing_period_consumed_data"]["amount"]) > used[s["id"]]]
    assert len(grown) >= len(used) // 2


async def test_bad_windows_are_refused_naming_the_argument(fleet):
    assert "start" in await fleet.fails("usage_report", {"start": "2026-11-20", "end": "2026-11-01"})
    assert "days" in await fleet.fails("find_usage_anomalies", {"days": 3, "start": "2026-11-01"})
    assert "start" in await fleet.fails("forecast_data_limits", {"start": "2026-01-01", "end": "2026-12-01"})
    assert "kinds" in await fleet.fails("find_usage_anomalies", {"kinds": ["loud"]})
