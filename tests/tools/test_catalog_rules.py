"""Rules every tool in the catalog keeps, so that it works in every mainstream MCP client."""

import json
import re

import pytest
from jsonschema import Draft202012Validator
from mcp import Client

from telnyx_iot_mcp.server.app import create_server
from telnyx_iot_mcp.server.selection import CATALOG
from telnyx_iot_mcp.tools.client import TelnyxClient
from telnyx_iot_mcp.tools.registry import OPERATIONS
from telnyx_iot_mcp.tools.schema import ENFORCED_ONLY, input_schema, published, published_input_schema, server_only

SUBSCHEMA_KEYS = {"properties", "items", "anyOf"}

pytestmark = pytest.mark.anyio

CONTRACT_NAMES = """
purchase_esims register_sim_cards list_sim_cards get_sim_card update_sim_card delete_sim_card enable_sim_card
disable_sim_card set_sim_card_standby set_sim_card_public_ip remove_sim_card_public_ip get_sim_card_public_ip
get_sim_card_activation_code get_sim_card_device_details list_wireless_connectivity_logs
validate_registration_codes bulk_enable_voice bulk_disable_voice bulk_set_public_ips list_sim_card_groups
create_sim_card_group get_sim_card_group update_sim_card_group delete_sim_card_group
set_group_private_wireless_gateway remove_group_private_wireless_gateway set_group_wireless_blocklist
remove_group_wireless_blocklist list_sim_card_actions get_sim_card_action list_bulk_sim_card_actions
get_bulk_sim_card_action list_sim_card_group_actions get_sim_card_group_action preview_sim_card_order
list_sim_card_orders create_sim_card_order get_sim_card_order list_data_usage_notifications
create_data_usage_notification get_data_usage_notification update_data_usage_notification
delete_data_usage_notification list_ota_updates get_ota_update list_wireless_regions
list_wireless_blocklist_values list_wireless_blocklists create_wireless_blocklist get_wireless_blocklist
update_wireless_blocklist delete_wireless_blocklist list_mobile_voice_connections create_mobile_voice_connection
get_mobile_voice_connection update_mobile_voice_connection delete_mobile_voice_connection
list_migration_source_coverage list_migration_sources create_migration_source get_migration_source
delete_migration_source list_migrations create_migration get_migration stop_migration
""".split()


@pytest.fixture
async def listed():
    client = TelnyxClient(base_url="http://unused.invalid/v2")
    async with Client(create_server(client), mode="legacy") as session:
        yield {t.name: t for t in (await session.list_tools()).tools}
    await client.aclose()


def walk(schema, path="$"):
    yield path, schema
    for key, sub in schema.get("properties", {}).items():
        yield from walk(sub, f"{path}.{key}")
    if isinstance(schema.get("items"), dict):
        yield from walk(schema["items"], f"{path}[]")


# The operations beyond the first 66 (gateways, network operators, traffic policies, detail records, per-SIM
# voice, mobile numbers): public names from their first release on.
EXTRA_NAMES = """
list_private_wireless_gateways create_private_wireless_gateway get_private_wireless_gateway
delete_private_wireless_gateway list_mobile_network_operators list_traffic_policy_profiles
create_traffic_policy_profile list_traffic_policy_profile_services get_traffic_policy_profile
update_traffic_policy_profile delete_traffic_policy_profile list_wireless_detail_records list_sim_card_usage_records
list_wdr_reports create_wdr_report get_wdr_report delete_wdr_report enable_sim_card_voice disable_sim_card_voice
list_mobile_phone_numbers get_mobile_phone_number update_mobile_phone_number
list_mobile_phone_number_messaging_settings get_mobile_phone_number_messaging_settings
""".split()


def test_the_public_tool_names_are_all_there():
    assert len(CONTRACT_NAMES) == 66 and len(EXTRA_NAMES) == 24
    assert sorted(OPERATIONS) == sorted(CONTRACT_NAMES + EXTRA_NAMES)


async def test_input_schemas_are_portable(listed):
    for name, tool in listed.items():
        assert re.match(r"^[a-z][a-z0-9_]{0,47}$", name)
        assert tool.description and tool.input_schema == published_input_schema(name), name
        schema = tool.input_schema
        Draft202012Validator.check_schema(schema)
        text = json.dumps(schema)
        assert "$ref" not in text and "$defs" not in text, name
        assert schema["type"] == "object", name
        for path, sub in walk(schema):
            assert not isinstance(sub.get("type"), list), f"{name} {path}: a type union"
            # Gemini's schema (google-genai, fast-agent) takes string enums only, and refuses the whole list
            assert all(isinstance(v, str) for v in sub.get("enum", []) if v is not None), f"{name} {path}: enum"
            # ... and refuses an empty member ("enum[0]: cannot be empty"): "" as "none" is said by its rules instead
            assert "" not in sub.get("enum", []), f"{name} {path}: an empty enum member"
            # an object without properties stays closed: strict-mode converters refuse an open one
            closed = {"additionalProperties"} if sub.get("type") == "object" and not sub.get("properties") else set()
            assert not ENFORCED_ONLY & set(sub) - closed, f"{name} {path} publishes a limit only the server needs"
            # fully typed: every argument and nested field says what it is
            assert sub.get("type") or all(branch.get("type") for branch in sub.get("anyOf", [{}])), f"{name} {path}"


@pytest.mark.parametrize("name", CATALOG)
def test_calls_are_checked_against_closed_objects_and_every_limit(name):
    full, published_ = input_schema(name), published(input_schema(name))  # before optional args become nullable
    assert full["additionalProperties"] is False, name
    for path, sub in walk(full):
        if sub.get("type") == "object" or "object" in (sub.get("type") or []):
            assert sub.get("additionalProperties") is False, f"{name} {path} is open"
    # the published schema is the same contract less those limits: same arguments, types, enums, required
    assert published_["properties"].keys() == full["properties"].keys() == published_input_schema(name)["properties"].keys()
    assert published_.get("required") == full.get("required") == published_input_schema(name).get("required")
    for (path, loose), (_, strict) in zip(walk(published_), walk(full)):
        assert {k: v for k, v in strict.items() if k not in SUBSCHEMA_KEYS and not server_only(k, v)} == \
            {k: v for k, v in loose.items() if k not in SUBSCHEMA_KEYS and k != "additionalProperties"}, f"{name} {path}"
        for key in ("type", "enum", "required", "description", "default"):  # never left out, whatever the rules
            if key == "enum" and "enum" in strict and server_only(key, strict["enum"]):  # numbers (Gemini): said in the description
                assert "enum" not in loose and all(f"{v}" in loose["description"] for v in strict["enum"] if v), path
                continue
            assert strict.get(key, False) in (loose.get(key), False), f"{name} {path} {key}"


async def test_annotations_follow_the_registry_class(listed):
    for name, op in OPERATIONS.items():
        hints = listed[name].annotations
        assert listed[name].title == op.title and hints.title is None  # said once, on the tool
        assert hints.read_only_hint is (op.kind == "read"), name
        # destructive by class, or a call of it may be raised to destructive by an effect rule
        assert hints.destructive_hint is (op.kind == "destructive" or any(
            e.kind == "destructive" for e in op.effects)), name
        assert hints.idempotent_hint is op.is_idempotent, name
        assert hints.open_world_hint is True
        assert listed[name].output_schema["properties"]["data"], name


def test_every_operation_states_a_reason_for_its_class():
    for op in OPERATIONS.values():
        assert len(op.reason) >= 10 and len(op.description) >= 30, op.name


def test_every_argument_the_server_handles_is_described_where_it_appears():
    """Most frameworks never show the server's instructions to the model: the schema must say it too.
    page_offset and confirmation_token are said by the answers that hand out their values (meta.next's note,
    confirmation_required), where a model needs them (tests/results, tests/gate)."""
    from telnyx_iot_mcp.server.app import DYNAMIC_INSTRUCTIONS, INSTRUCTIONS

    shared = {"fields", "timeout_seconds"}  # page_size, all_pages: instructions only
    seen = set()
    for name in CATALOG:
        for argument, schema in published_input_schema(name)["properties"].items():
            if argument in shared:
                seen.add(argument)
                assert schema.get("description"), f"{name}.{argument} is not described"
    assert seen == shared
    for text in (INSTRUCTIONS, DYNAMIC_INSTRUCTIONS):  # the instructions still summarise them
        words = {"fields", "page_number", "page_size", "all_pages", "meta.next", "confirmation_token", "wait_for_action"}
        assert all(word in text for word in words), sorted(w for w in words if w not in text)
