"""Fuzzing every tool through the MCP server: arguments generated from each input schema, and hostile
mutations of them. No call crashes or ends in an internal error; an invalid call sends nothing; a valid
call sends requests that stay on the operation's URL and that the OpenAPI facts file accepts."""

from __future__ import annotations

import itertools

import httpx
import pytest
from anyio.from_thread import start_blocking_portal
from hypothesis import HealthCheck, given, settings
from mcp import Client

from api_mock import canned_body
from schema_strategy import mutated, valid
from spec_check import accepted_by_spec, path_pattern, stays_inside
from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.server.gate import Gate
from telnyx_iot_mcp.tools.client import TelnyxClient
from telnyx_iot_mcp.tools.registry import OPERATIONS
from telnyx_iot_mcp.tools.registry.model import IDEMPOTENCY_KEY
from telnyx_iot_mcp.tools.schema import input_schema, unfilled
from telnyx_iot_mcp.tools.validation import given as not_null, problems

BASE = httpx.URL("http://telnyx.test/v2")
NAMES = list(OPERATIONS)
QUICK = settings(max_examples=4, deadline=None, database=None, suppress_health_check=list(HealthCheck))
LONG = settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
# Literal paths before templated ones (/sim_cards/actions/... before /sim_cards/{id}/...).
ROUTES = sorted(((op, path_pattern(op)) for op in OPERATIONS.values()), key=lambda r: r[1].pattern.count("[^/]+"))


class Recorder:
    """The upstream: records every request and answers it like the API would."""

    def __init__(self) -> None:
        self.sent: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        path = request.url.raw_path.decode().split("?")[0]
        op = next((op for op, rx in ROUTES if op.method == request.method and rx.match(path)), None)
        if op is None:
            return httpx.Response(404, json={"errors": [{"title": "Not found"}]})
        return httpx.Response(200, json=canned_body(op))


@pytest.fixture(scope="module")
def server():
    recorder = Recorder()
    client = TelnyxClient(base_url=str(BASE), api_key="KEY0123456789fuzz", transport=httpx.MockTransport(recorder))
    with start_blocking_portal("asyncio") as portal:
        # The gate is tested on its own; here every call goes straight through.
        mcp_server = create_server(client, gate=Gate(client, policy="off"))
        with portal.wrap_async_context_manager(Client(mcp_server)) as session:
            yield portal, session, recorder
        portal.call(client.aclose)


def check_call(server, name: str, arguments: dict) -> None:
    portal, session, recorder = server
    arguments = fresh_key(arguments)
    recorder.sent.clear()
    result = portal.call(session.call_tool, name, arguments)
    content = result.structured_content or {}
    error = content.get("error") or {}
    assert error.get("kind") != "internal", (name, arguments, result.content)
    found = problems(name, unfilled(name, not_null(arguments)))  # null, and an empty filter on a read, is "not given"
    if found:
        assert result.is_error and error["kind"] == "invalid_arguments", (name, arguments, result.content)
        assert recorder.sent == [], (name, arguments)
        return
    assert not result.is_error, (name, arguments, result.content[0].text)
    op = OPERATIONS[name]
    own = [r for r in recorder.sent
           if r.method == op.method and path_pattern(op).match(r.url.raw_path.decode().split("?")[0])]
    assert own, (name, arguments, recorder.sent)
    for request in recorder.sent:
        stays_inside(next(o for o, rx in ROUTES if o.method == request.method
                          and rx.match(request.url.raw_path.decode().split("?")[0])), request, BASE)
    for request in own:
        accepted_by_spec(op, request)


KEYS_USED: set[str] = set()
PREFIXES = itertools.count()


def fresh_key(arguments: dict) -> dict:
    """The server answers a repeated idempotency_key with the first outcome and sends nothing (tested on its own in
    tests/journal/test_idempotency.py): a key generated twice here gets a prefix that makes it new."""
    key = arguments.get(IDEMPOTENCY_KEY) if isinstance(arguments, dict) else None
    if isinstance(key, str) and key in KEYS_USED:
        fresh = key
        while fresh in KEYS_USED:
            fresh = f"{next(PREFIXES)}-{key}"[:255]
        arguments = {**arguments, IDEMPOTENCY_KEY: fresh}
        key = fresh
    if isinstance(key, str):
        KEYS_USED.add(key)
    return arguments


@pytest.mark.parametrize("name", NAMES)
def test_generated_arguments(server, name):
    QUICK(given(valid(input_schema(name)))(lambda arguments: check_call(server, name, arguments)))()


@pytest.mark.parametrize("name", NAMES)
def test_mutated_arguments(server, name):
    QUICK(given(mutated(input_schema(name)))(lambda arguments: check_call(server, name, arguments)))()


def test_arguments_that_are_not_an_object_are_refused(server):
    portal, session, recorder = server
    recorder.sent.clear()
    for name in ("list_sim_cards", "get_sim_card", "purchase_esims"):
        result = portal.call(session.call_tool, name, {"sim_card_id": {"$ne": None}, "amount": "1; DROP"})
        assert result.is_error and result.structured_content["error"]["kind"] == "invalid_arguments"
    assert recorder.sent == []


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_generated_arguments_long(server, name):
    LONG(given(valid(input_schema(name)))(lambda arguments: check_call(server, name, arguments)))()


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_mutated_arguments_long(server, name):
    LONG(given(mutated(input_schema(name)))(lambda arguments: check_call(server, name, arguments)))()
