"""`fields` trims list records; `all_pages` follows pages to the end or to the cap, and says when it cut."""

from __future__ import annotations

import httpx
import pytest
from mcp import Client

from telnyx_iot_mcp.sandbox import create_app
from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.tools import paging
from telnyx_iot_mcp.tools.client import TelnyxClient
from telnyx_iot_mcp.tools.registry import OPERATIONS
from telnyx_iot_mcp.tools.request import build_request
from telnyx_iot_mcp.tools.schema import FIELDS_FROM, input_schema
from telnyx_iot_mcp.tools.shaping import pick

pytestmark = pytest.mark.anyio


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


async def test_all_pages_stops_at_the_page_cap_and_says_so():
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
    assert f"page_number={paging.MAX_PAGES + 1}" in meta["note"]


async def test_all_pages_stops_at_the_record_cap():
    pages = []

    async def fetch_page(arguments):
        pages.append(arguments["page_number"])
        return {"data": [{"id": f"{arguments['page_number']}-{i}"} for i in range(arguments["page_size"])],
                "meta": {"total_pages": 100, "total_results": 100 * arguments["page_size"]}}

    result = await paging.fetch_all_pages(fetch_page, {"page_size": 7}, max_records=30)
    assert pages == [1, 2, 3, 4, 5]
    assert len(result["data"]) == 30 and result["meta"]["truncated"] is True
    assert "30 of 700" in result["meta"]["note"]
