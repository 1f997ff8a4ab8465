"""Actions: reading the SIM card, bulk and group actions other calls start (their lifecycle is
in `..lifecycle`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..handlers import Call, Handlers, Result, eq, list_docs, require
from ..store import Doc, public

if TYPE_CHECKING:
    from ..app import Sandbox

handles = Handlers()


def render_bulk(sb: Sandbox, bulk: Doc, detailed: bool = True) -> dict[str, Any]:
    out = public(bulk)
    if detailed:
        counts: dict[str, int] = {}
        for action_id in bulk["_actions"]:
            action = sb.store.get("sim_card_actions", action_id)
            if action is not None:
                value = action["status"]["value"]
                counts[value] = counts.get(value, 0) + 1
        out["sim_card_actions_summary"] = [{"status": s, "count": c}
                                           for s, c in sorted(counts.items())]
    return out


@handles("ListSimCardActions")
def list_sim_card_actions(sb: Sandbox, call: Call) -> Result:
    return list_docs(sb, call, "sim_card_actions", {
        "filter[action_type]": eq("action_type"),
        "filter[bulk_sim_card_action_id]": eq("_bulk"),
        "filter[sim_card_id]": eq("sim_card_id"),
        "filter[status]": eq("status.value"),
    }, newest_first=True)


@handles("GetSimCardAction")
def get_sim_card_action(sb: Sandbox, call: Call) -> Result:
    return Result(public(require(sb, "sim_card_actions", call.id, "SIM card action")))


@handles("ListBulkSimCardActions")
def list_bulk_sim_card_actions(sb: Sandbox, call: Call) -> Result:
    return list_docs(sb, call, "bulk_sim_card_actions", {"filter[action_type]": eq("action_type")},
                     lambda b: render_bulk(sb, b), newest_first=True)


@handles("GetBulkSimCardAction")
def get_bulk_sim_card_action(sb: Sandbox, call: Call) -> Result:
    return Result(render_bulk(sb, require(sb, "bulk_sim_card_actions", call.id,
                                          "Bulk SIM card action")))


@handles("GetSimCardGroupActions")
def list_sim_card_group_actions(sb: Sandbox, call: Call) -> Result:
    return list_docs(sb, call, "sim_card_group_actions", {
        "filter[sim_card_group_id]": eq("sim_card_group_id"),
        "filter[status]": eq("status"),
        "filter[type]": eq("type"),
    }, newest_first=True)


@handles("GetSimCardGroupAction")
def get_sim_card_group_action(sb: Sandbox, call: Call) -> Result:
    return Result(public(require(sb, "sim_card_group_actions", call.id,
                                 "SIM card group action")))
