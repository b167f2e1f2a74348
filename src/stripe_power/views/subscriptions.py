"""Views of recurring billing: subscriptions (period, trial, next and latest invoice) and test clocks.

In this API version billing periods live on the subscription items. The next invoice amount is
the sum of the items' recurring prices (before tax, discounts and prorations) and is left out
when it cannot be known that way (metered or tiered prices, discounts).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from ..hints import call
from ._base import Summary, money, only, ref

# Expanded on every write and retrieve so the view can show the first/latest invoice.
SUBSCRIPTION_EXPAND = ("latest_invoice.confirmation_secret",)


class ItemSummary(Summary):
    id: str
    price: str | None = None
    quantity: int | None = None


class LatestInvoice(Summary):
    id: str
    status: str | None = None
    amount_due: int | None = None
    amount_due_display: str | None = None
    hosted_invoice_url: str | None = None
    client_secret: str | None = None

    @classmethod
    def of(cls, value: Any) -> LatestInvoice | None:
        if isinstance(value, str):
            return cls(id=value)
        if not isinstance(value, Mapping) or "id" not in value:
            return None
        secret = value.get("confirmation_secret") or {}
        return cls(
            id=value["id"],
            status=value.get("status"),
            amount_due=value.get("amount_due"),
            amount_due_display=money(value.get("amount_due"), value.get("currency")),
            hosted_invoice_url=value.get("hosted_invoice_url"),
            client_secret=secret.get("client_secret") if value.get("status") == "open" else None,
        )


class SubscriptionSummary(Summary):
    id: str
    status: str
    customer: str | None = None
    items: list[ItemSummary] = Field(default_factory=list)
    current_period_start: int | None = None
    current_period_end: int | None = None
    cancel_at_period_end: bool | None = None
    cancel_at: int | None = None
    canceled_at: int | None = None
    trial_end: int | None = None
    collection_method: str | None = None
    default_payment_method: str | None = None
    paused_collection: str | None = None
    pending_setup_intent: str | None = None
    currency: str | None = None
    discounts: list[str] | None = None
    next_invoice_date: int | None = None
    next_invoice_amount: int | None = None
    next_invoice_amount_display: str | None = None
    latest_invoice: LatestInvoice | None = None
    test_clock: str | None = None
    metadata: dict[str, str] | None = None
    next_step: str | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> SubscriptionSummary:
        raw_items: list[Mapping[str, Any]] = (obj.get("items") or {}).get("data") or []
        starts = [i["current_period_start"] for i in raw_items if i.get("current_period_start")]
        ends = [i["current_period_end"] for i in raw_items if i.get("current_period_end")]
        period_end = min(ends) if ends else None
        status = str(obj.get("status"))
        currency = obj.get("currency")
        ending = bool(obj.get("cancel_at_period_end")) or (
            obj.get("cancel_at") is not None and (period_end is None or obj["cancel_at"] <= period_end)
        )
        billing = (
            status in ("active", "trialing", "past_due") and not ending and not obj.get("pause_collection")
        )
        amount = _recurring_amount(raw_items, currency) if billing and not obj.get("discounts") else None
        latest = LatestInvoice.of(obj.get("latest_invoice"))
        summary = cls(
            id=obj["id"],
            status=status,
            customer=ref(obj.get("customer")),
            items=[
                ItemSummary(id=i["id"], price=ref(i.get("price")), quantity=i.get("quantity"))
                for i in raw_items
            ],
            current_period_start=min(starts) if starts else None,
            current_period_end=period_end,
            cancel_at_period_end=True if obj.get("cancel_at_period_end") else None,
            cancel_at=obj.get("cancel_at"),
            canceled_at=obj.get("canceled_at"),
            trial_end=obj.get("trial_end") if status == "trialing" else None,
            collection_method=_unless(obj.get("collection_method"), "charge_automatically"),
            default_payment_method=ref(obj.get("default_payment_method")),
            paused_collection=(obj.get("pause_collection") or {}).get("behavior"),
            pending_setup_intent=ref(obj.get("pending_setup_intent")),
            currency=currency,
            discounts=[str(ref(d)) for d in obj.get("discounts") or [] if ref(d)] or None,
            next_invoice_date=period_end if billing else None,
            next_invoice_amount=amount,
            next_invoice_amount_display=money(amount, currency),
            latest_invoice=latest,
            test_clock=ref(obj.get("test_clock")),
            metadata=obj.get("metadata") or None,
        )
        summary.next_step = _next_step(summary)
        return summary

    @classmethod
    def row(cls, obj: Mapping[str, Any]) -> SubscriptionSummary:
        return only(cls.of(obj), SUBSCRIPTION_ROW)


SUBSCRIPTION_ROW = frozenset(
    {"id", "status", "customer", "items", "current_period_start", "current_period_end", "cancel_at_period_end",
     "trial_end", "next_invoice_amount_display", "latest_invoice"}
)  # fmt: skip


def _unless(value: Any, default: str) -> Any:
    """Shown only when it is not Stripe's default (a default says nothing the reader needs)."""
    return None if value == default else value


def _recurring_amount(items: list[Mapping[str, Any]], currency: str | None) -> int | None:
    total = 0
    for item in items:
        price = item.get("price")
        if not isinstance(price, Mapping):
            return None
        recurring = price.get("recurring") or {}
        unit = price.get("unit_amount")
        if unit is None or recurring.get("usage_type") == "metered" or price.get("currency") != currency:
            return None
        total += unit * int(item.get("quantity") or 0)
    return total if items else None


def _next_step(s: SubscriptionSummary) -> str | None:
    invoice = s.latest_invoice
    pay = call("pay_invoice", invoice=invoice.id if invoice else "in_...", payment_method="pm_...")
    resume = call("resume_subscription", subscription=s.id, via=_resume_request(s))
    if s.status == "incomplete":
        return (
            "The first invoice awaits payment: confirm it on the client with latest_invoice.client_secret "
            f"(Payment Element, stripe.confirmPayment), or pay it with a saved payment method: {pay}. "
            "Unpaid after 23 hours it becomes incomplete_expired."
        )
    if s.status in ("past_due", "unpaid"):
        return f"The latest invoice is unpaid: pay it with a saved method ({pay}), or send the customer its hosted URL."
    if s.status == "incomplete_expired":
        return "The first payment never completed; create a new subscription."
    if s.status == "paused":
        return f"Paused (trial ended without a payment method): save one, then {resume}."
    if s.status == "canceled":
        return None
    if s.cancel_at_period_end or (s.cancel_at and s.next_invoice_date is None):
        return f"Set to cancel at the end of the period; {resume} undoes that."
    if s.paused_collection:
        return f"Invoice collection is paused; {resume} restarts it."
    if s.status == "trialing" and s.pending_setup_intent:
        return (
            "Collect a payment method before trial_end: confirm pending_setup_intent on the client, "
            "or set default_payment_method."
        )
    if invoice and invoice.status == "open" and s.collection_method == "send_invoice":
        send = call("send_invoice", invoice=invoice.id)
        return f"The invoice is open: {send} emails it, or share its hosted_invoice_url."
    return None


def _resume_request(s: SubscriptionSummary) -> tuple[str, str, dict[str, Any]]:
    """What resume_subscription sends for this state, for a hint where that tool is not listed."""
    path = f"/v1/subscriptions/{s.id}"
    if s.status == "paused":
        return "POST", f"{path}/resume", {}
    return "POST", path, undo_params(s.status, s.cancel_at_period_end, s.cancel_at, s.paused_collection)


def undo_params(status: Any, cancel_at_period_end: Any, cancel_at: Any, paused: Any) -> dict[str, Any]:
    """What undoes a pending cancellation and a paused collection (an update, not /resume)."""
    params: dict[str, Any] = {}
    if status in ("active", "trialing", "past_due", "unpaid"):
        if cancel_at_period_end:
            params["cancel_at_period_end"] = False
        elif cancel_at is not None:
            params["cancel_at"] = ""
        if paused:
            params["pause_collection"] = ""
    return params


def iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


class TestClockSummary(Summary):
    __test__ = False
    id: str
    name: str | None = None
    status: str
    frozen_time: int
    frozen_at: str
    next_step: str | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any], next_step: str | None = None) -> TestClockSummary:
        return cls(
            id=obj["id"],
            name=obj.get("name"),
            status=obj["status"],
            frozen_time=int(obj["frozen_time"]),
            frozen_at=iso(int(obj["frozen_time"])),
            next_step=next_step,
        )
