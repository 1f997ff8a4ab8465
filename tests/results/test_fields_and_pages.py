"""`fields` trims list records; `all_pages` follows pages to the end or to the cap, and says when it cut."""

from __future__ import annotations

import json

import anyio
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mcp import Client

from telnyx_iot_mcp.sandbox import create_app
from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.tools import paging
from telnyx_iot_mcp.tools.client import TelnyxClient
from telnyx_iot_mcp.tools.registry import OPERATIONS
from telnyx_iot_mcp.tools.request import build_request
from telnyx_iot_mcp.tools.schema import FIELDS_FROM, input_schema
from telnyx_iot_mcp.tools.shaping import pick
from telnyx_iot_mcp.tools.errors import ToolError
from telnyx_iot_mcp.tools.result_size import RecordBudget

pytestmark = pytest.mark.anyio


BIG_FLEET = 2000


@pytest.fixture(scope="module")
def big_fleet():
    return create_app(sim_count=BIG_FLEET)


def sandbox_client(**options) -> TelnyxClient:
    return TelnyxClient(base_url="http://sandbox/v2", transport=httpx.ASGITransport(app=create_app(**options)))


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_extra_arguments_go_exactly_to_list_and_paged_operations(name):
    op = OPERATIONS[name]
    properties = input_schema(name)["properties"]
    assert ("fields" in properties) == (op.returns_list and len(op.returns["properties"]) >= FIELDS_FROM)
    assert ("all_pages" in properties) == (op.paginated and "page_number" in {p.name for p in op.params})


def test_fields_is_offered_where_records_have_something_to_trim():
    assert "fields" in input_schema("list_sim_cards")["properties"]
    assert "fields" in input_schema("purchase_esims")["properties"]
    # {code, name}: nothing to trim
    assert "fields" not in input_schema("list_wireless_blocklist_values")["properties"]


@pytest.mark.parametrize("name", [n for n, op in OPERATIONS.items() if op.returns_list])
def test_server_side_arguments_are_never_sent(name):
    op = OPERATIONS[name]
    plain = build_request(op, {})
    extra = build_request(op, {"fields": ["id"], "all_pages": True})
    assert extra.params == plain.params and extra.json == plain.json and extra.path == plain.path


def test_pick_keeps_dotted_paths_and_skips_missing_ones():
    record = {"id": "a", "iccid": "89", "status": {"value": "enabled", "reason": None},
              "current_billing_period_consumed_data": {"amount": "12.5", "unit": "MB"}, "tags": ["x"]}
    assert pick(record, ["id", "status.value", "current_billing_period_consumed_data.amount", "nope.deep"]) == {
        "id": "a", "status": {"value": "enabled"}, "current_billing_period_consumed_data": {"amount": "12.5"}}
    assert pick(record, ["status", "status.value"]) == {"status": {"value": "enabled", "reason": None}}
    assert record["status"] == {"value": "enabled", "reason": None}  # the source is left alone


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_fields_trim_each_record_and_keep_meta(mode):
    async with Client(create_server(sandbox_client()), mode=mode) as mcp:
        result = await mcp.call_tool("list_sim_cards", {"page_size": 5, "fields": ["id", "iccid", "status.value"]})
        bad = await mcp.call_tool("list_sim_cards", {"fields": ["status value"]})
    assert not result.is_error
    assert len(result.structured_content["data"]) == 5
    assert all(set(r) == {"id", "iccid", "status"} and set(r["status"]) == {"value"}
               for r in result.structured_content["data"])
    assert result.structured_content["meta"]["total_results"] == 48
    assert bad.is_error and "fields[0]" in bad.content[0].text


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_all_pages_fetches_everything_with_progress(mode):
    seen = []

    async def on_progress(progress, total, message):
        seen.append((progress, total))

    async with Client(create_server(sandbox_client()), mode=mode) as mcp:
        result = await mcp.call_tool("list_sim_cards", {"all_pages": True, "page_size": 10, "fields": ["id"]},
                                     progress_callback=on_progress)
    data, meta = result.structured_content["data"], result.structured_content["meta"]
    assert len(data) == 48 and len({r["id"] for r in data}) == 48
    assert meta["truncated"] is False and meta["pages_fetched"] == 5 and "note" not in meta
    assert seen == [(n, 5) for n in range(1, 6)]


async def test_all_pages_stops_at_the_page_cap_and_says_where_to_resume():
    seen = []

    async def on_progress(progress, total, message):
        seen.append((progress, total))

    async with Client(create_server(sandbox_client())) as mcp:
        result = await mcp.call_tool("list_sim_cards", {"all_pages": True, "page_size": 1, "fields": ["id"]},
                                     progress_callback=on_progress)
    meta = result.structured_content["meta"]
    assert seen[-1] == (paging.MAX_PAGES, paging.MAX_PAGES)  # the cap is the whole job, so progress ends at 100%
    assert len(result.structured_content["data"]) == paging.MAX_PAGES
    assert meta["truncated"] is True and meta["pages_fetched"] == paging.MAX_PAGES
    assert meta["next"] == {"page_number": paging.MAX_PAGES + 1, "page_size": 1, "page_offset": 0}
    assert f"page_number={paging.MAX_PAGES + 1}, page_size=1, page_offset=0" in meta["note"]  # all a model needs


def fake_api(total: int, record_bytes=lambda i: 40):
    """A paginated API over `total` records of the given sizes; records the pages asked for."""
    asked: list[tuple[int, int]] = []

    async def fetch_page(arguments):
        page, size = arguments["page_number"], arguments["page_size"]
        asked.append((page, size))
        start = (page - 1) * size
        data = [{"id": i, "pad": "x" * record_bytes(i)} for i in range(start, min(start + size, total))]
        return {"data": data, "meta": {"total_pages": max(1, -(-total // size)), "total_results": total,
                                       "page_number": page, "page_size": size}}

    return fetch_page, asked


async def follow(fetch_page, arguments, max_bytes, **caps):
    """Every answer of an all_pages call and of the calls its meta.next names, in order."""
    answers = []
    while True:
        budget = RecordBudget(max_bytes)
        result = await paging.fetch_all_pages(fetch_page, arguments, budget, **caps)
        answers.append(budget.answer(result))
        if "next" not in result["meta"]:
            return answers
        arguments = {**arguments, **result["meta"]["next"]}


async def test_all_pages_stops_at_the_record_cap_on_a_page_boundary():
    fetch_page, asked = fake_api(700)
    result = await paging.fetch_all_pages(fetch_page, {"page_size": 7}, RecordBudget(None), max_records=30)
    assert asked == [(n, 7) for n in range(1, 5)]  # page 5 would not come back whole: not fetched
    assert [r["id"] for r in result["data"]] == list(range(28))
    assert result["meta"]["truncated"] is True and result["meta"]["next"] == {"page_number": 5, "page_size": 7, "page_offset": 0}
    assert "28 of 700" in result["meta"]["note"]


async def test_all_pages_fetches_only_pages_it_returns_within_the_size_cap():
    fetch_page, asked = fake_api(10_000, lambda i: 600)
    answers = await follow(fetch_page, {"page_size": 250}, 200_000)
    first = answers[0].payload
    assert first["meta"]["next"] == {"page_number": 2, "page_size": 250, "page_offset": 0}
    assert len(first["data"]) == 250 and asked[:2] == [(1, 250), (2, 250)]  # page 2 is the next answer's
    assert len(asked) == 40 and len(answers) == 40  # every page fetched once
    ids = [r["id"] for a in answers for r in a.payload["data"]]
    assert ids == list(range(10_000))
    assert all(len(a.text.encode()) <= 200_000 for a in answers)


async def test_a_page_larger_than_the_cap_is_resumed_inside_the_page():
    fetch_page, asked = fake_api(1000, lambda i: 300)
    answers = await follow(fetch_page, {"page_size": 250}, 20_000)
    first = answers[0].payload["meta"]["next"]
    assert first["page_number"] == 1 and 0 < first["page_offset"] < 250
    ids = [r["id"] for a in answers for r in a.payload["data"]]
    assert ids == list(range(1000))
    assert all(len(a.text.encode()) <= 20_000 for a in answers)


async def test_a_record_larger_than_the_cap_is_an_error_not_an_endless_continuation():
    fetch_page, _ = fake_api(10, lambda i: 5000 if i == 3 else 10)
    budget = RecordBudget(2000)
    result = await paging.fetch_all_pages(fetch_page, {"page_size": 10}, budget)
    assert result["meta"]["next"] == {"page_number": 1, "page_size": 10, "page_offset": 3}
    with pytest.raises(ToolError) as caught:
        await paging.fetch_all_pages(fetch_page, {"page_size": 10, **result["meta"]["next"]}, RecordBudget(2000))
    assert caught.value.payload["kind"] == "too_large"


@settings(max_examples=150, deadline=None)
@given(total=st.integers(0, 400), page_size=st.integers(1, 60), max_bytes=st.integers(1_000, 12_000),
       sizes=st.lists(st.integers(0, 400), min_size=1, max_size=50), max_pages=st.integers(1, 6),
       max_records=st.integers(60, 300), start_page=st.integers(1, 3))
def test_following_continuations_reads_every_record_exactly_once(total, page_size, max_bytes, sizes, max_pages,
                                                                  max_records, start_page):
    fetch_page, _ = fake_api(total, lambda i: sizes[i % len(sizes)])
    answers = anyio.run(lambda: follow(fetch_page, {"page_size": page_size, "page_number": start_page}, max_bytes,
                                       max_pages=max_pages, max_records=max_records))
    ids = [r["id"] for a in answers for r in a.payload["data"]]
    assert ids == list(range(min((start_page - 1) * page_size, total), total))
    for answer in answers:
        assert len(answer.text.encode()) <= max_bytes
        assert json.loads(answer.text) == answer.payload  # the text is the payload, encoded once


async def read_fleet_by_following_meta_next(app, arguments, max_bytes) -> tuple[list[str], int, int]:
    """Every SIM id returned by an all_pages call and the calls its meta.next names, the call count, the total."""
    client = TelnyxClient(base_url="http://sandbox/v2", transport=httpx.ASGITransport(app=app),
                          max_result_bytes=max_bytes)
    ids, calls = [], 0
    async with Client(create_server(client)) as mcp:
        call = {"all_pages": True, **arguments}
        while True:
            result = await mcp.call_tool("list_sim_cards", call)
            calls += 1
            assert not result.is_error, result.content[0].text
            assert len(result.content[0].text.encode()) <= max_bytes
            assert json.loads(result.content[0].text) == result.structured_content
            ids += [r["id"] for r in result.structured_content["data"]]
            meta = result.structured_content["meta"]
            if "next" not in meta:
                return ids, calls, meta["total_results"]
            call = {**call, **meta["next"]}


@pytest.mark.parametrize("arguments, max_bytes", [
    ({}, 200_000),  # the defaults: pages of 250 whole records
    ({"page_size": 40, "fields": ["id", "iccid"]}, 200_000),  # the page cap ends each answer
    ({"page_size": 250}, 60_000),  # a page never fits whole: every answer resumes inside a page
], ids=["defaults", "fields", "small-cap"])
async def test_following_meta_next_over_a_large_fleet_yields_every_sim_once(big_fleet, arguments, max_bytes):
    ids, calls, total = await read_fleet_by_following_meta_next(big_fleet, arguments, max_bytes)
    assert len(ids) == len(set(ids)) == BIG_FLEET == total
    assert calls > 1


@pytest.mark.slow
async def test_following_meta_next_over_a_10000_sim_fleet_yields_every_sim_once():
    ids, calls, total = await read_fleet_by_following_meta_next(create_app(sim_count=10_000), {}, 200_000)
    assert len(ids) == len(set(ids)) == 10_000 == total
    assert calls == 40  # pages of 250 whole records, one per answer under the 200 KB default


async def test_a_cut_page_says_where_the_rest_starts_and_page_offset_returns_it():
    client = sandbox_client(sim_count=300)
    client.max_result_bytes = 20_000
    async with Client(create_server(client)) as mcp:
        whole = (await mcp.call_tool("list_sim_cards", {"page_number": 2, "page_size": 100, "fields": ["id"]}))
        first = (await mcp.call_tool("list_sim_cards", {"page_number": 2, "page_size": 100})).structured_content
        place = first["meta"]["next"]
        rest = (await mcp.call_tool("list_sim_cards", place)).structured_content
    expected = [r["id"] for r in whole.structured_content["data"]]
    assert place["page_number"] == 2 and place["page_size"] == 100 and place["page_offset"] == len(first["data"])
    assert [r["id"] for r in first["data"] + rest["data"]][:100] == expected[: len(first["data"] + rest["data"])]
    assert "meta.next" in first["truncated"]["note"]
