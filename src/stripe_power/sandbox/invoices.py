"""Invoices and invoice items: drafting, finalizing, paying through a PaymentIntent, voiding."""

from __future__ import annotations

from ..currencies import minimum_charge
from . import catalog, invoice_totals, payment_intents, payment_methods
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
    as_str,
    changed,
    now,
    paginate,
    skeleton,
    snapshot,
)


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
        invoice_totals.inherit(acct, inv, subscription)
    acct.add(inv)
    ctx.own(inv)
    acct.emit("invoice.created", inv)
    return inv


def subscription_item_parent(subscription_id: str, item_id: str) -> JSON:
    """A line's ``parent`` for a subscription item billed for its period (not a proration)."""
    return {
        "invoice_item_details": None,
        "subscription_item_details": {
            "invoice_item": None,
            "proration": False,
            "proration_details": {"credited_items": None},
            "subscription": subscription_id,
            "subscription_item": item_id,
        },
        "type": "subscription_item_details",
    }


def add_line(
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
    invoice_totals.recompute(ctx.acct, inv)
    return line


def attach_invoice_item(ctx: Ctx, inv: JSON, ii: JSON) -> None:
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
    add_line(
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
    if 0 < inv["amount_due"] < minimum_charge(inv["currency"]):
        # Below the minimum charge amount Stripe charges nothing: the invoice is paid and the
        # amount goes to the customer's balance, collected with the next invoice.
        cust["balance"] = int(cust.get("balance") or 0) + inv["amount_due"]
        inv["ending_balance"] = inv["amount_due"]
        inv["amount_due"] = inv["amount_remaining"] = 0
    if inv["amount_due"] > 0:
        pi = payment_intents.new_payment_intent(
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
        mark_paid(ctx, inv, None)


def invoice_pi(acct: Account, inv: JSON) -> JSON | None:
    for p in inv["payments"]["data"]:
        pi = acct.find("payment_intent", p["payment"].get("payment_intent"))
        if pi is not None:
            return pi
    return None


def mark_paid(ctx: Ctx, inv: JSON, pi: JSON | None) -> None:
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
    if inv is not None and inv["status"] in ("open", "uncollectible"):
        mark_paid(ctx, inv, pi)


payment_intents.PI_SUCCESS_HOOKS.append(_on_pi_succeeded)


def default_pm(acct: Account, inv: JSON) -> str | None:
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
    pi = invoice_pi(acct, inv)
    if pi is None:
        mark_paid(ctx, inv, None)
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
        pm = payment_methods.resolve_payment_method(ctx, pm_id, "payment_method")
        pi["payment_method"] = pm["id"]
        pi["status"] = "requires_confirmation"
        try:
            payment_intents.confirm(ctx, pi, {"off_session": "true"} if off_session else {})
        except StripeError:
            acct.emit("invoice.payment_failed", inv, changed(before, inv))
            raise
        if pi["status"] == "requires_action":
            acct.emit("invoice.payment_action_required", inv, changed(before, inv))


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
        inv["default_payment_method"] = payment_methods.resolve_payment_method(
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
                attach_invoice_item(ctx, inv, ii)
    invoice_totals.apply_params(ctx, inv, p)
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
    invoice_totals.apply_params(ctx, inv, p)
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
    if inv["status"] not in ("open", "uncollectible"):  # Stripe still collects uncollectible invoices
        raise invalid(f"You can only pay an open invoice; this invoice is {inv['status']}.", param="invoice")
    if "paid_out_of_band" in p and as_bool(p["paid_out_of_band"], "paid_out_of_band"):
        pi = invoice_pi(ctx.acct, inv)
        if pi is not None and pi["status"] not in ("succeeded", "canceled"):
            pi["status"] = "canceled"
            pi["canceled_at"] = now()
        inv["amount_paid_off_stripe"] = inv["amount_due"]
        mark_paid(ctx, inv, None)
        return inv
    pm_id = (
        as_str(p["payment_method"], "payment_method") if "payment_method" in p else default_pm(ctx.acct, inv)
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
    pi = invoice_pi(ctx.acct, inv)
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
        "/v1/invoices",
        create_invoice,
        consumes=(
            "address",
            "auto_advance",
            "collection_method",
            "currency",
            "customer",
            "days_until_due",
            "default_payment_method",
            "default_tax_rates",
            "description",
            "discounts",
            "due_date",
            "footer",
            "metadata",
            "pending_invoice_items_behavior",
            "subscription",
        ),
    )
    router.add("GET", "/v1/invoices", list_invoices)
    router.add("GET", "/v1/invoices/search", search_invoices)
    router.add("GET", "/v1/invoices/{invoice}", retrieve_invoice)
    router.add(
        "POST",
        "/v1/invoices/{invoice}",
        update_invoice,
        consumes=(
            "auto_advance",
            "collection_method",
            "days_until_due",
            "default_payment_method",
            "default_tax_rates",
            "description",
            "discounts",
            "due_date",
            "footer",
            "metadata",
        ),
    )
    router.add("DELETE", "/v1/invoices/{invoice}", delete_invoice)
    router.add("GET", "/v1/invoices/{invoice}/lines", invoice_lines)
    router.add(
        "POST", "/v1/invoices/{invoice}/finalize", finalize_invoice, consumes=("address", "auto_advance")
    )
    router.add(
        "POST",
        "/v1/invoices/{invoice}/pay",
        pay_invoice,
        consumes=("off_session", "paid_out_of_band", "payment_method"),
    )
    router.add("POST", "/v1/invoices/{invoice}/void", void_invoice, consumes=("address",))
    router.add("POST", "/v1/invoices/{invoice}/send", send_invoice, consumes=())
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
