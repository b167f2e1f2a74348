"""An invoice's life inside the sandbox: drafting, its lines, finalizing (number, PaymentIntent),
payment attempts and being paid. The API handlers (`invoices.py`), subscriptions and the test
clock's billing cycle all move invoices through these functions."""

from __future__ import annotations

from collections.abc import Callable

from ..core.errors import StripeError, invalid
from ..core.ids import new_id
from ..core.router import Ctx
from ..core.store import JSON, Account, changed, now, skeleton, snapshot
from ..payments import charges, payment_intents, payment_methods
from . import catalog, customer_balance, invoice_totals

# Called when an invoice is paid, with the PaymentIntent that paid it if any (the subscription it
# belongs to becomes active: subscription_billing.py).
PAID_HOOKS: list[Callable[[Ctx, JSON, JSON | None], None]] = []
# Stripe finalizes a draft with automatic advancement about an hour after creating it.
DRAFT_SECONDS = 3600


# An invoice's zeroed amounts and empty settings, as a new draft has them.
_ZERO = dict.fromkeys(
    (
        "amount_due", "amount_overpaid", "amount_paid", "amount_paid_off_stripe", "amount_remaining",
        "amount_shipping", "attempt_count", "post_payment_credit_notes_amount",
        "pre_payment_credit_notes_amount", "starting_balance", "subtotal", "subtotal_excluding_tax",
        "total", "total_excluding_tax",
    ),
    0,
)  # fmt: skip
_EMPTY_SETTINGS: JSON = {
    "automatic_tax": {
        "disabled_reason": None,
        "enabled": False,
        "liability": None,
        "provider": None,
        "status": None,
    },
    "payment_settings": {
        "default_mandate": None,
        "payment_method_options": None,
        "payment_method_types": None,
    },
    "status_transitions": {
        "finalized_at": None,
        "marked_uncollectible_at": None,
        "paid_at": None,
        "voided_at": None,
    },
}


def _customer_fields(cust: JSON) -> JSON:
    """The customer's details an invoice copies when it is made."""
    return {
        "customer": cust["id"],
        "customer_address": cust.get("address"),
        "customer_email": cust.get("email"),
        "customer_name": cust.get("name"),
        "customer_phone": cust.get("phone"),
        "customer_shipping": cust.get("shipping"),
        "customer_tax_exempt": "none",
        "customer_tax_ids": [],
    }


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
    """A draft invoice for the customer (``subscription``'s, where given), with its
    ``invoice.created`` event."""
    acct = ctx.acct
    cust = acct.get("customer", customer_id, param="customer", status=400)
    iid = new_id("in", 24)
    ts = now()
    inv: JSON = skeleton("invoice")
    inv.update(_ZERO, **snapshot(_EMPTY_SETTINGS), **_customer_fields(cust))
    inv.update(
        id=iid,
        object="invoice",
        account_country="US",
        account_name="stripe-power sandbox",
        attempted=False,
        auto_advance=auto_advance,
        billing_reason=billing_reason,
        collection_method=collection_method,
        created=ts,
        currency=currency or "usd",
        default_tax_rates=[],
        description=description,
        discounts=[],
        ending_balance=None,
        issuer={"type": "self"},
        lines={"object": "list", "data": [], "has_more": False, "url": f"/v1/invoices/{iid}/lines"},
        livemode=False,
        metadata=metadata or {},
        payments={
            "object": "list",
            "data": [],
            "has_more": False,
            "url": f"/v1/invoice_payments?invoice={iid}",
        },
        period_end=ts,
        period_start=ts,
        status="draft",
        total_discount_amounts=[],
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
    if auto_advance:
        inv["automatically_finalizes_at"] = ts + DRAFT_SECONDS
    acct.add(inv)
    ctx.own(inv)
    acct.emit("invoice.created", inv)
    return inv


def subscription_item_parent(subscription_id: str, item_id: str, proration: bool = False) -> JSON:
    """A line's ``parent`` for a subscription item billed for its period (``proration``: a part of it)."""
    return {
        "invoice_item_details": None,
        "subscription_item_details": {
            "invoice_item": None,
            "proration": proration,
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
    if not inv.get("number"):  # a number set through the API is kept (and takes no sequence number)
        seq = int(cust.get("next_invoice_sequence") or 1)
        cust["next_invoice_sequence"] = seq + 1
        inv["number"] = f"{cust['invoice_prefix']}-{seq:04d}"
    inv["status"] = "open"
    inv["automatically_finalizes_at"] = None
    ts = now()
    inv["status_transitions"]["finalized_at"] = ts
    inv["effective_at"] = inv.get("effective_at") or ts  # "Same as finalized_at unless overwritten"
    inv["hosted_invoice_url"] = f"{ctx.base_url}/i/{inv['id']}"
    inv["invoice_pdf"] = f"{ctx.base_url}/i/{inv['id']}/pdf"
    customer_balance.apply_at_finalization(acct, inv)
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
    for hook in PAID_HOOKS:
        hook(ctx, inv, pi)


def _on_pi_succeeded(ctx: Ctx, pi: JSON) -> None:
    inv = ctx.acct.find("invoice", ctx.acct.priv(pi).get("invoice"))
    if inv is not None and inv["status"] in ("open", "uncollectible"):
        mark_paid(ctx, inv, pi)


payment_intents.PI_SUCCESS_HOOKS.append(_on_pi_succeeded)


def void(ctx: Ctx, inv: JSON) -> None:
    """Void an open or uncollectible invoice; its PaymentIntent is canceled."""
    if inv["status"] not in ("open", "uncollectible"):
        raise invalid(
            f"You can only void an open or uncollectible invoice; this invoice is {inv['status']}.",
            param="invoice",
        )
    before = snapshot(inv)
    ts = now()
    inv["status"] = "void"
    inv["status_transitions"]["voided_at"] = ts
    inv["amount_remaining"] = 0
    inv["next_payment_attempt"] = None
    pi = invoice_pi(ctx.acct, inv)
    if pi is not None and pi["status"] not in ("succeeded", "canceled"):
        pi_before = snapshot(pi)
        pi["status"] = "canceled"
        pi["canceled_at"] = ts
        pi["cancellation_reason"] = "void_invoice"
        ctx.acct.emit("payment_intent.canceled", pi, changed(pi_before, pi))
    for pay in inv["payments"]["data"]:
        pay["status"] = "canceled"
        pay["status_transitions"]["canceled_at"] = ts
    customer_balance.unapply(ctx.acct, inv)
    ctx.acct.emit("invoice.voided", inv, changed(before, inv))


def mark_uncollectible(ctx: Ctx, inv: JSON) -> None:
    """Stripe allows it on open invoices only; the invoice can still be paid afterwards."""
    if inv["status"] != "open":
        raise invalid(
            f"You can only mark an invoice as uncollectible if it is open; this invoice is {inv['status']}.",
            param="invoice",
        )
    before = snapshot(inv)
    inv["status"] = "uncollectible"
    inv["status_transitions"]["marked_uncollectible_at"] = now()
    inv["next_payment_attempt"] = None
    inv["auto_advance"] = False
    previous = changed(before, inv)
    ctx.acct.emit("invoice.marked_uncollectible", inv, previous)
    ctx.acct.emit("invoice.updated", inv, previous)


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


def price_desc(acct: Account, price: JSON, qty: int) -> str:
    """A line's description for ``qty`` of ``price``: ``2 × Team (at $20.00 / month)``."""
    name = catalog.product_name(acct, price)
    amount = charges.fmt_money(int(price["unit_amount"] or 0), price["currency"])
    if price.get("recurring"):
        r = price["recurring"]
        every = r["interval"] if r["interval_count"] == 1 else f"{r['interval_count']} {r['interval']}s"
        return f"{qty} × {name} (at {amount} / {every})"
    return f"{qty} × {name}" if qty != 1 else name
