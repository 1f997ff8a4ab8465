"""Wireless: regions, mobile network operators, and blocklists of countries or networks groups may not use."""

from functools import partial

from typing import Any

from ..words import clean, quoted
from . import shapes
from .model import Compensation, irreversible, restores, Effect, Operation, Read, StateUnknown, array, body, boolean, enum, pages, path_id, query, string

op = partial(Operation, toolset="wireless")

BLOCKLIST_ID = path_id("blocklist_id")
BLOCKLIST_TYPE = enum("country", "mcc", "plmn")
BLOCKLIST_VALUES = array(string(max_length=6, pattern="^([A-Z]{2}|[0-9]{3}|[0-9]{5,6})$"), min_items=1, max_items=500)
VALUES_NOTE = "Codes of the list's type, e.g. \"DE\", \"262\" or \"26201\"."



async def _blocks_more_for_groups(arguments: dict[str, Any], read: Read) -> str | None:
    found = await read("get_wireless_blocklist", {"blocklist_id": arguments["blocklist_id"]})
    current = found.get("values") if isinstance(found, dict) else None
    if not isinstance(current, list):
        raise StateUnknown("the blocklist's current values")
    added = [v for v in arguments["values"] if v not in current]
    if not added:  # only lifts blocks (or changes nothing): no device is cut off
        return None
    groups = await read("list_sim_card_groups", {"wireless_blocklist_id": arguments["blocklist_id"], "page_size": 250})
    if not isinstance(groups, list):
        raise StateUnknown("which groups use the blocklist")
    if not groups:
        return None
    names = ", ".join(quoted(g.get("name") or g.get("id"), 32) for g in groups[:3] if isinstance(g, dict))
    more = f" and {len(groups) - 3} more" if len(groups) > 3 else ""
    return (f"Adds {', '.join(clean(v, 8) for v in added[:8])}{' ...' if len(added) > 8 else ''} to blocklist "
            f"{quoted(found.get('name') or arguments['blocklist_id'])}, which {len(groups)} group"
            f"{'s' if len(groups) != 1 else ''} use ({names}{more}); their devices there lose service.")


BLOCKS_MORE_FOR_GROUPS = Effect(
    kind="destructive", arguments=("values",), test=_blocks_more_for_groups,
    when="new codes cut off devices in groups using the list")

OPERATIONS = [
    op(
        name="list_wireless_regions", title="List wireless regions", method="GET", path="/wireless/regions",
        description="Regions offering a product, e.g. public IP region codes.",
        search_words=(
            "regions", "where public ips are available", "region codes", "static ip regions", "available locations",
        ),
        kind="read", reason="Reads only.",
        params=(query("product", string(max_length=64), "e.g. \"public_ips\"", required=True),),
        returns=shapes.REGION, returns_list=True,
    ),
    op(
        name="list_wireless_blocklist_values", title="List blocklist values", method="GET",
        path="/wireless_blocklist_values",
        description="Valid blocklist codes of a type, with names (Germany: DE).",
        search_words=(
            "country codes", "network codes", "mcc mnc", "valid blocklist codes", "codes to block a country",
            "iso codes",
        ),
        kind="read", reason="Reads only.",
        params=(query("type", BLOCKLIST_TYPE, required=True),),
        returns=shapes.BLOCKLIST_VALUE, returns_list=True, paginated=True,
    ),
    op(
        name="list_mobile_network_operators", title="List mobile network operators", method="GET",
        path="/mobile_network_operators",
        description="Networks SIMs can roam on: name, country, MCC, MNC, TADIG (PLMN = MCC+MNC for blocklists).",
        search_words=(
            "carriers", "mno", "roaming partners", "plmn", "operators in a country", "network codes",
            "which networks",
        ),
        kind="read", reason="Reads only.",
        params=(
            query("filter[country_code]", string(max_length=2, pattern="^[A-Z]{2}$"), "e.g. \"DE\""),
            query("filter[mcc]", string(max_length=3, pattern="^[0-9]{3}$")),
            query("filter[mnc]", string(max_length=3, pattern="^[0-9]{2,3}$")),
            query("filter[name][contains]", string(max_length=128)),
            query("filter[name][starts_with]", string(max_length=128)),
            query("filter[name][ends_with]", string(max_length=128)),
            query("filter[tadig]", string(max_length=5)),
            query("filter[network_preferences_enabled]", boolean()),
            *pages(),
        ),
        returns=shapes.MOBILE_NETWORK_OPERATOR, returns_list=True, paginated=True,
    ),
    op(
        name="list_wireless_blocklists", title="List wireless blocklists", method="GET", path="/wireless_blocklists",
        description="Wireless blocklists with their type and blocked codes.",
        search_words=("show blocklists", "roaming ban lists", "blocked countries", "which countries are blocked"),
        kind="read", reason="Reads only.",
        params=(
            query("filter[name]", string(max_length=128)),
            query("filter[type]", BLOCKLIST_TYPE),
            query("filter[values]", string(max_length=256), "Comma-separated codes."),
            *pages(),
        ),
        returns=shapes.WIRELESS_BLOCKLIST, returns_list=True, paginated=True,
    ),
    op(
        name="create_wireless_blocklist", title="Create a wireless blocklist", method="POST",
        compensation=Compensation(deletes="delete_wireless_blocklist"),
        path="/wireless_blocklists",
        description="Create a list of countries or networks to block, applied per group.",
        search_words=(
            "new blocklist", "roaming ban list", "block countries", "block networks", "list of countries to block",
        ),
        kind="write", reason="Creates a list that affects no SIM until a group uses it.",
        params=(
            body("name", string(max_length=128, minLength=1), required=True),
            body("type", BLOCKLIST_TYPE, required=True),
            body("values", BLOCKLIST_VALUES, VALUES_NOTE, required=True),
        ),
        returns=shapes.WIRELESS_BLOCKLIST,
    ),
    op(
        name="get_wireless_blocklist", title="Get a wireless blocklist", method="GET",
        path="/wireless_blocklists/{blocklist_id}",
        description="One wireless blocklist with its codes.",
        search_words=("one blocklist", "blocklist codes", "what is on the blocklist", "blocklist details"),
        kind="read", reason="Reads only.", params=(BLOCKLIST_ID,), returns=shapes.WIRELESS_BLOCKLIST,
    ),
    op(
        name="update_wireless_blocklist", title="Update a wireless blocklist", method="PATCH",
        compensation=restores("get_wireless_blocklist", "blocklist_id", {"name": "name", "values": "values"}, "update_wireless_blocklist"),
        path="/wireless_blocklists/{blocklist_id}",
        description="Rename a blocklist or replace its codes.",
        search_words=(
            "add country to blocklist", "edit blocklist", "change blocked countries", "rename blocklist",
            "remove country from blocklist",
        ),
        kind="write", reason="Edits a list; the type and its groups stay. The effect rule asks when new codes would cut "
                             "off devices in groups using it; removing codes only lets devices roam there again.",
        effects=(BLOCKS_MORE_FOR_GROUPS,),
        params=(
            BLOCKLIST_ID,
            body("name", string(max_length=128, minLength=1)),
            body("values", BLOCKLIST_VALUES, "The new full list. " + VALUES_NOTE),
        ),
        returns=shapes.WIRELESS_BLOCKLIST,
    ),
    op(
        name="delete_wireless_blocklist", title="Delete a wireless blocklist", method="DELETE",
        compensation=irreversible("A deleted blocklist cannot be restored; create it again."),
        path="/wireless_blocklists/{blocklist_id}",
        description="Delete a blocklist no group uses (remove_group_wireless_blocklist first).",
        search_words=("remove blocklist", "drop roaming ban list", "get rid of blocklist"),
        kind="destructive", reason="Irreversible; the blocklist's values are lost.",
        params=(BLOCKLIST_ID,), returns=shapes.WIRELESS_BLOCKLIST,
    ),
]
