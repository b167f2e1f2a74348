"""What advancing a test clock would bill, worked out before it is sent (issue 24, item 14).

An advance makes Stripe bill every subscription on the clock whose renewal or trial end it passes,
and retry the open invoices that fall due: charges no single request of the agent names. So with
spending limits set, `advance_test_clock` first previews them (`POST /v1/invoices/create_preview`
for each subscription it renews, the open invoice of each one it retries) and checks their total
per currency against --max-amount; with confirmation on (--confirm-writes, live), the user sees that
preview and says yes before an advance that bills anything. What cannot be previewed (a second
renewal of a subscription in one advance, more than 100 customers or subscriptions, a preview Stripe
refused) is refused under limits and named in the confirmation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..errors import InputError, StripeAPIError
from ..gateway import Gateway
from ..guardrails import rule
from ..limits import SpendingLimits
from ..money import format_amount
from ..views.subscriptions import iso

# Stripe creates a renewal invoice as a draft when the period ends and finalizes (then pays) it
# about an hour later; an advance to the next renewal goes past that, so the payment shows.
FINALIZATION_WINDOW = 3600 + 60
_RENEWING = ("trialing", "active", "past_due", "unpaid", "paused")


def next_renewal(subscriptions: list[Mapping[str, Any]], after: int) -> int | None:
    """The earliest moment after `after` at which one of these subscriptions renews, ends a
    trial or a cancellation comes: a period end of any item, `trial_end`, `cancel_at`."""
    moments: list[int] = []
    for sub in subscriptions:
        if sub.get("status") not in _RENEWING:
            continue
        items = (sub.get("items") or {}).get("data") or []
        ends = [i.get("current_period_end") for i in items] + [sub.get("current_period_end")]
        ends += [sub.get("trial_end"), sub.get("cancel_at")]
        moments += [int(t) for t in ends if isinstance(t, int) and t > after]
    return min(moments, default=None)


# The shortest a billing interval can be: a renewal this long after another may bill again.
_SHORTEST = {"day": 86400, "week": 7 * 86400, "month": 28 * 86400, "year": 365 * 86400}


@dataclass(frozen=True)
class Plan:
    """One advance, worked out before it is sent: where the clock is, where it goes, whose it is."""

    test_clock: str
    start: int
    target: int
    owners: frozenset[str]
    subscriptions: tuple[Mapping[str, Any], ...]  # the owners' subscriptions, latest invoice expanded
    complete: bool  # False: more than 100 customers or subscriptions, not all seen


async def plan_advance(gw: Gateway, args: Mapping[str, Any]) -> Plan:
    """Read the clock, its customers and their subscriptions; the target is `frozen_time`, `days`
    on, or (neither) just past the next renewal. Refuses what it cannot advance."""
    if gw.settings.live:
        raise rule("live-key").refusal("test clocks exist only in test mode; this server holds a live key")
    test_clock, frozen_time, days = args["test_clock"], args.get("frozen_time"), args.get("days")
    if frozen_time is not None and days is not None:
        raise InputError(
            "frozen_time", "pass frozen_time or days, not both.", "or neither, for the next renewal."
        )
    clock = await gw.request("GET", f"/v1/test_helpers/test_clocks/{test_clock}")
    start = int(clock["frozen_time"])
    customers = await gw.request("GET", "/v1/customers", {"test_clock": test_clock, "limit": 100})
    owners = frozenset(c["id"] for c in customers.get("data", []))
    subs = await gw.request(
        "GET",
        "/v1/subscriptions",
        {"test_clock": test_clock, "status": "all", "limit": 100, "expand": ["data.latest_invoice"]},
    )
    mine = tuple(s for s in subs.get("data", []) if s.get("customer") in owners)
    if frozen_time is not None:
        target = int(frozen_time)
    elif days is not None:
        target = start + 86400 * int(days)
    elif (renewal := next_renewal(list(mine), start)) is not None:
        target = renewal + FINALIZATION_WINDOW
    else:
        raise InputError(
            "days",
            f"nothing on {test_clock} renews: no active or trialing subscription of its customers.",
            "subscribe a customer created with this test_clock first, or pass days or frozen_time.",
        )
    complete = not (customers.get("has_more") or subs.get("has_more"))
    return Plan(test_clock, start, target, owners, mine, complete)


async def preview_advance(gw: Gateway, args: dict[str, Any]) -> str | None:
    """For confirmation: what the advance would bill; None when it bills nothing (no question)."""
    plan = await plan_advance(gw, args)
    bills, unknown = await what_it_bills(gw, plan)
    if not bills and not unknown:
        return None
    billed = "; ".join(f"{b.what}: {format_amount(b.amount, b.currency)}" for b in bills) or "nothing known"
    unsure = f" Not previewed: {'; '.join(unknown)}." if unknown else ""
    return (
        f"Advance {plan.test_clock} from {iso(plan.start)} to {iso(plan.target)}, which charges the "
        f"customers' saved payment methods: {billed}.{unsure}"
    )


class Bill(NamedTuple):
    what: str
    amount: int
    currency: str


def _bills_at(sub: Mapping[str, Any], after: int) -> int | None:
    """When a subscription next bills: its trial end while trialing, else its period end (a
    cancellation at period end bills nothing)."""
    if sub.get("status") == "trialing":
        moment = sub.get("trial_end")
    elif sub.get("cancel_at_period_end"):
        return None
    else:
        items = (sub.get("items") or {}).get("data") or []
        ends = [i.get("current_period_end") for i in items] + [sub.get("current_period_end")]
        moment = min((t for t in ends if isinstance(t, int) and t > after), default=None)
    return int(moment) if isinstance(moment, int) and moment > after else None


def _shortest_period(sub: Mapping[str, Any]) -> int:
    items = (sub.get("items") or {}).get("data") or []
    lengths = [
        _SHORTEST.get(str(recurring.get("interval")), 86400) * int(recurring.get("interval_count") or 1)
        for item in items
        if isinstance(recurring := (item.get("price") or {}).get("recurring"), Mapping)
    ]
    return min(lengths, default=86400)


def _retry(sub: Mapping[str, Any], target: int) -> Bill | None:
    """The open invoice Stripe retries (charges) before `target`, if any."""
    invoice = sub.get("latest_invoice")
    if not isinstance(invoice, Mapping) or invoice.get("status") != "open":
        return None
    due = invoice.get("next_payment_attempt")
    if invoice.get("collection_method") == "send_invoice" or not isinstance(due, int) or due > target:
        return None
    amount, currency = int(invoice.get("amount_remaining") or 0), str(invoice.get("currency"))
    return Bill(f"retry of {invoice.get('id')} at {iso(due)}", amount, currency) if amount else None


async def what_it_bills(gw: Gateway, plan: Plan) -> tuple[list[Bill], list[str]]:
    """(the charges the advance makes, what it cannot tell)."""
    bills: list[Bill] = []
    unknown = [] if plan.complete else ["more than 100 customers or subscriptions on the clock"]
    for sub in plan.subscriptions:
        if sub.get("status") not in _RENEWING:
            continue
        if (retry := _retry(sub, plan.target)) is not None:
            bills.append(retry)
        moment = _bills_at(sub, plan.start)
        if moment is None or moment > plan.target:
            continue
        try:
            upcoming = await gw.request("POST", "/v1/invoices/create_preview", {"subscription": sub["id"]})
        except StripeAPIError as error:
            unknown.append(f"{sub['id']} (its next invoice could not be previewed: {error})")
            continue
        amount, currency = int(upcoming.get("amount_due") or 0), str(upcoming.get("currency"))
        if amount:
            bills.append(Bill(f"{sub['id']} at {iso(moment)}", amount, currency))
        if moment + _shortest_period(sub) <= plan.target:
            unknown.append(f"{sub['id']} renews again before {iso(plan.target)}")
    return bills, unknown


def check_bills(limits: SpendingLimits, plan: Plan, bills: list[Bill], unknown: list[str]) -> None:
    """Everything one advance bills, per currency, against --max-amount; what cannot be known is
    refused (an advance to the next renewal bills each subscription once, and is previewed)."""
    if unknown:
        raise rule("spending-limit").refusal(
            f"advancing {plan.test_clock} to {iso(plan.target)} charges what cannot be checked against "
            f"--max-amount ({'; '.join(unknown)}); advance without days or frozen_time (to the next "
            "renewal) or to an earlier frozen_time"
        )
    for currency in {bill.currency for bill in bills}:
        mine = [bill for bill in bills if bill.currency == currency]
        named = "; ".join(f"{bill.what}: {format_amount(bill.amount, currency)}" for bill in mine)
        limits.check_amount(
            sum(bill.amount for bill in mine), currency, f"what advancing {plan.test_clock} bills ({named})"
        )


__all__ = [
    "FINALIZATION_WINDOW",
    "Bill",
    "Plan",
    "check_bills",
    "plan_advance",
    "preview_advance",
    "what_it_bills",
]
