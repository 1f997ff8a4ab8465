"""SIM cards: the fleet itself, its status actions, public IPs, eSIMs and bulk actions."""

from functools import partial

from typing import Any

from ..errors import ToolError
from ..words import mask_iccid, mb_text, megabytes, quoted, status_of
from . import shapes
from .model import (
    ANY, Compensation, irreversible, restores, switches,
    Effect, Operation, Read, Secret, StateUnknown, amount_unit, array, body, boolean, enum, pages, path_id, query, string,
    uuid,
)

op = partial(Operation, toolset="sim_cards")

SIM_CARD_ID = path_id("sim_card_id")
SIM_STATUS = ("enabled", "disabled", "standby")
TAGS = array(string(max_length=128), max_items=100)
REGISTRATION_CODES = array(string(max_length=64), min_items=1, max_items=1000)
VOICE_CONNECTION_NOTE = "Default: the account's voice connection."
VOICE_NOTE = ("Not in the API description this server was built from: reconstructed from Telnyx's SDKs (Aug 2026) "
              "and API reference pages. Unverified: the 202 status and the error responses.")

# The operation that puts a SIM back into each status it can be put back into.
STATUS_SETTERS = {"enabled": "enable_sim_card", "disabled": "disable_sim_card", "standby": "set_sim_card_standby"}


def status_back(status: str) -> Compensation:
    """A status action is undone by the action that sets the status the SIM had before."""
    def back(was: Any) -> tuple[str, dict[str, Any]] | str:
        if was == status:
            return "it was already " + status
        return (STATUS_SETTERS[was], {}) if was in STATUS_SETTERS else f"it was {was}, which no action sets back"

    return switches("get_sim_card", "sim_card_id", "status.value", lambda _: status, back, skips=True)


# Statuses in which a SIM passes data now (or is about to): a limit below its use stops it at once.
PASSING_DATA = ("enabled", "enabling")


# A limit set this close above the use so far stops the data soon, not at once: it asks like one below use.
# At a SIM's average pace so far, 10% of its use lasts a tenth of the days gone in the billing period (three
# days at a month's end, hours at its start); the 10 MB floor covers SIMs that used little, for which 10 MB is
# minutes of a camera's or a router's data. Used by the group rules too (sim_card_groups.py).
MARGIN_SHARE, MARGIN_MB = 0.1, 10.0


def near(limit: float, used: float) -> bool:
    """A data limit of `limit` MB leaves less than the margin above `used` MB (or none)."""
    return limit - used < max(MARGIN_SHARE * used, MARGIN_MB)


def data_limit(value: Any, what: str) -> float | None:
    """A data limit as a record shows it, in MB; None when none is set. Raises StateUnknown when one is set in
    a way that cannot be read exactly (a unit other than MB or GB, a bare number)."""
    if value is None or value == {} or (isinstance(value, dict) and value.get("amount") in (None, "")):
        return None
    mb = megabytes(value)
    if mb is None:
        raise StateUnknown(what)
    return mb


def stops(change: str, limit: float, used: float, who: str = "it", whose: str = "its") -> str:
    """`change`, and when the data it caps stops: at once (`used` reached `limit`) or soon (within the margin)."""
    if used >= limit:
        return f"{change}; {who} used {mb_text(used)} this period, so {whose} data stops at once."
    return (f"{change}, only {mb_text(limit - used)} above the {mb_text(used)} {who} used this period, so {whose} "
            "data stops soon.")


async def _sim(arguments: dict[str, Any], read: Read) -> dict[str, Any]:
    sim = await read("get_sim_card", {"sim_card_id": arguments["sim_card_id"]})
    if not isinstance(sim, dict) or status_of(sim) is None:
        raise StateUnknown("the SIM card's status")
    return sim


async def _limit_near_use(arguments: dict[str, Any], read: Read) -> str | None:
    limit = megabytes(arguments["data_limit"])
    sim = await _sim(arguments, read)
    used = megabytes(sim.get("current_billing_period_consumed_data"))
    if limit is None or used is None:
        raise StateUnknown("the new limit or the data the SIM used this period")
    if status_of(sim) not in PASSING_DATA or not near(limit, used):
        return None
    current = data_limit(sim.get("data_limit"), "the SIM's data limit now")
    if current is not None and limit >= current:  # a raise stops nothing the current limit does not
        return None
    return stops(f"Lowers SIM {mask_iccid(sim.get('iccid'))}'s data limit to {mb_text(limit)}", limit, used)


async def _group(read: Read, group_id: Any, which: str) -> dict[str, Any]:
    group = await read("get_sim_card_group", {"sim_card_group_id": group_id})
    if not isinstance(group, dict) or not {"wireless_blocklist_id", "private_wireless_gateway_id"} <= group.keys():
        raise StateUnknown(f"the {which} group's blocklist and gateway")
    return group


GROUP_SETTINGS = (  # what a SIM takes from its group besides the data limit:
    # (field, name, the read tool and its id argument, what follows when it is added / changed / removed)
    ("wireless_blocklist_id", "wireless blocklist", ("get_wireless_blocklist", "blocklist_id"),
     ("devices lose service where it blocks", "devices lose service where it blocks",
      "the device may roam, and be billed, where it blocked")),
    ("private_wireless_gateway_id", "private wireless gateway",
     ("get_private_wireless_gateway", "private_wireless_gateway_id"),
     ("its data is routed to that private network; sessions reconnect",
      "its data is re-routed; sessions reconnect", "it loses that private network")),
)


async def _named(read: Read, tool: str, argument: str, value: Any) -> str:
    """A blocklist or gateway by its name for the question, or by its id when the name cannot be read."""
    try:
        found = await read(tool, {argument: value})
    except ToolError:
        found = None
    name = found.get("name") if isinstance(found, dict) else None
    return quoted(name) if name else quoted(value, 40)


async def _group_move(arguments: dict[str, Any], read: Read) -> str | None:
    target_id = arguments["sim_card_group_id"]
    sim = await _sim(arguments, read)
    current_id = sim.get("sim_card_group_id")
    if current_id == target_id or status_of(sim) not in PASSING_DATA:  # no move, or no service to cut
        return None
    if not current_id:
        raise StateUnknown("the SIM's group")
    target, current = await _group(read, target_id, "target"), await _group(read, current_id, "current")
    changes = []
    limit = data_limit(target.get("data_limit"), "the target group's data limit")
    if limit is not None:
        used = megabytes(sim.get("current_billing_period_consumed_data"))
        group_used = megabytes(target.get("consumed_data"))
        if used is None or group_used is None:
            raise StateUnknown("the data the SIM and the target group used this period")
        # Telnyx says both that a group's SIMs "share" its limit and that SIMs "exceeding it" stop: the rule asks
        # under either reading, and says which.
        if near(limit, used):
            changes.append(f"its {mb_text(limit)} data limit is {'below' if used >= limit else 'just above'} the "
                           f"{mb_text(used)} the SIM used this period, so its data stops "
                           f"{'at once' if used >= limit else 'soon'}")
        elif near(limit, used + group_used):
            over = used + group_used >= limit
            changes.append(f"its {mb_text(limit)} data limit is {'below' if over else 'just above'} the "
                           f"{mb_text(used + group_used)} the group's SIMs and this one used this period, so data "
                           f"stops {'at once' if over else 'soon'} if they share it, as Telnyx's docs say")
    for field, what, (tool, argument), (added, changed, removed) in GROUP_SETTINGS:
        before, after = current.get(field), target.get(field)
        if before == after:
            continue
        if not before:
            changes.append(f"{what} {await _named(read, tool, argument, after)} applies ({added})")
        elif not after:
            changes.append(f"{what} {await _named(read, tool, argument, before)} no longer applies ({removed})")
        else:
            changes.append(f"{what} {await _named(read, tool, argument, after)} replaces "
                           f"{await _named(read, tool, argument, before)} ({changed})")
    if not changes:
        return None
    name = quoted(target.get("name") or target_id)
    return f"Moves SIM {mask_iccid(sim.get('iccid'))} into group {name}: {'; '.join(changes)}."


async def _group_move_together(arguments: dict[str, Any], sims: list[dict[str, Any]], read: Read) -> str | None:
    """SIMs moved into one group as a plan: under the shared reading of its limit, their use adds up."""
    target_id = arguments["sim_card_group_id"]
    moving = [s for s in sims if s.get("sim_card_group_id") != target_id and status_of(s) in PASSING_DATA]
    if len(moving) < 2:  # one SIM: its own test judged it
        return None
    target = await _group(read, target_id, "target")
    limit = data_limit(target.get("data_limit"), "the target group's data limit")
    if limit is None:
        return None
    used = [megabytes(s.get("current_billing_period_consumed_data")) for s in moving]
    group_used = megabytes(target.get("consumed_data"))
    if group_used is None or any(u is None for u in used):
        raise StateUnknown("the data the SIMs and the target group used this period")
    total = sum(used) + group_used  # type: ignore[arg-type]
    if not near(limit, total):
        return None
    return (f"Moves {len(moving)} SIM cards into group {quoted(target.get('name') or target_id)}: together with the "
            f"group they used {mb_text(total)} this period, {'over' if total >= limit else 'just under'} its "
            f"{mb_text(limit)} data limit, so data stops {'at once' if total >= limit else 'soon'} for the whole "
            "group if its SIMs share it, as Telnyx's docs say.")


async def _locks_out_device(arguments: dict[str, Any], read: Read) -> str | None:
    allowed = arguments["authorized_imeis"]
    if allowed is None:  # null allows any device
        return None
    sim = await _sim(arguments, read)
    imei = sim.get("current_imei")
    if not imei or imei in allowed:  # no device seen yet, or it stays allowed
        return None
    return (f"Locks SIM {mask_iccid(sim.get('iccid'))} to {len(allowed)} IMEI{'s' if len(allowed) != 1 else ''} "
            f"without the device it is in now (IMEI ...{str(imei)[-4:]}), so that device loses service.")


async def _registers_enabled(arguments: dict[str, Any], read: Read) -> str | None:
    if arguments.get("status", "enabled") != "enabled":
        return None
    count = len(arguments["registration_codes"])
    return f"Registers {count} SIM card{'s' if count != 1 else ''} as enabled: each is billed from now on."


# PIN/PUK codes: the API returns them on request only. Asked for, a person says yes first; unasked for (or
# from any other call that returns a SIM card), they are removed should they come back.
PIN_PUK_ON_REQUEST = Secret(
    field="pin_puk_codes", what="PIN and PUK codes", policy="ask", requested_by="include_pin_puk_codes",
    risk="With them, whoever holds the SIM card can unlock it in any device, and reset its PIN.")
PIN_PUK_NEVER = Secret(field="pin_puk_codes", what="PIN and PUK codes", policy="never")
# The eSIM activation code (an LPA string): its purpose is to be installed, so it is shown, after a yes.
ACTIVATION_CODE = Secret(
    field="activation_code", what="eSIM activation code", policy="ask",
    risk="Whoever holds it can download this SIM's profile onto a device of theirs, once, and use its service.")

LIMIT_NEAR_USE = Effect(
    kind="destructive", arguments=("data_limit",), test=_limit_near_use,
    when="a lower data limit stops an enabled SIM's data now or soon")
GROUP_MOVE = Effect(
    kind="destructive", arguments=("sim_card_group_id",), test=_group_move, together=_group_move_together,
    when="its new group's limit, blocklist or gateway would cut or re-route it")
LOCKS_OUT_DEVICE = Effect(
    kind="destructive", arguments=("authorized_imeis",), test=_locks_out_device,
    when="allowed IMEIs leave out the SIM's current device")
REGISTERS_ENABLED = Effect(
    kind="billable", test=_registers_enabled,
    when="SIMs registered enabled (the default) start billing")

OPERATIONS = [
    op(
        name="purchase_esims", title="Purchase eSIMs", method="POST", path="/actions/purchase/esims",
        compensation=irreversible("Bought eSIMs are charged; delete_sim_card removes one, the charge stays."),
        description="Buy eSIMs for the account (charged per eSIM); any that could not be bought are in `errors`.",
        search_words=(
            "buy esim", "new esims", "get more esims", "provision esims", "add esims", "embedded sim",
            "esim profiles",
        ),
        kind="billable", reason="Each eSIM is charged to the account.",
        params=(
            body("amount", {"type": "integer", "minimum": 1, "maximum": 1000}, required=True),
            body("product", string(max_length=64)),
            body("sim_card_group_id", uuid()),
            body("status", enum(*SIM_STATUS, default="enabled")),
            body("tags", TAGS),
            body("whitelabel_name", string(max_length=64)),
        ),
        returns=shapes.SIM_CARD, secrets=(PIN_PUK_NEVER,), returns_list=True,
    ),
    op(
        name="register_sim_cards", title="Register SIM cards", method="POST", path="/actions/register/sim_cards",
        compensation=irreversible("Registered SIMs stay in the account; enabled ones billed from then on."),
        description="Add physical SIMs you hold by registration code; codes that fail are in `errors`.",
        search_words=(
            "activate received sims", "add sims we hold", "claim sim cards", "onboard physical sims", "sims arrived",
            "bring sims into the account", "registration code",
        ),
        kind="write", reason="Adds SIMs the user already owns; nothing is bought. Enabled ones bill, and the effect rule "
                             "asks. Registered disabled or on standby they pass no data: nothing bills, and the "
                             "limit, blocklist or gateway of the group they join cuts nothing (enabling asks).",
        effects=(REGISTERS_ENABLED,),
        params=(
            body("registration_codes", REGISTRATION_CODES, required=True),
            body("sim_card_group_id", uuid()),
            body("status", enum(*SIM_STATUS, default="enabled")),
            body("tags", TAGS),
        ),
        returns=shapes.SIM_CARD, secrets=(PIN_PUK_NEVER,), returns_list=True,
    ),
    op(
        name="list_sim_cards", title="List SIM cards", method="GET", path="/sim_cards",
        description="Find SIM cards by group, status, ICCID, MSISDN or tags; sort by data used.",
        search_words=(
            "show all sims", "find sims", "search sims", "which sims", "sims by status", "sims by tag",
            "top data users", "most data used", "phone number", "sim by phone number", "look up a sim",
            "fleet inventory", "disabled sims",
            "deactivated sims",
        ),
        kind="read", reason="Reads only.",
        params=(
            query("filter[sim_card_group_id]", uuid()),
            query("filter[status]", array(enum("enabled", "disabled", "standby", "data_limit_exceeded",
                                               "unauthorized_imei"), max_items=5)),
            query("filter[iccid]", string(max_length=32), "Or its start."),
            query("filter[msisdn]", string(max_length=32)),
            query("filter[tags]", array(string(max_length=128), max_items=20), "Has all of these."),
            query("include_sim_card_group", boolean(False)),
            query("sort", enum("current_billing_period_consumed_data.amount",
                               "-current_billing_period_consumed_data.amount")),
            *pages(),
        ),
        returns=shapes.SIM_CARD, secrets=(PIN_PUK_NEVER,), returns_list=True, paginated=True,
    ),
    op(
        name="get_sim_card", title="Get a SIM card", method="GET", path="/sim_cards/{sim_card_id}",
        description="One SIM card: status, group, data used and limit, IMEI, IPs, tags.",
        search_words=(
            "sim details", "sim status", "is the sim enabled", "data used by one sim", "data limit of a sim",
            "look at one sim", "sim info",
        ),
        kind="read", reason="Reads only.",
        params=(
            SIM_CARD_ID,
            query("include_sim_card_group", boolean(False)),
            query("include_pin_puk_codes", boolean(False)),
        ),
        returns=shapes.SIM_CARD, secrets=(PIN_PUK_ON_REQUEST,),
    ),
    op(
        name="update_sim_card", title="Update a SIM card", method="PATCH", path="/sim_cards/{sim_card_id}",
        compensation=restores("get_sim_card", "sim_card_id", {name: name for name in ("sim_card_group_id", "tags", "data_limit", "authorized_imeis")}, "update_sim_card"),
        description="Change a SIM's group, tags, data limit or allowed IMEIs (not its status).",
        search_words=(
            "move sim to another group", "data cap", "data quota", "usage cap", "limit data on a sim", "tag a sim",
            "label", "lock sim to imei", "imei lock", "authorize imei", "bind sim to device", "change sim settings",
        ),
        kind="write", reason="Tags change no service. The effect rules ask when a lower limit would stop an enabled "
                             "SIM's data now or soon (within max(10% of its use, 10 MB)), when the group it moves "
                             "to has a limit that close to its use or another blocklist or gateway, or when allowed "
                             "IMEIs leave out its device. A raised limit, a move between groups alike in these "
                             "(Telnyx notes a short interruption, no cut) or IMEIs that keep its device cut nothing.",
        effects=(LIMIT_NEAR_USE, GROUP_MOVE, LOCKS_OUT_DEVICE),
        params=(
            SIM_CARD_ID,
            body("sim_card_group_id", uuid()),
            body("tags", TAGS, "Replaces its tags."),
            body("data_limit", amount_unit(), "Per billing period."),
            body("authorized_imeis", {"type": ["array", "null"], "items": string(max_length=16), "maxItems": 100},
                 "[] allows any device."),
        ),
        returns=shapes.SIM_CARD, secrets=(PIN_PUK_NEVER,),
    ),
    op(
        name="delete_sim_card", title="Delete a SIM card", method="DELETE", path="/sim_cards/{sim_card_id}",
        compensation=irreversible("A deleted SIM card cannot be restored."),
        description="Delete a SIM for good; its device loses service. It shows `disabling` until the "
                    "deletion completes; actions still running on it end `interrupted`.",
        search_words=(
            "remove sim permanently", "get rid of sim", "remove sim from account", "decommission sim", "scrap",
            "lost or stolen erase esim", "terminate sim",
        ),
        kind="destructive", reason="The SIM leaves the account and its device is disconnected; irreversible.",
        params=(
            SIM_CARD_ID,
            query("report_lost", boolean(False), "Lost or stolen eSIM that cannot be uninstalled: "
                  "disabled eSIMs only; it can never be registered again."),
        ),
        returns=shapes.SIM_CARD, secrets=(PIN_PUK_NEVER,),
    ),
    op(
        name="enable_sim_card", title="Enable a SIM card", method="POST", path="/sim_cards/{sim_card_id}/actions/enable",
        compensation=status_back("enabled"),
        description="Turn a disabled or standby SIM's data on; billing starts. Many SIMs: apply_to_sim_cards.",
        search_words=(
            "turn on", "switch on", "activate sim", "reactivate", "re-enable", "resume service", "unsuspend",
            "back online", "wake from standby", "restore service", "turn sim back on",
        ),
        kind="billable", reason="Billing for the SIM starts (or resumes) as its data turns on.",
        params=(SIM_CARD_ID,), returns=shapes.SIM_CARD_ACTION, sets_status="enabled",
    ),
    op(
        name="disable_sim_card", title="Disable a SIM card", method="POST", path="/sim_cards/{sim_card_id}/actions/disable",
        compensation=status_back("disabled"),
        description="Cut a SIM's service; its device goes offline until enabled. Many SIMs: apply_to_sim_cards.",
        search_words=(
            "turn off", "switch off", "cut off", "shut off", "suspend", "kill", "deactivate", "block sim", "stolen",
            "lost device", "stop service", "take offline", "disconnect",
        ),
        kind="destructive", reason="Disconnects a live device.",
        params=(SIM_CARD_ID,), returns=shapes.SIM_CARD_ACTION, sets_status="disabled",
    ),
    op(
        name="set_sim_card_standby", title="Put a SIM card on standby", method="POST",
        compensation=status_back("standby"),
        path="/sim_cards/{sim_card_id}/actions/set_standby",
        description="Put a SIM on standby: cheaper, and its device goes offline. Many SIMs: apply_to_sim_cards.",
        search_words=(
            "pause", "pause billing", "hibernate", "sleep", "temporarily suspend", "not in use", "seasonal",
            "save money", "idle sim", "mothball", "cheaper rate",
        ),
        kind="destructive", reason="Disconnects a live device.",
        params=(SIM_CARD_ID,), returns=shapes.SIM_CARD_ACTION, sets_status="standby",
    ),
    op(
        name="enable_sim_card_voice", title="Enable voice on a SIM card", method="POST",
        compensation=switches("get_sim_card", "sim_card_id", "voice_enabled", lambda _: True, lambda was: ("disable_sim_card_voice", {}) if was is False else "voice was on already", skips=True),
        path="/sim_cards/{sim_card_id}/actions/enable_voice",
        description="Turn VoLTE calling on for a SIM (beta); it gets a billed phone number. Poll the action.",
        search_words=(
            "volte", "turn on calling", "make calls", "get a phone number", "voice for one sim", "switch on voice",
        ),
        kind="billable", reason="Assigns the SIM a real phone number; number and call charges follow.",
        wire_note=VOICE_NOTE,
        params=(SIM_CARD_ID, body("connection_id", string(max_length=32), VOICE_CONNECTION_NOTE)),
        returns=shapes.SIM_CARD_ACTION,
    ),
    op(
        name="disable_sim_card_voice", title="Disable voice on a SIM card", method="POST",
        compensation=switches("get_sim_card", "sim_card_id", "voice_enabled", lambda _: False, lambda was: ("enable_sim_card_voice", {}) if was else "voice was off already", skips=True),
        path="/sim_cards/{sim_card_id}/actions/disable_voice",
        description="Turn a SIM's calling off; its device can no longer call or be called.",
        search_words=(
            "volte", "turn off calling", "stop calls", "switch off voice", "no more phone calls",
            "making or receiving calls", "one sim only", "single sim voice off",
        ),
        kind="destructive", reason="Cuts the device's voice service; whether its number is kept is not documented.",
        wire_note=VOICE_NOTE,
        params=(SIM_CARD_ID,), returns=shapes.SIM_CARD_ACTION,
    ),
    op(
        name="set_sim_card_public_ip", title="Give a SIM card a public IP", method="POST",
        compensation=switches("get_sim_card_public_ip", "sim_card_id", "ip", lambda _: ANY, lambda was: ("remove_sim_card_public_ip", {}) if not was else "it had a public IP already", skips=True),
        path="/sim_cards/{sim_card_id}/actions/set_public_ip",
        description="Give a SIM a static public IP (billed monthly).",
        search_words=(
            "static ip", "fixed ip", "assign ip address", "reachable from the internet", "inbound connection",
            "remote access to router", "dedicated ip",
        ),
        kind="billable", reason="A public IP is a paid add-on.",
        params=(SIM_CARD_ID, query("region_code", string(max_length=32), "From list_wireless_regions.")),
        returns=shapes.SIM_CARD_ACTION,
    ),
    op(
        name="remove_sim_card_public_ip", title="Remove a SIM card's public IP", method="POST",
        compensation=irreversible("The address is released; a new public IP would be another address, billed again."),
        path="/sim_cards/{sim_card_id}/actions/remove_public_ip",
        description="Release a SIM's public IP; the address may be gone for good.",
        search_words=(
            "release static ip", "drop public ip", "remove static ip", "unassign ip address", "give up fixed ip",
            "no longer need ip",
        ),
        kind="destructive", reason="Gives up an address that inbound traffic depends on.",
        params=(SIM_CARD_ID,), returns=shapes.SIM_CARD_ACTION,
    ),
    op(
        name="get_sim_card_public_ip", title="Get a SIM card's public IP", method="GET",
        path="/sim_cards/{sim_card_id}/public_ip",
        description="A SIM's public IP and its region.",
        search_words=(
            "what is the sim's ip", "show public ip", "static ip address of a sim", "ip region", "which ip",
        ),
        kind="read", reason="Reads only.", params=(SIM_CARD_ID,), returns=shapes.PUBLIC_IP,
    ),
    op(
        name="get_sim_card_activation_code", title="Get an eSIM activation code", method="GET",
        path="/sim_cards/{sim_card_id}/activation_code",
        description="An eSIM's activation code (LPA string for a QR code).",
        search_words=(
            "qr code", "lpa", "install esim", "download esim profile", "esim setup", "smdp", "matching id",
            "provision esim on a device",
        ),
        kind="read", reason="Reads only.", params=(SIM_CARD_ID,), returns=shapes.ACTIVATION_CODE,
        secrets=(ACTIVATION_CODE,),
    ),
    op(
        name="get_sim_card_device_details", title="Get a SIM card's device", method="GET",
        path="/sim_cards/{sim_card_id}/device_details",
        description="The device a SIM is in: IMEI, brand, model, type, OS.",
        search_words=(
            "which device", "imei", "phone model", "brand", "modem", "operating system", "hardware",
            "what is the sim in",
        ),
        kind="read", reason="Reads only.", params=(SIM_CARD_ID,), returns=shapes.DEVICE_DETAILS,
    ),
    op(
        name="list_wireless_connectivity_logs", title="List a SIM card's connectivity logs", method="GET",
        path="/sim_cards/{sim_card_id}/wireless_connectivity_logs",
        description="A SIM's network sessions: when, network, radio, cell, APN, IPs.",
        search_words=(
            "last connected", "network sessions", "attach history", "cell tower", "radio access technology", "apn",
            "why offline", "troubleshoot connection", "signal", "data sessions", "roaming network history",
        ),
        kind="read", reason="Reads only.", params=(SIM_CARD_ID, *pages()),
        returns=shapes.CONNECTIVITY_LOG, returns_list=True, paginated=True,
    ),
    op(
        name="validate_registration_codes", title="Check SIM registration codes", method="POST",
        path="/sim_cards/actions/validate_registration_codes",
        description="Check registration codes before register_sim_cards.",
        search_words=(
            "check codes", "verify registration codes", "are the codes valid", "test codes before registering",
        ),
        kind="read", reason="Checks codes; changes nothing.", idempotent=True,
        params=(body("registration_codes", REGISTRATION_CODES),),
        returns=shapes.REGISTRATION_CODE_VALIDATION, returns_list=True,
    ),
    op(
        name="bulk_enable_voice", title="Enable voice for a group", method="POST",
        compensation=irreversible("A bulk action over a group: undo it SIM by SIM (apply_to_sim_cards); voice was billed."),
        path="/sim_cards/actions/bulk_enable_voice",
        description="Turn voice on for every SIM in a group; each gets a billed phone number.",
        search_words=(
            "turn on calling", "switch on voice", "enable calls for all sims", "voice for the whole group",
            "allow phone calls",
        ),
        kind="billable", reason="Assigns every SIM of the group a real phone number; number and call charges "
                                "follow.",
        wire_note="connection_id comes from Telnyx's SDKs (Aug 2026), newer than the API description this server "
                  "was built from.",
        params=(
            body("sim_card_group_id", uuid(), required=True),
            body("connection_id", string(max_length=32), VOICE_CONNECTION_NOTE),
        ),
        returns=shapes.BULK_SIM_CARD_ACTION,
    ),
    op(
        name="bulk_disable_voice", title="Disable voice for a group", method="POST",
        compensation=irreversible("A bulk action over a group: undo it SIM by SIM (apply_to_sim_cards)."),
        path="/sim_cards/actions/bulk_disable_voice",
        description="Turn voice off for every SIM in a group; their calls stop.",
        search_words=(
            "turn off calling", "stop phone calls", "switch off voice", "block calls for all sims",
            "disable calls in a group",
        ),
        kind="destructive", reason="Cuts voice service for a whole group at once.",
        params=(body("sim_card_group_id", uuid(), required=True),),
        returns=shapes.BULK_SIM_CARD_ACTION,
    ),
    op(
        name="bulk_set_public_ips", title="Give SIM cards public IPs", method="POST",
        compensation=irreversible("A bulk action: the public IPs were billed; remove them SIM by SIM."),
        path="/sim_cards/actions/bulk_set_public_ips",
        description="Give each listed SIM a public IP (billed monthly).",
        search_words=(
            "static ips for many sims", "public ip for a list of sims", "assign ip addresses in bulk",
            "fixed ips in one go", "many sims",
        ),
        kind="billable", reason="Each public IP is a paid add-on.",
        params=(body("sim_card_ids", array(uuid(), min_items=1, max_items=1000), required=True),),
        returns=shapes.BULK_SIM_CARD_ACTION,
    ),
]
