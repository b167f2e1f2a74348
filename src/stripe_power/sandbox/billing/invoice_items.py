"""Invoice items: one-off charges (or credits) waiting for the customer's next invoice, or on a draft.

An item's amount is its price's unit amount times its quantity, or the `amount` given, or
`unit_amount_decimal` times the quantity. It can be changed (amount, quantity, price, period, tax
rates) while it is pending or on a draft invoice, and the draft's line and totals follow
(docs.stripe.com/api/invoiceitems/update). `subscription` ties it to that subscription's next
invoice; `period` is the period it bills for.
"""

from __future__ import annotations

from typing import Any

from ..core.errors import invalid, missing_param, no_such
from ..core.ids import new_id
from ..core.router import Ctx, Router
from ..core.store import (
    JSON,
    Account,
    apply_metadata,
    as_bool,
    as_dict,
    as_int,
    as_str,
    changed,
    now,
    paginate,
    skeleton,
    snapshot,
)
from . import catalog, custom_amounts, invoice_totals
from .invoice_lifecycle import attach_invoice_item


def _price(ctx: Ctx, p: dict[str, Any]) -> JSON | None:
    """The price an item names: ``pricing[price]`` (or the older ``price``), or ``price_data``."""
    if "price_data" in p:
        return catalog.make_price(ctx, as_dict(p["price_data"], "price_data"), "price_data", inline=True)
    param = "pricing[price]" if "pricing" in p else "price"
    ref = as_dict(p["pricing"], "pricing").get("price") if "pricing" in p else p.get("price")
    if ref is None:
        return None
    price = ctx.acct.find("price", as_str(ref, param))
    if price is None:
        raise no_such("price", str(ref), param=param, status=400)
    return price


def _period(p: dict[str, Any], default: JSON) -> JSON:
    if "period" not in p:
        return default
    raw = as_dict(p["period"], "period")
    start, end = as_int(raw.get("start"), "period[start]"), as_int(raw.get("end"), "period[end]")
    if end < start:
        raise invalid("The period end must be on or after its start.", param="period[end]")
    return {"start": start, "end": end}


def _pricing(price: JSON | None, unit_decimal: str) -> JSON | None:
    if price is None:
        return None
    return {
        "price_details": {"price": price["id"], "product": price["product"]},
        "type": "price_details",
        "unit_amount_decimal": unit_decimal,
    }


def create_invoice_item(ctx: Ctx) -> JSON:
    p = ctx.params
    acct = ctx.acct
    if "customer" not in p:  # the spec leaves it optional (customer or customer_account); we serve customers
        raise missing_param("customer")
    cust_id = as_str(p["customer"], "customer")
    customer = acct.get("customer", cust_id, param="customer", status=400)
    inv = _invoice(acct, p, cust_id)
    sub = None
    if "subscription" in p:
        sub = acct.get(
            "subscription", as_str(p["subscription"], "subscription"), param="subscription", status=400
        )
        if sub["customer"] != cust_id:
            raise invalid("The subscription belongs to a different customer.", param="subscription")
    qty = as_int(p.get("quantity", 1), "quantity", minimum=0)
    price = _price(ctx, p)
    if price is not None:
        custom_amounts.refuse_on_invoice(ctx, price, "pricing" if "pricing" in p else "price")
        cur, unit_decimal = price["currency"], str(price["unit_amount_decimal"] or price["unit_amount"] or 0)
        amount = int(price["unit_amount"] or 0) * qty
    elif "amount" in p:
        if "currency" not in p:
            raise missing_param("currency")
        cur, amount = catalog.currency(p["currency"]), as_int(p["amount"], "amount")
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
        parent=_parent(sub["id"]) if sub else None,
        period=_period(p, {"start": ts, "end": ts}),
        pricing=_pricing(price, unit_decimal),
        proration=False,
        proration_details={"credited_items": None, "discount_amounts": []},
        quantity=qty,
        quantity_decimal=str(qty),
        tax_rates=invoice_totals.tax_rates_param(acct, p["tax_rates"], "tax_rates")
        if "tax_rates" in p
        else [],
        test_clock=customer.get("test_clock"),
    )
    acct.priv(ii)["unit_amount_decimal"] = unit_decimal
    acct.add(ii)
    if inv is not None:
        if not inv["lines"]["data"]:
            inv["currency"] = cur
        attach_invoice_item(ctx, inv, ii)
    acct.emit("invoiceitem.created", ii)
    return ii


def _invoice(acct: Account, p: dict[str, Any], customer: str) -> JSON | None:
    if "invoice" not in p:
        return None
    inv = acct.get("invoice", as_str(p["invoice"], "invoice"), param="invoice", status=400)
    if inv["status"] != "draft":
        raise invalid("You can only add invoice items to draft invoices.", param="invoice")
    if inv["customer"] != customer:
        raise invalid("The invoice belongs to a different customer.", param="invoice")
    return inv


def _parent(subscription: str, item: str | None = None) -> JSON:
    return {
        "subscription_details": {"subscription": subscription, "subscription_item": item},
        "type": "subscription_details",
    }


def subscription_of(ii: JSON) -> str | None:
    """The subscription an invoice item belongs to (a proration, or `subscription` on create)."""
    found = ((ii.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    return found if isinstance(found, str) else None


def retrieve_invoice_item(ctx: Ctx) -> JSON:
    return ctx.acct.get("invoiceitem", ctx.path_params["invoiceitem"], param="invoiceitem")


def update_invoice_item(ctx: Ctx) -> JSON:
    acct = ctx.acct
    ii = acct.get("invoiceitem", ctx.path_params["invoiceitem"], param="invoiceitem")
    p = ctx.params
    inv = acct.get("invoice", ii["invoice"]) if ii["invoice"] else None
    if inv is not None and inv["status"] != "draft" and set(p) - {"metadata", "expand"}:
        raise invalid(
            f"The invoice item {ii['id']} is on a finalized invoice ({inv['id']}); only its metadata can change. "
            "Invoice items can be updated while pending or on a draft invoice.",
            param="invoiceitem",
        )
    before = snapshot(ii)
    if "description" in p:
        ii["description"] = as_str(p["description"], "description") or None
    if "metadata" in p:
        ii["metadata"] = apply_metadata(ii["metadata"] or {}, p["metadata"])
    if "discountable" in p:
        if as_bool(p["discountable"], "discountable") and ii["proration"]:
            raise invalid("discountable cannot be set to true for prorations.", param="discountable")
        ii["discountable"] = as_bool(p["discountable"], "discountable")
    if "tax_rates" in p:
        ii["tax_rates"] = invoice_totals.tax_rates_param(acct, p["tax_rates"], "tax_rates")
    ii["period"] = _period(p, ii["period"])
    _reprice(ctx, ii, p)
    if inv is not None:  # the draft's line follows the item
        _detach(acct, inv, ii)
        attach_invoice_item(ctx, inv, ii)
    previous = changed(before, ii)
    if previous:
        acct.emit("invoiceitem.updated", ii, previous)
    return ii


def _reprice(ctx: Ctx, ii: JSON, p: dict[str, Any]) -> None:
    """``amount``, ``quantity``, ``unit_amount_decimal``, or a new price: the item's amount again."""
    acct = ctx.acct
    price = _price(ctx, p)
    qty = as_int(p["quantity"], "quantity", minimum=0) if "quantity" in p else int(ii["quantity"] or 0)
    unit = acct.priv(ii).get("unit_amount_decimal") or str(ii["amount"])
    if price is not None:
        custom_amounts.refuse_on_invoice(ctx, price, "pricing")
        if price["currency"] != ii["currency"]:
            raise invalid(
                "The price's currency must match the invoice item's currency.", param="pricing[price]"
            )
        unit = str(price["unit_amount_decimal"] or price["unit_amount"] or 0)
        ii["pricing"] = _pricing(price, unit)
    elif "unit_amount_decimal" in p:
        unit = as_str(p["unit_amount_decimal"], "unit_amount_decimal")
        ii["pricing"] = None
    if "amount" in p:
        amount = as_int(p["amount"], "amount")
        unit = str(amount // qty) if qty else "0"
        ii["pricing"] = None
    elif price is not None or "unit_amount_decimal" in p or "quantity" in p:
        amount = round(float(unit) * qty)
    else:
        return
    acct.priv(ii)["unit_amount_decimal"] = unit
    if ii["pricing"] is not None:
        ii["pricing"]["unit_amount_decimal"] = unit
    ii.update(amount=amount, net_amount=amount, quantity=qty, quantity_decimal=str(qty))


def _detach(acct: Account, inv: JSON, ii: JSON) -> None:
    inv["lines"]["data"] = [
        line
        for line in inv["lines"]["data"]
        if ((line.get("parent") or {}).get("invoice_item_details") or {}).get("invoice_item") != ii["id"]
    ]
    invoice_totals.recompute(acct, inv)


def delete_invoice_item(ctx: Ctx) -> JSON:
    ii = ctx.acct.get("invoiceitem", ctx.path_params["invoiceitem"], param="invoiceitem")
    if ii["invoice"]:
        inv = ctx.acct.get("invoice", ii["invoice"])
        if inv["status"] != "draft":
            raise invalid(
                "You can only delete invoice items that are on draft invoices or pending.",
                param="invoiceitem",
            )
        _detach(ctx.acct, inv, ii)
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
        "POST",
        "/v1/invoiceitems/{invoiceitem}",
        update_invoice_item,
        consumes=(
            "amount",
            "description",
            "discountable",
            "metadata",
            "period",
            "price_data",
            "pricing",
            "quantity",
            "tax_rates",
            "unit_amount_decimal",
        ),
    )
    router.add("DELETE", "/v1/invoiceitems/{invoiceitem}", delete_invoice_item)
