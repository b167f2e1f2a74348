"""Shared setup for the Billing tests: a customer who pays by card, monthly prices, a test clock."""

from __future__ import annotations

import stripe

T0 = 1768478400  # 2026-01-15 12:00 UTC, where the test clocks of these tests start
DAY = 86400


def paying_customer(client: stripe.StripeClient, clock: str | None = None) -> stripe.Customer:
    """A customer with `pm_card_visa` as the default payment method (on `clock` if given)."""
    params: dict[str, object] = {
        "payment_method": "pm_card_visa",
        "invoice_settings": {"default_payment_method": "pm_card_visa"},
    }
    if clock:
        params["test_clock"] = clock
    return client.v1.customers.create(params)


def monthly_prices(client: stripe.StripeClient, *amounts: int) -> list[stripe.Price]:
    """One product with a monthly USD price per amount."""
    product = client.v1.products.create({"name": "Plan"})
    return [
        client.v1.prices.create(
            {
                "currency": "usd",
                "unit_amount": amount,
                "product": product.id,
                "recurring": {"interval": "month"},
            }
        )
        for amount in amounts
    ]


def clock(client: stripe.StripeClient) -> stripe.test_helpers.TestClock:
    return client.v1.test_helpers.test_clocks.create({"frozen_time": T0})


def event_types(client: stripe.StripeClient) -> list[str]:
    return [e.type for e in client.v1.events.list({"limit": 100}).data]
