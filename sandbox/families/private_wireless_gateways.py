"""Private wireless gateways: provisioned on a network in minutes, then a group's private data path."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import fleet
from ..handlers import Call, Handlers, Result, contains, eq, list_docs, require, stamp
from ..lifecycle import due_time, finisher
from ..store import Doc, public
from ..validation import unprocessable

if TYPE_CHECKING:
    from ..app import Sandbox

handles = Handlers()
COLL = "private_wireless_gateways"


def render(sb: Sandbox, doc: Doc) -> Doc:
    groups = sum(1 for g in sb.store.all("sim_card_groups") if g.get("private_wireless_gateway_id") == doc["id"])
    return {**public(doc), "assigned_resources": [{"record_type": "sim_card_group", "count": groups}] if groups else []}


@handles("GetPrivateWirelessGateways")
def list_private_wireless_gateways(sb: Sandbox, call: Call) -> Result:
    return list_docs(sb, call, COLL, {
        "filter[name]": lambda d, v: contains(d["name"], v),
        "filter[ip_range]": eq("ip_range"),
        "filter[region_code]": eq("region_code"),
        "filter[created_at]": lambda d, v: d["created_at"].startswith(v),
        "filter[updated_at]": lambda d, v: d["updated_at"].startswith(v),
    }, lambda d: render(sb, d))


@handles("CreatePrivateWirelessGateway")
def create_private_wireless_gateway(sb: Sandbox, call: Call) -> Result:
    body = call.body or {}
    if not body["name"].strip():
        raise unprocessable("name must not be empty", pointer="/name")
    regions = [code for code, _ in fleet.REGIONS["private_wireless_gateways"]]
    region = body.get("region_code") or regions[0]
    if region not in regions:
        raise unprocessable(f"region_code: {region!r} offers no private wireless gateways; use one of "
                            f"{', '.join(regions)} (list_wireless_regions)", pointer="/region_code")
    doc: Doc = {"id": sb.store.new_id(), "record_type": "private_wireless_gateway", "name": body["name"],
                "network_id": body["network_id"], "region_code": region, "ip_range": None,
                "assigned_resources": [],
                "status": {"value": "provisioning", "error_code": None, "error_description": None},
                "_due": due_time(sb, call.now)}
    sb.store.put(COLL, stamp(call, doc))
    sb.store.schedule(COLL, doc)
    return Result(render(sb, doc))


@finisher(COLL)
def _provisioned(sb: Sandbox, doc: Doc, at: str) -> None:
    doc["status"] = {**doc["status"], "value": "provisioned"}
    doc["ip_range"] = f"100.64.{sb.store.count(COLL) + 10}.0/24"
    doc["updated_at"] = at
    sb.store.put(COLL, doc)


@handles("GetPrivateWirelessGateway")
def get_private_wireless_gateway(sb: Sandbox, call: Call) -> Result:
    return Result(render(sb, require(sb, COLL, call.id, "Private wireless gateway")))


@handles("DeleteWirelessGateway")
def delete_private_wireless_gateway(sb: Sandbox, call: Call) -> Result:
    doc = require(sb, COLL, call.id, "Private wireless gateway")
    users = [g["name"] for g in sb.store.all("sim_card_groups") if g.get("private_wireless_gateway_id") == doc["id"]]
    if users:
        raise unprocessable(f"The gateway routes SIM card group(s) {', '.join(users)}; take them off it "
                            "first (remove_group_private_wireless_gateway)", pointer="/id")
    sb.store.delete(COLL, doc["id"])
    doc.pop("_due", None)
    doc["status"] = {**doc["status"], "value": "decommissioning"}
    return Result(stamp(call, public(doc), created=False))
