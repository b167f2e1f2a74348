"""What falls due as time passes, for a customer's subscriptions and invoices, run in time order.

A test clock's advance runs it up to the new frozen time (`run_until`); for customers on the
wall clock the same steps run when their subscriptions or invoices are next read (`settle`), as
Stripe runs them in the background.

Per subscription:
- `customer.subscription.trial_will_end` three days before a trial ends. At the trial's end with no
  payment method, `trial_settings.end_behavior.missing_payment_method` pauses it (`status:
  paused`, no invoice), cancels it, or (`create_invoice`) renews it as usual
  (docs.stripe.com/billing/subscriptions/trials#create-free-trials-without-payment).
- At each anchor-aligned period end a renewal: a `subscription_cycle` invoice of the items and
  the pending invoice items (prorations among them). A `cancel_at` inside the next period cuts it
  short and charges its share. While `pause_collection` is set the invoice is kept as a draft,
  marked uncollectible or voided (docs.stripe.com/billing/subscriptions/pause-payment); at
  `resumes_at` the pause ends.
- The cancellation, at `cancel_at` or at the period's end with `cancel_at_period_end`.
- 23 hours after creation an `incomplete` subscription whose first invoice is unpaid becomes
  `incomplete_expired` and the invoice is voided (the spec's subscription `status`); a pending
  update expires after 23 hours; so does a paused subscription's unpaid resumption invoice (voided).
Per invoice: a draft with automatic advancement is finalized at `automatically_finalizes_at` (an
hour after creation) and charged; failed payments are retried; a `send_invoice` invoice unpaid
past its `due_date` makes its subscription `past_due`.

Failed payments follow one fixed retry schedule, chosen to stand for Stripe's defaults (Smart
Retries try up to 8 times in 2 weeks; the schedule itself is Stripe's secret): retries 3, 5 and
7 days after the previous attempt (4 attempts over 15 days). The subscription is `past_due` from
the first failure; after the last one it is canceled (`cancellation_details.reason:
payment_failed`, the Dashboard's default "cancel the subscription") and the invoice stays open
(the default "leave the invoice past due").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..core.errors import StripeError
from ..core.router import Ctx
from ..core.store import JSON, Account, at_time, changed, now, snapshot
from . import subscription_schedules
from .billing_periods import add_interval, period_around
from .invoice_lifecycle import (
    attach_invoice_item,
    attempt_payment,
    default_pm,
    finalize,
    mark_uncollectible,
    void,
)
from .subscription_billing import (
    bill_period,
    missed_attempt,
    payment_method_for,
    pending_items,
    recurring_of,
    set_status,
    share_of,
    subscription_invoice,
    subscription_of,
)
from .subscription_changes import expire_pending
from .subscription_create import resolve_cancel_at

Step = Callable[[Ctx, int, JSON], None]

RETRY_DAYS = (3, 5, 7)
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


def _sub_steps(acct: Account, sub: JSON) -> list[tuple[int, int, Step, JSON]]:
    """What is pending for one subscription: (when, order among equals, step, subscription)."""
    priv = acct.priv(sub)
    status = sub["status"]
    if status == "incomplete" and priv.get("expires_at"):
        return [(int(priv["expires_at"]), 1, _expire_incomplete, sub)]
    if status == "paused" and priv.get("resumption_expires_at"):
        return [(int(priv["resumption_expires_at"]), 1, _resumption_expired, sub)]
    if status not in _LIVE:
        return []
    due: list[tuple[int, int, Step, JSON]] = []
    trial_end = sub.get("trial_end")
    if status == "trialing" and trial_end and not priv.get("trial_will_end"):
        due.append((int(trial_end) - TRIAL_WILL_END, 0, _trial_will_end, sub))
    resumes_at = (sub.get("pause_collection") or {}).get("resumes_at")
    if resumes_at:
        due.append((int(resumes_at), 0, _resume_collection, sub))
    if (priv.get("pending") or {}).get("expires_at"):
        due.append((int(priv["pending"]["expires_at"]), 0, expire_pending, sub))
    end = _period_end(sub)
    cancel_at = resolve_cancel_at(sub, sub.get("cancel_at"))
    if cancel_at is not None and cancel_at <= end:
        due.append((cancel_at, 1, _cancel_requested, sub))
    else:
        due.append((end, 2, _renew, sub))
    return due


def _invoice_steps(acct: Account, inv: JSON) -> list[tuple[int, int, Step, JSON]]:
    if inv["status"] == "draft" and inv.get("auto_advance") and inv.get("automatically_finalizes_at"):
        return [(int(inv["automatically_finalizes_at"]), 3, _finalize, inv)]
    if inv["status"] != "open":
        return []
    if inv["collection_method"] == "send_invoice":
        if inv.get("due_date") and not acct.priv(inv).get("overdue"):
            return [(int(inv["due_date"]), 4, _overdue, inv)]
        return []
    if inv.get("auto_advance") and inv.get("next_payment_attempt"):
        return [(int(inv["next_payment_attempt"]), 4, _attempt, inv)]
    return []


def _due(acct: Account, ids: set[str]) -> list[tuple[int, int, Step, JSON]]:
    """Everything pending for these customers."""
    due: list[tuple[int, int, Step, JSON]] = []
    for sub in acct.of_type("subscription"):
        if sub["customer"] in ids:
            due += _sub_steps(acct, sub)
    for schedule in acct.of_type("subscription_schedule"):
        if schedule["customer"] in ids and schedule["status"] == "not_started":
            due.append(
                (int(schedule["phases"][0]["start_date"]), 0, subscription_schedules.start_due, schedule)
            )
    for inv in acct.of_type("invoice"):
        if inv["customer"] in ids:
            due += _invoice_steps(acct, inv)
    return due


def _run(ctx: Ctx, ids: set[str], target: int, floor: int) -> None:
    """Run every due step up to ``target``, earliest first, each at its own time (not before ``floor``)."""
    work = ctx.derive({})
    for _ in range(10_000):  # bounded: a clock advances at most two intervals at a time
        pending = sorted(_due(ctx.acct, ids), key=lambda d: (d[0], d[1]))
        if not pending or pending[0][0] > target:
            return
        when, _, step, obj = pending[0]
        at = max(when, floor)
        with at_time(at):
            step(work, at, obj)
    raise StripeError(500, "The sandbox's billing cycle did not settle; please report this as a sandbox bug.")


def run_until(ctx: Ctx, clock: JSON, target: int, customers: list[JSON]) -> None:
    """A test clock advances to ``target``: what fell due for its customers runs."""
    _run(ctx, {c["id"] for c in customers}, target, int(clock["frozen_time"]))


def settle(ctx: Ctx, customers: Iterable[str] | None = None) -> None:
    """Run what fell due by now for customers on the wall clock (all of them where ``customers``
    is None); a customer on a test clock moves only when its clock advances."""
    acct = ctx.acct
    wanted = None if customers is None else set(customers)
    ids = {
        c["id"]
        for c in acct.of_type("customer")
        if not c.get("test_clock") and (wanted is None or c["id"] in wanted)
    }
    if ids:
        # Stripe does this in the background, not because of the request that reads the objects:
        # the events carry no request (as a test clock's do).
        asked, acct.current_request = acct.current_request, ("", None)
        try:
            _run(ctx, ids, now(), 0)
        finally:
            acct.current_request = asked


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


def _expire_incomplete(ctx: Ctx, t: int, sub: JSON) -> None:
    """23 hours without a paid first invoice: terminal, and the open invoice is voided."""
    ctx.acct.priv(sub).pop("expires_at", None)
    latest = ctx.acct.find("invoice", sub.get("latest_invoice"))
    if latest is not None and latest["status"] in ("open", "uncollectible"):
        void(ctx, latest)
    before = snapshot(sub)
    sub.update(status="incomplete_expired", canceled_at=t, ended_at=t)
    ctx.acct.emit("customer.subscription.updated", sub, changed(before, sub))


def _resumption_expired(ctx: Ctx, t: int, sub: JSON) -> None:
    """No payment of the resumption invoice within 23 hours: it is voided; the subscription stays paused."""
    ctx.acct.priv(sub).pop("resumption_expires_at", None)
    latest = ctx.acct.find("invoice", sub.get("latest_invoice"))
    if latest is not None and latest["status"] == "open":
        void(ctx, latest)


def _resume_collection(ctx: Ctx, t: int, sub: JSON) -> None:
    before = snapshot(sub)
    sub["pause_collection"] = None
    ctx.acct.emit("customer.subscription.updated", sub, changed(before, sub))


def _trial_ends_unpaid(ctx: Ctx, t: int, sub: JSON) -> bool:
    """At a trial's end with no payment method: pause or cancel, as `trial_settings` says. True
    when that ended the renewal."""
    if sub["status"] != "trialing" or sub["collection_method"] != "charge_automatically":
        return False
    if payment_method_for(ctx.acct, sub) is not None:
        return False
    behavior = ((sub.get("trial_settings") or {}).get("end_behavior") or {}).get("missing_payment_method")
    if behavior == "cancel":
        _cancel(ctx, t, sub, "cancellation_requested")
        return True
    if behavior == "pause":
        before = snapshot(sub)
        sub["status"] = "paused"
        ctx.acct.emit("customer.subscription.updated", sub, changed(before, sub))
        ctx.acct.emit("customer.subscription.paused", sub, changed(before, sub))
        return True
    return False


def _renew(ctx: Ctx, t: int, sub: JSON) -> None:
    if subscription_schedules.at_period_end(ctx, t, sub) or _trial_ends_unpaid(ctx, t, sub):
        return  # its schedule ended it, or its trial ended without a way to pay
    acct = ctx.acct
    before = snapshot(sub)
    items = sub["items"]["data"]
    end = period_around(int(sub["billing_cycle_anchor"]), recurring_of(sub), t)[1]
    share = 1.0
    cancel_at = resolve_cancel_at(sub, sub.get("cancel_at"))
    if (
        cancel_at is not None and t < cancel_at < end
    ):  # "If set during a future period, this will always cause a proration"
        share, end = share_of(sub, t, cancel_at, to_anchor=False), cancel_at
    previous_start = min(int(item["current_period_start"]) for item in items)
    for item in items:
        item["current_period_start"], item["current_period_end"], item["billed_until"] = t, end, end
    if sub["status"] == "trialing":
        sub["status"] = "active"
    inv = subscription_invoice(ctx, sub, "subscription_cycle")
    inv["period_start"], inv["period_end"] = previous_start, t
    bill_period(ctx, inv, sub, t, end, share)
    # Pending invoice items (prorations of mid-cycle changes among them) land on the next invoice.
    for ii in pending_items(acct, sub):
        attach_invoice_item(ctx, inv, ii)
    sub["latest_invoice"] = inv["id"]
    acct.emit("customer.subscription.updated", sub, changed(before, sub))
    _paused_collection(ctx, sub, inv)


def _paused_collection(ctx: Ctx, sub: JSON, inv: JSON) -> None:
    """While collection is paused, a new invoice stays a draft, or is marked uncollectible or voided
    at once."""
    behavior = (sub.get("pause_collection") or {}).get("behavior")
    if behavior is None:
        return
    if behavior == "keep_as_draft":
        inv["auto_advance"] = False
        inv["automatically_finalizes_at"] = None
        return
    inv["auto_advance"] = False
    finalize(ctx, inv)
    if inv["status"] == "open":
        (void if behavior == "void" else mark_uncollectible)(ctx, inv)


def _finalize(ctx: Ctx, t: int, inv: JSON) -> None:
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
        missed_attempt(ctx, inv)
    attempts = int(inv["attempt_count"])
    final = attempts > len(RETRY_DAYS)
    inv["next_payment_attempt"] = None if final else t + RETRY_DAYS[attempts - 1] * 86400
    sub = subscription_of(acct, inv)
    if sub is None or sub["status"] == "canceled":
        return
    if sub["status"] in ("active", "trialing"):
        set_status(acct, sub, "past_due")
    if final:
        _cancel(ctx, t, sub, "payment_failed")


def _overdue(ctx: Ctx, t: int, inv: JSON) -> None:
    """A `send_invoice` invoice unpaid by its due date: its subscription becomes `past_due` (the
    spec's subscription `status`)."""
    ctx.acct.priv(inv)["overdue"] = True
    sub = subscription_of(ctx.acct, inv)
    if sub is not None and sub["status"] == "active":
        set_status(ctx.acct, sub, "past_due")
