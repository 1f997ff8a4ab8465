"""Traffic policy profiles: which services, IP ranges and domains SIM traffic may reach, or at what speed."""

from functools import partial
from typing import Any

from ..words import clean, quoted
from . import shapes
from .model import Compensation, irreversible, restores, Effect, Operation, Read, StateUnknown, array, body, enum, nullable, pages, path_id, query, string

op = partial(Operation, toolset="traffic_policy_profiles")

PROFILE_ID = path_id("traffic_policy_profile_id")
SERVICES = array(string(max_length=64), max_items=100)
IP_RANGES = array(string(max_length=64), max_items=100)
DOMAINS = array(string(max_length=253), max_items=100)
BANDWIDTH = {"type": "integer", "enum": [512, 1024]}
TARGETS_NOTE = "At least one of services, ip_ranges or domains."
SERVICES_NOTE = "Service ids from list_traffic_policy_profile_services."

TARGETS = ("services", "ip_ranges", "domains")


async def _narrows(arguments: dict[str, Any], read: Read) -> str | None:
    """What of the change lets less traffic through: another type, fewer allowed targets on a whitelist, more
    blocked ones on a blacklist, a lower bandwidth on any profile."""
    found = await read("get_traffic_policy_profile", {"traffic_policy_profile_id": arguments["traffic_policy_profile_id"]})
    if not isinstance(found, dict) or found.get("type") not in ("whitelist", "blacklist", "throttling"):
        raise StateUnknown("the profile's type")
    name, old = f"traffic policy profile {clean(arguments['traffic_policy_profile_id'], 40)}", found["type"]
    new = arguments.get("type", old)
    if new != old:
        return (f"Changes {name} from {old} to {new}: the traffic of every SIM it applies to is filtered "
                "differently at once.")
    changed = []
    for target in TARGETS:
        if target not in arguments:
            continue
        if not isinstance(found.get(target), list):
            raise StateUnknown(f"the profile's {target.replace('_', ' ')}")
        before, after = set(map(str, found[target])), set(map(str, arguments[target]))
        gone, more = sorted(before - after), sorted(after - before)
        if old == "whitelist" and gone:
            changed.append(f"stops allowing {len(gone)} {target.replace('_', ' ')} ({_few(gone)})")
        if old == "blacklist" and more:
            changed.append(f"blocks {len(more)} more {target.replace('_', ' ')} ({_few(more)})")
    if arguments.get("limit_bw_kbps"):  # any type of profile can carry a bandwidth; 0 or null lifts it
        limit = found.get("limit_bw_kbps")
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool)):
            raise StateUnknown("the profile's bandwidth")
        if not limit or arguments["limit_bw_kbps"] < limit:
            changed.append(f"slows traffic to {arguments['limit_bw_kbps']} kbps"
                           + (f" from {limit} kbps" if limit else " (no limit now)"))
    if not changed:
        return None
    return f"{name.capitalize()} ({old}) {'; '.join(changed)}: SIMs it applies to lose that traffic at once."


def _few(items: list[str]) -> str:
    shown = ", ".join(quoted(item, 40) for item in items[:3])
    return shown + (f" and {len(items) - 3} more" if len(items) > 3 else "")


NARROWS = Effect(kind="destructive", arguments=("type", *TARGETS, "limit_bw_kbps"), test=_narrows,
                 when="less traffic would pass (type, targets, bandwidth)")

OPERATIONS = [
    op(
        name="list_traffic_policy_profiles", title="List traffic policy profiles", method="GET",
        path="/traffic_policy_profiles",
        description="Traffic policy profiles (whitelist, blacklist, throttling) and what they cover.",
        search_words=(
            "tpp", "allowlist", "denylist", "firewall rules", "content filter", "throttle", "bandwidth cap",
            "policies", "limit what devices can reach", "restrictions on traffic",
        ),
        kind="read", reason="Reads only.",
        params=(
            query("filter[type]", enum("whitelist", "blacklist", "throttling")),
            query("filter[service]", string(max_length=64), "A service id."),
            query("sort", enum("service", "-service", "type", "-type")),
            *pages(),
        ),
        returns=shapes.TRAFFIC_POLICY_PROFILE, returns_list=True, paginated=True,
    ),
    op(
        name="create_traffic_policy_profile", title="Create a traffic policy profile", method="POST",
        compensation=Compensation(deletes="delete_traffic_policy_profile"),
        path="/traffic_policy_profiles",
        description="Create a whitelist or blacklist of services, IP ranges or domains. " + TARGETS_NOTE,
        search_words=(
            "tpp", "allowlist", "denylist", "restrict traffic", "block sites", "block apps", "streaming", "youtube", "only allow", "firewall",
        ),
        kind="write", reason="Creates a profile that affects no SIM until it is applied.",
        wire_note="The API description allows only whitelist|blacklist and 512|1024 kbps on create (the docs "
                  "show throttling at 256): the entry follows the API description and the SDKs; make a "
                  "throttling profile by updating one.",
        params=(
            body("type", enum("whitelist", "blacklist"), required=True),
            body("services", SERVICES, SERVICES_NOTE),
            body("ip_ranges", IP_RANGES, "CIDR ranges."),
            body("domains", DOMAINS),
            body("limit_bw_kbps", BANDWIDTH, "512 or 1024."),
        ),
        returns=shapes.TRAFFIC_POLICY_PROFILE,
    ),
    op(
        name="list_traffic_policy_profile_services", title="List traffic policy services", method="GET",
        path="/traffic_policy_profiles/services",
        description="Services a traffic policy can name (id, name, group).",
        search_words=(
            "apps", "service catalogue", "which services can be blocked", "traffic categories", "pcef",
        ),
        kind="read", reason="Reads only.",
        params=(
            query("filter[group]", string(max_length=64)),
            query("filter[name]", string(max_length=128)),
            *pages(),
        ),
        returns=shapes.TRAFFIC_POLICY_SERVICE, returns_list=True, paginated=True,
    ),
    op(
        name="get_traffic_policy_profile", title="Get a traffic policy profile", method="GET",
        path="/traffic_policy_profiles/{traffic_policy_profile_id}",
        description="One traffic policy profile: type, services, IP ranges, domains, bandwidth.",
        search_words=(
            "tpp", "allowlist", "denylist", "policy details", "what does the policy allow",
        ),
        kind="read", reason="Reads only.", params=(PROFILE_ID,), returns=shapes.TRAFFIC_POLICY_PROFILE,
    ),
    op(
        name="update_traffic_policy_profile", title="Update a traffic policy profile", method="PATCH",
        compensation=restores("get_traffic_policy_profile", "traffic_policy_profile_id", {name: name for name in ("type", "services", "ip_ranges", "domains", "limit_bw_kbps")}, "update_traffic_policy_profile"),
        path="/traffic_policy_profiles/{traffic_policy_profile_id}",
        description="Change a profile's type, targets or bandwidth; applies at once.",
        search_words=(
            "tpp", "change allowlist", "throttle", "slow down", "limit bandwidth", "block more sites",
            "add a domain", "edit the policy", "whitelist to blacklist", "change the policy",
        ),
        kind="write", reason="Takes effect at once on every SIM it applies to, so the effect rule asks whenever "
                             "less traffic would pass (another type, a narrower whitelist, a longer blacklist, a "
                             "lower bandwidth on any type); a wider whitelist, a shorter blacklist or a lifted "
                             "limit only lets more through.",
        effects=(NARROWS,),
        params=(
            PROFILE_ID,
            body("type", enum("whitelist", "blacklist", "throttling")),
            body("services", SERVICES, SERVICES_NOTE),
            body("ip_ranges", IP_RANGES, "CIDR ranges."),
            body("domains", DOMAINS),
            body("limit_bw_kbps", nullable(BANDWIDTH) | {"enum": [512, 1024, None]}, "512 or 1024; 0: no limit."),
        ),
        returns=shapes.TRAFFIC_POLICY_PROFILE,
    ),
    op(
        name="delete_traffic_policy_profile", title="Delete a traffic policy profile", method="DELETE",
        compensation=irreversible("A deleted profile cannot be restored."),
        path="/traffic_policy_profiles/{traffic_policy_profile_id}",
        description="Delete a traffic policy profile.",
        search_words=(
            "tpp", "remove policy", "drop allowlist", "get rid of filter",
            "remove the policy", "throttling policy", "no longer need the policy",
        ),
        kind="destructive", reason="Irreversible; what happens to SIMs it applied to is not documented, so "
                                   "it is treated as a change to their traffic.",
        params=(PROFILE_ID,), returns=shapes.TRAFFIC_POLICY_PROFILE,
    ),
]
