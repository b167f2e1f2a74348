"""What a test clock reaches beyond requests that name the customer: the hosted pages (Checkout,
invoice, 3D Secure) of a clocked customer's objects, and requests that name the customer's payment
(a refund by `payment_intent` or `charge`).

Source: https://docs.stripe.com/billing/testing/test-clocks ("the customer and the objects associated
with it" live on the clock's time; Checkout Sessions for a customer on a test clock are how the docs
test a sign-up flow).
"""

from __future__ import annotations

import calendar
from typing import Any

import httpx
import pytest
import stripe

from stripe_power.sandbox import SandboxServer

T0 = calendar.timegm((2024, 3, 1, 12, 0, 0, 0, 0, 0))  # long before the wall clock


def _clocked_customer(client: stripe.StripeClient, **more: Any) -> Any:
    clock = client.v1.test_helpers.test_clocks.create({"frozen_time": T0})
    return client.v1.customers.create({"test_clock": clock.id, "email": "reach@example.com", **more})


def test_hosted_checkout_of_a_clocked_customer_completes_on_the_clocks_time(
    client: stripe.StripeClient, sandbox: SandboxServer, api_key: str
) -> None:
    customer = _clocked_customer(client)
    price = client.v1.prices.create(
        {"currency": "usd", "unit_amount": 1200, "recurring": {"interval": "month"},
         "product_data": {"name": "Clocked plan"}}
    )  # fmt: skip
    cs = client.v1.checkout.sessions.create(
        {"mode": "subscription", "customer": customer.id, "line_items": [{"price": price.id, "quantity": 1}],
         "success_url": "https://example.com/ok"}
    )  # fmt: skip
    assert cs.created == T0 and cs.expires_at == T0 + 86400
    # The page is opened (and paid) while the clock still stands at T0: the session is open, not expired.
    assert httpx.get(str(cs.url)).status_code == 200
    paid = httpx.post(str(cs.url), data={"card_number": "4242424242424242"})
    assert paid.status_code == 303, paid.text[:300]
    done = client.v1.checkout.sessions.retrieve(cs.id)
    assert done.status == "complete"
    sub = client.v1.subscriptions.retrieve(str(done.subscription))
    assert sub.created == T0 and sub["items"].data[0].current_period_start == T0
    completed = [e for e in sandbox.objects(api_key, "event") if e["type"] == "checkout.session.completed"]
    assert [e["created"] for e in completed] == [T0]


def test_hosted_invoice_page_of_a_clocked_customer_pays_on_the_clocks_time(
    client: stripe.StripeClient,
) -> None:
    customer = _clocked_customer(client)
    client.v1.invoice_items.create({"customer": customer.id, "amount": 900, "currency": "usd"})
    invoice = client.v1.invoices.create(
        {"customer": customer.id, "collection_method": "send_invoice", "days_until_due": 30,
         "pending_invoice_items_behavior": "include"}
    )  # fmt: skip
    invoice = client.v1.invoices.finalize_invoice(str(invoice.id))
    page = httpx.post(str(invoice.hosted_invoice_url), data={"card_number": "4242424242424242"})
    assert page.status_code == 200 and "Payment received" in page.text, page.text[:300]
    paid = client.v1.invoices.retrieve(str(invoice.id))
    assert paid.status == "paid" and paid.status_transitions.paid_at == T0


def test_a_refund_of_a_clocked_customers_payment_is_on_the_clocks_time(
    client: stripe.StripeClient, sandbox: SandboxServer, api_key: str
) -> None:
    customer = _clocked_customer(client, payment_method="pm_card_visa")
    pi = client.v1.payment_intents.create(
        {"amount": 2000, "currency": "usd", "customer": customer.id, "payment_method": "pm_card_visa",
         "confirm": True, "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}
    )  # fmt: skip
    assert pi.created == T0
    by_intent = client.v1.refunds.create({"payment_intent": pi.id, "amount": 500})
    by_charge = client.v1.refunds.create({"charge": str(pi.latest_charge), "amount": 500})
    assert (by_intent.created, by_charge.created) == (T0, T0)
    refunded = [
        e["created"]
        for e in sandbox.objects(api_key, "event")
        if e["type"].startswith(("refund.", "charge.refund"))
    ]
    assert refunded and set(refunded) == {T0}


def test_trial_end_is_kept_to_the_second_and_must_be_ahead_of_the_clock(client: stripe.StripeClient) -> None:
    """Stripe ends the trial at the `trial_end` timestamp given, which must be in the future (here,
    the clock's future): https://docs.stripe.com/api/subscriptions/create#create_subscription-trial_end."""
    customer = _clocked_customer(client, payment_method="pm_card_visa")
    client.v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": "pm_card_visa"}})
    price = client.v1.prices.create(
        {
            "currency": "usd",
            "unit_amount": 800,
            "recurring": {"interval": "month"},
            "product_data": {"name": "T"},
        }
    )
    items: Any = [{"price": price.id}]
    with pytest.raises(stripe.InvalidRequestError) as past:
        client.v1.subscriptions.create({"customer": customer.id, "items": items, "trial_end": T0 - 60})
    assert past.value.param == "trial_end"
    sub = client.v1.subscriptions.create({"customer": customer.id, "items": items, "trial_end": T0 + 3600})
    assert (sub.status, sub.trial_start, sub.trial_end) == ("trialing", T0, T0 + 3600)
    assert sub["items"].data[0].current_period_end == T0 + 3600
    client.v1.test_helpers.test_clocks.advance(str(customer.test_clock), {"frozen_time": T0 + 2 * 3600})
    sub = client.v1.subscriptions.retrieve(sub.id)
    assert sub.status == "active" and sub["items"].data[0].current_period_start == T0 + 3600
