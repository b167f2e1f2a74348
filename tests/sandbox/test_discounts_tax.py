"""Coupons, promotion codes, tax rates and shipping rates with Stripe's arithmetic, on invoices,
subscriptions and Checkout Sessions (API and hosted page)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe

from ..spec_objects import assert_matches_spec
from .billing_setup import DAY, T0, clock, monthly_prices, paying_customer


def _draft(client: stripe.StripeClient, amounts: list[int], **params: Any) -> stripe.Invoice:
    cus = client.v1.customers.create({})
    inv = client.v1.invoices.create(
        {"customer": cus.id, "collection_method": "send_invoice", "days_until_due": 7, **params}
    )
    for amount in amounts:
        client.v1.invoice_items.create(
            {"customer": cus.id, "amount": amount, "currency": "usd", "invoice": str(inv.id)}
        )
    return client.v1.invoices.retrieve(str(inv.id))


def test_coupon_checks(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as neither:
        client.v1.coupons.create({"duration": "once"})
    assert "percent_off or an amount_off" in str(neither.value)
    with pytest.raises(stripe.InvalidRequestError) as no_currency:
        client.v1.coupons.create({"amount_off": 500})
    assert no_currency.value.param == "currency"
    with pytest.raises(stripe.InvalidRequestError) as months:
        client.v1.coupons.create({"percent_off": 10, "duration": "repeating"})
    assert months.value.param == "duration_in_months"
    coupon = client.v1.coupons.create({"id": "SUMMER25", "percent_off": 25, "duration": "forever"})
    assert (coupon.id, coupon.valid, coupon.times_redeemed) == ("SUMMER25", True, 0)
    assert_matches_spec("coupon", coupon.to_dict())
    with pytest.raises(stripe.InvalidRequestError) as duplicate:
        client.v1.coupons.create({"id": "SUMMER25", "percent_off": 5})
    assert duplicate.value.code == "resource_already_exists"
    assert [c.id for c in client.v1.coupons.list().data] == ["SUMMER25"]


def test_invoice_percent_and_amount_discounts(client: stripe.StripeClient) -> None:
    pct = client.v1.coupons.create({"percent_off": 25})
    inv = _draft(client, [1000, 3000], discounts=[{"coupon": pct.id}])
    assert (inv.subtotal, inv.total, inv.amount_due) == (4000, 3000, 3000)
    assert [(d.amount) for d in inv.total_discount_amounts or []] == [1000]
    assert [[d.amount for d in line.discount_amounts or []] for line in inv.lines.data] == [[250], [750]]
    assert_matches_spec("invoice", client.raw_request("get", f"/v1/invoices/{inv.id}").data)
    off = client.v1.coupons.create({"amount_off": 1000, "currency": "usd"})
    inv2 = _draft(client, [1000, 3000], discounts=[{"coupon": off.id}])
    # amount_off spreads over the lines in proportion to their amounts
    assert [[d.amount for d in line.discount_amounts or []] for line in inv2.lines.data] == [[250], [750]]
    assert inv2.total == 3000
    big = client.v1.coupons.create({"amount_off": 9000, "currency": "usd"})
    assert _draft(client, [1000], discounts=[{"coupon": big.id}]).total == 0  # capped at the subtotal
    with pytest.raises(stripe.InvalidRequestError) as eur:
        _draft(
            client,
            [1000],
            discounts=[{"coupon": client.v1.coupons.create({"amount_off": 5, "currency": "eur"}).id}],
        )
    assert eur.value.param == "discounts[0]"


def test_coupon_applies_to_products(client: stripe.StripeClient) -> None:
    shirt = client.v1.prices.create(
        {"currency": "usd", "unit_amount": 2000, "product_data": {"name": "Shirt"}}
    )
    mug = client.v1.prices.create({"currency": "usd", "unit_amount": 1000, "product_data": {"name": "Mug"}})
    coupon = client.v1.coupons.create({"percent_off": 50, "applies_to": {"products": [str(shirt.product)]}})
    cus = client.v1.customers.create({})
    inv = client.v1.invoices.create(
        {"customer": cus.id, "collection_method": "send_invoice", "days_until_due": 7}
    )
    for price in (shirt, mug):
        client.v1.invoice_items.create(
            {"customer": cus.id, "pricing": {"price": price.id}, "invoice": str(inv.id)}
        )
    inv = client.v1.invoices.update(str(inv.id), {"discounts": [{"coupon": coupon.id}]})
    assert inv.total == 1000 + 1000  # half off the shirt only


def test_tax_rates_exclusive_and_inclusive(client: stripe.StripeClient) -> None:
    vat = client.v1.tax_rates.create({"display_name": "Sales tax", "percentage": 10, "inclusive": False})
    pct = client.v1.coupons.create({"percent_off": 25})
    inv = _draft(client, [1000, 3000], discounts=[{"coupon": pct.id}], default_tax_rates=[vat.id])
    # (4000 - 1000 discount) x 10% = 300 tax on top
    assert (inv.subtotal, inv.total, inv.total_excluding_tax) == (4000, 3300, 3000)
    assert [(t.amount, t.taxable_amount, t.tax_behavior) for t in inv.total_taxes or []] == [
        (300, 3000, "exclusive")
    ]
    assert_matches_spec("invoice", client.raw_request("get", f"/v1/invoices/{inv.id}").data)
    incl = client.v1.tax_rates.create({"display_name": "VAT", "percentage": 20, "inclusive": True})
    cus = client.v1.customers.create({})
    item = client.v1.invoice_items.create(
        {"customer": cus.id, "amount": 1200, "currency": "usd", "tax_rates": [incl.id]}
    )
    assert [r.id for r in item.tax_rates or []] == [incl.id]
    inv2 = client.v1.invoices.create(
        {
            "customer": cus.id,
            "collection_method": "send_invoice",
            "days_until_due": 7,
            "pending_invoice_items_behavior": "include",
        }
    )
    # 20% inside 12.00: 2.00 tax, 10.00 before tax, total unchanged
    assert (inv2.total, inv2.subtotal_excluding_tax, inv2.total_excluding_tax) == (1200, 1000, 1000)
    assert [(t.amount, t.tax_behavior) for t in inv2.lines.data[0].taxes or []] == [(200, "inclusive")]


def test_subscription_with_promotion_code_once_and_tax(client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create({})
    pm = client.v1.payment_methods.attach("pm_card_visa", {"customer": cus.id})
    client.v1.customers.update(cus.id, {"invoice_settings": {"default_payment_method": pm.id}})
    price = client.v1.prices.create(
        {
            "currency": "usd",
            "unit_amount": 2000,
            "product_data": {"name": "Pro"},
            "recurring": {"interval": "month"},
        }
    )
    coupon = client.v1.coupons.create({"percent_off": 50, "duration": "once", "max_redemptions": 1})
    promo = client.v1.promotion_codes.create(
        {"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "WELCOME"}
    )
    assert promo.code == "WELCOME" and promo.active is True
    tax = client.v1.tax_rates.create({"display_name": "Tax", "percentage": 10, "inclusive": False})
    sub = client.v1.subscriptions.create(
        {
            "customer": cus.id,
            "items": [{"price": price.id}],
            "discounts": [{"promotion_code": promo.id}],
            "default_tax_rates": [tax.id],
            "expand": ["latest_invoice"],
        }
    )
    inv = sub.latest_invoice
    assert isinstance(inv, stripe.Invoice)
    assert (inv.total, inv.amount_paid, inv.status) == (1100, 1100, "paid")  # (20.00 - 50%) + 10%
    assert len(sub.discounts) == 1
    assert client.v1.coupons.retrieve(coupon.id).times_redeemed == 1
    assert client.v1.coupons.retrieve(coupon.id).valid is False  # max_redemptions reached
    assert client.v1.promotion_codes.retrieve(promo.id).times_redeemed == 1
    renewal = client.v1.invoices.create_preview({"subscription": sub.id})
    assert renewal.total == 2200  # `once`: the next invoice is full price, still taxed
    with pytest.raises(stripe.InvalidRequestError) as used_up:
        client.v1.subscriptions.create(
            {"customer": cus.id, "items": [{"price": price.id}], "discounts": [{"coupon": coupon.id}]}
        )
    assert "no longer valid" in str(used_up.value)


def test_checkout_discount_tax_and_shipping_paid_on_the_hosted_page(client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create({"amount_off": 500, "currency": "usd"})
    tax = client.v1.tax_rates.create({"display_name": "Tax", "percentage": 8, "inclusive": False})
    ground = client.v1.shipping_rates.create(
        {"display_name": "Ground", "type": "fixed_amount", "fixed_amount": {"amount": 700, "currency": "usd"}}
    )
    cs = client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "success_url": "https://example.com/ok",
            "line_items": [
                {
                    "price_data": {"currency": "usd", "unit_amount": 2500, "product_data": {"name": "Book"}},
                    "quantity": 2,
                    "tax_rates": [tax.id],
                }
            ],
            "discounts": [{"coupon": coupon.id}],
            "shipping_options": [{"shipping_rate": ground.id}],
        }
    )
    # 50.00 - 5.00 = 45.00; 8% tax = 3.60; shipping 7.00 -> 55.60
    assert (cs.amount_subtotal, cs.amount_total) == (5000, 5560)
    assert cs.total_details is not None
    assert (
        cs.total_details.amount_discount,
        cs.total_details.amount_tax,
        cs.total_details.amount_shipping,
    ) == (500, 360, 700)
    assert cs.shipping_cost is not None and cs.shipping_cost.shipping_rate == ground.id
    assert [(d.coupon, d.promotion_code) for d in cs.discounts or []] == [(coupon.id, None)]
    assert_matches_spec("checkout.session", client.raw_request("get", f"/v1/checkout/sessions/{cs.id}").data)
    items = client.v1.checkout.sessions.line_items.list(cs.id)
    assert [(li.amount_discount, li.amount_tax, li.amount_total) for li in items.data] == [(500, 360, 4860)]
    assert httpx.post(str(cs.url), data={"card_number": "4242424242424242"}).status_code == 303
    done = client.v1.checkout.sessions.retrieve(cs.id, {"expand": ["payment_intent"]})
    assert isinstance(done.payment_intent, stripe.PaymentIntent) and done.payment_intent.amount == 5560
    assert client.v1.coupons.retrieve(coupon.id).times_redeemed == 1


def test_checkout_promotion_code_typed_on_the_page(client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create({"percent_off": 20})
    client.v1.promotion_codes.create({"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "SPRING"})
    params: dict[str, Any] = {
        "mode": "payment",
        "success_url": "https://example.com/ok",
        "line_items": [
            {
                "price_data": {"currency": "usd", "unit_amount": 1000, "product_data": {"name": "Pen"}},
                "quantity": 1,
            }
        ],
    }
    with pytest.raises(stripe.InvalidRequestError) as both:
        client.v1.checkout.sessions.create(
            {**params, "allow_promotion_codes": True, "discounts": [{"coupon": coupon.id}]}
        )  # type: ignore[typeddict-item]
    assert "allow_promotion_codes, discounts" in str(both.value)
    cs = client.v1.checkout.sessions.create({**params, "allow_promotion_codes": True})  # type: ignore[typeddict-item]
    page = httpx.get(str(cs.url))
    assert "name=promotion_code" in page.text
    wrong = httpx.post(str(cs.url), data={"card_number": "4242424242424242", "promotion_code": "NOPE"})
    assert wrong.status_code == 402 and "NOPE is invalid" in wrong.text
    assert client.v1.checkout.sessions.retrieve(cs.id).status == "open"
    ok = httpx.post(str(cs.url), data={"card_number": "4242424242424242", "promotion_code": "spring"})
    assert ok.status_code == 303
    done = client.v1.checkout.sessions.retrieve(cs.id)
    assert (done.amount_total, done.status) == (800, "complete")
    assert done.discounts and done.discounts[0].promotion_code


def test_checkout_subscription_with_discount(client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create({"percent_off": 10, "duration": "forever"})
    price = client.v1.prices.create(
        {
            "currency": "usd",
            "unit_amount": 3000,
            "product_data": {"name": "Team"},
            "recurring": {"interval": "month"},
        }
    )
    cs = client.v1.checkout.sessions.create(
        {
            "mode": "subscription",
            "success_url": "https://example.com/ok",
            "line_items": [{"price": price.id, "quantity": 1}],
            "discounts": [{"coupon": coupon.id}],
        }
    )
    assert cs.amount_total == 2700
    assert (
        httpx.post(
            str(cs.url), data={"card_number": "4242424242424242", "email": "a@example.com"}
        ).status_code
        == 303
    )
    done = client.v1.checkout.sessions.retrieve(cs.id, {"expand": ["subscription.latest_invoice"]})
    sub = done.subscription
    assert isinstance(sub, stripe.Subscription) and len(sub.discounts) == 1
    assert isinstance(sub.latest_invoice, stripe.Invoice) and sub.latest_invoice.amount_paid == 2700
    assert client.v1.invoices.create_preview({"subscription": sub.id}).total == 2700  # forever


@pytest.mark.parametrize(
    ("duration", "months", "renewal_total"),
    [("forever", None, 550), ("once", None, 1100), ("repeating", 3, 550), ("repeating", 1, 1100)],
)
def test_renewals_on_a_test_clock_keep_discounts_for_their_duration(
    client: stripe.StripeClient, duration: str, months: int | None, renewal_total: int
) -> None:
    test_clock = clock(client)
    cus = paying_customer(client, test_clock.id)
    (price,) = monthly_prices(client, 1000)
    coupon = client.v1.coupons.create(
        {"percent_off": 50, "duration": duration, **({"duration_in_months": months} if months else {})}  # type: ignore[typeddict-item]
    )
    tax = client.v1.tax_rates.create({"display_name": "Tax", "percentage": 10, "inclusive": False})
    client.v1.subscriptions.create(
        {
            "customer": cus.id,
            "items": [{"price": price.id}],
            "discounts": [{"coupon": coupon.id}],
            "default_tax_rates": [tax.id],
        }
    )
    client.v1.test_helpers.test_clocks.advance(test_clock.id, {"frozen_time": T0 + 32 * DAY})
    invoices = client.v1.invoices.list({"customer": cus.id}).data
    first = next(i for i in invoices if i.billing_reason == "subscription_create")
    renewal = next(i for i in invoices if i.billing_reason == "subscription_cycle")
    assert first.total == 550
    assert (renewal.total, renewal.status) == (renewal_total, "paid")
