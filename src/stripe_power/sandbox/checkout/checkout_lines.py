"""Line items of Checkout Sessions and Payment Links: prices (by id or inline), quantities and
adjustable quantities, and the `item` objects Stripe lists for them."""

from __future__ import annotations

from typing import Any

from ..billing import catalog
from ..core.errors import invalid, missing_param, no_such, unknown_param
from ..core.ids import new_id
from ..core.router import Ctx
from ..core.store import JSON, Account, as_bool, as_dict, as_int, as_list, skeleton

_LINE_ITEM_KEYS = {
    "price",
    "price_data",
    "quantity",
    "adjustable_quantity",
    "dynamic_tax_rates",
    "tax_rates",
    "metadata",
}
_PRICE_DATA_KEYS = {
    "currency",
    "product",
    "product_data",
    "unit_amount",
    "unit_amount_decimal",
    "recurring",
    "tax_behavior",
}


def build_line_items(ctx: Ctx, raw: Any, param: str = "line_items") -> list[tuple[JSON, int, JSON]]:
    """Resolve ``line_items`` into (price, quantity, adjustable_quantity) triples."""
    items = as_list(raw, param)
    out: list[tuple[JSON, int, JSON]] = []
    for i, item_raw in enumerate(items):
        ip = f"{param}[{i}]"
        item = as_dict(item_raw, ip)
        for key in item:
            if key not in _LINE_ITEM_KEYS:
                raise unknown_param(f"{ip}[{key}]")
        if "price" in item and "price_data" in item:
            raise invalid(
                "You may only specify one of these parameters: price, price_data.", param=f"{ip}[price]"
            )
        if "price" in item:
            price = ctx.acct.find("price", item["price"])
            if price is None:
                raise no_such("price", str(item["price"]), param=f"{ip}[price]", status=400)
            if not price["active"]:
                raise invalid(
                    f"The price `{price['id']}` is not active, and so cannot be used.", param=f"{ip}[price]"
                )
        elif "price_data" in item:
            pd = as_dict(item["price_data"], f"{ip}[price_data]")
            for key in pd:
                if key not in _PRICE_DATA_KEYS:
                    raise unknown_param(f"{ip}[price_data][{key}]")
            price = catalog.make_price(ctx, pd, f"{ip}[price_data]", inline=True)
        else:
            raise invalid(f"You must specify either `price` or `price_data` in {ip}.", param=f"{ip}[price]")
        qty = as_int(item.get("quantity", 1), f"{ip}[quantity]", minimum=0)
        if "quantity" not in item and "adjustable_quantity" not in item:
            raise missing_param(f"{ip}[quantity]")
        adjustable: JSON = {}
        if "adjustable_quantity" in item:
            aq = as_dict(item["adjustable_quantity"], f"{ip}[adjustable_quantity]")
            enabled = as_bool(aq.get("enabled", False), f"{ip}[adjustable_quantity][enabled]")
            adjustable = {
                "enabled": enabled,
                "maximum": as_int(aq["maximum"], f"{ip}[adjustable_quantity][maximum]")
                if "maximum" in aq
                else None,
                "minimum": as_int(aq["minimum"], f"{ip}[adjustable_quantity][minimum]")
                if "minimum" in aq
                else None,
            }
        out.append((price, qty, adjustable))
    return out


def line_item_object(ctx: Ctx, price: JSON, qty: int) -> JSON:
    product = ctx.acct.objects.get(price["product"], {})
    amount = int(price["unit_amount"] or 0) * qty
    item: JSON = skeleton("item")
    item.update(
        id=new_id("li", 24),
        object="item",
        amount_discount=0,
        amount_subtotal=amount,
        amount_tax=0,
        amount_total=amount,
        currency=price["currency"],
        description=product.get("name"),
        price=price,
        quantity=qty,
    )
    ctx.acct.add(item)
    return item


def lines_list(acct: Account, owner: JSON, url: str) -> JSON:
    """The ``line_items`` list of a session or a link (``expand[]=line_items``)."""
    ids = acct.priv(owner).get("line_item_ids", [])
    return {"object": "list", "data": [acct.objects[i] for i in ids], "has_more": False, "url": url}
