"""The customer's credit balance and how invoices use it, as Stripe documents it.

Sources:
- docs.stripe.com/billing/customer/balance: "The invoice balance automatically applies toward the
  next invoice finalized to a customer"; negative values are credits, positive ones debits; every
  change is an immutable transaction; "When the amount due on an invoice is less than the minimum
  chargeable amount the invoice is marked as paid and the amount owed moved to the invoice balance
  as a debit".
- spec3.json, `customer_balance_transaction.type` (with the API reference's wording of each value:
  `initial` "The starting value of the customer's credit balance", `adjustment` "An explicitly
  created adjustment transaction", `applied_to_invoice` "Traces the application of credit against a
  linked Invoice", `unapplied_from_invoice` "Traces the reversal of an applied credit balance from a
  linked Invoice", `credit_note` "Traces the creation of credit to a Credit Note").
- spec3.json, `invoice.starting_balance` ("Starting customer balance before the invoice is
  finalized. If the invoice has not been finalized yet, this will be the current customer
  balance"), `invoice.ending_balance` ("Ending customer balance after the invoice is finalized ...
  If the invoice has not been finalized yet, this will be null"), `invoice.amount_due` ("if there
  is account credit that can be applied to the invoice, the amount_due may be 0. If there is a
  positive starting_balance ... the amount_due will also take that into account").
- spec3.json, `customer.balance` ("If negative, the customer has credit to apply to their next
  invoice. If positive, the customer has an amount owed that's added to their next invoice"), the
  `balance` parameter of customer create and update, and the `currency` parameter of
  `POST /v1/customers/{customer}/balance_transactions` ("Specifies the invoice_credit_balance that
  this transaction will apply to. If the customer's currency is not set, it will be updated to
  this value").
- docs.stripe.com/invoicing/multi-currency-customers: "A CAD invoice doesn't apply a customer
  credit balance denominated in USD".
"""

from __future__ import annotations

from typing import Any

import stripe

from ..spec_objects import assert_matches_spec
from .billing_setup import DAY, T0, clock, monthly_prices, paying_customer


def _invoice(
    client: stripe.StripeClient, customer: str, amount: int, currency: str = "usd", **params: Any
) -> stripe.Invoice:
    """A draft invoice for ``amount`` (one invoice item), charged automatically."""
    client.v1.invoice_items.create(
        {"customer": customer, "amount": amount, "currency": currency, "description": "Work"}
    )
    return client.v1.invoices.create(
        {"customer": customer, "currency": currency, "pending_invoice_items_behavior": "include", **params}
    )


def _transactions(client: stripe.StripeClient, customer: str) -> list[tuple[str, int, int]]:
    """(type, amount, ending_balance) of every balance transaction, oldest first."""
    listed = client.v1.customers.balance_transactions.list(customer, {"limit": 100}).data
    return [(t.type, t.amount, t.ending_balance) for t in reversed(listed)]


def test_a_balance_transaction_updates_the_customer_and_its_ending_balance(
    client: stripe.StripeClient,
) -> None:
    cus = client.v1.customers.create({"email": "credit@example.com"})
    assert cus.balance == 0 and cus.currency is None
    credit = client.v1.customers.balance_transactions.create(
        cus.id, {"amount": -1000, "currency": "usd", "description": "Goodwill credit"}
    )
    assert (credit.amount, credit.ending_balance, credit.type) == (-1000, -1000, "adjustment")
    assert credit.description == "Goodwill credit" and credit.customer == cus.id
    debit = client.v1.customers.balance_transactions.create(cus.id, {"amount": 300, "currency": "usd"})
    assert debit.ending_balance == -700
    again = client.v1.customers.retrieve(cus.id)
    assert again.balance == -700 and again.currency == "usd"
    listed = client.v1.customers.balance_transactions.list(cus.id).data
    assert [t.id for t in listed] == [debit.id, credit.id]
    updated = client.v1.events.list({"type": "customer.updated"}).data[0]
    assert (updated.data.previous_attributes or {}).to_dict() == {"balance": -1000}
    assert_matches_spec(
        "customer_balance_transaction",
        client.raw_request("get", f"/v1/customers/{cus.id}/balance_transactions/{credit.id}").data,
    )


def test_balance_on_create_is_the_initial_transaction_and_on_update_an_adjustment(
    client: stripe.StripeClient,
) -> None:
    cus = client.v1.customers.create({"balance": -2500})
    assert (cus.balance, cus.currency) == (-2500, "usd")  # the account's currency
    updated = client.v1.customers.update(cus.id, {"balance": -1000})
    assert updated.balance == -1000
    assert _transactions(client, cus.id) == [("initial", -2500, -2500), ("adjustment", 1500, -1000)]
    event = client.v1.events.list({"type": "customer.updated"}).data[0]
    assert (event.data.previous_attributes or {}).to_dict() == {"balance": -2500}
    unchanged = client.v1.customers.update(cus.id, {"balance": -1000})
    assert unchanged.balance == -1000 and len(_transactions(client, cus.id)) == 2


def test_a_credit_comes_off_the_next_finalized_invoice(client: stripe.StripeClient) -> None:
    cus = paying_customer(client)
    client.v1.customers.balance_transactions.create(cus.id, {"amount": -1000, "currency": "usd"})
    draft = _invoice(client, cus.id, 2500)
    # Before finalization: the current balance, counted in what is due; no ending balance yet.
    assert (draft.starting_balance, draft.ending_balance, draft.amount_due) == (-1000, None, 1500)
    inv = client.v1.invoices.finalize_invoice(str(draft.id))
    assert (inv.starting_balance, inv.ending_balance) == (-1000, 0)
    assert (inv.total, inv.amount_due, inv.amount_remaining) == (2500, 1500, 1500)
    assert client.v1.customers.retrieve(cus.id).balance == 0
    applied = client.v1.customers.balance_transactions.list(cus.id).data[0]
    assert (applied.type, applied.amount, applied.ending_balance, applied.invoice) == (
        "applied_to_invoice",
        1000,
        0,
        inv.id,
    )
    paid = client.v1.invoices.pay(str(inv.id))
    assert (paid.status, paid.amount_paid) == ("paid", 1500)
    charge = client.v1.payment_intents.retrieve(str(client.v1.invoice_payments.list(
        {"invoice": str(inv.id)}).data[0].payment.payment_intent))  # fmt: skip
    assert charge.amount == 1500  # the card is charged what is due, not the total
    assert_matches_spec("invoice", client.raw_request("get", f"/v1/invoices/{inv.id}").data)


def test_a_credit_larger_than_the_invoice_pays_it_and_the_rest_stays(client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create({"balance": -3000})
    inv = client.v1.invoices.finalize_invoice(str(_invoice(client, cus.id, 2500).id))
    assert (inv.starting_balance, inv.ending_balance, inv.amount_due) == (-3000, -500, 0)
    assert (inv.status, inv.amount_paid) == ("paid", 0)  # nothing left to pay: paid at once
    assert client.v1.customers.retrieve(cus.id).balance == -500
    second = client.v1.invoices.finalize_invoice(str(_invoice(client, cus.id, 800).id))
    assert (second.starting_balance, second.ending_balance, second.amount_due) == (-500, 0, 300)
    assert [t[0] for t in _transactions(client, cus.id)] == [
        "initial",
        "applied_to_invoice",
        "applied_to_invoice",
    ]


def test_a_debit_is_added_to_the_next_invoice(client: stripe.StripeClient) -> None:
    cus = paying_customer(client)
    client.v1.customers.update(cus.id, {"balance": 700})
    inv = client.v1.invoices.finalize_invoice(str(_invoice(client, cus.id, 2000).id))
    assert (inv.starting_balance, inv.ending_balance, inv.total, inv.amount_due) == (700, 0, 2000, 2700)
    assert _transactions(client, cus.id)[-1] == ("applied_to_invoice", -700, 0)
    assert client.v1.invoices.pay(str(inv.id)).amount_paid == 2700


def test_a_negative_invoice_adds_credit(client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create({})
    inv = client.v1.invoices.finalize_invoice(str(_invoice(client, cus.id, -400).id))
    assert (inv.total, inv.amount_due, inv.ending_balance, inv.status) == (-400, 0, -400, "paid")
    assert client.v1.customers.retrieve(cus.id).balance == -400


def test_what_is_left_below_the_minimum_charge_becomes_a_debit(client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create({"balance": -2480})
    inv = client.v1.invoices.finalize_invoice(str(_invoice(client, cus.id, 2500).id))
    # 0.20 is below the 0.50 minimum: not charged, the invoice is paid, the 0.20 is owed next time.
    assert (inv.status, inv.amount_due, inv.starting_balance, inv.ending_balance) == ("paid", 0, -2480, 20)
    assert _transactions(client, cus.id)[-2:] == [
        ("applied_to_invoice", 2480, 0),
        ("invoice_too_small", 20, 20),
    ]
    nxt = client.v1.invoices.finalize_invoice(str(_invoice(client, cus.id, 1000).id))
    assert (nxt.starting_balance, nxt.amount_due) == (20, 1020)


def test_voiding_an_invoice_gives_the_credit_back(client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create({"balance": -1000})
    inv = client.v1.invoices.finalize_invoice(
        str(_invoice(client, cus.id, 2500, collection_method="send_invoice", days_until_due=7).id)
    )
    assert client.v1.customers.retrieve(cus.id).balance == 0
    client.v1.invoices.void_invoice(str(inv.id))
    assert client.v1.customers.retrieve(cus.id).balance == -1000
    assert _transactions(client, cus.id)[-1] == ("unapplied_from_invoice", -1000, -1000)


def test_a_credit_note_credit_is_used_by_the_next_invoice(client: stripe.StripeClient) -> None:
    cus = paying_customer(client)
    first = client.v1.invoices.pay(
        str(client.v1.invoices.finalize_invoice(str(_invoice(client, cus.id, 5000).id)).id)
    )
    assert first.status == "paid"
    cn = client.v1.credit_notes.create({"invoice": str(first.id), "amount": 1200, "credit_amount": 1200})
    txn = client.v1.customers.balance_transactions.retrieve(cus.id, str(cn.customer_balance_transaction))
    assert (txn.type, txn.amount, txn.credit_note, txn.invoice) == ("credit_note", -1200, cn.id, first.id)
    assert client.v1.customers.retrieve(cus.id).balance == -1200
    second = client.v1.invoices.finalize_invoice(str(_invoice(client, cus.id, 3000).id))
    assert (second.starting_balance, second.ending_balance, second.amount_due) == (-1200, 0, 1800)


def test_a_balance_applies_only_to_invoices_in_its_currency(client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create({})
    client.v1.customers.balance_transactions.create(cus.id, {"amount": -500, "currency": "usd"})
    eur = client.v1.customers.balance_transactions.create(cus.id, {"amount": -300, "currency": "eur"})
    assert (eur.currency, eur.ending_balance) == ("eur", -300)
    again = client.v1.customers.retrieve(cus.id, {"expand": ["invoice_credit_balance"]})
    assert (again.balance, again.currency) == (-500, "usd")  # `balance` is in the customer's currency
    assert again.invoice_credit_balance.to_dict() == {"usd": -500, "eur": -300}
    inv = client.v1.invoices.finalize_invoice(str(_invoice(client, cus.id, 2000, "eur").id))
    assert (inv.starting_balance, inv.ending_balance, inv.amount_due) == (-300, 0, 1700)
    assert client.v1.customers.retrieve(cus.id).balance == -500  # the dollars are untouched


def test_a_test_clock_renewal_uses_the_credit(client: stripe.StripeClient) -> None:
    test_clock = clock(client)
    cus = paying_customer(client, test_clock.id)
    (price,) = monthly_prices(client, 2000)
    sub = client.v1.subscriptions.create({"customer": cus.id, "items": [{"price": price.id}]})
    first = client.v1.invoices.retrieve(str(sub.latest_invoice))
    assert (first.amount_due, first.status) == (2000, "paid")
    client.v1.customers.balance_transactions.create(cus.id, {"amount": -1500, "currency": "usd"})
    client.v1.test_helpers.test_clocks.advance(test_clock.id, {"frozen_time": T0 + 32 * DAY})
    renewal = client.v1.invoices.retrieve(str(client.v1.subscriptions.retrieve(sub.id).latest_invoice))
    assert renewal.billing_reason == "subscription_cycle"
    assert (renewal.starting_balance, renewal.ending_balance, renewal.amount_due) == (-1500, 0, 500)
    assert (renewal.status, renewal.amount_paid) == ("paid", 500)
    assert client.v1.customers.retrieve(cus.id).balance == 0


def test_a_renewal_covered_by_credit_is_paid_without_a_charge(client: stripe.StripeClient) -> None:
    test_clock = clock(client)
    cus = paying_customer(client, test_clock.id)
    (price,) = monthly_prices(client, 2000)
    sub = client.v1.subscriptions.create({"customer": cus.id, "items": [{"price": price.id}]})
    client.v1.customers.update(cus.id, {"balance": -5000})
    charges_before = len(client.v1.charges.list({"customer": cus.id}).data)
    client.v1.test_helpers.test_clocks.advance(test_clock.id, {"frozen_time": T0 + 32 * DAY})
    renewal = client.v1.invoices.retrieve(str(client.v1.subscriptions.retrieve(sub.id).latest_invoice))
    assert (renewal.amount_due, renewal.status, renewal.ending_balance) == (0, "paid", -3000)
    assert len(client.v1.charges.list({"customer": cus.id}).data) == charges_before
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"


def test_the_invoice_preview_counts_the_balance(client: stripe.StripeClient) -> None:
    """The preview shows what the next invoice will ask for (docs.stripe.com/billing/invoices/preview
    and `invoice.starting_balance` above): the credit is counted and nothing is booked."""
    cus = paying_customer(client)
    (price,) = monthly_prices(client, 2000)
    sub = client.v1.subscriptions.create({"customer": cus.id, "items": [{"price": price.id}]})
    client.v1.customers.update(cus.id, {"balance": -600})
    preview = client.v1.invoices.create_preview({"customer": cus.id, "subscription": sub.id})
    assert (preview.total, preview.starting_balance, preview.ending_balance, preview.amount_due) == (
        2000,
        -600,
        None,
        1400,
    )
    assert client.v1.customers.retrieve(cus.id).balance == -600
    assert [t[0] for t in _transactions(client, cus.id)] == ["adjustment"]
