"""The customer portal: a session whose url the sandbox serves, where the customer cancels,
switches price and replaces the payment method, with the events Stripe sends."""

from __future__ import annotations

import httpx
import pytest
import stripe

from ..spec_objects import assert_matches_spec
from .billing_setup import event_types, monthly_prices, paying_customer


def _customer_with_plan(
    client: stripe.StripeClient,
) -> tuple[stripe.Customer, stripe.Subscription, stripe.Price]:
    cus = paying_customer(client)
    basic, pro = monthly_prices(client, 1000, 2500)
    sub = client.v1.subscriptions.create({"customer": cus.id, "items": [{"price": basic.id}]})
    return cus, sub, pro


def test_portal_session_and_page(client: stripe.StripeClient) -> None:
    cus, sub, pro = _customer_with_plan(client)
    session = client.v1.billing_portal.sessions.create(
        {"customer": cus.id, "return_url": "https://example.com/account"}
    )
    assert session.id.startswith("bps_") and session.customer == cus.id
    assert_matches_spec(
        "billing_portal.session",
        client.raw_request("post", "/v1/billing_portal/sessions", customer=cus.id).data,
    )
    config = client.v1.billing_portal.configurations.retrieve(str(session.configuration))
    assert config.is_default is True and config.features.subscription_cancel.enabled is True
    page = httpx.get(session.url)
    assert page.status_code == 200 and sub.id in page.text and pro.id in page.text
    assert "https://example.com/account" in page.text
    assert "billing_portal.session.created" in event_types(client)


def test_switch_price_on_the_portal(client: stripe.StripeClient) -> None:
    cus, sub, pro = _customer_with_plan(client)
    session = client.v1.billing_portal.sessions.create({"customer": cus.id})
    done = httpx.post(session.url, data={"action": "switch", "subscription": sub.id, "price": pro.id})
    assert done.status_code == 200 and "switched" in done.text
    after = client.v1.subscriptions.retrieve(sub.id)
    assert after["items"].data[0].price.id == pro.id
    assert "customer.subscription.updated" in event_types(client)
    assert len(client.v1.invoice_items.list({"customer": cus.id}).data) == 2  # prorations


def test_cancel_on_the_portal(client: stripe.StripeClient) -> None:
    cus, sub, _ = _customer_with_plan(client)
    session = client.v1.billing_portal.sessions.create({"customer": cus.id})
    assert httpx.post(session.url, data={"action": "cancel", "subscription": sub.id}).status_code == 200
    after = client.v1.subscriptions.retrieve(sub.id)
    assert after.cancel_at_period_end is True and after.status == "active"
    event = client.v1.events.list({"type": "customer.subscription.updated"}).data[0]
    assert event.data.previous_attributes is not None
    assert event.data.previous_attributes.to_dict()["cancel_at_period_end"] is False


def test_update_payment_method_on_the_portal(client: stripe.StripeClient) -> None:
    cus, _, _ = _customer_with_plan(client)
    session = client.v1.billing_portal.sessions.create({"customer": cus.id})
    bad = httpx.post(session.url, data={"action": "payment_method", "card_number": "1234"})
    assert bad.status_code == 400 and "incorrect" in bad.text
    ok = httpx.post(session.url, data={"action": "payment_method", "card_number": "5555555555554444"})
    assert ok.status_code == 200 and "4444" in ok.text
    default = client.v1.customers.retrieve(cus.id).invoice_settings.default_payment_method
    assert default and client.v1.payment_methods.retrieve(str(default)).card.last4 == "4444"  # type: ignore[union-attr]
    assert {"payment_method.attached", "customer.updated"} <= set(event_types(client))


def test_portal_refuses_other_customers_subscriptions(client: stripe.StripeClient) -> None:
    _, sub, _ = _customer_with_plan(client)
    stranger = client.v1.customers.create({})
    session = client.v1.billing_portal.sessions.create({"customer": stranger.id})
    refused = httpx.post(session.url, data={"action": "cancel", "subscription": sub.id})
    assert refused.status_code == 400
    assert client.v1.subscriptions.retrieve(sub.id).cancel_at_period_end is False
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.billing_portal.sessions.create({"customer": "cus_missing"})
    assert err.value.param == "customer"
