"""Actions: the asynchronous work that SIM card, bulk and group calls start, to follow until done."""

from functools import partial

from . import shapes
from .model import Operation, enum, pages, path_id, query, uuid

op = partial(Operation, toolset="actions")

ACTION_STATUS = enum("in-progress", "completed", "failed")

OPERATIONS = [
    op(
        name="list_sim_card_actions", title="List SIM card actions", method="GET", path="/sim_card_actions",
        description="SIM card actions (enable, disable, standby, public IP, voice), newest first.",
        search_words=(
            "action history", "recent actions", "enable disable history", "requests on sims", "did it finish",
            "what happened to my request", "audit of status changes",
        ),
        kind="read", reason="Reads only.",
        wire_note="The enable_voice and disable_voice action types come from Telnyx's SDKs (Aug 2026), newer "
                  "than the API description this server was built from.",
        params=(
            query("filter[sim_card_id]", uuid()),
            query("filter[status]", ACTION_STATUS),
            query("filter[bulk_sim_card_action_id]", uuid()),
            query("filter[action_type]", enum("enable", "enable_standby_sim_card", "disable", "set_standby",
                                              "remove_public_ip", "set_public_ip", "enable_voice",
                                              "disable_voice")),
            *pages(),
        ),
        returns=shapes.SIM_CARD_ACTION, returns_list=True, paginated=True,
    ),
    op(
        name="get_sim_card_action", title="Get a SIM card action", method="GET", path="/sim_card_actions/{action_id}",
        description="One SIM card action: in-progress, completed or failed (and why).",
        search_words=(
            "action status", "did the request finish", "did it fail", "is it done", "request completed",
            "check one action", "why did it fail",
        ),
        kind="read", reason="Reads only.",
        params=(path_id("action_id"),), returns=shapes.SIM_CARD_ACTION,
    ),
    op(
        name="list_bulk_sim_card_actions", title="List bulk SIM card actions", method="GET",
        path="/bulk_sim_card_actions",
        description="Bulk actions (group voice, public IPs) with counts by status.",
        search_words=("bulk jobs", "bulk operations", "batch actions", "mass changes"),
        kind="read", reason="Reads only.",
        params=(
            query("filter[action_type]", enum("bulk_disable_voice", "bulk_enable_voice", "bulk_set_public_ips")),
            *pages(),
        ),
        returns=shapes.BULK_SIM_CARD_ACTION, returns_list=True, paginated=True,
    ),
    op(
        name="get_bulk_sim_card_action", title="Get a bulk SIM card action", method="GET",
        path="/bulk_sim_card_actions/{action_id}",
        description="One bulk action with its SIM card actions counted by status.",
        search_words=(
            "bulk job status", "bulk progress", "how many sims failed", "batch status", "did the bulk job finish",
        ),
        kind="read", reason="Reads only.",
        params=(path_id("action_id"),), returns=shapes.BULK_SIM_CARD_ACTION,
    ),
    op(
        name="list_sim_card_group_actions", title="List SIM card group actions", method="GET",
        path="/sim_card_group_actions",
        description="Gateway and blocklist changes on groups.",
        search_words=(
            "group changes", "gateway changes", "blocklist changes", "group history", "recent group actions",
        ),
        kind="read", reason="Reads only.",
        params=(
            query("filter[sim_card_group_id]", uuid()),
            query("filter[status]", ACTION_STATUS),
            query("filter[type]", enum("set_private_wireless_gateway", "remove_private_wireless_gateway",
                                       "set_wireless_blocklist", "remove_wireless_blocklist")),
            *pages(),
        ),
        returns=shapes.SIM_CARD_GROUP_ACTION, returns_list=True, paginated=True,
    ),
    op(
        name="get_sim_card_group_action", title="Get a SIM card group action", method="GET",
        path="/sim_card_group_actions/{action_id}",
        description="One group action: in-progress, completed or failed.",
        search_words=(
            "group action status", "did the group change go through", "did the blocklist change finish",
            "gateway change status",
        ),
        kind="read", reason="Reads only.",
        params=(path_id("action_id"),), returns=shapes.SIM_CARD_GROUP_ACTION,
    ),
]
