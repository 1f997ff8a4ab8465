"""Private wireless gateways: a SIM card group's data path into the user's own Telnyx network."""

from functools import partial

from . import shapes
from .model import Compensation, irreversible, Operation, body, pages, path_id, query, string, uuid

op = partial(Operation, toolset="private_wireless_gateways")

GATEWAY_ID = path_id("private_wireless_gateway_id")

OPERATIONS = [
    op(
        name="list_private_wireless_gateways", title="List private wireless gateways", method="GET",
        path="/private_wireless_gateways",
        description="Private wireless gateways: name, network, region, IP range, status.",
        search_words=(
            "pwg", "private apn", "private network", "vpn for sims", "gateways we have", "ip range of the gateway",
            "pwgs", "which gateways", "ip ranges",
        ),
        kind="read", reason="Reads only.",
        params=(
            query("filter[name]", string(max_length=128)),
            query("filter[ip_range]", string(max_length=64), "e.g. \"100.64.1.0/24\""),
            query("filter[region_code]", string(max_length=32)),
            query("filter[created_at]", string(max_length=32)),
            query("filter[updated_at]", string(max_length=32)),
            *pages(),
        ),
        returns=shapes.PRIVATE_WIRELESS_GATEWAY, returns_list=True, paginated=True,
    ),
    op(
        name="create_private_wireless_gateway", title="Create a private wireless gateway", method="POST",
        compensation=Compensation(deletes="delete_private_wireless_gateway"),
        path="/private_wireless_gateways",
        description="Provision a gateway on a Telnyx network (async, ~15 min: poll "
                    "get_private_wireless_gateway until provisioned).",
        search_words=(
            "pwg", "new private network", "private apn", "set up a gateway", "route traffic privately",
            "provision gateway",
            "private ip range", "new pwg",
        ),
        kind="billable", reason="Provisions network infrastructure on the account; Telnyx publishes no price for "
                                "it, so it is treated as chargeable until one is known.",
        params=(
            body("name", string(max_length=128, minLength=1), required=True),
            body("network_id", uuid(), "The Telnyx network; a gateway cannot move to another later.",
                 required=True),
            body("region_code", string(max_length=32), "From list_wireless_regions."),
        ),
        returns=shapes.PRIVATE_WIRELESS_GATEWAY,
    ),
    op(
        name="get_private_wireless_gateway", title="Get a private wireless gateway", method="GET",
        path="/private_wireless_gateways/{private_wireless_gateway_id}",
        description="One gateway: status (provisioning, provisioned, failed), region, IP range.",
        search_words=(
            "pwg", "gateway status", "is the gateway ready", "provisioned yet", "gateway ip range",
        ),
        kind="read", reason="Reads only.", params=(GATEWAY_ID,), returns=shapes.PRIVATE_WIRELESS_GATEWAY,
    ),
    op(
        name="delete_private_wireless_gateway", title="Delete a private wireless gateway", method="DELETE",
        compensation=irreversible("A deleted gateway cannot be restored."),
        path="/private_wireless_gateways/{private_wireless_gateway_id}",
        description="Decommission a gateway; groups routed through it lose that network.",
        search_words=(
            "pwg", "decommission", "tear down gateway", "remove private network", "get rid of gateway",
            "delete pwg", "moved off the gateway",
        ),
        kind="destructive", reason="Cuts the private data path of every group routed through it; getting it "
                                   "back means a new gateway (about 15 minutes, a new IP range).",
        params=(GATEWAY_ID,), returns=shapes.PRIVATE_WIRELESS_GATEWAY,
    ),
]
