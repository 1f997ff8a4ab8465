"""SIM card orders: price previews, orders and their shipping progress."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from .. import fleet
from ..handlers import Call, Handlers, Result, eq, page, require, stamp
from ..store import Doc, iso, public
from ..validation import unprocessable

if TYPE_CHECKING:
    from ..app import Sandbox

handles = Handlers()

ORDER_STAGES = ("pending", "processing", "ready_to_ship", "shipped", "delivered")


def render_order(sb: Sandbox, order: Doc) -> dict[str, Any]:
    """An order advances one stage per `3 * action_delay` seconds after it was placed."""
    out = public(order)
    t0 = order.get("_t0")
    if t0 is not None and out.get("status") != "canceled":
        step = max(sb.action_delay * 3, 1e-9)
        stage = min(len(ORDER_STAGES) - 1, int((sb.store.now() - t0) / step))
        out["status"] = ORDER_STAGES[stage]
        if stage > 0:
            out["updated_at"] = iso(t0 + stage * step)
        if stage >= ORDER_STAGES.index("shipped"):
            out["tracking_url"] = f"https://tracking.example.com/{order['id'][:8]}"
    return out


def _address(sb: Sandbox, body: dict[str, Any]) -> Doc:
    # The 66 operations have no address listing, so the error names the sandbox's own.
    if sb.store.get("addresses", body["address_id"]) is None:
        raise unprocessable(f"address_id: no address with id {body['address_id']!r}; the "
                            f"sandbox knows {', '.join(sb.address_ids())}",
                            pointer="/address_id")
    return require(sb, "addresses", body["address_id"], "Address", "/address_id")


@handles("PreviewSimCardOrders")
def preview_sim_card_order(sb: Sandbox, call: Call) -> Result:
    body = call.body or {}
    _address(sb, body)
    quantity = body["quantity"]
    sims = f"{quantity * float(fleet.SIM_PRICE):.2f}"
    return Result({
        "record_type": "sim_card_order_preview",
        "quantity": quantity,
        "sim_cards_cost": {"amount": sims, "currency": fleet.CURRENCY},
        "shipping_cost": {"amount": fleet.SHIPPING, "currency": fleet.CURRENCY},
        "total_cost": {"amount": fleet.order_cost(quantity), "currency": fleet.CURRENCY},
    })


@handles("CreateSimCardOrder")
def create_sim_card_order(sb: Sandbox, call: Call) -> Result:
    body = call.body or {}
    address = _address(sb, body)
    order: Doc = {"id": sb.store.new_id(), "record_type": "sim_card_order",
                  "quantity": body["quantity"],
                  "cost": {"amount": fleet.order_cost(body["quantity"]),
                           "currency": fleet.CURRENCY},
                  "order_address": dict(address), "status": "pending", "_t0": call.now}
    sb.store.put("sim_card_orders", stamp(call, order))
    return Result(render_order(sb, order))


@handles("GetSimCardOrders")
def list_sim_card_orders(sb: Sandbox, call: Call) -> Result:
    filters: dict[str, Callable[[Doc, Any], bool]] = {
        f"filter[address.{f}]": (lambda f: lambda d, v: d["order_address"].get(f) == v)(f)
        for f in ("administrative_area", "country_code", "extended_address", "id",
                  "locality", "postal_code", "street_address")
    }
    if "filter[cost.amount]" in call.query:
        try:
            wanted = Decimal(call.query["filter[cost.amount]"])
        except InvalidOperation:
            raise unprocessable("filter[cost.amount]: not a decimal number",
                                parameter="filter[cost.amount]") from None
        filters["filter[cost.amount]"] = lambda d, v: Decimal(d["cost"]["amount"]) == wanted
    filters["filter[cost.currency]"] = lambda d, v: d["cost"]["currency"] == v
    filters["filter[quantity]"] = eq("quantity")
    for stamp_name in ("created_at", "updated_at"):
        filters[f"filter[{stamp_name}]"] = (lambda s: lambda d, v: d[s][:10] == v[:10])(stamp_name)
    rendered = [render_order(sb, o) for o in sb.store.all("sim_card_orders")]
    active = [(fn, call.query[name]) for name, fn in filters.items() if name in call.query]
    keep = [o for o in rendered if all(fn(o, v) for fn, v in active)]
    return page(call, keep, lambda o: o)


@handles("GetSimCardOrder")
def get_sim_card_order(sb: Sandbox, call: Call) -> Result:
    return Result(render_order(sb, require(sb, "sim_card_orders", call.id, "SIM card order")))
