"""Invoice items: one-off charges (or credits) waiting for the customer's next invoice, or on a draft."""

from __future__ import annotations

from . import catalog, invoice_totals
from .errors import invalid, missing_param, no_such
from .ids import new_id
from .invoice_lifecycle import attach_invoice_item
from .router import Ctx, Router
from .store import (
    JSON,
    apply_metadata,
    as_bool,
    as_dict,
    as_int,
    as_str,
    now,
    paginate,
    skeleton,
)


def create_invoice_item(ctx: Ctx) -> JSON:
    p = ctx.params
    acct = ctx.acct
    if "customer" not in p:  # the spec leaves it optional (customer or customer_account); we serve customers
        raise missing_param("customer")
    cust_id = as_str(p["customer"], "customer")
    acct.get("customer", cust_id, param="customer", status=400)
    inv = None
    if "invoice" in p:
        inv = acct.get("invoice", as_str(p["invoice"], "invoice"), param="invoice", status=400)
        if inv["status"] != "draft":
            raise invalid("You can only add invoice items to draft invoices.", param="invoice")
        if inv["customer"] != cust_id:
            raise invalid("The invoice belongs to a different customer.", param="invoice")
    qty = as_int(p.get("quantity", 1), "quantity", minimum=0)
    price_id = None
    if "price" in p:
        price_id = as_str(p["price"], "price")
    if "pricing" in p:
        pricing = as_dict(p["pricing"], "pricing")
        if "price" in pricing:
            price_id = as_str(pricing["price"], "pricing[price]")
    price = None
    if "price_data" in p:
        pd = as_dict(p["price_data"], "price_data")
        price = catalog.make_price(ctx, pd, "price_data", inline=True)
    elif price_id is not None:
        price = acct.find("price", price_id)
        if price is None:
            raise no_such(
                "price", price_id, param="pricing[price]" if "pricing" in p else "price", status=400
            )
    if price is not None:
        cur = price["currency"]
        amount = int(price["unit_amount"] or 0) * qty
        unit_decimal = price["unit_amount_decimal"]
    elif "amount" in p:
        if "currency" not in p:
            raise missing_param("currency")
        cur = catalog.currency(p["currency"])
        amount = as_int(p["amount"], "amount")
        unit_decimal = str(amount // qty) if qty else "0"
    elif "unit_amount_decimal" in p:
        cur = catalog.currency(p.get("currency", "usd"))
        unit_decimal = as_str(p["unit_amount_decimal"], "unit_amount_decimal")
        amount = round(float(unit_decimal) * qty)
    else:
        raise invalid(
            "You must specify either `amount`, `pricing[price]` or `price_data`.",
            param="amount",
            code="parameter_missing",
        )
    if inv is not None and inv["lines"]["data"] and inv["currency"] != cur:
        raise invalid("The currency of the invoice item must match the invoice's currency.", param="currency")
    ts = now()
    ii: JSON = skeleton("invoiceitem")
    ii.update(
        id=new_id("ii", 24),
        object="invoiceitem",
        amount=amount,
        currency=cur,
        customer=cust_id,
        date=ts,
        description=as_str(p["description"], "description")
        if "description" in p
        else (catalog.product_name(acct, price) if price else None),
        discountable=True,
        discounts=[],
        frozen_fields=[],
        invoice=None,
        livemode=False,
        metadata=apply_metadata({}, p.get("metadata", {})),
        net_amount=amount,
        period={"start": ts, "end": ts},
        pricing=(
            {
                "price_details": {"price": price["id"], "product": price["product"]},
                "type": "price_details",
                "unit_amount_decimal": unit_decimal,
            }
            if price
            else None
        ),
        proration=False,
        proration_details={"credited_items": None, "discount_amounts": []},
        quantity=qty,
        quantity_decimal=str(qty),
        tax_rates=invoice_totals.tax_rates_param(acct, p["tax_rates"], "tax_rates")
        if "tax_rates" in p
        else [],
    )
    acct.add(ii)
    if inv is not None:
        if not inv["lines"]["data"]:
            inv["currency"] = cur
        attach_invoice_item(ctx, inv, ii)
    acct.emit("invoiceitem.created", ii)
    return ii


def retrieve_invoice_item(ctx: Ctx) -> JSON:
    return ctx.acct.get("invoiceitem", ctx.path_params["invoiceitem"], param="invoiceitem")


def update_invoice_item(ctx: Ctx) -> JSON:
    ii = ctx.acct.get("invoiceitem", ctx.path_params["invoiceitem"], param="invoiceitem")
    p = ctx.params
    if "description" in p:
        ii["description"] = as_str(p["description"], "description") or None
    if "metadata" in p:
        ii["metadata"] = apply_metadata(ii["metadata"] or {}, p["metadata"])
    return ii


def delete_invoice_item(ctx: Ctx) -> JSON:
    ii = ctx.acct.get("invoiceitem", ctx.path_params["invoiceitem"], param="invoiceitem")
    if ii["invoice"]:
        inv = ctx.acct.get("invoice", ii["invoice"])
        if inv["status"] != "draft":
            raise invalid(
                "You can only delete invoice items that are on draft invoices or pending.",
                param="invoiceitem",
            )
        inv["lines"]["data"] = [
            line
            for line in inv["lines"]["data"]
            if ((line.get("parent") or {}).get("invoice_item_details") or {}).get("invoice_item") != ii["id"]
        ]
        invoice_totals.recompute(ctx.acct, inv)
    ctx.acct.objects[ii["id"]] = {"id": ii["id"], "object": "invoiceitem", "deleted": True}
    ctx.acct.emit("invoiceitem.deleted", ii)
    return {"id": ii["id"], "object": "invoiceitem", "deleted": True}


def list_invoice_items(ctx: Ctx) -> JSON:
    p = ctx.params
    customer, invoice = p.get("customer"), p.get("invoice")
    pending = as_bool(p["pending"], "pending") if "pending" in p else None

    def pred(o: JSON) -> bool:
        return (
            (customer is None or o["customer"] == customer)
            and (invoice is None or o["invoice"] == invoice)
            and (pending is None or (o["invoice"] is None) == pending)
        )

    return paginate(ctx.acct, "invoiceitem", p, "/v1/invoiceitems", pred)


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/invoiceitems",
        create_invoice_item,
        consumes=(
            "amount",
            "currency",
            "customer",
            "description",
            "invoice",
            "metadata",
            "period",
            "price",
            "price_data",
            "pricing",
            "quantity",
            "subscription",
            "tax_rates",
            "unit_amount_decimal",
        ),
    )
    router.add("GET", "/v1/invoiceitems", list_invoice_items)
    router.add("GET", "/v1/invoiceitems/{invoiceitem}", retrieve_invoice_item)
    router.add(
        "POST", "/v1/invoiceitems/{invoiceitem}", update_invoice_item, consumes=("description", "metadata")
    )
    router.add("DELETE", "/v1/invoiceitems/{invoiceitem}", delete_invoice_item)
