"""Wireless: regions, and blocklists of countries or networks that SIM card groups may not use."""

from functools import partial

from . import shapes
from .model import Operation, array, body, enum, pages, path_id, query, string

op = partial(Operation, toolset="wireless")

BLOCKLIST_ID = path_id("blocklist_id", "Wireless blocklist id (UUID), from list_wireless_blocklists.")
BLOCKLIST_TYPE = enum("country", "mcc", "plmn")
BLOCKLIST_VALUES = array(string(max_length=6, pattern="^([A-Z]{2}|[0-9]{3}|[0-9]{5,6})$"), min_items=1, max_items=500)
VALUES_NOTE = ("Codes to block, all of the list's type: ISO country codes (\"DE\"), MCCs (\"262\") or PLMNs "
               "(\"26201\"); list_wireless_blocklist_values gives the valid ones.")

OPERATIONS = [
    op(
        name="list_wireless_regions", title="List wireless regions", method="GET", path="/wireless/regions",
        description="Regions where a wireless product is offered, e.g. the region codes for set_sim_card_public_ip.",
        kind="read", reason="Reads only.",
        params=(query("product", string(max_length=64), "Product, e.g. \"public_ips\" or "
                                                         "\"private_wireless_gateways\".", required=True),),
        returns=shapes.REGION, returns_list=True,
    ),
    op(
        name="list_wireless_blocklist_values", title="List blocklist values", method="GET",
        path="/wireless_blocklist_values",
        description="Every code a blocklist of a type may hold (countries, MCCs or PLMNs) with its name. Use it "
                    "to turn \"Germany\" into the code for create_wireless_blocklist.",
        kind="read", reason="Reads only.",
        params=(query("type", BLOCKLIST_TYPE, "Kind of values: country, mcc or plmn.", required=True),),
        returns=shapes.BLOCKLIST_VALUE, returns_list=True, paginated=True,
    ),
    op(
        name="list_wireless_blocklists", title="List wireless blocklists", method="GET", path="/wireless_blocklists",
        description="The account's wireless blocklists with their type and blocked codes.",
        kind="read", reason="Reads only.",
        params=(
            query("filter[name]", string(max_length=128), "Blocklist name."),
            query("filter[type]", BLOCKLIST_TYPE, "Only blocklists of this type."),
            query("filter[values]", string(max_length=256), "Only blocklists holding these codes (comma-separated)."),
            *pages(),
        ),
        returns=shapes.WIRELESS_BLOCKLIST, returns_list=True, paginated=True,
    ),
    op(
        name="create_wireless_blocklist", title="Create a wireless blocklist", method="POST",
        path="/wireless_blocklists",
        description="Create a list of countries or networks to block. It blocks nothing until applied to a "
                    "group with set_group_wireless_blocklist.",
        kind="write", reason="Creates a list that affects no SIM until a group uses it.",
        params=(
            body("name", string(max_length=128, minLength=1), "Blocklist name.", required=True),
            body("type", BLOCKLIST_TYPE, "Kind of values: country, mcc or plmn.", required=True),
            body("values", BLOCKLIST_VALUES, VALUES_NOTE, required=True),
        ),
        returns=shapes.WIRELESS_BLOCKLIST,
    ),
    op(
        name="get_wireless_blocklist", title="Get a wireless blocklist", method="GET",
        path="/wireless_blocklists/{blocklist_id}",
        description="One wireless blocklist with its blocked codes.",
        kind="read", reason="Reads only.", params=(BLOCKLIST_ID,), returns=shapes.WIRELESS_BLOCKLIST,
    ),
    op(
        name="update_wireless_blocklist", title="Update a wireless blocklist", method="PATCH",
        path="/wireless_blocklists/{blocklist_id}",
        description="Rename a blocklist or replace its codes; groups using it follow the new list. Its type "
                    "cannot change.",
        kind="write", reason="Edits a list; the type and its groups stay, and it can be edited back.",
        params=(
            BLOCKLIST_ID,
            body("name", string(max_length=128, minLength=1), "New name."),
            body("values", BLOCKLIST_VALUES, "New full list of codes. " + VALUES_NOTE),
        ),
        returns=shapes.WIRELESS_BLOCKLIST,
    ),
    op(
        name="delete_wireless_blocklist", title="Delete a wireless blocklist", method="DELETE",
        path="/wireless_blocklists/{blocklist_id}",
        description="Delete a blocklist; groups using it are no longer restricted by it. Cannot be undone.",
        kind="destructive", reason="Irreversible, and lifts restrictions the groups relied on.",
        params=(BLOCKLIST_ID,), returns=shapes.WIRELESS_BLOCKLIST,
    ),
]
