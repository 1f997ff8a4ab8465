"""SIM card orders: physical SIMs shipped to an address."""

from functools import partial

from . import shapes
from .model import irreversible, Operation, body, integer, pages, path_id, query, string

op = partial(Operation, toolset="orders")

ADDRESS_ID = string(max_length=64, pattern="^[A-Za-z0-9_-]+$")
QUANTITY = integer(1, 10000)
ORDER = (  # what an order and its preview both take
    body("quantity", QUANTITY, required=True),
    body("address_id", ADDRESS_ID, "A saved shipping address.", required=True),
)

OPERATIONS = [
    op(
        name="preview_sim_card_order", title="Preview a SIM card order", method="POST", path="/sim_card_order_preview",
        description="Price a SIM order (SIMs, shipping, total); orders nothing.",
        search_words=(
            "how much would it cost", "price", "quote", "estimate", "shipping cost", "cost of ordering sims",
            "before ordering",
        ),
        kind="read", reason="A quote; nothing is ordered or charged.", idempotent=True, params=ORDER,
        returns=shapes.SIM_CARD_ORDER_PREVIEW,
    ),
    op(
        name="list_sim_card_orders", title="List SIM card orders", method="GET", path="/sim_card_orders",
        description="Past SIM orders: status, cost, quantity, address.",
        search_words=("past orders", "order history", "what we ordered", "order costs"),
        kind="read", reason="Reads only.",
        params=(
            query("filter[created_at]", string(max_length=40, format="date-time")),
            query("filter[updated_at]", string(max_length=40, format="date-time")),
            query("filter[quantity]", integer(1)),
            query("filter[cost.amount]", string(max_length=32)),
            query("filter[cost.currency]", string(max_length=3)),
            query("filter[address.id]", ADDRESS_ID),
            query("filter[address.street_address]", string(max_length=256)),
            query("filter[address.extended_address]", string(max_length=256)),
            query("filter[address.locality]", string(max_length=128), "City."),
            query("filter[address.administrative_area]", string(max_length=128)),
            query("filter[address.country_code]", string(max_length=2)),
            query("filter[address.postal_code]", string(max_length=32)),
            *pages(),
        ),
        returns=shapes.SIM_CARD_ORDER, returns_list=True, paginated=True,
    ),
    op(
        name="create_sim_card_order", title="Order SIM cards", method="POST", path="/sim_card_orders",
        compensation=irreversible("An order is charged and shipped; Telnyx support can cancel one."),
        description="Order physical SIMs shipped to a saved address (charged).",
        search_words=(
            "buy physical sims", "order sims", "ship sims", "send sims to address", "purchase sim cards",
            "more plastic sims",
        ),
        kind="billable", reason="Places a paid order.", params=ORDER,
        returns=shapes.SIM_CARD_ORDER,
    ),
    op(
        name="get_sim_card_order", title="Get a SIM card order", method="GET", path="/sim_card_orders/{order_id}",
        description="One SIM order: status, cost, address, tracking link.",
        search_words=("order status", "tracking", "where is my order", "shipped", "delivery", "one order"),
        kind="read", reason="Reads only.",
        params=(path_id("order_id"),), returns=shapes.SIM_CARD_ORDER,
    ),
]
