"""Invoices and invoice items, as Stripe documents them: each test names its source and reads the
state back. Time comes from test clocks starting at T0 (2026-01-15 12:00 UTC)."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from stripe_power.sandbox import SandboxServer

from .billing_setup import DAY, T0, clock, monthly_prices

HOUR = 3600


def _customer(client: stripe.StripeClient, **params: Any) -> stripe.Customer:
    clk = clock(client)
    customer = client.v1.customers.create(
        {
            "test_clock": clk.id,
            "payment_method": "pm_card_visa",
            "invoice_settings": {"default_payment_method": "pm_card_visa"},
            **params,
        }
    )
    return customer


def _charge(client: stripe.StripeClient, customer: str, amount: int = 1500, **params: Any) -> stripe.Invoice:
    inv = client.v1.invoices.create({"customer": customer, **params})
    client.v1.invoice_items.create(
        {"customer": customer, "invoice": inv.id, "amount": amount, "currency": "usd"}
    )
    return inv


def test_numbers_use_the_customer_prefix_and_sequence(client: stripe.StripeClient) -> None:
    # spec3.json customer `invoice_prefix` ("The prefix for the customer used to generate unique
    # invoice numbers") and `next_invoice_sequence` ("The suffix of the customer's next invoice
    # number, e.g., 0001"); invoice `number`: "If no number is present then a number will be
    # assigned automatically when the invoice is finalized."
    cust = _customer(client, invoice_prefix="ACME", next_invoice_sequence=7)
    first = client.v1.invoices.finalize_invoice(_charge(client, cust.id).id)
    second = client.v1.invoices.finalize_invoice(_charge(client, cust.id).id)
    assert (first.number, second.number) == ("ACME-0007", "ACME-0008")
    assert client.v1.customers.retrieve(cust.id).next_invoice_sequence == 9
    client.v1.customers.update(cust.id, {"invoice_prefix": "BETA42"})
    custom = client.v1.invoices.finalize_invoice(_charge(client, cust.id, number="PO-2026-17").id)
    assert custom.number == "PO-2026-17"  # set through the API: kept, no sequence number taken
    third = client.v1.invoices.finalize_invoice(_charge(client, cust.id).id)
    assert third.number == "BETA42-0009"


def test_auto_advance_schedules_finalization_an_hour_on(client: stripe.StripeClient) -> None:
    # spec3.json invoice `automatically_finalizes_at`: "The time when this invoice is currently
    # scheduled to be automatically finalized. The field will be null if the invoice is not
    # scheduled to finalize in the future."; docs.stripe.com/invoicing/integration/automatic-advancement-collection
    # (drafts finalize about an hour after creation, then are charged).
    cust = _customer(client)
    auto = _charge(client, cust.id, auto_advance=True)
    manual = _charge(client, cust.id)
    scheduled = _charge(client, cust.id, automatically_finalizes_at=T0 + 5 * HOUR)
    assert client.v1.invoices.retrieve(auto.id).automatically_finalizes_at == T0 + HOUR
    assert manual.automatically_finalizes_at is None and manual.auto_advance is False
    assert scheduled.automatically_finalizes_at == T0 + 5 * HOUR and scheduled.auto_advance is True
    clk = str(cust.test_clock)
    client.v1.test_helpers.test_clocks.advance(clk, {"frozen_time": T0 + 2 * HOUR})
    done = client.v1.invoices.retrieve(auto.id)
    assert done.status == "paid" and done.automatically_finalizes_at is None
    assert done.status_transitions.finalized_at == T0 + HOUR
    assert client.v1.invoices.retrieve(manual.id).status == "draft"
    assert client.v1.invoices.retrieve(scheduled.id).status == "draft"
    off = client.v1.invoices.update(scheduled.id, {"auto_advance": False})
    assert off.automatically_finalizes_at is None
    client.v1.test_helpers.test_clocks.advance(clk, {"frozen_time": T0 + 6 * HOUR})
    assert client.v1.invoices.retrieve(scheduled.id).status == "draft"


def test_a_due_date_in_the_past_is_refused_and_nothing_is_created(
    client: stripe.StripeClient, sandbox: SandboxServer, api_key: str
) -> None:
    # docs.stripe.com/api/invoices/create `due_date`: the date on which payment is due.
    cust = _customer(client)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.invoices.create(
            {"customer": cust.id, "collection_method": "send_invoice", "due_date": T0 - DAY}
        )
    assert refused.value.param == "due_date"
    assert client.v1.invoices.list({"customer": cust.id}).data == []
    ok = client.v1.invoices.create(
        {"customer": cust.id, "collection_method": "send_invoice", "due_date": T0 + DAY}
    )
    assert ok.due_date == T0 + DAY


def test_invoice_items_change_amount_and_quantity_on_a_draft(client: stripe.StripeClient) -> None:
    # docs.stripe.com/api/invoiceitems/update: amount, quantity, price and period change an item
    # while it is pending or on a draft invoice; the invoice's totals follow.
    cust = _customer(client)
    (price,) = monthly_prices(client, 700)
    one_time = client.v1.prices.create({"currency": "usd", "unit_amount": 700, "product": str(price.product)})
    inv = client.v1.invoices.create({"customer": cust.id})
    ii = client.v1.invoice_items.create(
        {"customer": cust.id, "invoice": inv.id, "pricing": {"price": one_time.id}, "quantity": 2}
    )
    assert client.v1.invoices.retrieve(inv.id).total == 1400
    ii = client.v1.invoice_items.update(ii.id, {"quantity": 5})
    assert ii.quantity == 5 and ii.amount == 3500
    assert client.v1.invoices.retrieve(inv.id).total == 3500
    ii = client.v1.invoice_items.update(ii.id, {"amount": 999, "period": {"start": T0, "end": T0 + DAY}})
    assert ii.amount == 999 and ii.period.end == T0 + DAY
    line = client.v1.invoices.retrieve(inv.id).lines.data[0]
    assert line.amount == 999 and line.period.end == T0 + DAY
    pending = client.v1.invoice_items.create({"customer": cust.id, "amount": 100, "currency": "usd"})
    assert client.v1.invoice_items.update(pending.id, {"amount": 250}).amount == 250
    client.v1.invoices.finalize_invoice(inv.id)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.invoice_items.update(ii.id, {"amount": 1})
    assert refused.value.param == "invoiceitem"
    assert client.v1.invoice_items.retrieve(ii.id).amount == 999


def test_an_invoice_for_a_subscription_takes_only_its_pending_items(client: stripe.StripeClient) -> None:
    # spec3.json POST /v1/invoices `subscription`: "If set, the created invoice will only include
    # pending invoice items for that subscription."
    cust = _customer(client)
    (price,) = monthly_prices(client, 2000)
    sub = client.v1.subscriptions.create({"customer": cust.id, "items": [{"price": price.id}]})
    mine = client.v1.invoice_items.create(
        {"customer": cust.id, "amount": 300, "currency": "usd", "subscription": sub.id}
    )
    other = client.v1.invoice_items.create({"customer": cust.id, "amount": 400, "currency": "usd"})
    assert mine.parent.subscription_details.subscription == sub.id
    inv = client.v1.invoices.create(
        {"customer": cust.id, "subscription": sub.id, "pending_invoice_items_behavior": "include"}
    )
    assert inv.total == 300 and inv.parent.subscription_details.subscription == sub.id
    assert client.v1.invoice_items.retrieve(other.id).invoice is None
