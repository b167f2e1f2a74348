"""What falls due as a test clock advances, run in time order.

Per subscription: `customer.subscription.trial_will_end` three days before a trial ends; at each
period end a renewal (a `subscription_cycle` invoice with the items at their current prices and
the customer's pending invoice items, prorations included) or, with `cancel_at_period_end` or a
`cancel_at` that has come, the cancellation. Per invoice: finalization an hour after a renewal
invoice is created (Stripe's draft period), then the automatic payment attempt with the default
payment method.

Failed payments follow one fixed retry schedule, chosen to stand for Stripe's defaults (Smart
Retries try up to 8 times in 2 weeks; the schedule itself is Stripe's secret): retries 3, 5 and
7 days after the previous attempt (4 attempts over 15 days). The subscription is `past_due` from
the first failure; after the last one it is canceled (`cancellation_details.reason:
payment_failed`, the Dashboard's default "cancel the subscription") and the invoice stays open
(the default "leave the invoice past due").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from . import subscription_schedules
from .errors import StripeError
from .invoices import (
    add_line,
    attach_invoice_item,
    attempt_payment,
    default_pm,
    finalize,
    new_invoice,
    subscription_item_parent,
)
from .router import Ctx
from .store import JSON, Account, at_time, changed, snapshot
from .subscriptions import add_interval, period_end_after, price_desc

Step = Callable[[Ctx, int, JSON], None]

RETRY_DAYS = (3, 5, 7)
DRAFT_SECONDS = 3600
TRIAL_WILL_END = 3 * 86400
_LIVE = ("trialing", "active", "past_due")


def _period_end(sub: JSON) -> int:
    return min(int(item["current_period_end"]) for item in sub["items"]["data"])


def advance_limit(acct: Account, customers: Iterable[JSON], frozen: int) -> int | None:
    """The furthest a clock may go in one advance: two of its shortest subscription interval."""
    ids = {c["id"] for c in customers}
    limits = []
    for sub in acct.of_type("subscription"):
        if sub["customer"] in ids and sub["status"] in _LIVE:
            for item in sub["items"]["data"]:
                r = item["price"]["recurring"]
                limits.append(add_interval(frozen, r["interval"], 2 * int(r["interval_count"])))
    return min(limits) if limits else None


def _due(acct: Account, ids: set[str]) -> list[tuple[int, int, Step, JSON]]:
    """Everything pending for these customers: (when, order among equals, what to run)."""
    due: list[tuple[int, int, Step, JSON]] = []
    for sub in acct.of_type("subscription"):
        if sub["customer"] not in ids or sub["status"] not in _LIVE:
            continue
        priv = acct.priv(sub)
        trial_end = sub.get("trial_end")
        if sub["status"] == "trialing" and trial_end and not priv.get("trial_will_end"):
            due.append((int(trial_end) - TRIAL_WILL_END, 0, _trial_will_end, sub))
        end = _period_end(sub)
        cancel_at = sub.get("cancel_at")
        if cancel_at and int(cancel_at) <= end:
            due.append((int(cancel_at), 1, _cancel_requested, sub))
        elif sub.get("cancel_at_period_end"):
            due.append((end, 1, _cancel_requested, sub))
        else:
            due.append((end, 2, _renew, sub))
    for schedule in acct.of_type("subscription_schedule"):
        if schedule["customer"] in ids and schedule["status"] == "not_started":
            due.append(
                (int(schedule["phases"][0]["start_date"]), 0, subscription_schedules.start_due, schedule)
            )
    for inv in acct.of_type("invoice"):
        if inv["customer"] not in ids or not inv.get("auto_advance"):
            continue
        finalize_at = acct.priv(inv).get("finalize_at")
        if inv["status"] == "draft" and finalize_at is not None:
            due.append((int(finalize_at), 3, _finalize, inv))
        elif inv["status"] == "open" and inv.get("next_payment_attempt"):
            due.append((int(inv["next_payment_attempt"]), 4, _attempt, inv))
    return due


def run_until(ctx: Ctx, clock: JSON, target: int, customers: list[JSON]) -> None:
    """Run every due step up to `target`, earliest first, each at its own time."""
    ids = {c["id"] for c in customers}
    work = Ctx(ctx.sandbox, ctx.acct, {}, {}, ctx.base_url, ctx.request_id, "POST", "")
    for _ in range(10_000):  # bounded: a clock advances at most two intervals at a time
        pending = sorted(_due(ctx.acct, ids), key=lambda d: (d[0], d[1]))
        if not pending or pending[0][0] > target:
            return
        when, _, step, obj = pending[0]
        at = max(when, int(clock["frozen_time"]))
        with at_time(at):
            step(work, at, obj)
    raise StripeError(500, "The sandbox's test clock did not settle; please report this as a sandbox bug.")


def _trial_will_end(ctx: Ctx, t: int, sub: JSON) -> None:
    ctx.acct.priv(sub)["trial_will_end"] = True
    ctx.acct.emit("customer.subscription.trial_will_end", sub)


def _cancel(ctx: Ctx, t: int, sub: JSON, reason: str) -> None:
    before = snapshot(sub)
    sub["status"] = "canceled"
    sub["canceled_at"] = sub.get("canceled_at") or t
    sub["ended_at"] = t
    details = sub.get("cancellation_details") or {"comment": None, "feedback": None}
    sub["cancellation_details"] = {**details, "reason": reason}
    ctx.acct.emit("customer.subscription.deleted", sub, changed(before, sub))


def _cancel_requested(ctx: Ctx, t: int, sub: JSON) -> None:
    _cancel(ctx, t, sub, "cancellation_requested")


def bill_period(ctx: Ctx, inv: JSON, sub: JSON, start: int, end: int) -> None:
    """One line per subscription item for the period ``start``..``end`` (renewals, previews)."""
    for item in sub["items"]["data"]:
        price, qty = item["price"], int(item["quantity"])
        parent = subscription_item_parent(sub["id"], item["id"])
        amount = int(price["unit_amount"] or 0) * qty
        add_line(
            ctx, inv, amount, price_desc(ctx.acct, price, qty), qty, price, (start, end), parent, sub["id"]
        )


def _renew(ctx: Ctx, t: int, sub: JSON) -> None:
    if subscription_schedules.at_period_end(ctx, t, sub):
        return  # its schedule ended it
    acct = ctx.acct
    before = snapshot(sub)
    items = sub["items"]["data"]
    r = items[0]["price"]["recurring"]
    anchor = int(sub.get("billing_cycle_anchor") or t)
    start, end = t, period_end_after(anchor, t, r["interval"], int(r["interval_count"]))
    previous_start = min(int(item["current_period_start"]) for item in items)
    for item in items:
        item["current_period_start"], item["current_period_end"] = start, end
    if sub["status"] == "trialing":
        sub["status"] = "active"
    inv = new_invoice(
        ctx,
        sub["customer"],
        currency=sub["currency"],
        collection_method=sub["collection_method"],
        days_until_due=sub.get("days_until_due"),
        billing_reason="subscription_cycle",
        subscription=sub,
        auto_advance=True,
    )
    inv["period_start"], inv["period_end"] = previous_start, t
    bill_period(ctx, inv, sub, start, end)
    # Pending invoice items (prorations of mid-cycle changes among them) land on the next invoice.
    for ii in list(acct.of_type("invoiceitem")):
        if ii["customer"] == sub["customer"] and ii["invoice"] is None:
            attach_invoice_item(ctx, inv, ii)
    sub["latest_invoice"] = inv["id"]
    acct.priv(inv)["finalize_at"] = t + DRAFT_SECONDS
    acct.emit("customer.subscription.updated", sub, changed(before, sub))


def _finalize(ctx: Ctx, t: int, inv: JSON) -> None:
    ctx.acct.priv(inv).pop("finalize_at", None)
    finalize(ctx, inv)
    if inv["status"] == "open" and inv["collection_method"] == "charge_automatically":
        _attempt(ctx, t, inv)


def _attempt(ctx: Ctx, t: int, inv: JSON) -> None:
    acct = ctx.acct
    pm = default_pm(acct, inv)
    try:
        if pm is None:
            raise StripeError(402, "This customer has no default payment method.", type="card_error")
        attempt_payment(ctx, inv, pm)
    except StripeError:
        _failed(ctx, t, inv, emitted=pm is not None)
        return
    if inv["status"] != "paid":
        inv["next_payment_attempt"] = None  # waiting for the customer (3-D Secure): no automatic retry


def _failed(ctx: Ctx, t: int, inv: JSON, *, emitted: bool) -> None:
    acct = ctx.acct
    if not emitted:  # attempt_payment reports failed charges itself; a missing method is reported here
        before = snapshot(inv)
        inv["attempt_count"] += 1
        inv["attempted"] = True
        acct.emit("invoice.payment_failed", inv, changed(before, inv))
    attempts = int(inv["attempt_count"])
    final = attempts > len(RETRY_DAYS)
    inv["next_payment_attempt"] = None if final else t + RETRY_DAYS[attempts - 1] * 86400
    sub_id = ((inv.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    sub = acct.find("subscription", sub_id)
    if sub is None or sub["status"] == "canceled":
        return
    if sub["status"] in ("active", "trialing"):
        before = snapshot(sub)
        sub["status"] = "past_due"
        acct.emit("customer.subscription.updated", sub, changed(before, sub))
    if final:
        _cancel(ctx, t, sub, "payment_failed")
