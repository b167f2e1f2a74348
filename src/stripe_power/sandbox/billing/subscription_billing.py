"""What a subscription puts on invoices, and how their payment moves the subscription.

- Lines: each item for a period (`bill_period`, a share of it when the period is cut short by
  a billing cycle anchor or a cancellation), a trial's free lines, prorations of a change (credits for unused time, charges for the
  remaining time) as pending invoice items.
- `invoice_now`: an invoice of the subscription's pending items (and any period lines), finalized.
- `collect`: the payment attempt as `payment_behavior` says (docs.stripe.com/api/subscriptions/update
  `payment_behavior`); `precheck` refuses `error_if_incomplete` before anything changes.
- When an invoice of the subscription is paid (`_on_paid`): the subscription becomes `active`,
  a pending update is applied, and `payment_settings.save_default_payment_method=on_subscription`
  makes the paying method the subscription's default.
"""

from __future__ import annotations

from ..core.errors import StripeError, invalid
from ..core.router import Ctx
from ..core.store import JSON, Account, changed, snapshot
from ..payments import payment_methods
from . import catalog, invoice_items, invoice_lifecycle
from .billing_periods import add_interval, day_label, prorated
from .invoice_items import create_invoice_item
from .invoice_lifecycle import (
    add_line,
    attach_invoice_item,
    attempt_payment,
    default_pm,
    finalize,
    new_invoice,
    price_desc,
    subscription_item_parent,
)

INCOMPLETE_SECONDS = 23 * 3600  # an unpaid first invoice (or a pending update) expires after 23 hours


def subscription_of(acct: Account, inv: JSON) -> JSON | None:
    sub_id = ((inv.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    return acct.find("subscription", sub_id)


def recurring_of(sub: JSON) -> JSON:
    recurring: JSON = sub["items"]["data"][0]["price"]["recurring"]
    return recurring


def unit_total(item: JSON) -> int:
    return int(item["price"]["unit_amount"] or 0) * int(item.get("quantity") or 0)


def bill_period(ctx: Ctx, inv: JSON, sub: JSON, start: int, end: int, share: float = 1.0) -> None:
    """One line per subscription item for ``start``..``end``: ``share`` of a full period's price
    (below 1, a period cut short by a billing cycle anchor or a cancellation: a proration)."""
    for item in sub["items"]["data"]:
        price, qty = item["price"], int(item["quantity"])
        desc = price_desc(ctx.acct, price, qty)
        if share < 1:
            desc = f"Remaining time on {desc} after {day_label(start)}"
        parent = subscription_item_parent(sub["id"], item["id"], proration=share < 1)
        add_line(ctx, inv, round(unit_total(item) * share), desc, qty, price, (start, end), parent, sub["id"])


def bill_trial(ctx: Ctx, inv: JSON, sub: JSON, start: int, end: int) -> None:
    """A trial's lines: each item, free."""
    for item in sub["items"]["data"]:
        price, qty = item["price"], int(item["quantity"])
        desc = f"Trial period for {catalog.product_name(ctx.acct, price)}"
        parent = subscription_item_parent(sub["id"], item["id"])
        add_line(ctx, inv, 0, desc, qty, price, (start, end), parent, sub["id"])


def share_of(sub: JSON, start: int, end: int, *, to_anchor: bool) -> float:
    """The part of a full period that ``start``..``end`` is: a full period ends at the anchor
    (``to_anchor``, a period leading up to it) or starts at ``start`` (a period cut short)."""
    r = recurring_of(sub)
    count = int(r["interval_count"])
    full = (
        (add_interval(end, r["interval"], -count), end)
        if to_anchor
        else (start, add_interval(start, r["interval"], count))
    )
    return min(1.0, (end - start) / (full[1] - full[0])) if full[1] > full[0] else 1.0


def proration_items(ctx: Ctx, sub: JSON, changes: list[tuple[JSON, int]], at: int) -> list[JSON]:
    """Pending invoice items for a change at ``at``: per (item, sign), a credit (-1) for the unused
    time of the item as it was, or a charge (+1) for the remaining time as it is now."""
    created = []
    for item, sign in changes:
        start, end = int(item["current_period_start"]), int(item["current_period_end"])
        amount = prorated(unit_total(item), start, end, at) * sign
        if amount == 0:
            continue
        label = "Unused time on" if sign < 0 else "Remaining time on"
        price = item["price"]
        ii = create_invoice_item(
            ctx.derive(
                {
                    "customer": sub["customer"],
                    "amount": str(amount),
                    "currency": price["currency"],
                    "description": f"{label} {price_desc(ctx.acct, price, int(item['quantity'] or 0))} "
                    f"after {day_label(at)}",
                    "period": {"start": str(at), "end": str(end)},
                }
            )
        )
        ii["proration"] = True
        ii["parent"] = {
            "subscription_details": {"subscription": sub["id"], "subscription_item": item["id"]},
            "type": "subscription_details",
        }
        created.append(ii)
    return created


def add_invoice_items(ctx: Ctx, sub: JSON, items: list[tuple[JSON, int]], inv: JSON | None) -> None:
    """``add_invoice_items``: one-time prices on ``inv`` (a first invoice) or, without one, pending
    for the subscription's next invoice."""
    for price, qty in items:
        params: JSON = {"customer": sub["customer"], "pricing": {"price": price["id"]}, "quantity": str(qty)}
        params.update({"invoice": inv["id"]} if inv is not None else {"subscription": sub["id"]})
        create_invoice_item(ctx.derive(params))


def pending_items(acct: Account, sub: JSON) -> list[JSON]:
    """The customer's invoice items not yet on an invoice that the subscription's next invoice takes:
    its own and the customer's unassigned ones, in its currency."""
    return [
        ii
        for ii in acct.of_type("invoiceitem")
        if ii["customer"] == sub["customer"]
        and ii["invoice"] is None
        and invoice_items.subscription_of(ii) in (None, sub["id"])
        and ii["currency"] == sub["currency"]
    ]


def subscription_invoice(ctx: Ctx, sub: JSON, reason: str) -> JSON:
    """A draft invoice of the subscription, collected as the subscription is."""
    return new_invoice(
        ctx,
        sub["customer"],
        currency=sub["currency"],
        collection_method=sub["collection_method"],
        days_until_due=sub.get("days_until_due"),
        billing_reason=reason,
        subscription=sub,
        auto_advance=True,
    )


def invoice_now(ctx: Ctx, sub: JSON, reason: str, period: tuple[int, int] | None = None) -> JSON:
    """A finalized invoice for the subscription now: the full ``period`` (when a new cycle starts)
    and its pending invoice items (prorations among them)."""
    inv = subscription_invoice(ctx, sub, reason)
    for ii in pending_items(ctx.acct, sub):
        attach_invoice_item(ctx, inv, ii)
    if period is not None:
        bill_period(ctx, inv, sub, *period)
    sub["latest_invoice"] = inv["id"]
    finalize(ctx, inv)
    return inv


def payment_method_for(acct: Account, sub: JSON) -> str | None:
    found = sub.get("default_payment_method")
    if found:
        return str(found)
    cust = acct.find("customer", sub["customer"])
    pm = ((cust or {}).get("invoice_settings") or {}).get("default_payment_method")
    return str(pm) if pm else None


def precheck(ctx: Ctx, pm_id: str | None, amount: int) -> None:
    """``payment_behavior=error_if_incomplete``: the 402 (or 400) Stripe answers when the invoice
    could not be paid at once, before anything is created or changed."""
    if amount <= 0:
        return
    if pm_id is None:
        raise invalid(
            "This customer has no attached payment source or default payment method. Please consider adding "
            "a default payment method."
        )
    card = payment_methods.card_of(ctx.acct, ctx.acct.get("payment_method", pm_id))
    if card.declines_charges:
        raise payment_methods.card_error(card)
    if card.outcome == "requires_action" or (
        card.outcome == "requires_action_on_session" and pm_id not in ctx.acct.off_session_ready
    ):
        raise StripeError(
            402,
            "Your card was declined. This transaction requires authentication.",
            type="card_error",
            code="authentication_required",
            decline_code="authentication_required",
        )


def collect(ctx: Ctx, sub: JSON, inv: JSON, behavior: str, *, off_session: bool = True) -> bool:
    """Try to pay ``inv`` as ``payment_behavior`` says; True when it is paid (or owes nothing).
    ``default_incomplete`` waits for the invoice's PaymentIntent to be confirmed; a
    ``send_invoice`` subscription is sent the invoice instead."""
    if inv["status"] == "paid":
        return True
    if inv["status"] != "open":
        return False
    if sub["collection_method"] == "send_invoice":
        ctx.acct.emit("invoice.sent", inv)
        return False
    if behavior == "default_incomplete":
        return False
    pm = sub.get("default_payment_method") or default_pm(ctx.acct, inv)
    try:
        attempt_payment(ctx, inv, pm, off_session=off_session)
    except StripeError as err:
        if err.status != 402 and pm is not None:
            raise
        if pm is None:  # nothing to charge: reported here, as a failed attempt
            missed_attempt(ctx, inv)
    return bool(inv["status"] == "paid")


def missed_attempt(ctx: Ctx, inv: JSON) -> None:
    """An attempt that could not charge anything (no payment method): counted and reported."""
    before = snapshot(inv)
    inv["attempt_count"] += 1
    inv["attempted"] = True
    ctx.acct.emit("invoice.payment_failed", inv, changed(before, inv))


def set_status(acct: Account, sub: JSON, status: str) -> None:
    if sub["status"] == status:
        return
    before = snapshot(sub)
    sub["status"] = status
    acct.emit("customer.subscription.updated", sub, changed(before, sub))


def _on_paid(ctx: Ctx, inv: JSON, pi: JSON | None) -> None:
    acct = ctx.acct
    sub = subscription_of(acct, inv)
    if sub is None or sub["status"] in ("canceled", "incomplete_expired"):
        return
    before = snapshot(sub)
    if pi is not None and pi.get("payment_method"):
        settings = sub.get("payment_settings") or {}
        if settings.get("save_default_payment_method") == "on_subscription":
            sub["default_payment_method"] = pi["payment_method"]
    pending = acct.priv(sub).get("pending")
    if pending is not None and pending["invoice"] == inv["id"]:
        from .subscription_changes import apply_pending  # the changes module imports this one

        apply_pending(ctx, sub)
    resumed = sub["status"] == "paused" and sub.get("latest_invoice") == inv["id"]
    if sub["status"] in ("incomplete", "past_due", "unpaid") or resumed:
        sub["status"] = "active"
    previous = changed(before, sub)
    if previous:
        acct.emit("customer.subscription.updated", sub, previous)
    if resumed:
        acct.emit("customer.subscription.resumed", sub, previous)


invoice_lifecycle.PAID_HOOKS.append(_on_paid)
