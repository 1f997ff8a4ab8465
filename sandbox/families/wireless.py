"""Wireless: regions, mobile network operators, blocklist values, and the wireless blocklists groups can use."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING

from .. import fleet
from ..handlers import Call, Handlers, Result, contains, eq, list_docs, page, require, stamp
from ..store import Doc, iso, public
from ..validation import unprocessable

if TYPE_CHECKING:
    from ..app import Sandbox

handles = Handlers()


@handles("WirelessRegionsGetAll")
def list_wireless_regions(sb: Sandbox, call: Call) -> Result:
    product = call.q("product")
    if product not in fleet.REGIONS:
        raise unprocessable(f"product: {product!r} is not one of "
                            f"{', '.join(fleet.REGIONS)}", parameter="product")
    at = iso(fleet.FLEET_EPOCH - 365 * fleet.DAY)
    return Result([{"code": c, "name": n, "inserted_at": at, "updated_at": at}
                   for c, n in fleet.REGIONS[product]])


@handles("WirelessBlocklistsGetAll")
def list_wireless_blocklist_values(sb: Sandbox, call: Call) -> Result:
    values = fleet.BLOCKLIST_VALUES[call.q("type")]
    return page(call, list(values), lambda cn: {"code": cn[0], "name": cn[1]})


@handles("GetMobileNetworkOperators")
def list_mobile_network_operators(sb: Sandbox, call: Call) -> Result:
    fields = {"filter[country_code]": 1, "filter[mcc]": 2, "filter[mnc]": 3, "filter[tadig]": 4}
    name = {k: call.q(f"filter[name][{k}]") for k in ("contains", "starts_with", "ends_with")}
    if call.q("filter[network_preferences_enabled]") is True:  # a feature Telnyx has retired
        return page(call, [], public)
    operators = [o for o in fleet.MOBILE_NETWORK_OPERATORS
                 if all(call.q(f) is None or o[i] == call.q(f) for f, i in fields.items())
                 and (name["contains"] is None or contains(o[0], name["contains"]))
                 and (name["starts_with"] is None or o[0].lower().startswith(name["starts_with"].lower()))
                 and (name["ends_with"] is None or o[0].lower().endswith(name["ends_with"].lower()))]
    return page(call, operators, lambda o: {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"mno:{o[2]}{o[3]}")), "record_type": "mobile_network_operator",
        "name": o[0], "country_code": o[1], "mcc": o[2], "mnc": o[3], "tadig": o[4],
        "network_preferences_enabled": False})


def _values(kind: str, values: list[str]) -> list[str]:
    pattern = {"country": r"[A-Z]{2}", "mcc": r"\d{3}", "plmn": r"\d{5,6}"}[kind]
    example = {"country": "US", "mcc": "310", "plmn": "310410"}[kind]
    for i, value in enumerate(values):
        if not re.fullmatch(pattern, value):
            raise unprocessable(f"values/{i}: {value!r} is not a valid {kind} code "
                                f"(e.g. {example!r})", pointer=f"/values/{i}")
    return list(dict.fromkeys(values))


@handles("GetWirelessBlocklistsGateways")
def list_wireless_blocklists(sb: Sandbox, call: Call) -> Result:
    return list_docs(sb, call, "wireless_blocklists", {
        "filter[name]": lambda d, v: contains(d["name"], v),
        "filter[type]": eq("type"),
        "filter[values]": lambda d, v: all(x in d["values"] for x in v.split(",") if x),
    })


@handles("CreateWirelessBlocklist")
def create_wireless_blocklist(sb: Sandbox, call: Call) -> Result:
    body = call.body or {}
    if not body["name"].strip():
        raise unprocessable("name must not be empty", pointer="/name")
    doc: Doc = {"id": sb.store.new_id(), "record_type": "wireless_blocklist",
                "name": body["name"], "type": body["type"],
                "values": _values(body["type"], body["values"])}
    return Result(public(sb.store.put("wireless_blocklists", stamp(call, doc))))


@handles("GetWirelessBlocklist")
def get_wireless_blocklist(sb: Sandbox, call: Call) -> Result:
    return Result(public(require(sb, "wireless_blocklists", call.id, "Wireless blocklist")))


@handles("UpdateWirelessBlocklist")
def update_wireless_blocklist(sb: Sandbox, call: Call) -> Result:
    doc = require(sb, "wireless_blocklists", call.id, "Wireless blocklist")
    body = call.body or {}
    if "name" in body and not body["name"].strip():
        raise unprocessable("name must not be empty", pointer="/name")
    if "values" in body:
        doc["values"] = _values(doc["type"], body["values"])
    if "name" in body:
        doc["name"] = body["name"]
    return Result(public(sb.store.put("wireless_blocklists", stamp(call, doc, created=False))))


@handles("DeleteWirelessBlocklist")
def delete_wireless_blocklist(sb: Sandbox, call: Call) -> Result:
    doc = require(sb, "wireless_blocklists", call.id, "Wireless blocklist")
    users = [g["name"] for g in sb.store.all("sim_card_groups")
             if g.get("wireless_blocklist_id") == doc["id"]]
    if users:
        # Telnyx does not document this case; the sandbox refuses rather than silently
        # unblocking the networks for every SIM in those groups.
        raise unprocessable(f"The blocklist is assigned to SIM card group(s) "
                            f"{', '.join(users)}; remove it from them first", pointer="/id",
                            code="10021")
    sb.store.delete("wireless_blocklists", doc["id"])
    return Result(public(doc))
