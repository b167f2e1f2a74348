"""Customer balance transactions (spec3.json, `POST /v1/customers/{customer}/balance_transactions`:
"Creates an immutable transaction that updates the customer's credit balance"; the
customer_balance_transaction object: `ending_balance` "The customer's balance after the transaction
was applied"; docs.stripe.com/billing/customer/balance: a negative balance is a credit, and the
first transaction sets the customer's currency)."""

from __future__ import annotations

import pytest
import stripe


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


def test_a_transaction_in_another_currency_is_refused_and_changes_nothing(
    client: stripe.StripeClient,
) -> None:
    cus = client.v1.customers.create({})
    client.v1.customers.balance_transactions.create(cus.id, {"amount": -500, "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.balance_transactions.create(cus.id, {"amount": -500, "currency": "eur"})
    assert caught.value.param == "currency"
    assert client.v1.customers.retrieve(cus.id).balance == -500
