"""SIM cards: the fleet itself, its status actions, public IPs, eSIMs and bulk actions."""

from functools import partial

from . import shapes
from .model import (
    Operation, amount_unit, array, body, boolean, enum, pages, path_id, query, string, uuid,
)

op = partial(Operation, toolset="sim_cards")

SIM_CARD_ID = path_id("sim_card_id", "SIM card id (UUID), from list_sim_cards.")
SIM_STATUS = ("enabled", "disabled", "standby")
TAGS = array(string(max_length=128), max_items=100)
REGISTRATION_CODES = array(string(max_length=64), min_items=1, max_items=1000)
ASYNC_NOTE = " Returns a SIM card action (status in-progress); poll it with get_sim_card_action."

OPERATIONS = [
    op(
        name="purchase_esims", title="Purchase eSIMs", method="POST", path="/actions/purchase/esims",
        description="Buy new eSIMs and add them to the account. Costs money per eSIM. Returns the new SIM "
                    "cards; fetch each QR activation code with get_sim_card_activation_code.",
        kind="billable", reason="Each eSIM is charged to the account.",
        params=(
            body("amount", {"type": "integer", "minimum": 1, "maximum": 1000}, "How many eSIMs to buy.", required=True),
            body("product", string(max_length=64), "Product to buy, if the account has several (e.g. whitelabel)."),
            body("sim_card_group_id", uuid(), "Group to put the new SIMs in (default: the account's default group)."),
            body("status", enum(*SIM_STATUS, default="enabled"), "Status the new SIMs start in."),
            body("tags", TAGS, "Tags to put on every new SIM."),
            body("whitelabel_name", string(max_length=64), "Whitelabel name for the eSIM profiles."),
        ),
        returns=shapes.SIM_CARD, returns_list=True,
    ),
    op(
        name="register_sim_cards", title="Register SIM cards", method="POST", path="/actions/register/sim_cards",
        description="Add physical SIM cards you hold to the account by their registration codes (check them "
                    "first with validate_registration_codes). Returns the registered SIM cards.",
        kind="write", reason="Adds SIMs the user already owns; nothing is bought or removed.",
        params=(
            body("registration_codes", REGISTRATION_CODES, "Registration codes printed on the SIM cards.", required=True),
            body("sim_card_group_id", uuid(), "Group to put the SIMs in (default: the account's default group)."),
            body("status", enum(*SIM_STATUS, default="enabled"), "Status the SIMs start in."),
            body("tags", TAGS, "Tags to put on every registered SIM."),
        ),
        returns=shapes.SIM_CARD, returns_list=True,
    ),
    op(
        name="list_sim_cards", title="List SIM cards", method="GET", path="/sim_cards",
        description="Find SIM cards by group, status, ICCID, MSISDN or tags, sorted by data used this billing "
                    "period if asked. Returns one page of SIM cards with meta for paging; the id of each is what "
                    "the other SIM card tools take.",
        kind="read", reason="Reads only.",
        params=(
            query("filter[sim_card_group_id]", uuid(), "Only SIMs in this group (UUID, from list_sim_card_groups)."),
            query("filter[status]", array(enum("enabled", "disabled", "standby", "data_limit_exceeded",
                                               "unauthorized_imei"), max_items=5),
                  "Only SIMs in one of these statuses."),
            query("filter[iccid]", string(max_length=32), "ICCID, or its beginning."),
            query("filter[msisdn]", string(max_length=32), "Phone number (MSISDN) of the SIM."),
            query("filter[tags]", array(string(max_length=128), max_items=20), "Only SIMs that have all these tags."),
            query("include_sim_card_group", boolean(False), "Embed each SIM's group in the result."),
            query("sort", enum("current_billing_period_consumed_data.amount",
                               "-current_billing_period_consumed_data.amount"),
                  "Order by data used this billing period; a leading '-' means highest first."),
            *pages(),
        ),
        returns=shapes.SIM_CARD, returns_list=True, paginated=True,
    ),
    op(
        name="get_sim_card", title="Get a SIM card", method="GET", path="/sim_cards/{sim_card_id}",
        description="One SIM card in full: status, group, data used this period, data limit, IMEI, IPs, tags.",
        kind="read", reason="Reads only.",
        params=(
            SIM_CARD_ID,
            query("include_sim_card_group", boolean(False), "Embed the SIM's group."),
            query("include_pin_puk_codes", boolean(False), "Include the SIM's PIN and PUK codes."),
        ),
        returns=shapes.SIM_CARD,
    ),
    op(
        name="update_sim_card", title="Update a SIM card", method="PATCH", path="/sim_cards/{sim_card_id}",
        description="Change a SIM's group, tags, data limit or authorized IMEIs. Status is not changed here: use "
                    "enable_sim_card, disable_sim_card or set_sim_card_standby. Returns the updated SIM card.",
        kind="write", reason="Changes settings that can be changed back; the SIM stays connected.",
        params=(
            SIM_CARD_ID,
            body("sim_card_group_id", uuid(), "Move the SIM to this group."),
            body("tags", TAGS, "Replace the SIM's tags with these."),
            body("data_limit", amount_unit("Data limit"), "Data limit for the SIM per billing period."),
            body("authorized_imeis", {"type": ["array", "null"], "items": string(max_length=16), "maxItems": 100},
                 "IMEIs allowed to use this SIM; null allows any device."),
        ),
        returns=shapes.SIM_CARD,
    ),
    op(
        name="delete_sim_card", title="Delete a SIM card", method="DELETE", path="/sim_cards/{sim_card_id}",
        description="Remove a SIM card from the account for good; the device loses service. With report_lost "
                    "true a disabled eSIM is deleted irreversibly. Cannot be undone.",
        kind="destructive", reason="The SIM leaves the account and its device is disconnected; irreversible.",
        params=(
            SIM_CARD_ID,
            query("report_lost", boolean(False), "Report the SIM lost or stolen (disabled eSIMs: deleted irreversibly)."),
        ),
        returns=shapes.SIM_CARD,
    ),
    op(
        name="enable_sim_card", title="Enable a SIM card", method="POST", path="/sim_cards/{sim_card_id}/actions/enable",
        description="Turn on data for a disabled or standby SIM so its device can connect (billing starts)."
                    + ASYNC_NOTE,
        kind="write", reason="Restores service; the opposite call (disable) is gated.",
        params=(SIM_CARD_ID,), returns=shapes.SIM_CARD_ACTION,
    ),
    op(
        name="disable_sim_card", title="Disable a SIM card", method="POST", path="/sim_cards/{sim_card_id}/actions/disable",
        description="Cut a SIM's service: its device goes offline until enabled again." + ASYNC_NOTE,
        kind="destructive", reason="Disconnects a live device.",
        params=(SIM_CARD_ID,), returns=shapes.SIM_CARD_ACTION,
    ),
    op(
        name="set_sim_card_standby", title="Put a SIM card on standby", method="POST",
        path="/sim_cards/{sim_card_id}/actions/set_standby",
        description="Pause a SIM's data service (standby) at a lower cost; its device goes offline until "
                    "enabled." + ASYNC_NOTE,
        kind="destructive", reason="Disconnects a live device.",
        params=(SIM_CARD_ID,), returns=shapes.SIM_CARD_ACTION,
    ),
    op(
        name="set_sim_card_public_ip", title="Give a SIM card a public IP", method="POST",
        path="/sim_cards/{sim_card_id}/actions/set_public_ip",
        description="Assign a static public IP to a SIM (billed monthly). Region codes come from "
                    "list_wireless_regions with product public_ips." + ASYNC_NOTE,
        kind="billable", reason="A public IP is a paid add-on.",
        params=(SIM_CARD_ID, query("region_code", string(max_length=32), "Region of the IP, e.g. \"dc2\".")),
        returns=shapes.SIM_CARD_ACTION,
    ),
    op(
        name="remove_sim_card_public_ip", title="Remove a SIM card's public IP", method="POST",
        path="/sim_cards/{sim_card_id}/actions/remove_public_ip",
        description="Release a SIM's public IP; devices reached at that address become unreachable and the "
                    "address may not come back." + ASYNC_NOTE,
        kind="destructive", reason="Gives up an address that inbound traffic depends on.",
        params=(SIM_CARD_ID,), returns=shapes.SIM_CARD_ACTION,
    ),
    op(
        name="get_sim_card_public_ip", title="Get a SIM card's public IP", method="GET",
        path="/sim_cards/{sim_card_id}/public_ip",
        description="The public IP assigned to a SIM, with its region.",
        kind="read", reason="Reads only.", params=(SIM_CARD_ID,), returns=shapes.PUBLIC_IP,
    ),
    op(
        name="get_sim_card_activation_code", title="Get an eSIM activation code", method="GET",
        path="/sim_cards/{sim_card_id}/activation_code",
        description="The activation code (LPA string for a QR code) that installs an eSIM on a device.",
        kind="read", reason="Reads only.", params=(SIM_CARD_ID,), returns=shapes.ACTIVATION_CODE,
    ),
    op(
        name="get_sim_card_device_details", title="Get a SIM card's device", method="GET",
        path="/sim_cards/{sim_card_id}/device_details",
        description="The device the SIM is in now: IMEI, brand, model, type and operating system.",
        kind="read", reason="Reads only.", params=(SIM_CARD_ID,), returns=shapes.DEVICE_DETAILS,
    ),
    op(
        name="list_wireless_connectivity_logs", title="List a SIM card's connectivity logs", method="GET",
        path="/sim_cards/{sim_card_id}/wireless_connectivity_logs",
        description="A SIM's network sessions (registration and data): when, which network (MCC/MNC), radio, "
                    "cell, APN and IPs. Use it to see why a device is offline.",
        kind="read", reason="Reads only.", params=(SIM_CARD_ID, *pages()),
        returns=shapes.CONNECTIVITY_LOG, returns_list=True, paginated=True,
    ),
    op(
        name="validate_registration_codes", title="Check SIM registration codes", method="POST",
        path="/sim_cards/actions/validate_registration_codes",
        description="Check registration codes before register_sim_cards. Returns, per code, whether it is valid "
                    "and why not.",
        kind="read", reason="Checks codes; changes nothing.", idempotent=True,
        params=(body("registration_codes", REGISTRATION_CODES, "Registration codes to check.", required=False),),
        returns=shapes.REGISTRATION_CODE_VALIDATION, returns_list=True,
    ),
    op(
        name="bulk_enable_voice", title="Enable voice for a group", method="POST",
        path="/sim_cards/actions/bulk_enable_voice",
        description="Turn on voice for every SIM in a group. Returns a bulk action; follow it with "
                    "get_bulk_sim_card_action and its SIM card actions with list_sim_card_actions.",
        kind="write", reason="Adds a capability; nothing is disconnected.",
        params=(body("sim_card_group_id", uuid(), "Group whose SIMs get voice.", required=True),),
        returns=shapes.BULK_SIM_CARD_ACTION,
    ),
    op(
        name="bulk_disable_voice", title="Disable voice for a group", method="POST",
        path="/sim_cards/actions/bulk_disable_voice",
        description="Turn off voice for every SIM in a group; calls to and from those devices stop. Returns a "
                    "bulk action; follow it with get_bulk_sim_card_action.",
        kind="destructive", reason="Cuts voice service for a whole group at once.",
        params=(body("sim_card_group_id", uuid(), "Group whose SIMs lose voice.", required=True),),
        returns=shapes.BULK_SIM_CARD_ACTION,
    ),
    op(
        name="bulk_set_public_ips", title="Give SIM cards public IPs", method="POST",
        path="/sim_cards/actions/bulk_set_public_ips",
        description="Assign a public IP (billed monthly) to each listed SIM. Returns a bulk action; follow it "
                    "with get_bulk_sim_card_action.",
        kind="billable", reason="Each public IP is a paid add-on.",
        params=(body("sim_card_ids", array(uuid(), min_items=1, max_items=1000),
                     "SIM card ids (UUIDs) that get a public IP.", required=True),),
        returns=shapes.BULK_SIM_CARD_ACTION,
    ),
]
