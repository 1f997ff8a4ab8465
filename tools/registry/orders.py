"""SIM card orders: physical SIMs shipped to an address."""

from functools import partial

from . import shapes
from .model import Operation, body, integer, pages, path_id, query, string

op = partial(Operation, toolset="orders")

ADDRESS_ID = string(max_length=64, pattern="^[A-Za-z0-9_-]+$")
QUANTITY = integer(1, 10000)
ORDER = (  # what an order and its preview both take
    body("quantity", QUANTITY, "How many SIM cards.", required=True),
    body("address_id", ADDRESS_ID, "Id of the shipping address saved in the Telnyx account.", required=True),
)

OPERATIONS = [
    op(
        name="preview_sim_card_order", title="Preview a SIM card order", method="POST", path="/sim_card_order_preview",
        description="Price an order of physical SIMs before placing it: SIM cost, shipping and total. Nothing "
                    "is ordered; place it with create_sim_card_order.",
        kind="read", reason="A quote; nothing is ordered or charged.", idempotent=True, params=ORDER,
        returns=shapes.SIM_CARD_ORDER_PREVIEW,
    ),
    op(
        name="list_sim_card_orders", title="List SIM card orders", method="GET", path="/sim_card_orders",
        description="Past orders of physical SIMs with status, cost, quantity and shipping address.",
        kind="read", reason="Reads only.",
        params=(
            query("filter[created_at]", string(max_length=40, format="date-time"), "Created at (ISO 8601)."),
            query("filter[updated_at]", string(max_length=40, format="date-time"), "Updated at (ISO 8601)."),
            query("filter[quantity]", integer(1), "Number of SIMs ordered."),
            query("filter[cost.amount]", string(max_length=32), "Total cost, e.g. \"2.53\"."),
            query("filter[cost.currency]", string(max_length=3), "Currency (ISO 4217), e.g. \"USD\"."),
            query("filter[address.id]", ADDRESS_ID, "Shipping address id."),
            query("filter[address.street_address]", string(max_length=256), "Street address."),
            query("filter[address.extended_address]", string(max_length=256), "Extended address."),
            query("filter[address.locality]", string(max_length=128), "City."),
            query("filter[address.administrative_area]", string(max_length=128), "State or region."),
            query("filter[address.country_code]", string(max_length=2), "Country (ISO 3166-1 alpha-2)."),
            query("filter[address.postal_code]", string(max_length=32), "Postal code."),
            *pages(),
        ),
        returns=shapes.SIM_CARD_ORDER, returns_list=True, paginated=True,
    ),
    op(
        name="create_sim_card_order", title="Order SIM cards", method="POST", path="/sim_card_orders",
        description="Order physical SIM cards shipped to a saved address; charged to the account. Check the "
                    "price with preview_sim_card_order first. Returns the order; follow it with get_sim_card_order.",
        kind="billable", reason="Places a paid order.", params=ORDER,
        returns=shapes.SIM_CARD_ORDER,
    ),
    op(
        name="get_sim_card_order", title="Get a SIM card order", method="GET", path="/sim_card_orders/{order_id}",
        description="One order: status, cost, quantity, address and tracking link.",
        kind="read", reason="Reads only.",
        params=(path_id("order_id", "SIM card order id (UUID)."),), returns=shapes.SIM_CARD_ORDER,
    ),
]
