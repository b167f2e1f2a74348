"""Prices the sandbox bills, prices it refuses as a sandbox limit, and customer-chosen amounts.

Sources (spec3.json, `POST /v1/prices`): `custom_unit_amount` "provides configuration for the
amount to be adjusted by the customer during Checkout Sessions and Payment Links", `enabled`
required, `minimum` "Must be at least the minimum charge amount"; `currency_options` "Prices defined
in each available currency option" (sent only when expanded: the API reference marks the field
includable); `billing_scheme=tiered`/`tiers`, `transform_quantity` and metered prices change what is
billed in ways the sandbox does not compute, so they answer `sandbox_limit` (docs/sandbox.md).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe


def _product(client: stripe.StripeClient) -> str:
    return client.v1.products.create({"name": "Thing"}).id


@pytest.mark.parametrize(
    ("params", "param"),
    [
        (
            {
                "billing_scheme": "tiered",
                "tiers_mode": "volume",
                "tiers": [{"up_to": "inf", "unit_amount": 5}],
            },
            "billing_scheme",
        ),
        ({"unit_amount": 100, "tiers_mode": "graduated"}, "tiers_mode"),
        ({"unit_amount": 100, "transform_quantity": {"divide_by": 10, "round": "up"}}, "transform_quantity"),
        (
            {"unit_amount": 100, "recurring": {"interval": "month", "usage_type": "metered"}},
            "recurring[usage_type]",
        ),
        ({"unit_amount": 100, "recurring": {"interval": "month", "meter": "mtr_123"}}, "recurring[meter]"),
        (
            {
                "unit_amount": 100,
                "currency_options": {"eur": {"tiers": [{"up_to": "inf", "unit_amount": 1}]}},
            },
            "currency_options[eur][tiers]",
        ),
    ],
)
def test_prices_the_sandbox_cannot_bill_are_a_sandbox_limit(
    client: stripe.StripeClient, params: dict[str, Any], param: str
) -> None:
    product = _product(client)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.prices.create({"currency": "usd", "product": product, **params})
    err = caught.value
    assert (err.http_status, err.code, err.param) == (400, "sandbox_limit", param)
    assert "limit of the sandbox, not of Stripe" in str(err.user_message)
    assert client.v1.prices.list({"product": product}).data == []  # nothing was created


def test_currency_options_are_returned_when_expanded(client: stripe.StripeClient) -> None:
    price = client.v1.prices.create(
        {
            "currency": "usd",
            "product": _product(client),
            "unit_amount": 1000,
            "currency_options": {"eur": {"unit_amount": 900, "tax_behavior": "inclusive"}},
        }
    )
    assert "currency_options" not in price  # includable: sent only when expanded
    got = client.v1.prices.retrieve(price.id, {"expand": ["currency_options"]})
    options = got.currency_options.to_dict()
    assert options["usd"]["unit_amount"] == 1000 and options["eur"]["unit_amount"] == 900
    assert options["eur"]["tax_behavior"] == "inclusive"
    listed = client.v1.prices.list({"product": price.product, "expand": ["data.currency_options"]}).data
    assert listed[0].currency_options["eur"]["unit_amount"] == 900


def _custom_price(client: stripe.StripeClient, **bounds: int) -> stripe.Price:
    return client.v1.prices.create(
        {"currency": "usd", "product": _product(client), "custom_unit_amount": {"enabled": True, **bounds}}
    )


def test_a_custom_amount_price_needs_no_unit_amount_and_checks_its_bounds(
    client: stripe.StripeClient,
) -> None:
    price = _custom_price(client, minimum=500, maximum=10000, preset=2500)
    assert price.unit_amount is None and price.billing_scheme == "per_unit"
    assert price.custom_unit_amount.to_dict() == {"maximum": 10000, "minimum": 500, "preset": 2500}
    for bad, param in (
        ({"minimum": 10}, "custom_unit_amount[minimum]"),  # below the $0.50 minimum charge
        ({"minimum": 900, "preset": 100}, "custom_unit_amount[preset]"),
    ):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            _custom_price(client, **bad)
        assert caught.value.param == param
    with pytest.raises(stripe.InvalidRequestError) as both:
        client.v1.prices.create(
            {
                "currency": "usd",
                "product": _product(client),
                "unit_amount": 5,
                "custom_unit_amount": {"enabled": True},
            }
        )
    assert both.value.param == "unit_amount"


def test_checkout_takes_the_amount_the_customer_types(client: stripe.StripeClient) -> None:
    price = _custom_price(client, minimum=500, maximum=10000, preset=2500)
    cs = client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "line_items": [{"price": price.id, "quantity": 1}],
            "success_url": "https://example.com/ok",
        }
    )
    assert cs.amount_total == 2500  # the preset, until the customer picks
    page = httpx.get(str(cs.url))
    assert "name=custom_amount" in page.text and "25.00" in page.text
    too_little = httpx.post(str(cs.url), data={"card_number": "4242424242424242", "custom_amount": "1.00"})
    assert too_little.status_code == 402 and "between 5.00 and 100.00" in too_little.text
    assert client.v1.checkout.sessions.retrieve(cs.id).status == "open"
    paid = httpx.post(str(cs.url), data={"card_number": "4242424242424242", "custom_amount": "42.50"})
    assert paid.status_code == 303
    done = client.v1.checkout.sessions.retrieve(cs.id, {"expand": ["line_items", "payment_intent"]})
    assert (done.status, done.payment_status, done.amount_total) == ("complete", "paid", 4250)
    assert done.payment_intent.amount == 4250
    assert done.line_items.data[0].amount_total == 4250


def test_a_payment_link_with_a_custom_amount_opens_the_same_page(client: stripe.StripeClient) -> None:
    price = _custom_price(client, preset=1000)
    link = client.v1.payment_links.create({"line_items": [{"price": price.id, "quantity": 1}]})
    opened = httpx.get(link.url, follow_redirects=True)
    assert opened.status_code == 200 and "name=custom_amount" in opened.text


def test_beyond_the_simple_case_a_custom_amount_is_a_sandbox_limit(client: stripe.StripeClient) -> None:
    price = _custom_price(client)
    fixed = client.v1.prices.create({"currency": "usd", "product": _product(client), "unit_amount": 700})
    for line_items in (
        [{"price": price.id, "quantity": 2}],
        [{"price": fixed.id, "quantity": 1}, {"price": price.id, "quantity": 1}],
    ):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.checkout.sessions.create(
                {"mode": "payment", "line_items": line_items, "success_url": "https://example.com/ok"}
            )
        assert caught.value.code == "sandbox_limit" and caught.value.param.endswith("[price]")
    assert client.v1.checkout.sessions.list().data == []
    cus = client.v1.customers.create({})
    with pytest.raises(stripe.InvalidRequestError) as invoiced:
        client.v1.invoice_items.create({"customer": cus.id, "pricing": {"price": price.id}})
    assert (invoiced.value.code, invoiced.value.param) == ("sandbox_limit", "pricing")
    assert client.v1.invoice_items.list({"customer": cus.id}).data == []
