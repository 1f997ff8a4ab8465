"""SIM card groups: the groups, the data limits their SIMs share, and the group actions that set or remove a
private wireless gateway or a wireless blocklist."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..handlers import (
    Call, Handlers, Result, contains, decimal, eq, exists, list_docs, require, stamp,
)
from ..lifecycle import group_action_effect, recheck, start_group_action
from ..store import Doc, iso, public
from ..validation import unprocessable

if TYPE_CHECKING:
    from ..app import Sandbox

handles = Handlers()


def group_sims(sb: Sandbox, group_id: str) -> list[Doc]:
    return [s for s in sb.store.all("sim_cards") if s["sim_card_group_id"] == group_id]


def default_group(sb: Sandbox) -> Doc | None:
    return next((g for g in sb.store.all("sim_card_groups") if g.get("default")), None)


def group_stats(sb: Sandbox) -> dict[str, tuple[int, float]]:
    """SIM count and data used (MB) per group id (one scan of the SIMs per change to them)."""
    def build(sims: Iterable[Doc]) -> list[dict[str, tuple[int, float]]]:
        stats: dict[str, list[float]] = {}
        for sim in sims:
            entry = stats.setdefault(sim["sim_card_group_id"], [0, 0.0])
            entry[0] += 1
            entry[1] += float(sim["current_billing_period_consumed_data"]["amount"])
        return [{k: (int(v[0]), v[1]) for k, v in stats.items()}]
    return sb.store.view("sim_cards", ("group_stats",), build)[0]


def render_group(sb: Sandbox, group: Doc, stats: dict[str, tuple[int, float]] | None = None,
                 iccids: bool = False) -> dict[str, Any]:
    if stats is None:
        stats = group_stats(sb)
    count, used = stats.get(group["id"], (0, 0.0))
    out = public(group)
    out["sim_card_count"] = count
    out["consumed_data"] = {"amount": f"{used:.2f}", "unit": "MB"}
    if iccids:
        out["iccids"] = [s["iccid"] for s in group_sims(sb, group["id"])]
    return out


def _group_fields(body: dict[str, Any], group: Doc) -> None:
    if "name" in body and not body["name"].strip():
        raise unprocessable("name must not be empty", pointer="/name")
    limit = body.get("data_limit")
    if limit is not None:
        if "amount" in limit:
            decimal(limit["amount"], "/data_limit/amount")
        if limit.get("unit", "MB") not in ("MB", "GB"):
            raise unprocessable(f"data_limit.unit: {limit['unit']!r} is not MB or GB",
                                pointer="/data_limit/unit")
        group["data_limit"] = {**group["data_limit"], **limit}
    if "name" in body:
        group["name"] = body["name"]


# -- what completed group actions do -----------------------------------------------------------

@group_action_effect("set_private_wireless_gateway")
def _gateway_set(sb: Sandbox, group: Doc, action: Doc, at: str) -> None:
    group["private_wireless_gateway_id"] = action["settings"]["private_wireless_gateway_id"]


@group_action_effect("remove_private_wireless_gateway")
def _gateway_removed(sb: Sandbox, group: Doc, action: Doc, at: str) -> None:
    group["private_wireless_gateway_id"] = None


@group_action_effect("set_wireless_blocklist")
def _blocklist_set(sb: Sandbox, group: Doc, action: Doc, at: str) -> None:
    group["wireless_blocklist_id"] = action["settings"]["wireless_blocklist_id"]


@group_action_effect("remove_wireless_blocklist")
def _blocklist_removed(sb: Sandbox, group: Doc, action: Doc, at: str) -> None:
    group["wireless_blocklist_id"] = None


# -- groups ----------------------------------------------------------------------------------

@handles("GetAllSimCardGroups")
def list_sim_card_groups(sb: Sandbox, call: Call) -> Result:
    stats = group_stats(sb)
    return list_docs(sb, call, "sim_card_groups", {
        "filter[name]": lambda d, v: contains(d["name"], v),
        "filter[private_wireless_gateway_id]": eq("private_wireless_gateway_id"),
        "filter[wireless_blocklist_id]": eq("wireless_blocklist_id"),
    }, lambda g: render_group(sb, g, stats))


@handles("CreateSimCardGroup")
def create_sim_card_group(sb: Sandbox, call: Call) -> Result:
    group: Doc = {"id": sb.store.new_id(), "record_type": "sim_card_group", "name": "",
                  "default": False, "data_limit": {},
                  "private_wireless_gateway_id": None, "wireless_blocklist_id": None}
    _group_fields(call.body or {}, group)
    sb.store.put("sim_card_groups", stamp(call, group))
    return Result(render_group(sb, group))


@handles("GetSimCardGroup")
def get_sim_card_group(sb: Sandbox, call: Call) -> Result:
    group = require(sb, "sim_card_groups", call.id, "SIM card group")
    return Result(render_group(sb, group, iccids=call.q("include_iccids", False)))


@handles("UpdateSimCardGroup")
def update_sim_card_group(sb: Sandbox, call: Call) -> Result:
    group = require(sb, "sim_card_groups", call.id, "SIM card group")
    _group_fields(call.body or {}, group)
    sb.store.put("sim_card_groups", stamp(call, group, created=False))
    if "data_limit" in (call.body or {}):
        recheck(sb, group_sims(sb, group["id"]), iso(call.now))
    return Result(render_group(sb, group))


@handles("DeleteSimCardGroup")
def delete_sim_card_group(sb: Sandbox, call: Call) -> Result:
    """Its SIMs move to the account's default group (which cannot itself be deleted)."""
    group = require(sb, "sim_card_groups", call.id, "SIM card group")
    if group.get("default"):
        raise unprocessable("The default SIM card group cannot be deleted; SIMs land there "
                            "when their group is deleted", pointer="/id", code="70006")
    default = default_group(sb)
    rendered = render_group(sb, group)
    members = group_sims(sb, group["id"])
    for sim in members:
        sim["sim_card_group_id"] = default["id"] if default else None
        sim["updated_at"] = iso(call.now)
        sb.store.put("sim_cards", sim)
    sb.store.delete("sim_card_groups", group["id"])
    recheck(sb, members, iso(call.now), {default["id"] if default else None})  # the default group's use grew
    return Result(rendered)


# -- group actions ---------------------------------------------------------------------------

def _group_action(sb: Sandbox, call: Call, kind: str, settings: dict[str, Any]) -> Result:
    group = require(sb, "sim_card_groups", call.id, "SIM card group")
    if kind == "remove_private_wireless_gateway" and not group["private_wireless_gateway_id"]:
        raise unprocessable("The group has no private wireless gateway", pointer="/id")
    if kind == "remove_wireless_blocklist" and not group["wireless_blocklist_id"]:
        raise unprocessable("The group has no wireless blocklist", pointer="/id")
    return Result(public(start_group_action(sb, call, group, kind, settings)))


@handles("SetPrivateWirelessGatewayForSimCardGroup")
def set_group_private_wireless_gateway(sb: Sandbox, call: Call) -> Result:
    pwg = (call.body or {})["private_wireless_gateway_id"]
    if sb.store.get("private_wireless_gateways", pwg) is None:
        raise unprocessable(f"private_wireless_gateway_id: no gateway with id {pwg!r}; the "
                            f"sandbox knows {', '.join(sb.private_wireless_gateway_ids())}",
                            pointer="/private_wireless_gateway_id")
    return _group_action(sb, call, "set_private_wireless_gateway",
                         {"private_wireless_gateway_id": pwg})


@handles("RemoveSimCardGroupPrivateWirelessGateway")
def remove_group_private_wireless_gateway(sb: Sandbox, call: Call) -> Result:
    return _group_action(sb, call, "remove_private_wireless_gateway", {})


@handles("SetWirelessBlocklistForSimCardGroup")
def set_group_wireless_blocklist(sb: Sandbox, call: Call) -> Result:
    wbl = (call.body or {})["wireless_blocklist_id"]
    exists(sb, "wireless_blocklists", wbl, "wireless blocklist", "/wireless_blocklist_id")
    return _group_action(sb, call, "set_wireless_blocklist", {"wireless_blocklist_id": wbl})


@handles("RemoveWirelessBlocklistForSimCardGroup")
def remove_group_wireless_blocklist(sb: Sandbox, call: Call) -> Result:
    return _group_action(sb, call, "remove_wireless_blocklist", {})
