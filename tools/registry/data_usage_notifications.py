"""Data usage notifications: alerts when a SIM passes a data threshold."""

from functools import partial

from . import shapes
from .model import Compensation, irreversible, restores, Operation, amount_unit, body, pages, path_id, query, uuid

op = partial(Operation, toolset="data_usage_notifications")

NOTIFICATION_ID = path_id("notification_id")
THRESHOLD = amount_unit()

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
        kind="write", reason="Changes an alert; can be changed back.",
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
