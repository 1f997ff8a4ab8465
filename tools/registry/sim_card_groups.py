"""SIM card groups: shared data limits, private wireless gateways and wireless blocklists."""

from functools import partial

from typing import Any

from ..words import mb_text, megabytes, quoted
from . import shapes
from .model import (Compensation, Effect, Operation, Read, StateUnknown, amount_unit, body, boolean, irreversible, pages,
                    path_id, query, restores, string, switches, uuid)
from .sim_cards import data_limit, near, stops

op = partial(Operation, toolset="sim_card_groups")

GROUP_ID = path_id("sim_card_group_id")
GROUP_NAME = string(max_length=128, minLength=1)
GROUP_DATA_LIMIT = amount_unit(units=None)



async def _group_limit_near_use(arguments: dict[str, Any], read: Read) -> str | None:
    limit = megabytes(arguments["data_limit"])
    if limit is None:
        raise StateUnknown("the new limit in MB or GB")
    group = await read("get_sim_card_group", {"sim_card_group_id": arguments["sim_card_group_id"]})
    used = megabytes(group.get("consumed_data")) if isinstance(group, dict) else None
    if used is None:
        raise StateUnknown("the data the group used this period")
    if not near(limit, used):
        return None
    current = data_limit(group.get("data_limit"), "the group's data limit now")
    if current is not None and limit >= current:  # a raise stops nothing the current limit does not
        return None
    name = quoted(group.get("name") or arguments["sim_card_group_id"])
    return stops(f"Lowers group {name}'s shared data limit to {mb_text(limit)}", limit, used, "its SIMs", "their")


GROUP_LIMIT_NEAR_USE = Effect(
    kind="destructive", arguments=("data_limit",), test=_group_limit_near_use,
    when="a lower data limit stops the SIMs' data now or soon, or is not in MB or GB")

OPERATIONS = [
    op(
        name="list_sim_card_groups", title="List SIM card groups", method="GET", path="/sim_card_groups",
        description="SIM card groups with SIM count, data used and limit, gateway, blocklist.",
        search_words=(
            "show groups", "all groups", "how many sims in each group", "group data usage", "fleet segments",
        ),
        kind="read", reason="Reads only.",
        params=(
            query("filter[name]", string(max_length=128)),
            query("filter[private_wireless_gateway_id]", uuid()),
            query("filter[wireless_blocklist_id]", uuid()),
            *pages(),
        ),
        returns=shapes.SIM_CARD_GROUP, returns_list=True, paginated=True,
    ),
    op(
        name="create_sim_card_group", title="Create a SIM card group", method="POST", path="/sim_card_groups",
        compensation=Compensation(deletes="delete_sim_card_group"),
        description="Create a group of SIMs sharing a data limit, gateway, blocklist.",
        search_words=(
            "new group", "make a group", "set up a group", "organize sims", "shared data limit", "pool",
            "group for a customer",
        ),
        kind="write", reason="Creates an empty group; costs nothing and cuts no SIM until one moves in (a move asks "
                             "when the group would cut its service).",
        params=(
            body("name", GROUP_NAME, required=True),
            body("data_limit", GROUP_DATA_LIMIT, "Shared, per billing period."),
        ),
        returns=shapes.SIM_CARD_GROUP,
    ),
    op(
        name="get_sim_card_group", title="Get a SIM card group", method="GET", path="/sim_card_groups/{sim_card_group_id}",
        description="One group: SIM count, data used and limit, gateway, blocklist.",
        search_words=(
            "group details", "group data used", "group usage this month", "how many sims in the group",
            "look at one group",
        ),
        kind="read", reason="Reads only.",
        params=(GROUP_ID, query("include_iccids", boolean(False))),
        returns=shapes.SIM_CARD_GROUP,
    ),
    op(
        name="update_sim_card_group", title="Update a SIM card group", method="PATCH",
        compensation=restores("get_sim_card_group", "sim_card_group_id", {"name": "name", "data_limit": "data_limit"}, "update_sim_card_group"),
        path="/sim_card_groups/{sim_card_group_id}",
        description="Rename a group or change its data limit.",
        search_words=(
            "rename group", "group data limit", "group data cap", "group quota", "raise group limit",
            "change group settings",
        ),
        kind="write", reason="A new name changes no service. The effect rule asks when a lower limit would stop the "
                             "SIMs' data now or soon (within max(10% of the group's use, 10 MB)), or when its unit "
                             "is not MB or GB and cannot be read exactly; a raised limit stops nothing.",
        effects=(GROUP_LIMIT_NEAR_USE,),
        params=(
            GROUP_ID,
            body("name", GROUP_NAME),
            body("data_limit", GROUP_DATA_LIMIT, "Shared, per billing period."),
        ),
        returns=shapes.SIM_CARD_GROUP,
    ),
    op(
        name="delete_sim_card_group", title="Delete a SIM card group", method="DELETE",
        compensation=irreversible("A deleted SIM card group cannot be restored."),
        path="/sim_card_groups/{sim_card_group_id}",
        description="Delete a group; its SIMs move to the default group and lose its settings. "
                    "The default group cannot be deleted.",
        search_words=("remove group", "get rid of group", "empty group", "group no longer used"),
        kind="destructive", reason="Irreversible; the group's settings (data limit, gateway, blocklist) "
                                   "no longer apply to its SIMs.",
        params=(GROUP_ID,), returns=shapes.SIM_CARD_GROUP,
    ),
    op(
        name="set_group_private_wireless_gateway", title="Put a group on a private wireless gateway", method="POST",
        compensation=switches("get_sim_card_group", "sim_card_group_id", "private_wireless_gateway_id", lambda a: a["private_wireless_gateway_id"], lambda was: ("set_group_private_wireless_gateway", {"private_wireless_gateway_id": was}) if was else ("remove_group_private_wireless_gateway", {})),
        path="/sim_card_groups/{sim_card_group_id}/actions/set_private_wireless_gateway",
        description="Route a group's data via a private wireless gateway; sessions reconnect.",
        search_words=("pwg", "private network", "route traffic", "private apn", "assign gateway to group", "vpn"),
        kind="destructive", reason="Re-routes and reconnects every device of the group at once.",
        params=(GROUP_ID, body("private_wireless_gateway_id", uuid(), required=True)),
        returns=shapes.SIM_CARD_GROUP_ACTION,
    ),
    op(
        name="remove_group_private_wireless_gateway", title="Take a group off its private wireless gateway",
        compensation=switches("get_sim_card_group", "sim_card_group_id", "private_wireless_gateway_id", lambda _: None, lambda was: ("set_group_private_wireless_gateway", {"private_wireless_gateway_id": was}) if was else "it had no gateway"),
        method="POST", path="/sim_card_groups/{sim_card_group_id}/actions/remove_private_wireless_gateway",
        description="Take a group off its private gateway; devices lose that network.",
        search_words=(
            "unassign gateway", "stop routing through private network", "detach pwg", "leave private network",
        ),
        kind="destructive", reason="Cuts devices off from the private network they rely on.",
        params=(GROUP_ID,), returns=shapes.SIM_CARD_GROUP_ACTION,
    ),
    op(
        name="set_group_wireless_blocklist", title="Apply a wireless blocklist to a group", method="POST",
        compensation=switches("get_sim_card_group", "sim_card_group_id", "wireless_blocklist_id", lambda a: a["wireless_blocklist_id"], lambda was: ("set_group_wireless_blocklist", {"wireless_blocklist_id": was}) if was else ("remove_group_wireless_blocklist", {})),
        path="/sim_card_groups/{sim_card_group_id}/actions/set_wireless_blocklist",
        description="Stop a group's SIMs from roaming in a blocklist's countries or networks.",
        search_words=(
            "block roaming", "roaming ban", "ban countries", "forbid networks", "restrict roaming", "country block",
            "bar roaming", "apply blocklist",
        ),
        kind="destructive", reason="Devices roaming in blocked places are disconnected.",
        params=(GROUP_ID, body("wireless_blocklist_id", uuid(), required=True)),
        returns=shapes.SIM_CARD_GROUP_ACTION,
    ),
    op(
        name="remove_group_wireless_blocklist", title="Remove a group's wireless blocklist", method="POST",
        compensation=switches("get_sim_card_group", "sim_card_group_id", "wireless_blocklist_id", lambda _: None, lambda was: ("set_group_wireless_blocklist", {"wireless_blocklist_id": was}) if was else "it had no blocklist"),
        path="/sim_card_groups/{sim_card_group_id}/actions/remove_wireless_blocklist",
        description="Lift a group's blocklist; its SIMs may roam anywhere again.",
        search_words=(
            "lift roaming ban", "allow roaming again", "unblock countries", "roam everywhere", "detach blocklist",
            "unblock",
        ),
        kind="write", reason="Restores service; applying a blocklist is the gated direction. Roaming costs "
                             "depend on where devices go, not on this call.",
        params=(GROUP_ID,), returns=shapes.SIM_CARD_GROUP_ACTION,
    ),
]
