"""Which calls may be repeated, and which read tool checks an unanswered change: derived from the registry."""

from __future__ import annotations

import pytest

from telnyx_iot_mcp.tools.registry import OPERATIONS
from telnyx_iot_mcp.tools.request import ApiRequest, build_request
from telnyx_iot_mcp.tools.safety import check_tool, may_repeat
from samples import sample_arguments

CHANGES = [name for name, op in OPERATIONS.items() if not op.read_only]


@pytest.mark.parametrize("name", CHANGES)
def test_every_change_names_an_existing_read_tool_of_its_own_family(name):
    checker = check_tool(name)
    assert checker in OPERATIONS and OPERATIONS[checker].read_only and OPERATIONS[checker].method == "GET"
    assert not may_repeat(build_request(OPERATIONS[name], sample_arguments(name)))


@pytest.mark.parametrize("name", [n for n, op in OPERATIONS.items() if op.read_only])
def test_reads_may_be_repeated_including_read_only_posts(name):
    assert may_repeat(build_request(OPERATIONS[name], sample_arguments(name)))
    assert check_tool(name) is None


def test_a_request_without_an_operation_is_repeated_only_when_it_is_a_get():
    assert may_repeat(ApiRequest("GET", "/sim_cards"))
    assert not may_repeat(ApiRequest("POST", "/sim_card_order_preview"))
