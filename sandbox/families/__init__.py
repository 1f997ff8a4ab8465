"""The sandbox's operation handlers, one module per API resource family (as `tools/registry/`).

`HANDLERS` maps each operationId of the facts file to its handler. A new family is a module with
`handles = Handlers()` and `@handles("OperationId")` functions, listed in `_FAMILIES`.
"""

from __future__ import annotations

from ..handlers import Handler
from . import (
    actions, data_usage_notifications, detail_records, mobile_phone_numbers, mobile_voice_connections, orders,
    ota_updates, private_wireless_gateways, sim_card_groups, sim_cards, storage_migrations,
    traffic_policy_profiles, wireless,
)

_FAMILIES = (
    sim_cards, sim_card_groups, actions, orders, data_usage_notifications, ota_updates, wireless,
    mobile_voice_connections, storage_migrations, private_wireless_gateways, traffic_policy_profiles,
    detail_records, mobile_phone_numbers,
)


def _collect() -> dict[str, Handler]:
    out: dict[str, Handler] = {}
    for family in _FAMILIES:
        for operation_id, fn in family.handles.items():
            if operation_id in out:
                raise ValueError(f"{operation_id} is handled twice ({family.__name__})")
            out[operation_id] = fn
    return out


HANDLERS: dict[str, Handler] = _collect()

__all__ = ["HANDLERS"]
