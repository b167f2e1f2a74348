"""Connect through Checkout and Payment Links, and what the sandbox refuses rather than store
unapplied (docs.stripe.com/connect/destination-charges?platform=web&ui=stripe-hosted: a Checkout
Session's `payment_intent_data[application_fee_amount]` and `[transfer_data][destination]`;
the spec's descriptions of a payment link's `application_fee_amount` ("Can only be applied when
there are no line items with recurring prices") and `application_fee_percent` ("There must be at
least 1 line item with a recurring price to use this field")."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe

from .connect_setup import custom_account


def _price(client: stripe.StripeClient, recurring: bool = False) -> str:
    params: dict[str, Any] = {"currency": "usd", "unit_amount": 2000, "product_data": {"name": "Seat"}}
    if recurring:
        params["recurring"] = {"interval": "month"}
    return client.v1.prices.create(params).id  # type: ignore[arg-type]


def _charge_of_session(client: stripe.StripeClient, session: str) -> stripe.Charge:
    cs = client.v1.checkout.sessions.retrieve(session)
    pi = client.v1.payment_intents.retrieve(str(cs.payment_intent))
    return client.v1.charges.retrieve(str(pi.latest_charge))


def test_a_checkout_session_makes_a_destination_charge_with_a_fee(client: stripe.StripeClient) -> None:
    account = custom_account(client).id
    session = client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "success_url": "http://127.0.0.1:9/ok",
            "line_items": [{"price": _price(client), "quantity": 2}],
            "payment_intent_data": {
                "application_fee_amount": 400,
                "transfer_data": {"destination": account},
                "transfer_group": "order-7",
            },
        }
    )
    assert session.url is not None
    assert httpx.post(session.url, data={"card_number": "4242424242424242"}).status_code == 303
    charge = _charge_of_session(client, session.id)
    assert charge.transfer_group == "order-7" and charge.transfer_data is not None
    transfer = client.v1.transfers.retrieve(str(charge.transfer))
    assert (transfer.amount, transfer.destination) == (4000, account)
    assert client.v1.application_fees.retrieve(str(charge.application_fee)).amount == 400


def test_checkout_checks_connect_fields_when_the_session_is_made(client: stripe.StripeClient) -> None:
    base: dict[str, Any] = {
        "mode": "payment",
        "success_url": "http://127.0.0.1:9/ok",
        "line_items": [{"price": _price(client), "quantity": 1}],
    }
    with pytest.raises(stripe.InvalidRequestError) as fee:
        client.v1.checkout.sessions.create({**base, "payment_intent_data": {"application_fee_amount": 100}})  # type: ignore[typeddict-item]
    assert fee.value.param == "payment_intent_data[application_fee_amount]"
    with pytest.raises(stripe.InvalidRequestError) as nowhere:
        client.v1.checkout.sessions.create(
            {**base, "payment_intent_data": {"transfer_data": {"destination": "acct_1NotMine000000"}}}  # type: ignore[typeddict-item]
        )
    assert nowhere.value.param == "payment_intent_data[transfer_data][destination]"
    assert client.v1.checkout.sessions.list().data == []


def test_subscription_transfers_are_a_sandbox_limit_not_a_silent_drop(client: stripe.StripeClient) -> None:
    account = custom_account(client).id
    customer = client.v1.customers.create({"payment_method": "pm_card_visa"}).id
    client.v1.customers.update(customer, {"invoice_settings": {"default_payment_method": "pm_card_visa"}})
    price = _price(client, recurring=True)
    cases: list[tuple[str, dict[str, Any], str]] = [
        (
            "/v1/subscriptions",
            {"customer": customer, "items": [{"price": price}], "transfer_data": {"destination": account}},
            "transfer_data",
        ),
        (
            "/v1/subscriptions",
            {"customer": customer, "items": [{"price": price}], "application_fee_percent": "10"},
            "application_fee_percent",
        ),
        (
            "/v1/checkout/sessions",
            {
                "mode": "subscription",
                "success_url": "http://127.0.0.1:9/ok",
                "line_items": [{"price": price, "quantity": 1}],
                "subscription_data": {"application_fee_percent": "10"},
            },
            "subscription_data[application_fee_percent]",
        ),
        (
            "/v1/payment_links",
            {"line_items": [{"price": price, "quantity": 1}], "transfer_data": {"destination": account}},
            "transfer_data",
        ),
    ]
    for path, params, param in cases:
        with pytest.raises(stripe.InvalidRequestError) as limit:
            client.raw_request("post", path, **params)
        assert (limit.value.code, limit.value.param) == ("sandbox_limit", param)
    assert client.v1.subscriptions.list().data == [] and client.v1.payment_links.list().data == []
    assert client.v1.invoices.list().data == []


def test_a_payment_link_makes_destination_charges(client: stripe.StripeClient) -> None:
    account = custom_account(client).id
    link = client.v1.payment_links.create(
        {
            "line_items": [{"price": _price(client), "quantity": 1}],
            "application_fee_amount": 300,
            "transfer_data": {"destination": account},
            "on_behalf_of": account,
            "payment_intent_data": {"transfer_group": "order-9", "description": "Link order"},
        }
    )
    assert link.transfer_data is not None and link.application_fee_amount == 300
    visit = httpx.get(str(link.url))
    assert visit.status_code == 303
    paid = httpx.post(visit.headers["location"], data={"card_number": "4242424242424242"})
    assert paid.status_code == 200  # the hosted confirmation page (no redirect after completion)
    (session,) = client.v1.checkout.sessions.list({"payment_link": link.id}).data
    charge = _charge_of_session(client, session.id)
    assert charge.on_behalf_of == account
    # The link's own payment_intent_data survives beside the Connect fields it carries to the session.
    assert (charge.transfer_group, charge.description) == ("order-9", "Link order")
    transfer = client.v1.transfers.retrieve(str(charge.transfer))
    assert (transfer.amount, transfer.destination) == (2000, account)
    assert client.v1.application_fees.retrieve(str(charge.application_fee)).amount == 300


@pytest.mark.parametrize(
    ("recurring", "params", "param"),
    [
        (True, {"application_fee_amount": 100}, "application_fee_amount"),
        (False, {"application_fee_percent": "10"}, "application_fee_percent"),
        (False, {"application_fee_amount": 100}, "application_fee_amount"),  # and no connected account
    ],
)
def test_payment_link_fee_rules(
    client: stripe.StripeClient, recurring: bool, params: dict[str, Any], param: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.raw_request(
            "post",
            "/v1/payment_links",
            line_items=[{"price": _price(client, recurring), "quantity": 1}],
            **params,
        )
    assert refused.value.param == param and refused.value.code != "sandbox_limit"
    assert client.v1.payment_links.list().data == []
