"""OTA updates: the over-the-air profile updates the network sent to SIM cards (read only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..handlers import Call, Handlers, Result, eq, keys, list_docs, require
from ..store import public

if TYPE_CHECKING:
    from ..app import Sandbox

handles = Handlers()


@handles("ListOtaUpdates")
def list_ota_updates(sb: Sandbox, call: Call) -> Result:
    shown = keys("SimplifiedOTAUpdate")
    return list_docs(sb, call, "ota_updates", {
        "filter[sim_card_id]": eq("sim_card_id"),
        "filter[status]": eq("status"),
        "filter[type]": eq("type"),
    }, lambda d: {k: d[k] for k in shown if k in d}, newest_first=True)


@handles("GetOtaUpdate")
def get_ota_update(sb: Sandbox, call: Call) -> Result:
    return Result(public(require(sb, "ota_updates", call.id, "OTA update")))
