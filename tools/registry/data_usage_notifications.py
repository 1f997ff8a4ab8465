"""Data usage notifications: alerts when a SIM passes a data threshold."""

from functools import partial
from typing import Any

from ..words import clean, mb_text, megabytes
from . import shapes
from .model import Compensation, Effect, Operation, Read, StateUnknown, amount_unit, body, irreversible, pages, path_id, query, restores, uuid

op = partial(Operation, toolset="data_usage_notifications")

NOTIFICATION_ID = path_id("notification_id")
THRESHOLD = amount_unit()


async def _moves_out_of_reach(arguments: dict[str, Any], read: Read) -> str | None:
    """What of the change leaves use unwatched that the alert watches now: its SIM losing it, or a higher
    threshold (how much higher is too much cannot be told from one period's use, so any raise counts)."""
    found = await read("get_data_usage_notification", {"notification_id": arguments["notification_id"]})
    if not isinstance(found, dict):
        raise StateUnknown("the alert")
    weaker = []
    if "sim_card_id" in arguments and arguments["sim_card_id"] != found.get("sim_card_id"):
        weaker.append(f"moves it off SIM card {clean(found.get('sim_card_id') or 'unknown', 40)}, whose use then "
                      "goes unwatched")
    if "threshold" in arguments:
        new, old = megabytes(arguments["threshold"]), megabytes(found.get("threshold"))
        if new is None or old is None:
            raise StateUnknown("the alert's threshold")
        if new > old:
            weaker.append(f"raises its threshold from {mb_text(old)} to {mb_text(new)}: use in between goes "
                          "unnoticed")
    if not weaker:
        return None
    return f"Data usage alert {clean(arguments['notification_id'], 40)}: {'; '.join(weaker)}."


OUT_OF_REACH = Effect(kind="destructive", arguments=("sim_card_id", "threshold"), test=_moves_out_of_reach,
                      when="it would move to another SIM or a higher threshold")

OPERATIONS = [
    op(
        name="list_data_usage_notifications", title="List data usage notifications", method="GET",
        path="/sim_card_data_usage_notifications",
        description="Data usage alerts on SIMs, with their thresholds.",
        search_words=("usage alerts", "data alerts", "which alerts are set", "thresholds", "notifications"),
        kind="read", reason="Reads only.",
        params=(query("filter[sim_card_id]", uuid()), *pages()),
        returns=shapes.DATA_USAGE_NOTIFICATION, returns_list=True, paginated=True,
    ),
    op(
        name="create_data_usage_notification", title="Create a data usage notification", method="POST",
        compensation=Compensation(deletes="delete_data_usage_notification"),
        path="/sim_card_data_usage_notifications",
        description="Alert when a SIM's data this billing period passes a threshold.",
        search_words=(
            "alert me", "notify when data", "warn when usage", "over threshold", "usage warning", "data limit alert",
            "usage goes over", "monitor data usage",
        ),
        kind="write", reason="Adds an alert; costs nothing and changes no service.",
        params=(
            body("sim_card_id", uuid(), required=True),
            body("threshold", THRESHOLD, required=True),
        ),
        returns=shapes.DATA_USAGE_NOTIFICATION,
    ),
    op(
        name="get_data_usage_notification", title="Get a data usage notification", method="GET",
        path="/sim_card_data_usage_notifications/{notification_id}",
        description="One data usage alert and its threshold.",
        search_words=("one usage alert", "alert threshold", "alert details"),
        kind="read", reason="Reads only.", params=(NOTIFICATION_ID,), returns=shapes.DATA_USAGE_NOTIFICATION,
    ),
    op(
        name="update_data_usage_notification", title="Update a data usage notification", method="PATCH",
        compensation=restores("get_data_usage_notification", "notification_id", {"sim_card_id": "sim_card_id", "threshold": "threshold"}, "update_data_usage_notification"),
        path="/sim_card_data_usage_notifications/{notification_id}",
        description="Change an alert's threshold or SIM.",
        search_words=("change alert threshold", "move alert to another sim", "edit usage alert"),
        kind="write", reason="A lower threshold only warns sooner. The effect rule asks when the alert would watch "
                             "less, as its delete does: moved to another SIM, or a higher threshold.",
        effects=(OUT_OF_REACH,),
        params=(
            NOTIFICATION_ID,
            body("sim_card_id", uuid()),
            body("threshold", THRESHOLD),
        ),
        returns=shapes.DATA_USAGE_NOTIFICATION,
    ),
    op(
        name="delete_data_usage_notification", title="Delete a data usage notification", method="DELETE",
        compensation=irreversible("A deleted notification cannot be restored; create it again."),
        path="/sim_card_data_usage_notifications/{notification_id}",
        description="Delete a data usage alert; overuse goes unnoticed.",
        search_words=("remove usage alert", "stop notifying", "stop alerts", "delete alert"),
        kind="destructive", reason="Removes a safeguard against overuse; irreversible.",
        params=(NOTIFICATION_ID,), returns=shapes.DATA_USAGE_NOTIFICATION,
    ),
]
