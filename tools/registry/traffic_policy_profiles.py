"""Traffic policy profiles: which services, IP ranges and domains SIM traffic may reach, or at what speed."""

from functools import partial

from . import shapes
from .model import Operation, array, body, enum, nullable, pages, path_id, query, string

op = partial(Operation, toolset="traffic_policy_profiles")

PROFILE_ID = path_id("traffic_policy_profile_id")
SERVICES = array(string(max_length=64), max_items=100)
IP_RANGES = array(string(max_length=64), max_items=100)
DOMAINS = array(string(max_length=253), max_items=100)
BANDWIDTH = {"type": "integer", "enum": [512, 1024]}
TARGETS_NOTE = "At least one of services, ip_ranges or domains."
SERVICES_NOTE = "Service ids from list_traffic_policy_profile_services."

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
            body("limit_bw_kbps", BANDWIDTH),
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
        path="/traffic_policy_profiles/{traffic_policy_profile_id}",
        description="Change a profile's type, targets or bandwidth; applies at once.",
        search_words=(
            "tpp", "change allowlist", "throttle", "slow down", "limit bandwidth", "block more sites",
            "add a domain", "edit the policy", "whitelist to blacklist", "change the policy",
        ),
        kind="destructive", reason="Takes effect at once on every SIM it applies to: a narrower whitelist, a "
                                   "blacklist or a throttle can block or slow live devices.",
        params=(
            PROFILE_ID,
            body("type", enum("whitelist", "blacklist", "throttling")),
            body("services", SERVICES, SERVICES_NOTE),
            body("ip_ranges", IP_RANGES, "CIDR ranges."),
            body("domains", DOMAINS),
            body("limit_bw_kbps", nullable(BANDWIDTH) | {"enum": [512, 1024, None]}, "0: no limit."),
        ),
        returns=shapes.TRAFFIC_POLICY_PROFILE,
    ),
    op(
        name="delete_traffic_policy_profile", title="Delete a traffic policy profile", method="DELETE",
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
