"""Test clocks in the sandbox, through the stripe SDK: renewals, trials into a failing card with the
retry schedule, cancellation at period end, and mid-cycle prorations on the next invoice.

Source: https://docs.stripe.com/billing/testing/test-clocks (and .../billing/testing for
`pm_card_chargeCustomerFail`); the retry schedule the sandbox uses is documented in
src/stripe_power/sandbox/billing/billing_cycle.py.
"""

from __future__ import annotations

import calendar
import json
from typing import Any

import pytest
import stripe

from stripe_power.sandbox import SandboxServer

from ..spec_objects import assert_matches_spec

T0 = calendar.timegm((2026, 1, 15, 12, 0, 0, 0, 0, 0))
DAY = 86400
FEB_15 = calendar.timegm((2026, 2, 15, 12, 0, 0, 0, 0, 0))
MAR_15 = calendar.timegm((2026, 3, 15, 12, 0, 0, 0, 0, 0))


def _setup(client: stripe.StripeClient, card: str = "pm_card_visa", **sub: Any) -> tuple[Any, Any, Any]:
    clock = client.v1.test_helpers.test_clocks.create({"frozen_time": T0, "name": "billing"})
    customer = client.v1.customers.create(
        {"email": "clock@example.com", "test_clock": clock.id, "payment_method": card,
         "invoice_settings": {"default_payment_method": card}}
    )  # fmt: skip
    price = client.v1.prices.create(
        {
            "currency": "usd",
            "unit_amount": 1000,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Pro"},
        }
    )
    subscription = client.v1.subscriptions.create(
        {"customer": customer.id, "items": [{"price": price.id}], **sub}  # type: ignore[typeddict-item]
    )
    return clock, customer, subscription


def _advance(client: stripe.StripeClient, clock: Any, to: int) -> Any:
    answered = client.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": to})
    assert answered.status == "advancing"
    assert answered.status_details.advancing.target_frozen_time == to  # type: ignore[union-attr]
    ready = client.v1.test_helpers.test_clocks.retrieve(clock.id)
    assert (ready.status, ready.frozen_time) == ("ready", to)
    return ready


def _events(sandbox: SandboxServer, api_key: str, types: set[str] | None = None) -> list[dict[str, Any]]:
    events = sorted(sandbox.objects(api_key, "event"), key=lambda e: (e["created"], e["id"]))
    return [e for e in events if types is None or e["type"] in types]


def test_monthly_renewal_is_invoiced_finalized_and_paid_on_the_clocks_time(
    client: stripe.StripeClient, sandbox: SandboxServer, api_key: str
) -> None:
    clock, customer, sub = _setup(client)
    assert sub.status == "active" and sub.created == T0 and customer.created == T0
    _advance(client, clock, FEB_15 + 2 * 3600)
    invoices = client.v1.invoices.list({"customer": customer.id}).data
    renewal = next(i for i in invoices if i.billing_reason == "subscription_cycle")
    assert renewal.status == "paid" and renewal.amount_paid == 1000
    assert renewal.created == FEB_15 and renewal.status_transitions.finalized_at == FEB_15 + 3600
    assert (renewal.period_start, renewal.period_end) == (T0, FEB_15)
    line = renewal.lines.data[0]
    assert (line.period.start, line.period.end) == (FEB_15, MAR_15)
    sub = client.v1.subscriptions.retrieve(sub.id)
    assert sub.status == "active" and sub.latest_invoice == renewal.id
    assert sub["items"].data[0].current_period_start == FEB_15
    created = {
        e["type"]: e["created"]
        for e in _events(sandbox, api_key)
        if e["data"]["object"].get("id") == renewal.id
    }
    assert created["invoice.created"] == FEB_15 and created["invoice.paid"] == FEB_15 + 3600
    for typ in ("invoice", "subscription", "test_helpers.test_clock"):
        for obj in sandbox.objects(api_key, typ):
            assert_matches_spec(typ, obj)


def test_trial_ends_into_a_failing_card_then_retries_then_cancels(
    client: stripe.StripeClient, sandbox: SandboxServer, api_key: str
) -> None:
    clock, _, sub = _setup(client, "pm_card_chargeCustomerFail", trial_period_days=7)
    assert sub.status == "trialing"
    trial_end = T0 + 7 * DAY
    _advance(client, clock, trial_end + 2 * 3600)
    sub = client.v1.subscriptions.retrieve(sub.id)
    assert sub.status == "past_due"
    invoice = client.v1.invoices.retrieve(str(sub.latest_invoice))
    assert invoice.status == "open" and invoice.attempt_count == 1
    assert invoice.next_payment_attempt == trial_end + 3600 + 3 * DAY
    will_end = _events(sandbox, api_key, {"customer.subscription.trial_will_end"})
    assert [e["created"] for e in will_end] == [trial_end - 3 * DAY]

    _advance(client, clock, trial_end + 20 * DAY)
    sub = client.v1.subscriptions.retrieve(sub.id)
    invoice = client.v1.invoices.retrieve(invoice.id)
    assert sub.status == "canceled" and sub.cancellation_details.reason == "payment_failed"  # type: ignore[union-attr]
    assert invoice.status == "open" and invoice.attempt_count == 4 and invoice.next_payment_attempt is None
    failed = [e["created"] for e in _events(sandbox, api_key, {"invoice.payment_failed"})]
    first = trial_end + 3600
    assert failed == [first, first + 3 * DAY, first + 8 * DAY, first + 15 * DAY]
    order = [
        e["type"]
        for e in _events(sandbox, api_key, {"customer.subscription.updated", "customer.subscription.deleted"})
    ]
    assert order[-1] == "customer.subscription.deleted"


def test_cancel_at_period_end_ends_the_subscription_at_the_period_end(
    client: stripe.StripeClient, sandbox: SandboxServer, api_key: str
) -> None:
    clock, _, sub = _setup(client)
    client.v1.subscriptions.update(sub.id, {"cancel_at_period_end": True})
    _advance(client, clock, FEB_15 + DAY)
    sub = client.v1.subscriptions.retrieve(sub.id)
    assert sub.status == "canceled" and sub.ended_at == FEB_15
    deleted = _events(sandbox, api_key, {"customer.subscription.deleted"})
    assert [e["created"] for e in deleted] == [FEB_15]
    assert not [
        i
        for i in client.v1.invoices.list({"subscription": sub.id}).data
        if i.billing_reason == "subscription_cycle"
    ]


def test_mid_cycle_upgrade_prorates_onto_the_next_invoice(client: stripe.StripeClient) -> None:
    clock, customer, sub = _setup(client)
    bigger = client.v1.prices.create(
        {
            "currency": "usd",
            "unit_amount": 3000,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Max"},
        }
    )
    halfway = T0 + 15 * DAY
    _advance(client, clock, halfway)
    item = sub["items"].data[0]
    client.v1.subscriptions.update(sub.id, {"items": [{"id": item.id, "price": bigger.id}]})
    _advance(client, clock, FEB_15 + 2 * 3600)
    renewal = next(
        i
        for i in client.v1.invoices.list({"customer": customer.id}).data
        if i.billing_reason == "subscription_cycle"
    )
    lines = renewal.lines.data
    prorations = [
        line
        for line in lines
        if line.parent.invoice_item_details and line.parent.invoice_item_details.proration
    ]  # type: ignore[union-attr]
    assert len(prorations) == 2
    period = FEB_15 - T0
    left = (FEB_15 - halfway) / period
    assert sorted(p.amount for p in prorations) == [-round(1000 * left), round(3000 * left)]
    assert renewal.amount_paid == 3000 + sum(p.amount for p in prorations)
    assert renewal.status == "paid"


def test_advance_refuses_the_past_and_more_than_two_intervals(client: stripe.StripeClient) -> None:
    clock, _, _ = _setup(client)
    with pytest.raises(stripe.InvalidRequestError) as past:
        client.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": T0})
    assert past.value.param == "frozen_time"
    with pytest.raises(stripe.InvalidRequestError) as far:
        client.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": T0 + 90 * DAY})
    assert far.value.param == "frozen_time" and "two intervals" in str(far.value)
    assert client.v1.test_helpers.test_clocks.retrieve(clock.id).frozen_time == T0


def test_clocks_list_and_delete_take_their_customers(client: stripe.StripeClient) -> None:
    clock, customer, _ = _setup(client)
    other = client.v1.customers.create({"email": "wallclock@example.com"})
    assert [c.id for c in client.v1.customers.list({"test_clock": clock.id}).data] == [customer.id]
    assert clock.id in [c.id for c in client.v1.test_helpers.test_clocks.list().data]
    deleted = client.v1.test_helpers.test_clocks.delete(clock.id)
    assert deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.retrieve(customer.id)
    assert client.v1.customers.retrieve(other.id).id == other.id
    assert json.loads(str(client.v1.customers.list().last_response.body))["data"][0]["id"] == other.id  # type: ignore[union-attr]
