"""Traffic policy profiles: allowed or blocked services, IP ranges and domains, or a bandwidth cap."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from .. import fleet
from ..handlers import Call, Handlers, Result, contains, page, require, stamp
from ..store import Doc, public
from ..validation import unprocessable

if TYPE_CHECKING:
    from ..app import Sandbox

handles = Handlers()
COLL = "traffic_policy_profiles"
TARGETS = ("services", "ip_ranges", "domains")


def _checked(doc: Doc) -> Doc:
    known = {code for code, _, _ in fleet.TRAFFIC_POLICY_SERVICES}
    for i, service in enumerate(doc["services"]):
        if service not in known:
            raise unprocessable(f"services/{i}: unknown service {service!r}; see "
                                "list_traffic_policy_profile_services", pointer=f"/services/{i}")
    for i, block in enumerate(doc["ip_ranges"]):
        try:
            ipaddress.ip_network(block, strict=False)
        except ValueError:
            raise unprocessable(f"ip_ranges/{i}: {block!r} is not a CIDR range such as 203.0.113.0/24",
                                pointer=f"/ip_ranges/{i}") from None
    if doc["type"] == "throttling":
        if not doc.get("limit_bw_kbps"):
            raise unprocessable("limit_bw_kbps: a throttling profile needs a bandwidth (512 or 1024)",
                                pointer="/limit_bw_kbps")
    elif not any(doc[k] for k in TARGETS):
        raise unprocessable("give at least one of services, ip_ranges or domains", pointer="/")
    return doc


@handles("GetTrafficPolicyProfiles")
def list_traffic_policy_profiles(sb: Sandbox, call: Call) -> Result:
    kind, service, sort = call.q("filter[type]"), call.q("filter[service]"), call.q("sort")
    docs = [d for d in sb.store.all(COLL)
            if (kind is None or d["type"] == kind) and (service is None or service in d["services"])]
    if sort:
        docs.sort(key=lambda d: str(d[sort.lstrip("-")]), reverse=sort.startswith("-"))
    return page(call, docs, public)


@handles("CreateTrafficPolicyProfile")
def create_traffic_policy_profile(sb: Sandbox, call: Call) -> Result:
    body: dict[str, Any] = call.body or {}
    doc: Doc = {"id": sb.store.new_id(), "record_type": "traffic_policy_profile", "type": body["type"],
                **{k: list(body.get(k, [])) for k in TARGETS}, "limit_bw_kbps": body.get("limit_bw_kbps")}
    return Result(public(sb.store.put(COLL, stamp(call, _checked(doc)))))


@handles("GetTrafficPolicyProfileServices")
def list_traffic_policy_profile_services(sb: Sandbox, call: Call) -> Result:
    group, name = call.q("filter[group]"), call.q("filter[name]")
    services = [s for s in fleet.TRAFFIC_POLICY_SERVICES
                if (group is None or s[2] == group) and (name is None or contains(s[1], name))]
    return page(call, services, lambda s: {"id": s[0], "name": s[1], "group": s[2],
                                           "resource_type": "traffic_policy_service"})


@handles("GetTrafficPolicyProfile")
def get_traffic_policy_profile(sb: Sandbox, call: Call) -> Result:
    return Result(public(require(sb, COLL, call.id, "Traffic policy profile")))


@handles("UpdateTrafficPolicyProfile")
def update_traffic_policy_profile(sb: Sandbox, call: Call) -> Result:
    doc = dict(require(sb, COLL, call.id, "Traffic policy profile"))
    doc.update(call.body or {})
    return Result(public(sb.store.put(COLL, stamp(call, _checked(doc), created=False))))


@handles("DeleteTrafficPolicyProfile")
def delete_traffic_policy_profile(sb: Sandbox, call: Call) -> Result:
    doc = require(sb, COLL, call.id, "Traffic policy profile")
    sb.store.delete(COLL, doc["id"])
    return Result({"id": doc["id"]})
