"""The endpoint registry: every Telnyx IoT operation, declared once.

`OPERATIONS` maps tool name to `Operation`, in toolset order. Everything else (tool list, schemas,
validation, requests, the gate, toolsets, read-only mode, the README table) is derived from it.
"""

from . import (
    actions, data_usage_notifications, detail_records, mobile_phone_numbers, mobile_voice_connections, ota_updates,
    orders, private_wireless_gateways, sim_card_groups, sim_cards, storage_migrations, traffic_policy_profiles,
    wireless,
)
from .model import TOOLSETS, Operation, Param

_FAMILIES = (
    sim_cards, sim_card_groups, actions, orders, data_usage_notifications, ota_updates, wireless,
    mobile_voice_connections, storage_migrations, private_wireless_gateways, traffic_policy_profiles, detail_records,
    mobile_phone_numbers,
)

OPERATIONS: dict[str, Operation] = {op.name: op for family in _FAMILIES for op in family.OPERATIONS}

__all__ = ["OPERATIONS", "TOOLSETS", "Operation", "Param"]
