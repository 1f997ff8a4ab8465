"""The one action lifecycle: work that takes time on the real API.

An action is stored `in-progress` with a private `_due` time and finished by `settle()` at the
start of the next request whose clock has passed it (nothing runs in the background). Finishing
does the bookkeeping every action shares (status, `updated_at`, the SIM's in-progress list) and
then the action type's effect, which the family that owns the rule registers:

    @sim_action_effect("set_standby")
    def _standby(sb, sim, action, at): ...

Timed documents of other collections (a SIM card being registered) register a finisher with
`@finisher("sim_cards")`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from . import fleet
from .handlers import Call, megabytes, stamp
from .store import Doc, iso
from .usage import history

if TYPE_CHECKING:
    from .app import Sandbox

SimEffect = Callable[["Sandbox", Doc, Doc, str], None]
GroupEffect = Callable[["Sandbox", Doc, Doc, str], None]
Finisher = Callable[["Sandbox", Doc, str], None]

SIM_ACTION_EFFECTS: dict[str, SimEffect] = {}
GROUP_ACTION_EFFECTS: dict[str, GroupEffect] = {}
FINISHERS: dict[str, Finisher] = {}


def sim_action_effect(*kinds: str) -> Callable[[SimEffect], SimEffect]:
    """Register what a completed SIM card action of these types does to its SIM."""
    def register(fn: SimEffect) -> SimEffect:
        for kind in kinds:
            SIM_ACTION_EFFECTS[kind] = fn
        return fn
    return register


def group_action_effect(*kinds: str) -> Callable[[GroupEffect], GroupEffect]:
    """Register what a completed SIM card group action of these types does to its group."""
    def register(fn: GroupEffect) -> GroupEffect:
        for kind in kinds:
            GROUP_ACTION_EFFECTS[kind] = fn
        return fn
    return register


def finisher(coll: str) -> Callable[[Finisher], Finisher]:
    """Register how a timed document of `coll` (other than actions) finishes."""
    def register(fn: Finisher) -> Finisher:
        FINISHERS[coll] = fn
        return fn
    return register


# Statuses Telnyx imposes and no action can move a SIM out of until the cause is fixed
# (developers.telnyx.com/docs/iot-sim/sim-lifecycle, "System-Imposed").
SYSTEM_IMPOSED = ("data_limit_exceeded", "unauthorized_imei")
# What an enabled SIM may be instead, because of its limits or its device.
_ENABLED_LIKE = ("enabled", *SYSTEM_IMPOSED)


def group_use(sb: Sandbox) -> dict[str, float]:
    """MB used this period per group id: what its SIMs used together (the group's `consumed_data`)."""
    from .families.sim_card_groups import group_stats

    return {group_id: used for group_id, (_, used) in group_stats(sb).items()}


def over_limit(sb: Sandbox, sim: Doc, used_by_group: dict[str, float] | None = None) -> dict[str, Any] | None:
    """The data limit `sim` has used up: its own, or its group's, which the group's SIMs share (Telnyx's
    SIMCardGroup `data_limit`: "the SIM cards, within the group, can use"), so their use together over it
    stops every one of them."""
    own = sim.get("data_limit")
    if megabytes(sim["current_billing_period_consumed_data"]) > megabytes(own):
        return own
    group = sb.store.get("sim_card_groups", sim.get("sim_card_group_id") or "")
    if group and group.get("data_limit"):
        used = (used_by_group if used_by_group is not None else group_use(sb)).get(group["id"], 0.0)
        if used > megabytes(group["data_limit"]):
            return group["data_limit"]
    return None


def unauthorized_device(sim: Doc) -> bool:
    imeis = sim.get("authorized_imeis")
    return bool(imeis) and bool(sim.get("current_imei")) and sim["current_imei"] not in imeis


def set_status(sb: Sandbox, sim: Doc, value: str, at: str, used_by_group: dict[str, float] | None = None) -> None:
    """Put a SIM in `value`. An enabled SIM over a data limit is `data_limit_exceeded`; one in a
    device its `authorized_imeis` leave out is `unauthorized_imei`."""
    if value in _ENABLED_LIKE:
        value = ("data_limit_exceeded" if over_limit(sb, sim, used_by_group) else
                 "unauthorized_imei" if unauthorized_device(sim) else "enabled")
    sim["status"] = {"value": value, "reason": fleet.STATUS_REASONS[value]}
    sim["updated_at"] = at


def recheck(sb: Sandbox, sims: Iterable[Doc], at: str, groups: Iterable[str | None] = ()) -> None:
    """After a limit, a group, the data used or the authorized devices changed: enabled SIMs over a limit
    stop, and SIMs whose cause is fixed go back to `enabled` (their intended status). `groups`: groups whose
    use changed (a SIM used data, came or left), all of whose SIMs are judged too."""
    wanted = {g for g in groups if g}
    sims = list(sims)
    if wanted:
        named = {s["id"] for s in sims}
        sims += [s for s in sb.store.all("sim_cards") if s.get("sim_card_group_id") in wanted and s["id"] not in named]
    used_by_group = group_use(sb)  # what changes below is statuses, never the data used
    for sim in sims:
        if sim["status"]["value"] in _ENABLED_LIKE:
            before = sim["status"]["value"]
            set_status(sb, sim, "enabled", at, used_by_group)
            if sim["status"]["value"] != before:
                sb.store.put("sim_cards", sim)


def due_time(sb: Sandbox, now: float) -> float:
    return now + sb.action_delay


def start_sim_action(sb: Sandbox, call: Call, sim: Doc, kind: str, *, bulk_id: str | None = None,
                     settings: dict[str, Any] | None = None) -> Doc:
    """Create an in-progress SIM card action and mark its SIM busy with it."""
    action: Doc = {
        "id": sb.store.new_id(),
        "record_type": "sim_card_action",
        "action_type": kind,
        "sim_card_id": sim["id"],
        "status": {"value": "in-progress", "reason": "The action is being processed."},
        "settings": settings,
        "_due": due_time(sb, call.now),
    }
    if bulk_id is not None:
        action["_bulk"] = bulk_id
    stamp(call, action)
    sim["resources_with_in_progress_actions"] = [
        *sim["resources_with_in_progress_actions"],
        {"id": action["id"], "record_type": "sim_card_action", "action_type": kind},
    ]
    sim["actions_in_progress"] = True
    sb.store.put("sim_card_actions", action)
    sb.store.put("sim_cards", sim)
    sb.store.schedule("sim_card_actions", action)
    return action


def start_group_action(sb: Sandbox, call: Call, group: Doc, kind: str,
                       settings: dict[str, Any]) -> Doc:
    action: Doc = {"id": sb.store.new_id(), "record_type": "sim_card_group_action",
                   "type": kind, "sim_card_group_id": group["id"], "status": "in-progress",
                   "settings": settings, "_due": due_time(sb, call.now)}
    sb.store.put("sim_card_group_actions", stamp(call, action))
    sb.store.schedule("sim_card_group_actions", action)
    return action


def interrupt(sb: Sandbox, sim: Doc, reason: str, at: str) -> None:
    """End every action still running on `sim` as `interrupted`, with `reason`."""
    for ref in sim["resources_with_in_progress_actions"]:
        action = sb.store.get("sim_card_actions", ref["id"])
        if action is not None and action["status"]["value"] == "in-progress":
            action.pop("_due", None)
            action["status"] = {"value": "interrupted", "reason": reason}
            action["updated_at"] = at
            sb.store.put("sim_card_actions", action)
    sim["resources_with_in_progress_actions"] = []
    sim["actions_in_progress"] = False


def fail(sb: Sandbox, action: Doc, reason: str, at: str) -> None:
    """End a running SIM card action as `failed` (the network refused it), for tests and demos: the SIM is left
    as it was and is no longer busy with it."""
    action.pop("_due", None)
    action["status"] = {"value": "failed", "reason": reason}
    action["updated_at"] = at
    sb.store.put("sim_card_actions", action)
    sim = sb.store.get("sim_cards", action["sim_card_id"])
    if sim is not None:
        busy = [r for r in sim["resources_with_in_progress_actions"] if r["id"] != action["id"]]
        sim["resources_with_in_progress_actions"], sim["actions_in_progress"] = busy, bool(busy)
        sb.store.put("sim_cards", sim)


def settle(sb: Sandbox, now: float) -> None:
    """Finish every piece of timed work whose time has come, in creation order; count the data used since."""
    history(sb).advance(now)
    for coll, doc in sb.store.due(now):
        at = iso(doc.pop("_due"))
        if coll == "sim_card_actions":
            _finish_sim_action(sb, doc, at)
        elif coll == "sim_card_group_actions":
            _finish_group_action(sb, doc, at)
        else:
            FINISHERS[coll](sb, doc, at)


def _finish_sim_action(sb: Sandbox, action: Doc, at: str) -> None:
    sim = sb.store.get("sim_cards", action["sim_card_id"])
    if sim is None:
        action["status"] = {"value": "interrupted", "reason": "The SIM card was deleted."}
    else:
        effect = SIM_ACTION_EFFECTS.get(action["action_type"])
        if effect is not None:
            effect(sb, sim, action, at)
        busy = [r for r in sim["resources_with_in_progress_actions"] if r["id"] != action["id"]]
        sim["resources_with_in_progress_actions"] = busy
        sim["actions_in_progress"] = bool(busy)
        sim["updated_at"] = at
        sb.store.put("sim_cards", sim)
        action["status"] = {"value": "completed", "reason": "The action completed."}
    action["updated_at"] = at
    sb.store.put("sim_card_actions", action)


def _finish_group_action(sb: Sandbox, action: Doc, at: str) -> None:
    group = sb.store.get("sim_card_groups", action["sim_card_group_id"])
    if group is None:
        action["status"] = "failed"
    else:
        GROUP_ACTION_EFFECTS[action["type"]](sb, group, action, at)
        group["updated_at"] = at
        sb.store.put("sim_card_groups", group)
        action["status"] = "completed"
    action["updated_at"] = at
    sb.store.put("sim_card_group_actions", action)
