"""Data usage notifications: alerts when a SIM passes a data threshold."""

from functools import partial

from . import shapes
from .model import Operation, amount_unit, body, pages, path_id, query, uuid

op = partial(Operation, toolset="data_usage_notifications")

NOTIFICATION_ID = path_id("notification_id", "Data usage notification id (UUID).")
THRESHOLD = amount_unit("Data used this billing period that triggers the notification")

OPERATIONS = [
    op(
        name="list_data_usage_notifications", title="List data usage notifications", method="GET",
        path="/sim_card_data_usage_notifications",
        description="Data usage alerts set on SIM cards, with their thresholds; filter by SIM.",
        kind="read", reason="Reads only.",
        params=(query("filter[sim_card_id]", uuid(), "Only notifications of this SIM card."), *pages()),
        returns=shapes.DATA_USAGE_NOTIFICATION, returns_list=True, paginated=True,
    ),
    op(
        name="create_data_usage_notification", title="Create a data usage notification", method="POST",
        path="/sim_card_data_usage_notifications",
        description="Get notified when a SIM uses more than a threshold of data this billing period. Returns "
                    "the notification.",
        kind="write", reason="Adds an alert; costs nothing and changes no service.",
        params=(
            body("sim_card_id", uuid(), "SIM card to watch (UUID).", required=True),
            body("threshold", THRESHOLD, "When to notify, e.g. {\"amount\": \"1\", \"unit\": \"GB\"}.", required=True),
        ),
        returns=shapes.DATA_USAGE_NOTIFICATION,
    ),
    op(
        name="get_data_usage_notification", title="Get a data usage notification", method="GET",
        path="/sim_card_data_usage_notifications/{notification_id}",
        description="One data usage notification and its threshold.",
        kind="read", reason="Reads only.", params=(NOTIFICATION_ID,), returns=shapes.DATA_USAGE_NOTIFICATION,
    ),
    op(
        name="update_data_usage_notification", title="Update a data usage notification", method="PATCH",
        path="/sim_card_data_usage_notifications/{notification_id}",
        description="Change a notification's threshold or move it to another SIM.",
        kind="write", reason="Changes an alert; can be changed back.",
        params=(
            NOTIFICATION_ID,
            body("sim_card_id", uuid(), "SIM card to watch instead (UUID)."),
            body("threshold", THRESHOLD, "New threshold."),
        ),
        returns=shapes.DATA_USAGE_NOTIFICATION,
    ),
    op(
        name="delete_data_usage_notification", title="Delete a data usage notification", method="DELETE",
        path="/sim_card_data_usage_notifications/{notification_id}",
        description="Stop a data usage alert; overuse will go unnoticed. Cannot be undone.",
        kind="destructive", reason="Removes a safeguard against overuse; irreversible.",
        params=(NOTIFICATION_ID,), returns=shapes.DATA_USAGE_NOTIFICATION,
    ),
]
