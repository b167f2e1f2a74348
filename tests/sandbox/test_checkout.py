"""Checkout Sessions, paid through the hosted page with a plain form POST."""

from __future__ import annotations

import time

import httpx
import pytest
import stripe

from stripe_power.sandbox import SandboxServer

SUCCESS = "http://127.0.0.1:1/success?session_id={CHECKOUT_SESSION_ID}"


def _price(client: stripe.StripeClient, amount: int = 1000, recurring: bool = False) -> stripe.Price:
    params: dict[str, object] = {"currency": "usd", "unit_amount": amount, "product_data": {"name": "Widget"}}
    if recurring:
        params["recurring"] = {"interval": "month"}
    return client.v1.prices.create(params)  # type: ignore[arg-type]


def _types(client: stripe.StripeClient) -> list[str]:
    return [e.type for e in client.v1.events.list({"limit": 100}).auto_paging_iter()]


def test_payment_mode_pay_via_hosted_page(client: stripe.StripeClient) -> None:
    price = _price(client, 1250)
    cs = client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "line_items": [
                {"price": price.id, "quantity": 2},
                {
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 500,
                        "product_data": {"name": "Gift wrap"},
                    },
                    "quantity": 1,
                },
            ],
            "success_url": SUCCESS,
            "cancel_url": "http://127.0.0.1:1/cancel",
            "customer_email": "c@example.com",
            "metadata": {"order": "42"},
            "allow_promotion_codes": True,
        }
    )
    assert cs.id.startswith("cs_test_") and cs.status == "open" and cs.payment_status == "unpaid"
    assert cs.amount_total == 3000 and cs.url and cs.url.endswith(cs.id)
    page = httpx.get(cs.url)
    assert (
        page.status_code == 200
        and "Widget" in page.text
        and "$30.00" in page.text
        and "card_number" in page.text
    )
    items = client.v1.checkout.sessions.line_items.list(cs.id)
    assert [(i.description, i.quantity, i.amount_total) for i in items.data] == [
        ("Widget", 2, 2500),
        ("Gift wrap", 1, 500),
    ]
    r = httpx.post(cs.url, data={"card_number": "4242 4242 4242 4242"})
    assert r.status_code == 303
    assert r.headers["location"] == SUCCESS.replace("{CHECKOUT_SESSION_ID}", cs.id)
    done = client.v1.checkout.sessions.retrieve(cs.id, {"expand": ["payment_intent", "line_items"]})
    assert done.status == "complete" and done.payment_status == "paid"
    pi = done.payment_intent
    assert isinstance(pi, stripe.PaymentIntent) and pi.status == "succeeded" and pi.amount == 3000
    assert done.customer_details and done.customer_details.email == "c@example.com"
    assert done.line_items is not None and len(done.line_items.data) == 2
    types = _types(client)
    for t in (
        "checkout.session.completed",
        "payment_intent.created",
        "payment_intent.succeeded",
        "charge.succeeded",
    ):
        assert t in types
    assert [s.id for s in client.v1.checkout.sessions.list({"payment_intent": pi.id}).data] == [cs.id]
    assert [s.id for s in client.v1.checkout.sessions.list({"status": "complete"}).data] == [cs.id]
    again = httpx.post(cs.url, data={"card_number": "4242424242424242"})
    assert again.status_code in (200, 409) and "complete" in again.text.lower()


def test_decline_is_shown_and_session_stays_open(client: stripe.StripeClient) -> None:
    cs = client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "line_items": [{"price": _price(client).id, "quantity": 1}],
            "success_url": SUCCESS,
        }
    )
    assert cs.url
    r = httpx.post(cs.url, data={"card_number": "4000000000009995"})
    assert r.status_code == 402 and "Your card has insufficient funds." in r.text
    assert client.v1.checkout.sessions.retrieve(cs.id).status == "open"
    assert "payment_intent.payment_failed" in _types(client)
    r = httpx.post(cs.url, data={"card_number": "4242424242424242"})
    assert r.status_code == 303
    assert client.v1.checkout.sessions.retrieve(cs.id).payment_status == "paid"


def test_subscription_mode(client: stripe.StripeClient) -> None:
    price = _price(client, 900, recurring=True)
    cs = client.v1.checkout.sessions.create(
        {
            "mode": "subscription",
            "line_items": [{"price": price.id, "quantity": 1}],
            "success_url": SUCCESS,
            "customer_email": "sub@example.com",
        }
    )
    assert cs.url
    assert httpx.post(cs.url, data={"card_number": "4242424242424242"}).status_code == 303
    done = client.v1.checkout.sessions.retrieve(cs.id, {"expand": ["subscription", "customer"]})
    assert done.status == "complete" and done.payment_status == "paid"
    sub = done.subscription
    assert isinstance(sub, stripe.Subscription) and sub.status == "active"
    assert isinstance(done.customer, stripe.Customer) and done.customer.email == "sub@example.com"
    inv = client.v1.invoices.retrieve(str(sub.latest_invoice))
    assert inv.status == "paid" and inv.amount_paid == 900
    types = _types(client)
    for t in (
        "customer.created",
        "customer.subscription.created",
        "invoice.paid",
        "checkout.session.completed",
    ):
        assert t in types


def test_setup_mode(client: stripe.StripeClient) -> None:
    cust = client.v1.customers.create({"email": "setup@example.com"})
    cs = client.v1.checkout.sessions.create(
        {"mode": "setup", "customer": cust.id, "currency": "usd", "success_url": SUCCESS}
    )
    assert cs.payment_status == "no_payment_required" and cs.url
    assert httpx.post(cs.url, data={"card_number": "5555555555554444"}).status_code == 303
    done = client.v1.checkout.sessions.retrieve(cs.id, {"expand": ["setup_intent"]})
    assert done.status == "complete"
    si = done.setup_intent
    assert isinstance(si, stripe.SetupIntent) and si.status == "succeeded"
    pms = client.v1.customers.payment_methods.list(cust.id).data
    assert len(pms) == 1 and pms[0].card and pms[0].card.last4 == "4444"
    assert "setup_intent.succeeded" in _types(client)


def test_embedded_expire_and_validation(client: stripe.StripeClient, sandbox: SandboxServer) -> None:
    price = _price(client)
    emb = client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "ui_mode": "embedded_page",
            "return_url": "http://127.0.0.1:1/r?s={CHECKOUT_SESSION_ID}",
            "line_items": [{"price": price.id, "quantity": 1}],
        }
    )
    assert emb.client_secret and emb.url is None and emb.ui_mode == "embedded_page"
    cs = client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "line_items": [{"price": price.id, "quantity": 1}],
            "success_url": SUCCESS,
            "expires_at": int(time.time()) + 3600,
        }
    )
    cs = client.v1.checkout.sessions.expire(cs.id)
    assert cs.status == "expired"
    r = httpx.post(f"{sandbox.url}/c/pay/{cs.id}", data={"card_number": "4242424242424242"})
    assert r.status_code in (409, 410)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(cs.id)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.create(
            {"mode": "subscription", "line_items": [{"price": price.id, "quantity": 1}]}
        )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.checkout.sessions.create(
            {"mode": "payment", "line_items": [{"price": "price_nope", "quantity": 1}]}
        )
    assert exc.value.param == "line_items[0][price]"
    assert "checkout.session.expired" in _types(client)


def test_events_filters(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(
        {
            "amount": 1000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "return_url": "http://127.0.0.1:1/r",
        }
    )
    client.v1.customers.create({})
    wild = client.v1.events.list({"type": "payment_intent.*"})
    assert {e.type for e in wild.data} == {"payment_intent.created", "payment_intent.succeeded"}
    multi = client.v1.events.list({"types": ["customer.created", "charge.succeeded"]})
    assert {e.type for e in multi.data} == {"customer.created", "charge.succeeded"}
    succeeded = client.v1.events.list({"type": "payment_intent.succeeded"}).data[0]
    assert succeeded.data.object["id"] == pi.id
    assert (
        succeeded.data.previous_attributes
        and succeeded.data.previous_attributes["status"] == "requires_confirmation"
    )
    assert client.v1.events.retrieve(succeeded.id).type == "payment_intent.succeeded"
    assert client.v1.events.list({"created": {"gt": succeeded.created + 10}}).data == []
