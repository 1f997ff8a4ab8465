"""The usage tools find what the sandbox's generated history holds: its seeded spikes, silences and trips to new
networks (precision and recall of at least 0.9 per kind), and forecasts of the day each SIM's data limit runs out
within a stated number of days of the day its generated future sessions reach it."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import anyio
import httpx
import pytest

from telnyx_iot_mcp.sandbox import create_app
from telnyx_iot_mcp.sandbox.usage import DAY, history, truth
from telnyx_iot_mcp.tools.analytics.answers import KINDS, anomalies, find_usage_anomalies, forecasts, period_of
from telnyx_iot_mcp.tools.analytics.reading import Clocked, read_usage
from telnyx_iot_mcp.tools.client import TelnyxClient

pytestmark = pytest.mark.anyio
# |forecast - truth| for at least 90% of the SIMs that run out within 14 days, and within 15 to 30 days.
FORECAST_BOUND_DAYS = {14: 2, 30: 4}
CLOCKS = {  # mid-month, and the second day of one (a billing period barely begun)
    "mid_month": datetime(2026, 11, 18, 15, 30, tzinfo=UTC).timestamp(),
    "period_start": datetime(2026, 12, 2, 9, 0, tzinfo=UTC).timestamp(),
}


def scores(found: set, expected: set) -> tuple[float, float]:
    hit = len(found & expected)
    return hit / max(len(found), 1), hit / max(len(expected), 1)


@pytest.fixture(params=list(CLOCKS), scope="module")
def generated(request):
    """A 1,500-SIM fleet read once through the API (35 days: the tools' default windows), as the tools read it."""
    now = CLOCKS[request.param]
    app = create_app(sim_count=1500, seed=11, clock=lambda: now)
    today = datetime.fromtimestamp(now, UTC).date()

    async def read():
        client = TelnyxClient(base_url="http://sandbox/v2", transport=httpx.ASGITransport(app=app))
        try:
            return await read_usage(Clocked(client), {}, today - timedelta(days=34), now)
        finally:
            await client.aclose()

    return app, now, anyio.run(read)


async def test_the_tool_reads_and_finds_as_the_detectors_do(generated):
    """The tool itself, once: the same findings as the detectors over the series read for the tests below."""
    app, now, fleet = generated
    client = TelnyxClient(base_url="http://sandbox/v2", transport=httpx.ASGITransport(app=app))
    answer = await find_usage_anomalies(client, {"limit": 200})
    await client.aclose()
    today = datetime.fromtimestamp(now, UTC).date()
    assert answer["data"] == anomalies(fleet, today - timedelta(days=6), today, now, set(KINDS))[:200]
    assert answer["meta"]["records"] == fleet.records
    assert {f"{f['mcc']}-{f['mnc']}" for f in answer["data"] if f["kind"] == "new_network"} == set(answer["meta"]["networks"])


def test_anomalies_have_precision_and_recall_of_at_least_0_9_per_kind(generated):
    app, now, fleet = generated
    today = datetime.fromtimestamp(now, UTC).date()
    findings = anomalies(fleet, today - timedelta(days=6), today, now, set(KINDS))
    seeded = truth(app.state.sandbox)
    found = {kind: set() for kind in KINDS}
    for f in findings:
        found[f["kind"]].add((f["sim_card_id"], f["date"]) if f["kind"] == "spike" else
                             (f["sim_card_id"], f["mcc"], f["mnc"]) if f["kind"] == "new_network" else f["sim_card_id"])
    expected = {
        "spike": set(seeded["spike"].items()),
        "silent": set(seeded["silent"]),
        "new_network": {(sim, mcc, mnc) for sim, (mcc, mnc, _) in seeded["new_network"].items()},
    }
    for kind in found:
        assert len(expected[kind]) >= 20, (kind, len(expected[kind]))  # enough cases for the rates to mean something
        precision, recall = scores(found[kind], expected[kind])
        assert precision >= 0.9 and recall >= 0.9, (kind, precision, recall, found[kind] ^ expected[kind])


def true_exhaustion(app, sim_id: str, used: float, limit: float, now: float) -> date | None:
    """The day the SIM's generated sessions after `now` take its usage to `limit` (within 60 days)."""
    sb = app.state.sandbox
    h = history(sb)
    sim = sb.store.get("sim_cards", sim_id)
    profile = h.profile(sim)
    if profile is None:  # no device: no sessions
        return None
    if used >= limit:
        return datetime.fromtimestamp(now, UTC).date()
    first = math.floor((now - profile.offset) / DAY) + 1
    for day in range(first, first + 60):
        if not profile.sends(day):
            return None
        used += profile.megabytes(day)
        if used >= limit:
            return date.fromordinal(datetime.fromtimestamp(day * DAY, UTC).date().toordinal())
    return None


def test_forecasts_are_within_the_stated_bound_of_when_the_generated_usage_reaches_the_limit(generated):
    app, now, fleet = generated
    today = datetime.fromtimestamp(now, UTC).date()
    rows, _ = forecasts(fleet, today - timedelta(days=28), today - timedelta(days=1), today, period_of(today)[1])
    errors: dict[int, list[int]] = {14: [], 30: []}
    for row in rows:
        expected = true_exhaustion(app, row["sim_card_id"], row["used_mb"], row["limit_mb"], now)
        if expected is None or (expected - today).days > 30 or row["used_mb"] >= row["limit_mb"]:
            continue
        forecast = date.fromisoformat(row["exhausts_on"]) if row["exhausts_on"] else date.max
        errors[14 if (expected - today).days <= 14 else 30].append(min(abs((forecast - expected).days), 99))
    for horizon, bound in FORECAST_BOUND_DAYS.items():
        assert len(errors[horizon]) >= 30, (horizon, len(errors[horizon]))
        within = sum(1 for e in errors[horizon] if e <= bound) / len(errors[horizon])
        assert within >= 0.9, (horizon, within, sorted(Counter(errors[horizon]).items()))
