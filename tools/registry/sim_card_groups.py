"""SIM card groups: shared data limits, private wireless gateways and wireless blocklists."""

from functools import partial

from . import shapes
from .model import Operation, amount_unit, body, boolean, pages, path_id, query, string, uuid

op = partial(Operation, toolset="sim_card_groups")

GROUP_ID = path_id("sim_card_group_id", "SIM card group id (UUID), from list_sim_card_groups.")
GROUP_NAME = string(max_length=128, minLength=1)
GROUP_DATA_LIMIT = amount_unit("Data limit shared by the group", units=None)
GROUP_ACTION_NOTE = " Returns a group action (in-progress); poll it with get_sim_card_group_action."

OPERATIONS = [
    op(
        name="list_sim_card_groups", title="List SIM card groups", method="GET", path="/sim_card_groups",
        description="The account's SIM card groups with their SIM count, data used, data limit, private wireless "
                    "gateway and blocklist. Filter by name, gateway or blocklist.",
        kind="read", reason="Reads only.",
        params=(
            query("filter[name]", string(max_length=128), "Group name."),
            query("filter[private_wireless_gateway_id]", uuid(), "Only groups on this private wireless gateway."),
            query("filter[wireless_blocklist_id]", uuid(), "Only groups using this wireless blocklist."),
            *pages(),
        ),
        returns=shapes.SIM_CARD_GROUP, returns_list=True, paginated=True,
    ),
    op(
        name="create_sim_card_group", title="Create a SIM card group", method="POST", path="/sim_card_groups",
        description="Create a group to manage SIMs together (data limit, gateway, blocklist). Move SIMs into it "
                    "with update_sim_card. Returns the new group.",
        kind="write", reason="Creates an empty group; costs nothing.",
        params=(
            body("name", GROUP_NAME, "Group name.", required=True),
            body("data_limit", GROUP_DATA_LIMIT, "Data limit for the whole group per billing period."),
        ),
        returns=shapes.SIM_CARD_GROUP,
    ),
    op(
        name="get_sim_card_group", title="Get a SIM card group", method="GET", path="/sim_card_groups/{sim_card_group_id}",
        description="One group: name, SIM count, data used and limit, gateway and blocklist; optionally the "
                    "ICCIDs of its SIMs.",
        kind="read", reason="Reads only.",
        params=(GROUP_ID, query("include_iccids", boolean(False), "Include the ICCIDs of the group's SIMs.")),
        returns=shapes.SIM_CARD_GROUP,
    ),
    op(
        name="update_sim_card_group", title="Update a SIM card group", method="PATCH",
        path="/sim_card_groups/{sim_card_group_id}",
        description="Rename a group or change its data limit. Returns the updated group.",
        kind="write", reason="Changes settings that can be changed back.",
        params=(
            GROUP_ID,
            body("name", GROUP_NAME, "New group name."),
            body("data_limit", GROUP_DATA_LIMIT, "New data limit for the whole group."),
        ),
        returns=shapes.SIM_CARD_GROUP,
    ),
    op(
        name="delete_sim_card_group", title="Delete a SIM card group", method="DELETE",
        path="/sim_card_groups/{sim_card_group_id}",
        description="Delete a group. The API refuses while SIMs are still in it: move them out with "
                    "update_sim_card first. Cannot be undone.",
        kind="destructive", reason="Irreversible; the group's settings are lost.",
        params=(GROUP_ID,), returns=shapes.SIM_CARD_GROUP,
    ),
    op(
        name="set_group_private_wireless_gateway", title="Put a group on a private wireless gateway", method="POST",
        path="/sim_card_groups/{sim_card_group_id}/actions/set_private_wireless_gateway",
        description="Route the data of every SIM in the group through a private wireless gateway; sessions "
                    "reconnect." + GROUP_ACTION_NOTE,
        kind="destructive", reason="Re-routes and reconnects every device of the group at once.",
        params=(GROUP_ID, body("private_wireless_gateway_id", uuid(), "Private wireless gateway id (UUID).", required=True)),
        returns=shapes.SIM_CARD_GROUP_ACTION,
    ),
    op(
        name="remove_group_private_wireless_gateway", title="Take a group off its private wireless gateway",
        method="POST", path="/sim_card_groups/{sim_card_group_id}/actions/remove_private_wireless_gateway",
        description="Stop routing the group's data through its private wireless gateway; devices lose access "
                    "to private networks behind it." + GROUP_ACTION_NOTE,
        kind="destructive", reason="Cuts devices off from the private network they rely on.",
        params=(GROUP_ID,), returns=shapes.SIM_CARD_GROUP_ACTION,
    ),
    op(
        name="set_group_wireless_blocklist", title="Apply a wireless blocklist to a group", method="POST",
        path="/sim_card_groups/{sim_card_group_id}/actions/set_wireless_blocklist",
        description="Block the group's SIMs from the countries or networks in a blocklist (see "
                    "list_wireless_blocklists); devices there lose service." + GROUP_ACTION_NOTE,
        kind="destructive", reason="Devices roaming in blocked places are disconnected.",
        params=(GROUP_ID, body("wireless_blocklist_id", uuid(), "Wireless blocklist id (UUID).", required=True)),
        returns=shapes.SIM_CARD_GROUP_ACTION,
    ),
    op(
        name="remove_group_wireless_blocklist", title="Remove a group's wireless blocklist", method="POST",
        path="/sim_card_groups/{sim_card_group_id}/actions/remove_wireless_blocklist",
        description="Lift the group's blocklist so its SIMs may roam everywhere again." + GROUP_ACTION_NOTE,
        kind="write", reason="Restores service; applying a blocklist is the gated direction. Roaming costs "
                             "depend on where devices go, not on this call.",
        params=(GROUP_ID,), returns=shapes.SIM_CARD_GROUP_ACTION,
    ),
]
