"""Completing a Checkout Session from its hosted page: quantities, collected details, the customer,
then the payment (payment mode), the subscription (subscription mode) or the saved card (setup)."""

from __future__ import annotations

from collections.abc import Callable

from ..billing.subscription_create import Terms, start_subscription
from ..connect import connect_charges
from ..core.errors import StripeError, invalid
from ..core.router import Ctx
from ..core.store import JSON, Account, apply_metadata, changed, now, snapshot
from ..payments import customers, payment_intents, payment_methods, setup_intents
from . import checkout_collection, checkout_totals
from .checkout_collection import Collected

# Stripe's bounds for an adjustable quantity when none are given.
DEFAULT_MAXIMUM = 99


def check_quantities(acct: Account, cs: JSON, quantities: dict[int, int]) -> None:
    """Each chosen quantity is for a line whose quantity is adjustable, within its bounds: said,
    not skipped (the customer would pay for a quantity other than the one they chose). A lone
    item cannot go down to 0 (spec3.json `adjustable_quantity.minimum`: "If there is only one item
    in the cart then that item's quantity cannot go down to 0")."""
    priv = acct.priv(cs)
    ids = priv.get("line_item_ids", [])
    adjustable = priv.get("adjustable", [])
    for index, qty in quantities.items():
        adj = (adjustable[index] or {}) if index < len(ids) else {}
        if not adj.get("enabled"):
            raise StripeError(400, f"Line item {index + 1} has no adjustable quantity.", param="quantity")
        lo = adj.get("minimum") or (1 if len(ids) == 1 else 0)
        hi = adj.get("maximum") or DEFAULT_MAXIMUM
        if not lo <= qty <= hi:
            raise StripeError(400, f"Quantity must be between {lo} and {hi}.", param="quantity")


def _apply_quantities(acct: Account, cs: JSON, quantities: dict[int, int]) -> None:
    check_quantities(acct, cs, quantities)
    ids = acct.priv(cs).get("line_item_ids", [])
    for index, qty in quantities.items():
        li = acct.objects[ids[index]]
        li["quantity"] = qty
        amount = int(li["price"]["unit_amount"] or 0) * qty
        li["amount_subtotal"] = li["amount_total"] = amount
    checkout_totals.recompute(acct, cs)


def complete(
    ctx: Ctx,
    cs: JSON,
    card_number: str,
    collected: Collected,
    quantities: dict[int, int] | None = None,
    authenticate: bool = True,
) -> None:
    """Pay ``cs`` with a test card number, as the hosted page's form does. Raises StripeError on a
    missing detail, a decline, or a failed 3D Secure (`authenticate=False`); the session stays open."""
    from .checkout import refresh  # checkout imports this module for its handlers

    acct = ctx.acct
    refresh(acct, cs)
    if cs["status"] != "open":
        raise invalid(f"This Checkout Session is no longer open (status: {cs['status']}).")
    before = snapshot(cs)
    if quantities:
        _apply_quantities(acct, cs, quantities)
    pm = payment_methods.pm_from_number(ctx, card_number)
    card = payment_methods.card_of(acct, pm)
    collected.email = collected.email or cs.get("customer_email")
    checkout_collection.record(cs, collected)
    if card.outcome == "declined" and cs["mode"] != "payment":
        raise payment_methods.card_error(card)
    cust = _customer(ctx, cs)
    setup = checkout_totals.redeem(ctx, cs, cs.get("customer")) if cs["mode"] != "setup" else None
    if cs["mode"] == "payment":
        _pay(ctx, cs, pm, authenticate)
    elif cs["mode"] == "subscription":
        assert cust is not None
        payment_methods.attach(ctx, pm, cust["id"])
        _subscribe(ctx, cs, pm, setup)
    else:
        _save_card(ctx, cs, pm, authenticate)
    cs["status"] = "complete"
    cs["url"] = None
    acct.emit("checkout.session.completed", cs, changed(before, cs))
    for hook in COMPLETED_HOOKS:
        hook(ctx, cs)


# Called when a session completes (a payment link counts its completed sessions: payment_links.py).
COMPLETED_HOOKS: list[Callable[[Ctx, JSON], None]] = []


def _customer(ctx: Ctx, cs: JSON) -> JSON | None:
    """The session's customer: the one it was made for, or one it creates (subscription and setup
    modes, or ``customer_creation=always``), with what the page collected."""
    acct = ctx.acct
    details = cs["customer_details"]
    cust = acct.find("customer", cs.get("customer")) if cs.get("customer") else None
    created = False
    if cust is None and (cs["mode"] != "payment" or cs.get("customer_creation") == "always"):
        email = details.get("email")
        cust = customers.create(ctx.derive({"email": email} if email else {}))
        cs["customer"] = cust["id"]
        created = True
    if cust is not None:
        before = snapshot(cust)
        checkout_collection.save_on_customer(acct, cs, cust, created)
        details["email"] = details.get("email") or cust.get("email")
        details["name"] = details.get("name") or cust.get("name")
        if not created and changed(before, cust):
            acct.emit("customer.updated", cust, changed(before, cust))
    return cust


def _pay(ctx: Ctx, cs: JSON, pm: JSON, authenticate: bool) -> None:
    acct = ctx.acct
    pid = acct.priv(cs).get("payment_intent_data", {})
    pi = payment_intents.new_payment_intent(
        ctx,
        int(cs["amount_total"] or 0),
        str(cs["currency"]),
        customer=cs.get("customer"),
        description=pid.get("description"),
        metadata=apply_metadata({}, pid.get("metadata", {})),
        capture_method=pid.get("capture_method", "automatic_async"),
        setup_future_usage=pid.get("setup_future_usage"),
        receipt_email=pid.get("receipt_email") or cs["customer_details"].get("email"),
    )
    acct.priv(pi)["hosted"] = True
    connect_charges.apply(ctx, pi, acct.priv(cs).get("connect") or connect_charges.Terms({}, {}))
    pi["shipping"] = checkout_collection.shipping_of(cs)
    pi["payment_method"] = pm["id"]
    pi["status"] = "requires_confirmation"
    cs["payment_intent"] = pi["id"]
    payment_intents.confirm(ctx, pi, {})  # raises StripeError on decline
    if pi["status"] == "requires_action":
        payment_intents.authenticate(ctx, pi, authenticate)  # the customer does 3D Secure on the page
        _raise_failed(pi.get("last_payment_error"))
    cs["payment_status"] = "paid" if pi["status"] == "succeeded" else "unpaid"


def _subscribe(ctx: Ctx, cs: JSON, pm: JSON, setup: Callable[[JSON], None] | None) -> None:
    acct = ctx.acct
    sd = acct.priv(cs).get("subscription_data", {})
    line_objects = [acct.objects[i] for i in acct.priv(cs).get("line_item_ids", [])]
    bought = [(li["price"], int(li["quantity"] or 1)) for li in line_objects]
    trial_days = int(sd["trial_period_days"]) if "trial_period_days" in sd else 0
    terms = Terms(
        cs["customer"],
        [(p, q) for p, q in bought if p["type"] == "recurring"],
        add_invoice_items=[(p, q) for p, q in bought if p["type"] != "recurring"],
        default_payment_method=pm["id"],
        trial_end=now() + 86400 * trial_days if trial_days else None,
        metadata=apply_metadata({}, sd.get("metadata", {})),
        description=sd.get("description"),
    )
    sub = start_subscription(ctx, terms, setup)
    cs["subscription"] = sub["id"]
    cs["invoice"] = sub.get("latest_invoice")
    cs["payment_status"] = "paid"


def _save_card(ctx: Ctx, cs: JSON, pm: JSON, authenticate: bool) -> None:
    acct = ctx.acct
    sid_data = acct.priv(cs).get("setup_intent_data", {})
    si = setup_intents.new_setup_intent(
        ctx, cs.get("customer"), metadata=apply_metadata({}, sid_data.get("metadata", {}))
    )
    acct.priv(si)["hosted"] = True
    si["payment_method"] = pm["id"]
    si["status"] = "requires_confirmation"
    cs["setup_intent"] = si["id"]
    setup_intents.confirm_setup(ctx, si, {})
    if si["status"] == "requires_action":
        setup_intents.authenticate_setup(ctx, si, authenticate)
        _raise_failed(si.get("last_setup_error"))
    cs["payment_status"] = "no_payment_required"


def _raise_failed(error: JSON | None) -> None:
    if error:
        raise StripeError(402, str(error["message"]), type="card_error", code=str(error["code"]))
