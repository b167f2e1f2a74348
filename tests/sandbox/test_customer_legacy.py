"""The older endpoints under a customer: card sources from test tokens, and the customer's
subscriptions served as `/v1/subscriptions` serves them.

Sources: docs.stripe.com/api/cards/create ("When you create a new credit card, you must specify a
customer ... If the card's owner has no default card, then the new card will become the default";
the response is a `card`); spec3.json `POST /v1/customers/{customer}/subscriptions` ("Creates a new
subscription on an existing customer"), which takes the parameters of `POST /v1/subscriptions`
(`items`, `cancel_at_period_end`, ...) with the customer in the path.
"""

from __future__ import annotations

import pytest
import stripe

from .billing_setup import monthly_prices, paying_customer


def test_a_test_token_attaches_a_card_that_becomes_the_default(client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create({})
    card = client.v1.customers.payment_sources.create(cus.id, {"source": "tok_visa"})
    assert (card.object, card.brand, card.last4, card.funding, card.customer) == (
        "card",
        "Visa",
        "4242",
        "credit",
        cus.id,
    )
    assert client.v1.customers.retrieve(cus.id).default_source == card.id
    second = client.v1.customers.payment_sources.create(cus.id, {"source": "tok_mastercard"})
    assert second.brand == "MasterCard"
    assert client.v1.customers.retrieve(cus.id).default_source == card.id  # the first stays default
    listed = client.v1.customers.payment_sources.list(cus.id, {"object": "card"}).data
    assert [c.id for c in listed] == [second.id, card.id]
    got = client.v1.customers.payment_sources.retrieve(cus.id, card.id)
    assert got.id == card.id
    renamed = client.v1.customers.payment_sources.update(cus.id, card.id, {"name": "Jenny Rosen"})
    assert renamed.name == "Jenny Rosen"
    client.v1.customers.payment_sources.delete(cus.id, card.id)
    assert client.v1.customers.retrieve(cus.id).default_source == second.id
    assert [c.id for c in client.v1.customers.payment_sources.list(cus.id).data] == [second.id]


def test_an_unknown_token_and_another_customers_card_are_refused(client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create({})
    other = client.v1.customers.create({})
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.customers.payment_sources.create(cus.id, {"source": "tok_nosuchcard"})
    assert unknown.value.param == "source"
    assert client.v1.customers.payment_sources.list(cus.id).data == []
    card = client.v1.customers.payment_sources.create(other.id, {"source": "tok_visa"})
    with pytest.raises(stripe.InvalidRequestError) as elsewhere:
        client.v1.customers.payment_sources.retrieve(cus.id, card.id)
    assert elsewhere.value.http_status == 404


def test_the_customer_subscriptions_endpoint_bills_its_items(client: stripe.StripeClient) -> None:
    cus = paying_customer(client)
    (price,) = monthly_prices(client, 1500)
    sub = client.raw_request(
        "post", f"/v1/customers/{cus.id}/subscriptions", items=[{"price": price.id, "quantity": 2}]
    )
    data = client.deserialize(sub, api_mode="V1")
    assert (data.object, data.customer, data.status, data.cancel_at_period_end) == (
        "subscription",
        cus.id,
        "active",
        False,
    )
    assert [(i.price.id, i.quantity) for i in data["items"].data] == [(price.id, 2)]
    invoice = client.v1.invoices.retrieve(str(data.latest_invoice))
    assert (invoice.amount_paid, invoice.status) == (3000, "paid")
    nested = client.deserialize(
        client.raw_request("get", f"/v1/customers/{cus.id}/subscriptions"), api_mode="V1"
    )
    assert [s.id for s in nested.data] == [data.id] and nested.url == f"/v1/customers/{cus.id}/subscriptions"
    ended = client.deserialize(
        client.raw_request(
            "post", f"/v1/customers/{cus.id}/subscriptions/{data.id}", cancel_at_period_end=True
        ),
        api_mode="V1",
    )
    assert ended.cancel_at_period_end is True
    assert client.v1.subscriptions.retrieve(data.id).cancel_at_period_end is True


def test_a_subscription_is_reached_only_under_its_own_customer(client: stripe.StripeClient) -> None:
    owner = paying_customer(client)
    stranger = client.v1.customers.create({})
    (price,) = monthly_prices(client, 900)
    sub = client.v1.subscriptions.create({"customer": owner.id, "items": [{"price": price.id}]})
    for method in ("get", "delete"):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.raw_request(method, f"/v1/customers/{stranger.id}/subscriptions/{sub.id}")
        assert caught.value.http_status == 404
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"
