"""Documented search queries, and partial updates of a payment method's billing details.

Sources: docs.stripe.com/search — "You can combine up to 10 query clauses in a search by either
separating them with a space, or using the AND or OR keywords (case sensitive). You can't combine
AND and OR in the same query", and its example for charges,
`payment_method_details.card.last4:"4242"` (query fields for charges include
`payment_method_details.card.last4`, `payment_method_details.card.brand`, `amount`, `customer`,
`status`). spec3.json `POST /v1/payment_methods/{payment_method}`: `billing_details` is a hash of
optional fields ("" unsets one), so an update names only what changes.
"""

from __future__ import annotations

import pytest
import stripe

AUTO = {"enabled": True, "allow_redirects": "never"}


def _pay(client: stripe.StripeClient, amount: int, pm: str, customer: str | None = None) -> None:
    params = {
        "amount": amount,
        "currency": "usd",
        "payment_method": pm,
        "confirm": True,
        "automatic_payment_methods": AUTO,
    }
    if customer:
        params["customer"] = customer
    client.v1.payment_intents.create(params)


def test_charge_search_reads_the_documented_nested_fields(client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create({})
    _pay(client, 1500, "pm_card_visa", cus.id)
    _pay(client, 2500, "pm_card_mastercard")
    _pay(client, 700, "pm_card_visa")

    def amounts(query: str) -> list[int]:
        return sorted(c.amount for c in client.v1.charges.search({"query": query}).data)

    assert amounts('payment_method_details.card.last4:"4242"') == [700, 1500]
    assert amounts("payment_method_details.card.brand:'mastercard'") == [2500]
    assert amounts(f'amount>1000 customer:"{cus.id}"') == [1500]  # a space means AND
    assert amounts(f'amount>1000 AND customer:"{cus.id}"') == [1500]
    assert amounts('amount<1000 OR payment_method_details.card.brand:"mastercard"') == [700, 2500]
    for bad in ('amount>1 status:"succeeded" OR currency:"usd"', "payment_method_details.card.cvc:'123'"):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.charges.search({"query": bad})
        assert caught.value.param == "query"


def test_updating_one_billing_detail_keeps_the_others(client: stripe.StripeClient) -> None:
    pm = client.v1.payment_methods.create(
        {
            "type": "card",
            "card": {"token": "tok_visa"},
            "billing_details": {
                "name": "Jenny Rosen",
                "email": "jenny@example.com",
                "address": {"city": "Paris", "country": "FR"},
            },
        }
    )
    phone = client.v1.payment_methods.update(pm.id, {"billing_details": {"phone": "+15555550100"}})
    details = phone.billing_details
    assert (details.name, details.email, details.phone) == (
        "Jenny Rosen",
        "jenny@example.com",
        "+15555550100",
    )
    assert (details.address.city, details.address.country) == ("Paris", "FR")
    moved = client.v1.payment_methods.update(
        pm.id, {"billing_details": {"address": {"postal_code": "75001"}, "tax_id": "FR123"}}
    )
    assert (moved.billing_details.address.city, moved.billing_details.address.postal_code) == (
        "Paris",
        "75001",
    )
    assert moved.billing_details.tax_id == "FR123"
    cleared = client.v1.payment_methods.update(pm.id, {"billing_details": {"email": "", "address": ""}})
    assert cleared.billing_details.email is None and cleared.billing_details.address.city is None
    assert client.v1.payment_methods.retrieve(pm.id).billing_details.name == "Jenny Rosen"
