"""Subscriptions, invoices, invoice items and payment links."""

from __future__ import annotations

import calendar
import time
from typing import Any

from . import catalog, payments
from .errors import StripeError, invalid, missing_param, no_such
from .ids import new_id
from .router import Ctx, Router
from .search import fields_of, search
from .store import (
    JSON,
    Account,
    apply_metadata,
    as_bool,
    as_dict,
    as_enum,
    as_int,
    as_list,
    as_str,
    changed,
    now,
    paginate,
    skeleton,
    snapshot,
)


def add_interval(start: int, interval: str, count: int) -> int:
    if interval == "day":
        return start + 86400 * count
    if interval == "week":
        return start + 7 * 86400 * count
    t = time.gmtime(start)
    months = count * (12 if interval == "year" else 1)
    year, month = divmod(t.tm_mon - 1 + months, 12)
    year += t.tm_year
    month += 1
    day = min(t.tm_mday, calendar.monthrange(year, month)[1])
    return calendar.timegm((year, month, day, t.tm_hour, t.tm_min, t.tm_sec, 0, 0, 0))


def _product_name(acct: Account, price: JSON) -> str:
    return str(acct.objects.get(price["product"], {}).get("name") or "Item")


def _price_desc(acct: Account, price: JSON, qty: int) -> str:
    name = _product_name(acct, price)
    amount = payments.fmt_money(int(price["unit_amount"] or 0), price["currency"])
    if price.get("recurring"):
        r = price["recurring"]
        every = r["interval"] if r["interval_count"] == 1 else f"{r['interval_count']} {r['interval']}s"
        return f"{qty} × {name} (at {amount} / {every})"
    return f"{qty} × {name}" if qty != 1 else name


# -- invoices ------------------------------------------------------------------------------


def new_invoice(
    ctx: Ctx,
    customer_id: str,
    *,
    currency: str | None = None,
    collection_method: str = "charge_automatically",
    days_until_due: int | None = None,
    billing_reason: str = "manual",
    subscription: JSON | None = None,
    auto_advance: bool = False,
    description: str | None = None,
    metadata: dict[str, str] | None = None,
) -> JSON:
    acct = ctx.acct
    cust = acct.get("customer", customer_id, param="customer", status=400)
    iid = new_id("in", 24)
    ts = now()
    inv: JSON = skeleton("invoice")
    inv.update(
        id=iid,
        object="invoice",
        account_country="US",
        account_name="stripe-power sandbox",
        amount_due=0,
        amount_overpaid=0,
        amount_paid=0,
        amount_paid_off_stripe=0,
        amount_remaining=0,
        amount_shipping=0,
        attempt_count=0,
        attempted=False,
        auto_advance=auto_advance,
        automatic_tax={
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        billing_reason=billing_reason,
        collection_method=collection_method,
        created=ts,
        currency=currency or "usd",
        customer=customer_id,
        customer_email=cust.get("email"),
        customer_name=cust.get("name"),
        customer_phone=cust.get("phone"),
        customer_address=cust.get("address"),
        customer_shipping=cust.get("shipping"),
        customer_tax_exempt="none",
        customer_tax_ids=[],
        default_tax_rates=[],
        description=description,
        discounts=[],
        ending_balance=None,
        issuer={"type": "self"},
        lines={"object": "list", "data": [], "has_more": False, "url": f"/v1/invoices/{iid}/lines"},
        livemode=False,
        metadata=metadata or {},
        payment_settings={
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        payments={
            "object": "list",
            "data": [],
            "has_more": False,
            "url": f"/v1/invoice_payments?invoice={iid}",
        },
        period_end=ts,
        period_start=ts,
        post_payment_credit_notes_amount=0,
        pre_payment_credit_notes_amount=0,
        starting_balance=0,
        status="draft",
        status_transitions={
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        subtotal=0,
        subtotal_excluding_tax=0,
        total=0,
        total_discount_amounts=[],
        total_excluding_tax=0,
        total_pretax_credit_amounts=[],
        total_taxes=[],
        webhooks_delivered_at=ts,
    )
    if collection_method == "send_invoice":
        inv["due_date"] = ts + 86400 * (days_until_due if days_until_due is not None else 30)
    if subscription is not None:
        inv["parent"] = {
            "quote_details": None,
            "subscription_details": {
                "metadata": dict(subscription["metadata"]),
                "subscription": subscription["id"],
            },
            "type": "subscription_details",
        }
    acct.add(inv)
    ctx.own(inv)
    acct.emit("invoice.created", inv)
    return inv


def _add_line(
    ctx: Ctx,
    inv: JSON,
    amount: int,
    description: str,
    qty: int | None,
    price: JSON | None,
    period: tuple[int, int],
    parent: JSON,
    subscription_id: str | None = None,
) -> JSON:
    line: JSON = skeleton("line_item")
    line.update(
        id=new_id("il", 24),
        object="line_item",
        amount=amount,
        currency=inv["currency"],
        description=description,
        discount_amounts=[],
        discountable=True,
        discounts=[],
        invoice=inv["id"],
        livemode=False,
        metadata={},
        parent=parent,
        period={"start": period[0], "end": period[1]},
        pretax_credit_amounts=[],
        pricing=(
            {
                "price_details": {"price": price["id"], "product": price["product"]},
                "type": "price_details",
                "unit_amount_decimal": price["unit_amount_decimal"],
            }
            if price
            else None
        ),
        quantity=qty,
        subscription=subscription_id,
        subtotal=amount,
        taxes=[],
    )
    ctx.acct.add(line)
    inv["lines"]["data"].append(line)
    _recompute(inv)
    return line


def _recompute(inv: JSON) -> None:
    total = sum(int(line["amount"]) for line in inv["lines"]["data"])
    inv["subtotal"] = inv["subtotal_excluding_tax"] = inv["total"] = inv["total_excluding_tax"] = total
    inv["amount_due"] = max(total, 0)
    inv["amount_remaining"] = max(inv["amount_due"] - inv["amount_paid"], 0)
    inv["lines"]["total_count"] = len(inv["lines"]["data"])


def _attach_invoice_item(ctx: Ctx, inv: JSON, ii: JSON) -> None:
    ii["invoice"] = inv["id"]
    price = ctx.acct.find("price", (ii.get("pricing") or {}).get("price_details", {}).get("price"))
    parent = {
        "invoice_item_details": {
            "invoice_item": ii["id"],
            "proration": ii["proration"],
            "proration_details": {"credited_items": None},
            "subscription": None,
        },
        "subscription_item_details": None,
        "type": "invoice_item_details",
    }
    _add_line(
        ctx,
        inv,
        int(ii["amount"]),
        ii.get("description") or "Invoice item",
        ii["quantity"],
        price,
        (ii["period"]["start"], ii["period"]["end"]),
        parent,
    )


def finalize(ctx: Ctx, inv: JSON) -> None:
    acct = ctx.acct
    if inv["status"] != "draft":
        raise invalid(
            "This invoice is already finalized, you can't re-finalize a non-draft invoice.", param="invoice"
        )
    before = snapshot(inv)
    cust = acct.get("customer", inv["customer"])
    seq = int(cust.get("next_invoice_sequence") or 1)
    cust["next_invoice_sequence"] = seq + 1
    inv["number"] = f"{cust['invoice_prefix']}-{seq:04d}"
    inv["status"] = "open"
    ts = now()
    inv["status_transitions"]["finalized_at"] = ts
    inv["effective_at"] = ts
    inv["hosted_invoice_url"] = f"{ctx.base_url}/i/{inv['id']}"
    inv["invoice_pdf"] = f"{ctx.base_url}/i/{inv['id']}/pdf"
    inv["ending_balance"] = 0
    if inv["amount_due"] > 0:
        pi = payments.new_payment_intent(
            ctx,
            inv["amount_due"],
            inv["currency"],
            customer=inv["customer"],
            description=inv.get("description")
            or ("Subscription creation" if inv["billing_reason"] == "subscription_create" else None),
        )
        acct.priv(pi)["invoice"] = inv["id"]
        acct.priv(pi)["hosted"] = True
        payment: JSON = skeleton("invoice_payment")
        payment.update(
            id=new_id("inpay", 24),
            object="invoice_payment",
            amount_paid=None,
            amount_requested=inv["amount_due"],
            created=ts,
            currency=inv["currency"],
            invoice=inv["id"],
            is_default=True,
            livemode=False,
            payment={"payment_intent": pi["id"], "type": "payment_intent"},
            status="open",
            status_transitions={"canceled_at": None, "paid_at": None},
        )
        acct.add(payment)
        inv["payments"]["data"].append(payment)
        inv["payments"]["total_count"] = 1
        acct.hidden[inv["id"]] = {
            "confirmation_secret": {"client_secret": pi["client_secret"], "type": "payment_intent"}
        }
        if inv["collection_method"] == "charge_automatically":
            inv["next_payment_attempt"] = ts + 3600 if inv["auto_advance"] else None
    acct.emit("invoice.finalized", inv, changed(before, inv))
    if inv["amount_due"] == 0:
        _mark_paid(ctx, inv, None)


def _invoice_pi(acct: Account, inv: JSON) -> JSON | None:
    for p in inv["payments"]["data"]:
        pi = acct.find("payment_intent", p["payment"].get("payment_intent"))
        if pi is not None:
            return pi
    return None


def _mark_paid(ctx: Ctx, inv: JSON, pi: JSON | None) -> None:
    acct = ctx.acct
    before = snapshot(inv)
    ts = now()
    inv["status"] = "paid"
    inv["attempted"] = True
    inv["amount_paid"] = inv["amount_due"]
    inv["amount_remaining"] = 0
    inv["status_transitions"]["paid_at"] = ts
    inv["next_payment_attempt"] = None
    for p in inv["payments"]["data"]:
        p["status"] = "paid"
        p["amount_paid"] = p["amount_requested"]
        p["status_transitions"]["paid_at"] = ts
    acct.emit("invoice.paid", inv, changed(before, inv))
    acct.emit("invoice.payment_succeeded", inv, changed(before, inv))
    sub_id = ((inv.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    sub = acct.find("subscription", sub_id)
    if sub is not None and sub["status"] in ("incomplete", "past_due", "unpaid"):
        sub_before = snapshot(sub)
        sub["status"] = "active"
        acct.emit("customer.subscription.updated", sub, changed(sub_before, sub))


def _on_pi_succeeded(ctx: Ctx, pi: JSON) -> None:
    inv = ctx.acct.find("invoice", ctx.acct.priv(pi).get("invoice"))
    if inv is not None and inv["status"] == "open":
        _mark_paid(ctx, inv, pi)


payments.PI_SUCCESS_HOOKS.append(_on_pi_succeeded)


def _default_pm(acct: Account, inv: JSON) -> str | None:
    if inv.get("default_payment_method"):
        return str(inv["default_payment_method"])
    sub_id = ((inv.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    sub = acct.find("subscription", sub_id)
    if sub is not None and sub.get("default_payment_method"):
        return str(sub["default_payment_method"])
    cust = acct.find("customer", inv["customer"])
    if cust is not None:
        pm = cust["invoice_settings"].get("default_payment_method")
        if pm:
            return str(pm)
    return None


def attempt_payment(ctx: Ctx, inv: JSON, pm_id: str | None, off_session: bool = True) -> None:
    """Charge an open invoice through its PaymentIntent. Raises StripeError (402) on failure."""
    acct = ctx.acct
    pi = _invoice_pi(acct, inv)
    if pi is None:
        _mark_paid(ctx, inv, None)
        return
    if pm_id is None:
        raise invalid(
            "This customer has no attached payment source or default payment method. Please consider adding a "
            "default payment method. For more information, visit https://docs.stripe.com/billing/subscriptions/payment-methods-setting#payment-method-priority.",
        )
    before = snapshot(inv)
    inv["attempt_count"] += 1
    inv["attempted"] = True
    if pi["status"] in ("requires_payment_method", "requires_confirmation", "requires_action"):
        pm = payments.resolve_payment_method(ctx, pm_id, "payment_method")
        pi["payment_method"] = pm["id"]
        pi["status"] = "requires_confirmation"
        try:
            payments.confirm(ctx, pi, {"off_session": "true"} if off_session else {})
        except StripeError:
            acct.emit("invoice.payment_failed", inv, changed(before, inv))
            raise
        if pi["status"] == "requires_action":
            acct.emit("invoice.payment_action_required", inv, changed(before, inv))


def _invoice_params(ctx: Ctx) -> dict[str, Any]:
    return ctx.params


def create_invoice(ctx: Ctx) -> JSON:
    p = ctx.params
    if "customer" not in p:
        raise missing_param("customer")
    cm = as_enum(
        p.get("collection_method", "charge_automatically"),
        "collection_method",
        ("charge_automatically", "send_invoice"),
    )
    dud = as_int(p["days_until_due"], "days_until_due", minimum=0) if "days_until_due" in p else None
    if cm == "send_invoice" and dud is None and "due_date" not in p:
        raise invalid(
            "Invoices with collection_method=send_invoice must have either days_until_due or due_date set.",
            param="days_until_due",
        )
    if cm == "charge_automatically" and dud is not None:
        raise invalid(
            "You can only set days_until_due if collection_method is send_invoice.", param="days_until_due"
        )
    inv = new_invoice(
        ctx,
        as_str(p["customer"], "customer"),
        currency=catalog.currency(p["currency"]) if "currency" in p else None,
        collection_method=cm,
        days_until_due=dud,
        auto_advance=as_bool(p["auto_advance"], "auto_advance") if "auto_advance" in p else False,
        description=as_str(p["description"], "description") if "description" in p else None,
        metadata=apply_metadata({}, p.get("metadata", {})),
    )
    if "due_date" in p:
        inv["due_date"] = as_int(p["due_date"], "due_date")
    if "footer" in p:
        inv["footer"] = as_str(p["footer"], "footer")
    if "default_payment_method" in p:
        inv["default_payment_method"] = payments.resolve_payment_method(
            ctx, as_str(p["default_payment_method"], "default_payment_method"), "default_payment_method"
        )["id"]
    behavior = as_enum(
        p.get("pending_invoice_items_behavior", "exclude"),
        "pending_invoice_items_behavior",
        ("exclude", "include"),
    )
    if behavior == "include":
        for ii in list(ctx.acct.of_type("invoiceitem")):
            if (
                ii["customer"] == inv["customer"]
                and ii["invoice"] is None
                and ii["currency"] == inv["currency"]
            ):
                _attach_invoice_item(ctx, inv, ii)
    return inv


def retrieve_invoice(ctx: Ctx) -> JSON:
    return ctx.acct.get("invoice", ctx.path_params["invoice"], param="invoice")


def update_invoice(ctx: Ctx) -> JSON:
    inv = ctx.acct.get("invoice", ctx.path_params["invoice"], param="invoice")
    p = ctx.params
    before = snapshot(inv)
    if inv["status"] != "draft" and any(k in p for k in ("collection_method", "days_until_due", "currency")):
        raise invalid("Finalized invoices can't be updated in this way.", param="invoice")
    for key in ("description", "footer"):
        if key in p:
            inv[key] = as_str(p[key], key) or None
    if "auto_advance" in p:
        inv["auto_advance"] = as_bool(p["auto_advance"], "auto_advance")
    if "metadata" in p:
        inv["metadata"] = apply_metadata(inv["metadata"], p["metadata"])
    if "days_until_due" in p:
        inv["due_date"] = inv["created"] + 86400 * as_int(p["days_until_due"], "days_until_due")
    if "collection_method" in p:
        inv["collection_method"] = as_enum(
            p["collection_method"], "collection_method", ("charge_automatically", "send_invoice")
        )
    if "default_payment_method" in p:
        inv["default_payment_method"] = as_str(p["default_payment_method"], "default_payment_method") or None
    ctx.acct.emit("invoice.updated", inv, changed(before, inv))
    return inv


def delete_invoice(ctx: Ctx) -> JSON:
    inv = ctx.acct.get("invoice", ctx.path_params["invoice"], param="invoice")
    if inv["status"] != "draft":
        raise invalid("You can only delete draft invoices.", param="invoice")
    ctx.acct.objects[inv["id"]] = {"id": inv["id"], "object": "invoice", "deleted": True}
    ctx.acct.emit("invoice.deleted", inv)
    return {"id": inv["id"], "object": "invoice", "deleted": True}


def finalize_invoice(ctx: Ctx) -> JSON:
    inv = ctx.acct.get("invoice", ctx.path_params["invoice"], param="invoice")
    if "auto_advance" in ctx.params:
        inv["auto_advance"] = as_bool(ctx.params["auto_advance"], "auto_advance")
    finalize(ctx, inv)
    return inv


def pay_invoice(ctx: Ctx) -> JSON:
    inv = ctx.acct.get("invoice", ctx.path_params["invoice"], param="invoice")
    p = ctx.params
    if inv["status"] == "draft":
        finalize(ctx, inv)
    if inv["status"] == "paid":
        raise (
            invalid("Invoice is already paid.", param="invoice", code="invoice_already_paid")
            if "paid_out_of_band" not in p
            else invalid("Invoice is already paid.")
        )
    if inv["status"] != "open":
        raise invalid(f"You can only pay an open invoice; this invoice is {inv['status']}.", param="invoice")
    if "paid_out_of_band" in p and as_bool(p["paid_out_of_band"], "paid_out_of_band"):
        pi = _invoice_pi(ctx.acct, inv)
        if pi is not None and pi["status"] not in ("succeeded", "canceled"):
            pi["status"] = "canceled"
            pi["canceled_at"] = now()
        inv["amount_paid_off_stripe"] = inv["amount_due"]
        _mark_paid(ctx, inv, None)
        return inv
    pm_id = (
        as_str(p["payment_method"], "payment_method") if "payment_method" in p else _default_pm(ctx.acct, inv)
    )
    off_session = as_bool(p.get("off_session", "true"), "off_session")
    attempt_payment(ctx, inv, pm_id, off_session=off_session)
    return inv


def void_invoice(ctx: Ctx) -> JSON:
    inv = ctx.acct.get("invoice", ctx.path_params["invoice"], param="invoice")
    if inv["status"] not in ("open", "uncollectible"):
        raise invalid(
            f"You can only void an open or uncollectible invoice; this invoice is {inv['status']}.",
            param="invoice",
        )
    before = snapshot(inv)
    inv["status"] = "void"
    inv["status_transitions"]["voided_at"] = now()
    inv["amount_remaining"] = 0
    inv["next_payment_attempt"] = None
    pi = _invoice_pi(ctx.acct, inv)
    if pi is not None and pi["status"] not in ("succeeded", "canceled"):
        pi_before = snapshot(pi)
        pi["status"] = "canceled"
        pi["canceled_at"] = now()
        pi["cancellation_reason"] = "void_invoice"
        ctx.acct.emit("payment_intent.canceled", pi, changed(pi_before, pi))
    for pay in inv["payments"]["data"]:
        pay["status"] = "canceled"
        pay["status_transitions"]["canceled_at"] = now()
    ctx.acct.emit("invoice.voided", inv, changed(before, inv))
    return inv


def send_invoice(ctx: Ctx) -> JSON:
    inv = ctx.acct.get("invoice", ctx.path_params["invoice"], param="invoice")
    if inv["collection_method"] != "send_invoice":
        raise invalid(
            "You can only manually send an invoice if its collection method is 'send_invoice'.",
            param="invoice",
        )
    if inv["status"] == "draft":
        finalize(ctx, inv)
    if inv["status"] != "open":
        raise invalid(f"You can only send an open invoice; this invoice is {inv['status']}.", param="invoice")
    ctx.acct.emit("invoice.sent", inv)
    return inv


def list_invoices(ctx: Ctx) -> JSON:
    p = ctx.params
    filters = {k: p[k] for k in ("customer", "status", "collection_method") if k in p}
    sub = p.get("subscription")

    def pred(o: JSON) -> bool:
        if (
            sub is not None
            and ((o.get("parent") or {}).get("subscription_details") or {}).get("subscription") != sub
        ):
            return False
        return all(o.get(k) == v for k, v in filters.items())

    return paginate(ctx.acct, "invoice", p, "/v1/invoices", pred)


def invoice_lines(ctx: Ctx) -> JSON:
    inv = ctx.acct.get("invoice", ctx.path_params["invoice"], param="invoice")
    ids = [line["id"] for line in inv["lines"]["data"]]
    return paginate(
        ctx.acct, "line_item", ctx.params, f"/v1/invoices/{inv['id']}/lines", ids=list(reversed(ids))
    )


def search_invoices(ctx: Ctx) -> JSON:
    fields = fields_of("customer", "status", "currency", "total", "created", "number")
    return search(ctx, "invoice", fields, "/v1/invoices/search")


# -- invoice items -------------------------------------------------------------------------


def create_invoice_item(ctx: Ctx) -> JSON:
    p = ctx.params
    acct = ctx.acct
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
        else (_product_name(acct, price) if price else None),
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
        tax_rates=[],
    )
    acct.add(ii)
    if inv is not None:
        if not inv["lines"]["data"]:
            inv["currency"] = cur
        _attach_invoice_item(ctx, inv, ii)
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
        _recompute(inv)
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


# -- subscriptions -------------------------------------------------------------------------


def _sub_item(
    ctx: Ctx, sub: JSON, price: JSON, qty: int, start: int, end: int, metadata: dict[str, str] | None = None
) -> JSON:
    item: JSON = skeleton("subscription_item")
    item.update(
        id=new_id("si", 14),
        object="subscription_item",
        billed_until=end,
        created=now(),
        current_period_end=end,
        current_period_start=start,
        discounts=[],
        metadata=metadata or {},
        price=price,
        quantity=qty,
        subscription=sub["id"],
        tax_rates=[],
    )
    ctx.acct.add(item)
    return item


def start_subscription(
    ctx: Ctx,
    customer_id: str,
    items: list[tuple[JSON, int]],
    *,
    default_payment_method: str | None = None,
    trial_period_days: int | None = None,
    metadata: dict[str, str] | None = None,
    description: str | None = None,
    payment_behavior: str = "allow_incomplete",
    collection_method: str = "charge_automatically",
    days_until_due: int | None = None,
) -> JSON:
    """Create a subscription, its first invoice, and pay it as Stripe would. Used by the API and Checkout."""
    acct = ctx.acct
    recurring = [(p, q) for p, q in items if p["type"] == "recurring"]
    one_time = [(p, q) for p, q in items if p["type"] != "recurring"]
    if not recurring:
        raise invalid("A subscription needs at least one recurring price.", param="items")
    cur = recurring[0][0]["currency"]
    if any(p["currency"] != cur for p, _ in items):
        raise invalid("All prices on a subscription must use the same currency.", param="items")
    ts = now()
    r = recurring[0][0]["recurring"]
    trial_end = ts + 86400 * trial_period_days if trial_period_days else None
    period_end = trial_end or add_interval(ts, r["interval"], r["interval_count"])
    # error_if_incomplete: fail before creating anything.
    pm_id = default_payment_method or acct.get("customer", customer_id)["invoice_settings"].get(
        "default_payment_method"
    )
    if (
        payment_behavior == "error_if_incomplete"
        and not trial_end
        and collection_method == "charge_automatically"
    ):
        total = sum(int(p["unit_amount"] or 0) * q for p, q in items)
        if total > 0:
            if pm_id is None:
                raise invalid(
                    "This customer has no attached payment source or default payment method. Please consider adding "
                    "a default payment method.",
                )
            card = payments.card_of(acct, acct.get("payment_method", pm_id))
            if card.outcome == "declined":
                raise payments.card_error(card)
            if card.outcome == "requires_action" or (
                card.outcome == "requires_action_on_session" and pm_id not in acct.off_session_ready
            ):
                raise StripeError(
                    402,
                    "Your card was declined. This transaction requires authentication.",
                    type="card_error",
                    code="authentication_required",
                    decline_code="authentication_required",
                )
    sid = new_id("sub", 24)
    sub: JSON = skeleton("subscription")
    sub.update(
        id=sid,
        object="subscription",
        automatic_tax={"disabled_reason": None, "enabled": False, "liability": None},
        billing_cycle_anchor=period_end if trial_end else ts,
        billing_mode={"flexible": None, "type": "classic"},
        billing_schedules=[],
        cancel_at_period_end=False,
        collection_method=collection_method,
        created=ts,
        currency=cur,
        customer=customer_id,
        days_until_due=days_until_due if collection_method == "send_invoice" else None,
        default_payment_method=default_payment_method,
        description=description,
        discounts=[],
        invoice_settings={"account_tax_ids": None, "issuer": {"type": "self"}},
        items={
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/subscription_items?subscription={sid}",
        },
        livemode=False,
        metadata=metadata or {},
        start_date=ts,
        status="incomplete",
        trial_end=trial_end,
        trial_start=ts if trial_end else None,
    )
    acct.add(sub)
    for price, qty in recurring:
        sub["items"]["data"].append(_sub_item(ctx, sub, price, qty, ts, period_end))
    sub["items"]["total_count"] = len(sub["items"]["data"])
    inv = new_invoice(
        ctx,
        customer_id,
        currency=cur,
        collection_method=collection_method,
        days_until_due=days_until_due,
        billing_reason="subscription_create",
        subscription=sub,
        auto_advance=True,
    )
    inv["period_start"] = inv["period_end"] = ts
    for item in sub["items"]["data"]:
        price, qty = item["price"], int(item["quantity"])
        amount = 0 if trial_end else int(price["unit_amount"] or 0) * qty
        desc = (
            f"Trial period for {_product_name(acct, price)}" if trial_end else _price_desc(acct, price, qty)
        )
        parent = {
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": None,
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": sid,
                "subscription_item": item["id"],
            },
            "type": "subscription_item_details",
        }
        _add_line(ctx, inv, amount, desc, qty, price, (ts, period_end), parent, sid)
    for price, qty in one_time:
        ii_ctx = Ctx(
            ctx.sandbox,
            acct,
            {
                "customer": customer_id,
                "pricing": {"price": price["id"]},
                "quantity": str(qty),
                "invoice": inv["id"],
            },
            {},
            ctx.base_url,
            ctx.request_id,
            "POST",
            "",
        )
        create_invoice_item(ii_ctx)
    sub["latest_invoice"] = inv["id"]
    acct.emit("customer.subscription.created", sub)
    finalize(ctx, inv)
    if trial_end:
        sub["status"] = "trialing"
    elif inv["status"] == "paid":
        sub["status"] = "active"
    elif collection_method == "send_invoice":
        sub["status"] = "active"
        acct.emit("invoice.sent", inv)
    elif payment_behavior == "default_incomplete":
        sub["status"] = "incomplete"
    else:
        try:
            attempt_payment(ctx, inv, pm_id)
        except StripeError as err:
            if err.status != 402 and pm_id is not None:
                raise
        sub["status"] = "active" if inv["status"] == "paid" else "incomplete"
    return sub


def _items_param(ctx: Ctx, raw: Any) -> list[tuple[JSON, int]]:
    out: list[tuple[JSON, int]] = []
    for i, entry_raw in enumerate(as_list(raw, "items")):
        entry = as_dict(entry_raw, f"items[{i}]")
        if "price_data" in entry:
            price = catalog.make_price(
                ctx,
                as_dict(entry["price_data"], f"items[{i}][price_data]"),
                f"items[{i}][price_data]",
                inline=True,
            )
        elif "price" in entry:
            found = ctx.acct.find("price", entry["price"])
            if found is None:
                raise no_such("price", str(entry["price"]), param=f"items[{i}][price]", status=400)
            price = found
        else:
            raise missing_param(f"items[{i}][price]")
        out.append((price, as_int(entry.get("quantity", 1), f"items[{i}][quantity]", minimum=0)))
    return out


def create_subscription(ctx: Ctx) -> JSON:
    p = ctx.params
    cust_id = as_str(p["customer"], "customer")
    ctx.acct.get("customer", cust_id, param="customer", status=400)
    if "items" not in p:
        raise missing_param("items")
    items = _items_param(ctx, p["items"])
    pm_id = None
    if "default_payment_method" in p:
        pm = payments.resolve_payment_method(
            ctx, as_str(p["default_payment_method"], "default_payment_method"), "default_payment_method"
        )
        if pm.get("customer") != cust_id:
            raise invalid(
                f"The customer does not have a payment method with the ID {pm['id']}. The payment method must be "
                "attached to the customer.",
                param="default_payment_method",
            )
        pm_id = pm["id"]
    cm = as_enum(
        p.get("collection_method", "charge_automatically"),
        "collection_method",
        ("charge_automatically", "send_invoice"),
    )
    dud = as_int(p["days_until_due"], "days_until_due", minimum=0) if "days_until_due" in p else None
    if cm == "send_invoice" and dud is None:
        raise missing_param("days_until_due")
    trial = (
        as_int(p["trial_period_days"], "trial_period_days", minimum=0) if "trial_period_days" in p else None
    )
    if "trial_end" in p and p["trial_end"] != "now":
        trial = max(1, (as_int(p["trial_end"], "trial_end") - now() + 86399) // 86400)
    return start_subscription(
        ctx,
        cust_id,
        items,
        default_payment_method=pm_id,
        trial_period_days=trial or None,
        metadata=apply_metadata({}, p.get("metadata", {})),
        description=as_str(p["description"], "description") if "description" in p else None,
        payment_behavior=as_enum(
            p.get("payment_behavior", "allow_incomplete"),
            "payment_behavior",
            ("allow_incomplete", "default_incomplete", "error_if_incomplete", "pending_if_incomplete"),
        ),
        collection_method=cm,
        days_until_due=dud,
    )


def retrieve_subscription(ctx: Ctx) -> JSON:
    return ctx.acct.get(
        "subscription", ctx.path_params["subscription_exposed_id"], param="subscription_exposed_id"
    )


def update_subscription(ctx: Ctx) -> JSON:
    acct = ctx.acct
    sub = acct.get(
        "subscription", ctx.path_params["subscription_exposed_id"], param="subscription_exposed_id"
    )
    p = ctx.params
    if sub["status"] in ("canceled", "incomplete_expired") and any(
        k not in ("metadata", "cancellation_details", "expand") for k in p
    ):
        raise invalid("A canceled subscription can only update its cancellation_details and metadata.")
    before = snapshot(sub)
    behavior = as_enum(
        p.get("proration_behavior", "create_prorations"),
        "proration_behavior",
        ("always_invoice", "create_prorations", "none"),
    )
    if "cancel_at_period_end" in p:
        cape = as_bool(p["cancel_at_period_end"], "cancel_at_period_end")
        sub["cancel_at_period_end"] = cape
        end = max(int(i["current_period_end"]) for i in sub["items"]["data"])
        sub["cancel_at"] = end if cape else None
        sub["canceled_at"] = now() if cape else None
        sub["cancellation_details"] = (
            {"comment": None, "feedback": None, "reason": "cancellation_requested"}
            if cape
            else {"comment": None, "feedback": None, "reason": None}
        )
    if "default_payment_method" in p:
        ref = as_str(p["default_payment_method"], "default_payment_method")
        if ref:
            pm = payments.resolve_payment_method(ctx, ref, "default_payment_method")
            if pm.get("customer") != sub["customer"]:
                raise invalid(
                    f"The customer does not have a payment method with the ID {pm['id']}. The payment method must be "
                    "attached to the customer.",
                    param="default_payment_method",
                )
            ref = pm["id"]
        sub["default_payment_method"] = ref or None
    if "metadata" in p:
        sub["metadata"] = apply_metadata(sub["metadata"], p["metadata"])
    if "description" in p:
        sub["description"] = as_str(p["description"], "description") or None
    if "trial_end" in p and p["trial_end"] == "now" and sub["status"] == "trialing":
        sub["trial_end"] = now()
        sub["status"] = "active"
    proration_lines: list[tuple[JSON, int, str]] = []
    if "items" in p:
        ts = now()
        for i, entry_raw in enumerate(as_list(p["items"], "items")):
            entry = as_dict(entry_raw, f"items[{i}]")
            item = None
            if "id" in entry:
                item = next((x for x in sub["items"]["data"] if x["id"] == entry["id"]), None)
                if item is None:
                    raise no_such("subscription_item", str(entry["id"]), param=f"items[{i}][id]", status=400)
            if item is not None and "deleted" in entry and as_bool(entry["deleted"], f"items[{i}][deleted]"):
                sub["items"]["data"].remove(item)
                acct.objects[item["id"]]["deleted"] = True
                proration_lines.append(_proration(item, -1, ts))
                continue
            new_price = None
            if "price" in entry:
                new_price = acct.find("price", entry["price"])
                if new_price is None:
                    raise no_such("price", str(entry["price"]), param=f"items[{i}][price]", status=400)
            elif "price_data" in entry:
                new_price = catalog.make_price(
                    ctx,
                    as_dict(entry["price_data"], f"items[{i}][price_data]"),
                    f"items[{i}][price_data]",
                    inline=True,
                )
            qty = (
                as_int(entry["quantity"], f"items[{i}][quantity]", minimum=0) if "quantity" in entry else None
            )
            if item is None:
                if new_price is None:
                    raise missing_param(f"items[{i}][price]")
                first = sub["items"]["data"][0] if sub["items"]["data"] else None
                start = int(first["current_period_start"]) if first else ts
                end = int(first["current_period_end"]) if first else ts
                new_item = _sub_item(ctx, sub, new_price, qty if qty is not None else 1, start, end)
                sub["items"]["data"].append(new_item)
                proration_lines.append(_proration(new_item, 1, ts))
            else:
                proration_lines.append(_proration(item, -1, ts))
                if new_price is not None:
                    item["price"] = new_price
                if qty is not None:
                    item["quantity"] = qty
                proration_lines.append(_proration(item, 1, ts))
        sub["items"]["total_count"] = len(sub["items"]["data"])
        if behavior != "none" and sub["status"] in ("active", "past_due"):
            _prorate(ctx, sub, proration_lines, invoice_now=behavior == "always_invoice")
    previous = changed(before, sub)
    if previous:
        acct.emit("customer.subscription.updated", sub, previous)
    return sub


def _proration(item: JSON, sign: int, ts: int) -> tuple[JSON, int, str]:
    start, end = int(item["current_period_start"]), int(item["current_period_end"])
    fraction = max(0.0, min(1.0, (end - ts) / (end - start))) if end > start else 0.0
    amount = round(int(item["price"]["unit_amount"] or 0) * int(item.get("quantity") or 1) * fraction) * sign
    label = "Unused time on" if sign < 0 else "Remaining time on"
    return item, amount, label


def _prorate(ctx: Ctx, sub: JSON, lines: list[tuple[JSON, int, str]], invoice_now: bool) -> None:
    acct = ctx.acct
    created: list[JSON] = []
    for item, amount, label in lines:
        if amount == 0:
            continue
        price = item["price"]
        ii_ctx = Ctx(
            ctx.sandbox,
            acct,
            {
                "customer": sub["customer"],
                "amount": str(amount),
                "currency": price["currency"],
                "description": f"{label} {_product_name(acct, price)} after {time.strftime('%d %b %Y', time.gmtime())}",
            },
            {},
            ctx.base_url,
            ctx.request_id,
            "POST",
            "",
        )
        ii = create_invoice_item(ii_ctx)
        ii["proration"] = True
        ii["parent"] = {
            "subscription_details": {"subscription": sub["id"], "subscription_item": item["id"]},
            "type": "subscription_details",
        }
        created.append(ii)
    if invoice_now and created:
        inv = new_invoice(
            ctx,
            sub["customer"],
            currency=sub["currency"],
            billing_reason="subscription_update",
            subscription=sub,
            auto_advance=True,
        )
        for ii in created:
            _attach_invoice_item(ctx, inv, ii)
        sub["latest_invoice"] = inv["id"]
        finalize(ctx, inv)
        if inv["status"] == "open" and inv["amount_due"] > 0:
            pm = sub.get("default_payment_method") or _default_pm(acct, inv)
            try:
                attempt_payment(ctx, inv, pm)
            except StripeError:
                sub["status"] = "past_due"


def cancel_subscription(ctx: Ctx) -> JSON:
    acct = ctx.acct
    sub = acct.get(
        "subscription", ctx.path_params["subscription_exposed_id"], param="subscription_exposed_id"
    )
    if sub["status"] in ("canceled", "incomplete_expired"):
        raise no_such("subscription", sub["id"], param="subscription_exposed_id")
    p = ctx.params
    before = snapshot(sub)
    ts = now()
    if "prorate" in p and as_bool(p["prorate"], "prorate") and sub["status"] == "active":
        lines = [_proration(item, -1, ts) for item in sub["items"]["data"]]
        _prorate(ctx, sub, lines, invoice_now="invoice_now" in p and as_bool(p["invoice_now"], "invoice_now"))
    elif "invoice_now" in p and as_bool(p["invoice_now"], "invoice_now"):
        pending = [
            ii
            for ii in acct.of_type("invoiceitem")
            if ii["customer"] == sub["customer"] and ii["invoice"] is None
        ]
        if pending:
            inv = new_invoice(
                ctx,
                sub["customer"],
                currency=sub["currency"],
                billing_reason="subscription_cycle",
                subscription=sub,
            )
            for ii in pending:
                _attach_invoice_item(ctx, inv, ii)
            finalize(ctx, inv)
    if sub["status"] == "incomplete":
        latest = acct.find("invoice", sub.get("latest_invoice"))
        if latest is not None and latest["status"] == "open":
            latest["status"] = "void"
            latest["status_transitions"]["voided_at"] = ts
    sub["status"] = "canceled"
    sub["canceled_at"] = ts
    sub["ended_at"] = ts
    sub["cancel_at_period_end"] = False
    sub["cancellation_details"] = {
        "comment": None,
        "feedback": None,
        "reason": "cancellation_requested",
    }
    if "cancellation_details" in p:
        cd = as_dict(p["cancellation_details"], "cancellation_details")
        sub["cancellation_details"]["comment"] = cd.get("comment") or None
        sub["cancellation_details"]["feedback"] = cd.get("feedback") or None
    acct.emit("customer.subscription.deleted", sub, changed(before, sub))
    return sub


def resume_subscription(ctx: Ctx) -> JSON:
    sub = ctx.acct.get("subscription", ctx.path_params["subscription"], param="subscription")
    if sub["status"] != "paused":
        raise invalid(
            f"Only subscriptions with `status=paused` can be resumed; this subscription is {sub['status']}. "
            "To undo cancel_at_period_end, update the subscription with cancel_at_period_end=false.",
            param="subscription",
        )
    before = snapshot(sub)
    sub["status"] = "active"
    sub["pause_collection"] = None
    ctx.acct.emit("customer.subscription.resumed", sub, changed(before, sub))
    return sub


def list_subscriptions(ctx: Ctx) -> JSON:
    p = ctx.params
    status = as_str(p.get("status", ""), "status") or None
    customer, price, cm = p.get("customer"), p.get("price"), p.get("collection_method")

    def pred(o: JSON) -> bool:
        if status is None and o["status"] in ("canceled", "incomplete_expired"):
            return False
        if status not in (None, "all") and o["status"] != status:
            return False
        if price is not None and not any(i["price"]["id"] == price for i in o["items"]["data"]):
            return False
        return (customer is None or o["customer"] == customer) and (
            cm is None or o["collection_method"] == cm
        )

    return paginate(ctx.acct, "subscription", p, "/v1/subscriptions", pred)


def search_subscriptions(ctx: Ctx) -> JSON:
    fields = fields_of("status", "customer", "created")
    return search(ctx, "subscription", fields, "/v1/subscriptions/search")


# -- payment links -------------------------------------------------------------------------


def _after_completion(value: Any) -> JSON:
    ac = as_dict(value, "after_completion")
    typ = as_enum(
        ac.get("type", "hosted_confirmation"), "after_completion[type]", ("hosted_confirmation", "redirect")
    )
    if typ == "redirect":
        redirect = as_dict(ac.get("redirect", {}), "after_completion[redirect]")
        if "url" not in redirect:
            raise missing_param("after_completion[redirect][url]")
        return {
            "type": "redirect",
            "redirect": {"url": as_str(redirect["url"], "after_completion[redirect][url]")},
        }
    hc = as_dict(ac.get("hosted_confirmation", {}), "after_completion[hosted_confirmation]")
    return {
        "type": "hosted_confirmation",
        "hosted_confirmation": {"custom_message": hc.get("custom_message")},
    }


def create_payment_link(ctx: Ctx) -> JSON:
    from .checkout import build_line_items

    p = ctx.params
    acct = ctx.acct
    items = build_line_items(ctx, p["line_items"])
    if not items:
        raise missing_param("line_items")
    currencies = {price["currency"] for price, _, _ in items}
    if len(currencies) > 1:
        raise invalid("All line items must use the same currency.", param="line_items")
    plid = new_id("plink", 24)
    pl: JSON = skeleton("payment_link")
    pl.update(
        id=plid,
        object="payment_link",
        active=True,
        after_completion=_after_completion(p.get("after_completion", {"type": "hosted_confirmation"})),
        allow_promotion_codes=as_bool(p.get("allow_promotion_codes", False), "allow_promotion_codes"),
        automatic_tax={"enabled": False, "liability": None},
        billing_address_collection="auto",
        currency=next(iter(currencies)),
        custom_fields=[],
        custom_text={
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        customer_creation=as_enum(
            p.get("customer_creation", "if_required"), "customer_creation", ("always", "if_required")
        ),
        livemode=False,
        metadata=apply_metadata({}, p.get("metadata", {})),
        name_collection={},
        payment_method_collection="always",
        phone_number_collection={"enabled": False},
        shipping_options=[],
        submit_type="auto",
        tax_id_collection={"enabled": False, "required": "never"},
        url=f"{ctx.base_url}/pl/{plid}",
    )
    acct.add(pl)
    ctx.own(pl)
    line_objects = []
    for price, qty, adj in items:
        li: JSON = skeleton("item")
        amount = int(price["unit_amount"] or 0) * qty
        li.update(
            id=new_id("li", 24),
            object="item",
            amount_discount=0,
            amount_subtotal=amount,
            amount_tax=0,
            amount_total=amount,
            currency=price["currency"],
            description=_product_name(acct, price),
            price=price,
            quantity=qty,
        )
        if adj:
            li["adjustable_quantity"] = adj
        acct.add(li)
        line_objects.append(li)
    acct.priv(pl)["line_item_ids"] = [li["id"] for li in line_objects]
    acct.priv(pl)["line_items_raw"] = p["line_items"]
    acct.hidden[plid] = {
        "line_items": {
            "object": "list",
            "data": line_objects,
            "has_more": False,
            "url": f"/v1/payment_links/{plid}/line_items",
        }
    }
    acct.emit("payment_link.created", pl)
    return pl


def retrieve_payment_link(ctx: Ctx) -> JSON:
    return ctx.acct.get("payment_link", ctx.path_params["payment_link"], param="payment_link")


def update_payment_link(ctx: Ctx) -> JSON:
    pl = ctx.acct.get("payment_link", ctx.path_params["payment_link"], param="payment_link")
    p = ctx.params
    before = snapshot(pl)
    if "active" in p:
        pl["active"] = as_bool(p["active"], "active")
    if "metadata" in p:
        pl["metadata"] = apply_metadata(pl["metadata"], p["metadata"])
    if "after_completion" in p:
        pl["after_completion"] = _after_completion(p["after_completion"])
    if "allow_promotion_codes" in p:
        pl["allow_promotion_codes"] = as_bool(p["allow_promotion_codes"], "allow_promotion_codes")
    if "inactive_message" in p:
        pl["inactive_message"] = as_str(p["inactive_message"], "inactive_message") or None
    previous = changed(before, pl)
    if previous:
        ctx.acct.emit("payment_link.updated", pl, previous)
    return pl


def list_payment_links(ctx: Ctx) -> JSON:
    p = ctx.params
    active = as_bool(p["active"], "active") if "active" in p else None

    def pred(o: JSON) -> bool:
        return active is None or o["active"] == active

    return paginate(ctx.acct, "payment_link", p, "/v1/payment_links", pred)


def payment_link_line_items(ctx: Ctx) -> JSON:
    pl = ctx.acct.get("payment_link", ctx.path_params["payment_link"], param="payment_link")
    ids = ctx.acct.priv(pl).get("line_item_ids", [])
    return paginate(
        ctx.acct, "item", ctx.params, f"/v1/payment_links/{pl['id']}/line_items", ids=list(reversed(ids))
    )


def session_for_link(ctx: Ctx, pl: JSON) -> JSON:
    """Create the Checkout Session a payment link opens (what Stripe does when the link is visited)."""
    from . import checkout

    acct = ctx.acct
    ids = acct.priv(pl).get("line_item_ids", [])
    line_items: list[dict[str, Any]] = []
    recurring = False
    for li_id in ids:
        li = acct.objects[li_id]
        entry: dict[str, Any] = {"price": li["price"]["id"], "quantity": str(li["quantity"])}
        if li.get("adjustable_quantity"):
            adj = li["adjustable_quantity"]
            entry["adjustable_quantity"] = {
                k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in adj.items() if v is not None
            }
        recurring = recurring or li["price"]["type"] == "recurring"
        line_items.append(entry)
    params: dict[str, Any] = {"mode": "subscription" if recurring else "payment", "line_items": line_items}
    if pl["after_completion"]["type"] == "redirect":
        params["success_url"] = pl["after_completion"]["redirect"]["url"]
    if not recurring:
        params["customer_creation"] = pl["customer_creation"]
    cs_ctx = Ctx(ctx.sandbox, acct, params, {}, ctx.base_url, ctx.request_id, "POST", "")
    cs = checkout.create(cs_ctx)
    cs["payment_link"] = pl["id"]
    cs["metadata"] = dict(pl["metadata"])
    return cs


def register(router: Router) -> None:
    router.add("POST", "/v1/subscriptions", create_subscription)
    router.add("GET", "/v1/subscriptions", list_subscriptions)
    router.add("GET", "/v1/subscriptions/search", search_subscriptions)
    router.add("GET", "/v1/subscriptions/{subscription_exposed_id}", retrieve_subscription)
    router.add("POST", "/v1/subscriptions/{subscription_exposed_id}", update_subscription)
    router.add("DELETE", "/v1/subscriptions/{subscription_exposed_id}", cancel_subscription)
    router.add("POST", "/v1/subscriptions/{subscription}/resume", resume_subscription)
    router.add("POST", "/v1/invoices", create_invoice)
    router.add("GET", "/v1/invoices", list_invoices)
    router.add("GET", "/v1/invoices/search", search_invoices)
    router.add("GET", "/v1/invoices/{invoice}", retrieve_invoice)
    router.add("POST", "/v1/invoices/{invoice}", update_invoice)
    router.add("DELETE", "/v1/invoices/{invoice}", delete_invoice)
    router.add("GET", "/v1/invoices/{invoice}/lines", invoice_lines)
    router.add("POST", "/v1/invoices/{invoice}/finalize", finalize_invoice)
    router.add("POST", "/v1/invoices/{invoice}/pay", pay_invoice)
    router.add("POST", "/v1/invoices/{invoice}/void", void_invoice)
    router.add("POST", "/v1/invoices/{invoice}/send", send_invoice)
    router.add("POST", "/v1/invoiceitems", create_invoice_item)
    router.add("GET", "/v1/invoiceitems", list_invoice_items)
    router.add("GET", "/v1/invoiceitems/{invoiceitem}", retrieve_invoice_item)
    router.add("POST", "/v1/invoiceitems/{invoiceitem}", update_invoice_item)
    router.add("DELETE", "/v1/invoiceitems/{invoiceitem}", delete_invoice_item)
    router.add("POST", "/v1/payment_links", create_payment_link)
    router.add("GET", "/v1/payment_links", list_payment_links)
    router.add("GET", "/v1/payment_links/{payment_link}", retrieve_payment_link)
    router.add("POST", "/v1/payment_links/{payment_link}", update_payment_link)
    router.add("GET", "/v1/payment_links/{payment_link}/line_items", payment_link_line_items)
