"""SIM cards: reads, updates, deletion, status and public-IP actions, registration and eSIM
purchase, and the bulk actions over many SIMs."""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .. import fleet
from ..handlers import Call, Handlers, Result, decimal, exists, keys, page, require, stamp
from ..lifecycle import (
    SYSTEM_IMPOSED, finisher, group_use, interrupt, over_limit, recheck, set_status, sim_action_effect,
    start_sim_action,
)
from ..store import Doc, iso, public
from ..validation import ApiError, error, not_found, unprocessable
from .actions import render_bulk
from .mobile_phone_numbers import assign_number
from .sim_card_groups import default_group, group_sims, group_stats, render_group

if TYPE_CHECKING:
    from ..app import Sandbox

handles = Handlers()

SIM_STATUS_ACTIONS = {"enable", "enable_standby_sim_card", "disable", "set_standby"}
MAX_ESIM_PURCHASE = 100
ESIM_STOCK = 150  # the sandbox's choice: enough for a purchase, not for two of the largest


def render_sim(sb: Sandbox, sim: Doc, *, simple: bool = False, include_group: bool = False,
               pin_puk: bool = False,
               stats: dict[str, tuple[int, float]] | None = None) -> dict[str, Any]:
    shown = keys("SimpleSIMCard" if simple else "SIMCard")
    out = {k: sim[k] for k in shown if k in sim and k != "pin_puk_codes"}
    if pin_puk:
        out["pin_puk_codes"] = dict(sim["_pin_puk"])
    if include_group:
        group = sb.store.get("sim_card_groups", sim["sim_card_group_id"])
        out["sim_card_group"] = render_group(sb, group, stats) if group else None
    return out


def _public_ip_for(sim_id: str) -> str:
    n = int(sim_id.replace("-", "")[:8], 16)
    return f"203.0.{113 + n % 2}.{n % 250 + 2}"


# -- what completed actions do ---------------------------------------------------------------

@sim_action_effect("enable", "enable_standby_sim_card")
def _enabled(sb: Sandbox, sim: Doc, action: Doc, at: str) -> None:
    set_status(sb, sim, "enabled", at)


@sim_action_effect("disable")
def _disabled(sb: Sandbox, sim: Doc, action: Doc, at: str) -> None:
    set_status(sb, sim, "disabled", at)


@sim_action_effect("set_standby")
def _standby(sb: Sandbox, sim: Doc, action: Doc, at: str) -> None:
    set_status(sb, sim, "standby", at)


@sim_action_effect("set_public_ip")
def _public_ip_set(sb: Sandbox, sim: Doc, action: Doc, at: str) -> None:
    ip = sim.get("_public_ip") or {
        "ip": _public_ip_for(sim["id"]),
        "region_code": (action.get("settings") or {}).get("region_code", "dc2"),
        "created_at": at,
    }
    sim["_public_ip"] = {**ip, "updated_at": at}
    sim.pop("_public_ip_pending", None)


@sim_action_effect("remove_public_ip")
def _public_ip_removed(sb: Sandbox, sim: Doc, action: Doc, at: str) -> None:
    sim.pop("_public_ip", None)


@sim_action_effect("enable_voice", "disable_voice")
def _voice(sb: Sandbox, sim: Doc, action: Doc, at: str) -> None:
    sim["voice_enabled"] = action["action_type"] == "enable_voice"
    if sim["voice_enabled"]:
        assign_number(sb, sim, at, (action.get("settings") or {}).get("connection_id"))


def _voice_action(sb: Sandbox, call: Call, kind: str) -> Result:
    sim = require(sb, "sim_cards", call.id, "SIM card")
    connection = (call.body or {}).get("connection_id")
    if connection is not None and sb.store.get("mobile_voice_connections", connection) is None:
        raise unprocessable(f"connection_id: no mobile voice connection with id {connection!r}",
                            pointer="/connection_id")
    if sim["status"]["value"] not in ("enabled", "data_limit_exceeded", "standby"):
        raise unprocessable(f"The SIM card is {sim['status']['value']}; enable it before changing voice",
                            pointer="/id")
    settings = {"connection_id": connection} if connection else None
    return Result(public(start_sim_action(sb, call, sim, kind, settings=settings)))


@handles("EnableVoiceSimCard")
def enable_sim_card_voice(sb: Sandbox, call: Call) -> Result:
    return _voice_action(sb, call, "enable_voice")


@handles("DisableVoiceSimCard")
def disable_sim_card_voice(sb: Sandbox, call: Call) -> Result:
    return _voice_action(sb, call, "disable_voice")


@finisher("sim_cards")
def _registered_or_deleted(sb: Sandbox, sim: Doc, at: str) -> None:
    if sim.pop("_deleting", False):
        sb.store.delete("sim_cards", sim["id"])
        return
    set_status(sb, sim, sim.pop("_target_status"), at)
    sb.store.put("sim_cards", sim)


# -- reads and updates -----------------------------------------------------------------------

@handles("GetSimCards")
def list_sim_cards(sb: Sandbox, call: Call) -> Result:
    statuses = call.q("filter[status]")
    tags = call.q("filter[tags]")
    iccid, msisdn = call.q("filter[iccid]"), call.q("filter[msisdn]")
    group_id = call.q("filter[sim_card_group_id]")

    def keep(s: Doc) -> bool:
        if group_id is not None and s["sim_card_group_id"] != group_id:
            return False
        if iccid is not None and iccid not in s["iccid"]:
            return False
        if msisdn is not None and msisdn not in s["msisdn"]:
            return False
        if tags and not all(t in s["tags"] for t in tags):
            return False
        if statuses:
            value = s["status"]["value"]
            imeis = s.get("authorized_imeis")
            unauthorized = bool(imeis) and s.get("current_imei") not in imeis
            if value not in statuses and not ("unauthorized_imei" in statuses and unauthorized):
                return False
        return True

    sort = call.q("sort")

    def build(all_sims: Iterable[Doc]) -> list[Doc]:
        sims = [s for s in all_sims if keep(s)]
        if sort:
            sims.sort(key=lambda s: float(s["current_billing_period_consumed_data"]["amount"]),
                      reverse=sort.startswith("-"))
        return sims

    key = ("list", repr(statuses), repr(tags), iccid, msisdn, group_id, sort)
    sims = sb.store.view("sim_cards", key, build)
    with_group = call.q("include_sim_card_group", False)
    stats = group_stats(sb) if with_group else None
    return page(call, sims, lambda s: render_sim(sb, s, simple=True, include_group=with_group,
                                                 stats=stats))


@handles("GetSimCard")
def get_sim_card(sb: Sandbox, call: Call) -> Result:
    sim = require(sb, "sim_cards", call.id, "SIM card")
    return Result(render_sim(sb, sim, include_group=call.q("include_sim_card_group", False),
                             pin_puk=call.q("include_pin_puk_codes", False)))


@handles("UpdateSimCard")
def update_sim_card(sb: Sandbox, call: Call) -> Result:
    sim = require(sb, "sim_cards", call.id, "SIM card")
    body = call.body or {}
    if body.get("status"):
        raise unprocessable("status cannot be changed by PATCH; use the enable, disable or "
                            "set_standby actions", pointer="/status")
    if "sim_card_group_id" in body:
        exists(sb, "sim_card_groups", body["sim_card_group_id"], "SIM card group",
               "/sim_card_group_id")
    if "data_limit" in body:
        limit = body["data_limit"]
        for part in ("amount", "unit"):
            if part not in limit:
                raise unprocessable(f"data_limit.{part} is required",
                                    pointer=f"/data_limit/{part}")
        decimal(limit["amount"], "/data_limit/amount")
    left = sim.get("sim_card_group_id")
    for key in ("sim_card_group_id", "tags", "authorized_imeis", "data_limit"):
        if key in body:
            sim[key] = body[key]
    sim["updated_at"] = iso(call.now)
    sb.store.put("sim_cards", sim)
    moved = {left, sim.get("sim_card_group_id")} if left != sim.get("sim_card_group_id") else set()
    recheck(sb, [sim], iso(call.now), moved)  # a move changes what both groups used together
    return Result(render_sim(sb, sim))


@handles("DeleteSimCard")
def delete_sim_card(sb: Sandbox, call: Call) -> Result:
    """The SIM is `disabling` until the deletion completes, then gone; actions still running on
    it end `interrupted`. `report_lost` is for disabled eSIMs only."""
    sim = require(sb, "sim_cards", call.id, "SIM card")
    if sim.get("_deleting"):
        raise unprocessable(f"SIM card {sim['id']} is already being deleted", pointer="/id")
    if call.q("report_lost"):
        if sim["type"] != "esim":
            raise unprocessable("report_lost applies to eSIMs only; this is a physical SIM",
                                parameter="report_lost")
        if sim["status"]["value"] != "disabled":
            raise unprocessable(f"report_lost applies to disabled eSIMs; this one is "
                                f"{sim['status']['value']}: disable it first",
                                parameter="report_lost")
    at = iso(call.now)
    interrupt(sb, sim, "The SIM card is being deleted.", at)
    set_status(sb, sim, "disabling", at)
    sim.pop("_target_status", None)
    sim["_deleting"] = True
    sim["_due"] = call.now + sb.action_delay
    sb.store.put("sim_cards", sim)
    sb.store.schedule("sim_cards", sim)
    return Result(render_sim(sb, sim))


# -- status and public-IP actions -------------------------------------------------------------

def _status_action(sb: Sandbox, call: Call, kind: str) -> Result:
    sim = require(sb, "sim_cards", call.id, "SIM card")
    value = sim["status"]["value"]
    busy = [r for r in sim["resources_with_in_progress_actions"]
            if r.get("action_type") in SIM_STATUS_ACTIONS]
    if sim.get("_deleting"):
        raise unprocessable(f"SIM card {sim['id']} is being deleted", pointer="/id")
    if busy or value in ("registering", "enabling", "disabling", "setting_standby"):
        raise unprocessable(f"SIM card {sim['id']} is {value}; wait for its current action "
                            "to finish", pointer="/id")
    if value in SYSTEM_IMPOSED:
        raise _system_imposed(sb, sim)
    if kind != "disable" and sb.store.get("sim_card_groups",
                                          sim.get("sim_card_group_id") or "") is None:
        raise unprocessable("A SIM card cannot be enabled or put on standby unless it's "
                            "associated with a SIM card group; set sim_card_group_id with "
                            "PATCH /sim_cards/{id} first", pointer="/id", code="70007")
    if kind == "enable":
        if value == "enabled":
            raise unprocessable("SIM card is already enabled", pointer="/id")
        if value == "standby":
            kind = "enable_standby_sim_card"
        transitional = "enabling"
    elif kind == "disable":
        if value == "disabled":
            raise unprocessable("SIM card is already disabled", pointer="/id")
        transitional = "disabling"
    else:
        if value == "standby":
            raise unprocessable("SIM card is already in standby", pointer="/id")
        transitional = "setting_standby"
    set_status(sb, sim, transitional, iso(call.now))
    return Result(public(start_sim_action(sb, call, sim, kind)))


def _system_imposed(sb: Sandbox, sim: Doc) -> ApiError:
    """Telnyx holds a SIM in a system-imposed status; no action moves it until the cause is
    fixed."""
    limit = over_limit(sb, sim)
    if sim["status"]["value"] == "data_limit_exceeded" and limit is not None:
        used = (f"its group's SIMs used {group_use(sb).get(sim.get('sim_card_group_id') or '', 0.0):.2f} MB "
                "together, over the group's shared" if limit is not sim.get("data_limit") else
                f"it used {sim['current_billing_period_consumed_data']['amount']} MB, over its own")
        return unprocessable(
            f"SIM card {sim['id']} is data_limit_exceeded: {used} "
            f"data limit of {limit['amount']} {limit['unit']}. Raise the limit (PATCH "
            "/sim_card_groups/{id} or /sim_cards/{id}); it goes back to enabled by itself",
            pointer="/id", code="70000")
    return unprocessable(
        f"SIM card {sim['id']} is unauthorized_imei: its device (IMEI {sim.get('current_imei')})"
        " is not in authorized_imeis. Add it with PATCH /sim_cards/{id}; the SIM goes back to "
        "enabled by itself", pointer="/id")


@handles("EnableSimCard")
def enable_sim_card(sb: Sandbox, call: Call) -> Result:
    return _status_action(sb, call, "enable")


@handles("DisableSimCard")
def disable_sim_card(sb: Sandbox, call: Call) -> Result:
    return _status_action(sb, call, "disable")


@handles("SetSimCardStandby")
def set_sim_card_standby(sb: Sandbox, call: Call) -> Result:
    return _status_action(sb, call, "set_standby")


@handles("SetSimCardPublicIp")
def set_sim_card_public_ip(sb: Sandbox, call: Call) -> Result:
    sim = require(sb, "sim_cards", call.id, "SIM card")
    region = call.q("region_code", "dc2")
    known = [code for code, _ in fleet.REGIONS["public_ips"]]
    if region not in known:
        raise unprocessable(f"region_code: {region!r} is not a public IP region; "
                            f"use one of {', '.join(known)}", parameter="region_code")
    problem = _public_ip_problem(sim)
    if problem:
        raise unprocessable(problem, pointer="/id")
    sim["_public_ip_pending"] = region
    action = start_sim_action(sb, call, sim, "set_public_ip", settings={"region_code": region})
    return Result(public(action))


def _public_ip_problem(sim: Doc) -> str | None:
    """Why a SIM cannot get a public IP (the same rule for the single and the bulk call)."""
    if sim.get("_deleting"):
        return f"SIM card {sim['id']} is being deleted"
    if sim.get("_public_ip") or sim.get("_public_ip_pending"):
        return f"SIM card {sim['id']} already has a public IP"
    return None


@handles("RemoveSimCardPublicIp")
def remove_sim_card_public_ip(sb: Sandbox, call: Call) -> Result:
    sim = require(sb, "sim_cards", call.id, "SIM card")
    if not sim.get("_public_ip"):
        raise unprocessable("SIM card has no public IP to remove", pointer="/id")
    return Result(public(start_sim_action(sb, call, sim, "remove_public_ip")))


@handles("GetSimCardPublicIp")
def get_sim_card_public_ip(sb: Sandbox, call: Call) -> Result:
    sim = require(sb, "sim_cards", call.id, "SIM card")
    ip = sim.get("_public_ip")
    if ip is None and "_public_ip_pending" not in sim:
        raise not_found(f"SIM card {sim['id']} has no public IP")
    return Result({
        "record_type": "sim_card_public_ip",
        "sim_card_id": sim["id"],
        "type": "ipv4",
        "ip": ip["ip"] if ip else None,
        "region_code": ip["region_code"] if ip else sim["_public_ip_pending"],
        "created_at": ip["created_at"] if ip else iso(call.now),
        "updated_at": ip["updated_at"] if ip else iso(call.now),
    })


# -- device facts ----------------------------------------------------------------------------

@handles("GetSimCardActivationCode")
def get_sim_card_activation_code(sb: Sandbox, call: Call) -> Result:
    sim = require(sb, "sim_cards", call.id, "SIM card")
    if sim["type"] != "esim":
        raise unprocessable("Activation codes exist for eSIMs only; this is a physical SIM",
                            pointer="/id")
    return Result({"record_type": "sim_card_activation_code",
                   "activation_code": sim["_activation_code"]})


@handles("GetSimCardDeviceDetails")
def get_sim_card_device_details(sb: Sandbox, call: Call) -> Result:
    sim = require(sb, "sim_cards", call.id, "SIM card")
    details = fleet.device_details(sim)
    if details is None:
        raise not_found(f"No device has been seen with SIM card {sim['id']} yet")
    return Result(details)


@handles("GetWirelessConnectivityLogs")
def list_wireless_connectivity_logs(sb: Sandbox, call: Call) -> Result:
    sim = require(sb, "sim_cards", call.id, "SIM card")
    return page(call, fleet.connectivity_logs(sb.seed, sim), lambda x: x)


# -- new SIM cards: eSIM purchase and registration --------------------------------------------

def _new_sims(sb: Sandbox, call: Call, count: int, *, esim: bool,
              codes: list[str] | None) -> Result:
    body = call.body or {}
    if "sim_card_group_id" in body:
        group = exists(sb, "sim_card_groups", body["sim_card_group_id"], "SIM card group",
                       "/sim_card_group_id")
    else:
        group = default_group(sb) or next(iter(sb.store.all("sim_card_groups")), None)
        if group is None:
            raise unprocessable("Create a SIM card group first", pointer="/sim_card_group_id")
    target = body.get("status", "enabled")
    created = []
    for n in range(count):
        sim_id = sb.store.new_id()
        rng = random.Random(f"{sb.seed}:sim:{sim_id}")
        sim = fleet.new_sim(rng, sim_id=sim_id, esim=esim, group_id=group["id"],
                            status="registering", tags=list(body.get("tags", [])),
                            created_at=iso(call.now),
                            registration_code=codes[n] if codes else None)
        sim["_due"] = call.now + sb.action_delay
        sim["_target_status"] = target
        sb.store.put("sim_cards", sim)
        sb.store.schedule("sim_cards", sim)
        created.append(render_sim(sb, sim, simple=True))
    return Result(created)


@handles("PurchaseESim")
def purchase_esims(sb: Sandbox, call: Call) -> Result:
    """eSIMs come from a finite stock: beyond it the purchase partly fails (202 with `data` for
    the eSIMs bought and `errors[]` for the rest), or wholly (422) when none are left."""
    amount = (call.body or {})["amount"]
    if amount > MAX_ESIM_PURCHASE:
        raise unprocessable(f"amount: at most {MAX_ESIM_PURCHASE} eSIMs per purchase",
                            pointer="/amount")
    stock = sb.store.meta.get("esim_stock", ESIM_STOCK)
    if stock == 0:
        raise unprocessable("No eSIMs are available to purchase right now", pointer="/amount",
                            code="70001")
    bought = min(amount, stock)
    sb.store.meta["esim_stock"] = stock - bought
    result = _new_sims(sb, call, bought, esim=True, codes=None)
    if bought < amount:
        result.errors = [error("70001", f"Only {bought} of the {amount} eSIMs asked for were "
                               f"available; {amount - bought} were not purchased",
                               pointer="/amount")]
    return result


def _code_problem(sb: Sandbox, code: str) -> str | None:
    doc = sb.store.get("registration_codes", code)
    if doc is None:
        return "The registration code is not valid."
    if doc["status"] != "available":
        return "The registration code has already been used."
    return None


@handles("RegisterSimCards")
def register_sim_cards(sb: Sandbox, call: Call) -> Result:
    """Each code registers on its own: good codes give SIMs (`data`), bad ones `errors[]` in the
    same 202; only when every code is bad is the answer a 422."""
    codes = list((call.body or {})["registration_codes"])
    if not codes:
        raise unprocessable("registration_codes: give at least one code",
                            pointer="/registration_codes")
    errs, good = [], []
    for i, code in enumerate(codes):
        problem = _code_problem(sb, code)
        if problem is None and code in codes[:i]:
            problem = "The registration code is given more than once."
        if problem:
            errs.append(error("10015", f"{code}: {problem}", pointer=f"/registration_codes/{i}"))
        else:
            good.append(code)
    if errs:
        spare = sorted(c for c, state in sb.registration_codes().items()
                       if state == "available" and c not in good)
        errs[0]["detail"] += (f" Unused sandbox codes: {', '.join(spare)}." if spare
                              else " The sandbox has no unused codes left.")
    if not good:
        raise ApiError(422, errs)
    for code in good:
        doc = sb.store.get("registration_codes", code)
        assert doc is not None
        doc["status"] = "registered"
        sb.store.put("registration_codes", doc)
    result = _new_sims(sb, call, len(good), esim=False, codes=good)
    result.errors = errs or None
    return result


@handles("ValidateRegistrationCodes")
def validate_registration_codes(sb: Sandbox, call: Call) -> Result:
    out = []
    for code in (call.body or {}).get("registration_codes", []):
        problem = _code_problem(sb, code)
        out.append({"record_type": "sim_card_registration_code_validation",
                    "registration_code": code, "valid": problem is None,
                    "invalid_detail": problem})
    return Result(out)


# -- bulk actions ----------------------------------------------------------------------------

def _bulk(sb: Sandbox, call: Call, kind: str, sims: list[Doc], per_sim: str,
          settings: dict[str, Any]) -> Result:
    bulk: Doc = {"id": sb.store.new_id(), "record_type": "bulk_sim_card_action",
                 "action_type": kind, "settings": settings, "_actions": []}
    stamp(call, bulk)
    for sim in sims:
        extra = {"region_code": "dc2"} if per_sim == "set_public_ip" else None
        if per_sim == "set_public_ip":
            sim["_public_ip_pending"] = "dc2"
        bulk["_actions"].append(
            start_sim_action(sb, call, sim, per_sim, bulk_id=bulk["id"], settings=extra)["id"])
    sb.store.put("bulk_sim_card_actions", bulk)
    return Result(render_bulk(sb, bulk, detailed=False))


@handles("EnableVoiceBulk")
def bulk_enable_voice(sb: Sandbox, call: Call) -> Result:
    group = exists(sb, "sim_card_groups", (call.body or {})["sim_card_group_id"],
                   "SIM card group", "/sim_card_group_id")
    connection = (call.body or {}).get("connection_id")
    if connection is not None and sb.store.get("mobile_voice_connections", connection) is None:
        raise unprocessable(f"connection_id: no mobile voice connection with id {connection!r}",
                            pointer="/connection_id")
    settings = {"sim_card_group_id": group["id"], **({"connection_id": connection} if connection else {})}
    return _bulk(sb, call, "bulk_enable_voice", group_sims(sb, group["id"]), "enable_voice", settings)


@handles("DisableVoiceBulk")
def bulk_disable_voice(sb: Sandbox, call: Call) -> Result:
    group = exists(sb, "sim_card_groups", (call.body or {})["sim_card_group_id"],
                   "SIM card group", "/sim_card_group_id")
    return _bulk(sb, call, "bulk_disable_voice", group_sims(sb, group["id"]),
                 "disable_voice", {"sim_card_group_id": group["id"]})


@handles("SetPublicIPsBulk")
def bulk_set_public_ips(sb: Sandbox, call: Call) -> Result:
    ids = list(dict.fromkeys((call.body or {})["sim_card_ids"]))
    if not ids:
        raise unprocessable("sim_card_ids: give at least one SIM card id",
                            pointer="/sim_card_ids")
    sims = [exists(sb, "sim_cards", sid, "SIM card", f"/sim_card_ids/{i}")
            for i, sid in enumerate(ids)]
    problems = [error("10015", problem, pointer=f"/sim_card_ids/{i}")
                for i, sim in enumerate(sims) if (problem := _public_ip_problem(sim))]
    if problems:
        raise ApiError(422, problems)
    return _bulk(sb, call, "bulk_set_public_ips", sims, "set_public_ip", {"sim_card_ids": ids})
