"""Upstream failures and invalid arguments come back as tool errors a model can act on; nothing crashes."""

from __future__ import annotations

import pytest
from mcp import Client

from samples import SAMPLE_UUID, sample_arguments
from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.tools.client import TelnyxClient
from telnyx_iot_mcp.tools.registry import OPERATIONS

pytestmark = pytest.mark.anyio


async def call(url: str, name: str, arguments: dict, mode: str = "auto"):
    # One attempt: retries are the reliability suite's subject; here each failure is shown as it is mapped.
    client = TelnyxClient(base_url=url, api_key="k", timeout=2.0, max_attempts=1)
    async with Client(create_server(client), mode=mode) as session:
        result = await session.call_tool(name, arguments)
    await client.aclose()
    return result


ENVELOPE = {"errors": [{"code": "10015", "title": "Bad Request", "detail": "Invalid threshold",
                        "source": {"pointer": "/threshold/unit"}}]}


@pytest.mark.parametrize("status,body,words", [
    (401, {"errors": [{"code": "10009", "title": "Authentication failed"}]}, ["401", "TELNYX_API_KEY"]),
    (403, {"errors": [{"code": "10010", "title": "Authorization failed"}]}, ["403", "permissions"]),
    (404, {"errors": [{"code": "10005", "title": "Resource not found"}]}, ["404", "list_"]),
    (404, {"code": "10005", "title": "Resource not found", "detail": "No SIM card"}, ["404", "No SIM card"]),
    (422, ENVELOPE, ["422", "/threshold/unit", "Invalid threshold"]),
    (429, {"errors": [{"code": "10011", "title": "Too many requests"}]}, ["429", "wait"]),
    (500, {"errors": [{"code": "10007", "title": "Unexpected error"}]}, ["500", "try again"]),
    (503, "<html>down</html>", ["503"]),
    (200, "not json", ["200", "not usable JSON"]),
])
@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_upstream_errors_become_tool_errors(api_mock, status, body, words, mode):
    api_mock.replies.append((status, body))
    result = await call(api_mock.url, "get_sim_card", {"sim_card_id": SAMPLE_UUID}, mode)
    assert result.is_error
    text = result.content[0].text
    for word in words:
        assert word in text, text
    error = result.structured_content["error"]
    assert error["status"] == status
    if isinstance(body, dict) and status != 200:
        detail = error["errors"][0]
        assert detail["code"] == (body.get("errors") or [body])[0]["code"]


async def test_a_422_names_the_field_by_its_pointer(api_mock):
    api_mock.replies.append((422, ENVELOPE))
    result = await call(api_mock.url, "create_data_usage_notification",
                        {"sim_card_id": SAMPLE_UUID, "threshold": {"amount": "1", "unit": "GB"}})
    assert result.is_error
    assert result.structured_content["error"]["errors"][0]["pointer"] == "/threshold/unit"


async def test_connection_refused_is_a_tool_error():
    from processes import free_port

    result = await call(f"http://127.0.0.1:{free_port()}/v2", "list_sim_cards", {})
    assert result.is_error and "Could not complete the request" in result.content[0].text


@pytest.mark.parametrize("name", sorted(OPERATIONS))
async def test_invalid_arguments_name_the_field_and_send_nothing(api_mock, name):
    arguments = {**sample_arguments(name), "no_such_argument": 1}
    result = await call(api_mock.url, name, arguments)
    assert result.is_error
    assert "no_such_argument" in result.content[0].text and "nothing was sent" in result.content[0].text
    assert api_mock.requests == []


@pytest.mark.parametrize("arguments,field,why", [
    ({"sim_card_id": "../../sim_card_groups"}, "sim_card_id", "not a UUID"),
    ({}, "sim_card_id", "required"),
    ({"sim_card_id": SAMPLE_UUID, "include_pin_puk_codes": "yes"}, "include_pin_puk_codes", "expected boolean"),
])
async def test_bad_values_are_explained(api_mock, arguments, field, why):
    result = await call(api_mock.url, "get_sim_card", arguments)
    assert result.is_error
    assert f"{field}: " in result.content[0].text and why in result.content[0].text
    assert api_mock.requests == []


async def test_unknown_tool_is_an_error_not_a_crash(api_mock):
    result = await call(api_mock.url, "format_the_disk", {})
    assert result.is_error and "does not exist" in result.content[0].text
