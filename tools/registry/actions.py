"""Actions: the asynchronous work that SIM card, bulk and group calls start, to follow until done."""

from functools import partial

from . import shapes
from .model import Operation, enum, pages, path_id, query, uuid

op = partial(Operation, toolset="actions")

ACTION_STATUS = enum("in-progress", "completed", "failed")

OPERATIONS = [
    op(
        name="list_sim_card_actions", title="List SIM card actions", method="GET", path="/sim_card_actions",
        description="Actions on single SIMs (enable, disable, standby, public IP), newest first, filtered by "
                    "SIM, status, type or the bulk action that created them.",
        kind="read", reason="Reads only.",
        params=(
            query("filter[sim_card_id]", uuid(), "Only actions on this SIM card."),
            query("filter[status]", ACTION_STATUS, "Only actions in this status."),
            query("filter[bulk_sim_card_action_id]", uuid(), "Only actions created by this bulk action."),
            query("filter[action_type]", enum("enable", "enable_standby_sim_card", "disable", "set_standby",
                                              "remove_public_ip", "set_public_ip"), "Only actions of this type."),
            *pages(),
        ),
        returns=shapes.SIM_CARD_ACTION, returns_list=True, paginated=True,
    ),
    op(
        name="get_sim_card_action", title="Get a SIM card action", method="GET", path="/sim_card_actions/{action_id}",
        description="One SIM card action: in-progress, completed or failed (with the reason). Poll it after "
                    "enable, disable, standby or public IP calls.",
        kind="read", reason="Reads only.",
        params=(path_id("action_id", "SIM card action id (UUID)."),), returns=shapes.SIM_CARD_ACTION,
    ),
    op(
        name="list_bulk_sim_card_actions", title="List bulk SIM card actions", method="GET",
        path="/bulk_sim_card_actions",
        description="Bulk actions (voice on/off for a group, public IPs for many SIMs) with a count of their "
                    "SIM card actions by status.",
        kind="read", reason="Reads only.",
        params=(
            query("filter[action_type]", enum("bulk_disable_voice", "bulk_enable_voice", "bulk_set_public_ips"),
                  "Only bulk actions of this type."),
            *pages(),
        ),
        returns=shapes.BULK_SIM_CARD_ACTION, returns_list=True, paginated=True,
    ),
    op(
        name="get_bulk_sim_card_action", title="Get a bulk SIM card action", method="GET",
        path="/bulk_sim_card_actions/{action_id}",
        description="One bulk action with how many of its SIM card actions are in progress, completed or "
                    "failed; list them with list_sim_card_actions and bulk_sim_card_action_id.",
        kind="read", reason="Reads only.",
        params=(path_id("action_id", "Bulk SIM card action id (UUID)."),), returns=shapes.BULK_SIM_CARD_ACTION,
    ),
    op(
        name="list_sim_card_group_actions", title="List SIM card group actions", method="GET",
        path="/sim_card_group_actions",
        description="Gateway and blocklist changes on groups, filtered by group, status or type.",
        kind="read", reason="Reads only.",
        params=(
            query("filter[sim_card_group_id]", uuid(), "Only actions on this group."),
            query("filter[status]", ACTION_STATUS, "Only actions in this status."),
            query("filter[type]", enum("set_private_wireless_gateway", "remove_private_wireless_gateway",
                                       "set_wireless_blocklist", "remove_wireless_blocklist"),
                  "Only actions of this type."),
            *pages(),
        ),
        returns=shapes.SIM_CARD_GROUP_ACTION, returns_list=True, paginated=True,
    ),
    op(
        name="get_sim_card_group_action", title="Get a SIM card group action", method="GET",
        path="/sim_card_group_actions/{action_id}",
        description="One group action: in-progress, completed or failed. Poll it after gateway or blocklist "
                    "changes.",
        kind="read", reason="Reads only.",
        params=(path_id("action_id", "SIM card group action id (UUID)."),), returns=shapes.SIM_CARD_GROUP_ACTION,
    ),
]
