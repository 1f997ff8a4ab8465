"""Over-the-air updates pushed to SIM cards (network preferences)."""

from functools import partial

from . import shapes
from .model import Operation, enum, pages, path_id, query, safe_id

op = partial(Operation, toolset="ota_updates")

OPERATIONS = [
    op(
        name="list_ota_updates", title="List OTA updates", method="GET", path="/ota_updates",
        description="Over-the-air updates sent to SIMs (network preferences).",
        search_words=(
            "over the air", "ota history", "network preferences sent", "updates pushed to sims",
            "sim profile updates",
        ),
        kind="read", reason="Reads only.",
        params=(
            query("filter[sim_card_id]", safe_id()),
            query("filter[status]", enum("in-progress", "completed", "failed")),
            query("filter[type]", enum("sim_card_network_preferences")),
            *pages(),
        ),
        returns=shapes.OTA_UPDATE, returns_list=True, paginated=True,
    ),
    op(
        name="get_ota_update", title="Get an OTA update", method="GET", path="/ota_updates/{ota_update_id}",
        description="One OTA update with the operator preferences it sent.",
        search_words=(
            "one ota update", "ota details", "operator preferences sent", "what did the update send",
            "over the air update",
        ),
        kind="read", reason="Reads only.",
        params=(path_id("ota_update_id"),), returns=shapes.OTA_UPDATE,
    ),
]
