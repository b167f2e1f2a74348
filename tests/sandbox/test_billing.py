"""Subscriptions, invoices, invoice items, payment links."""

from __future__ import annotations

import httpx
import pytest
import stripe


def _setup(
    client: stripe.StripeClient, pm: str | None = "pm_card_visa"
) -> tuple[stripe.Customer, stripe.Price]:
    cust = client.v1.customers.create({"email": "bill@example.com"})
    if pm:
        attached = client.v1.payment_methods.attach(pm, {"customer": cust.id})
        client.v1.customers.update(cust.id, {"invoice_settings": {"default_payment_method": attached.id}})
    price = client.v1.prices.create(
        {
            "currency": "usd",
            "unit_amount": 2000,
            "product_data": {"name": "Team"},
            "recurring": {"interval": "month"},
        }
    )
    return cust, price


def test_subscription_paid_with_default_method(client: stripe.StripeClient) -> None:
    cust, price = _setup(client)
    sub = client.v1.subscriptions.create(
        {
            "customer": cust.id,
            "items": [{"price": price.id, "quantity": 2}],
            "metadata": {"plan": "team"},
            "expand": ["latest_invoice.payments"],
        }
    )
    assert sub.status == "active"
    item = sub["items"].data[0]
    assert item.quantity == 2 and item.current_period_end > item.current_period_start
    inv = sub.latest_invoice
    assert (
        isinstance(inv, stripe.Invoice)
        and inv.status == "paid"
        and inv.amount_paid == 4000
        and inv.total == 4000
    )
    assert inv.hosted_invoice_url and httpx.get(inv.hosted_invoice_url).status_code == 200
    assert inv.payments and inv.payments.data[0].payment.payment_intent
    # update quantity, cancel at period end, undo it
    sub = client.v1.subscriptions.update(
        sub.id, {"items": [{"id": item.id, "quantity": 3}], "proration_behavior": "none"}
    )
    assert sub["items"].data[0].quantity == 3
    sub = client.v1.subscriptions.update(sub.id, {"cancel_at_period_end": True})
    assert sub.cancel_at_period_end is True and sub.cancel_at
    sub = client.v1.subscriptions.update(sub.id, {"cancel_at_period_end": False})
    assert sub.cancel_at_period_end is False
    sub = client.v1.subscriptions.cancel(sub.id)
    assert sub.status == "canceled" and sub.canceled_at
    assert client.v1.subscriptions.list({"customer": cust.id}).data == []
    assert [s.id for s in client.v1.subscriptions.list({"customer": cust.id, "status": "all"}).data] == [
        sub.id
    ]
    types = {e.type for e in client.v1.events.list({"limit": 100}).data}
    assert {
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.paid",
    } <= types


def test_default_incomplete_and_trial(client: stripe.StripeClient) -> None:
    cust, price = _setup(client, pm=None)
    sub = client.v1.subscriptions.create(
        {
            "customer": cust.id,
            "items": [{"price": price.id}],
            "payment_behavior": "default_incomplete",
            "expand": ["latest_invoice.confirmation_secret"],
        }
    )
    assert sub.status == "incomplete"
    inv = sub.latest_invoice
    assert isinstance(inv, stripe.Invoice) and inv.status == "open"
    assert inv.confirmation_secret and inv.confirmation_secret.client_secret.startswith("pi_")
    pi_id = inv.confirmation_secret.client_secret.split("_secret_")[0]
    client.v1.payment_intents.confirm(
        pi_id, {"payment_method": "pm_card_visa", "return_url": "http://127.0.0.1:1/r"}
    )
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"
    assert client.v1.invoices.retrieve(inv.id).status == "paid"
    trial = client.v1.subscriptions.create(
        {"customer": cust.id, "items": [{"price": price.id}], "trial_period_days": 14}
    )
    assert trial.status == "trialing" and trial.trial_end and trial.trial_start
    tinv = client.v1.invoices.retrieve(str(trial.latest_invoice))
    assert tinv.total == 0 and tinv.status == "paid"


def test_error_if_incomplete_and_declines(client: stripe.StripeClient) -> None:
    cust, price = _setup(client, pm=None)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.create(
            {"customer": cust.id, "items": [{"price": price.id}], "payment_behavior": "error_if_incomplete"}
        )
    assert client.v1.subscriptions.list({"customer": cust.id, "status": "all"}).data == []
    bad = client.v1.payment_methods.attach("pm_card_visa", {"customer": cust.id})
    sub = client.v1.subscriptions.create(
        {"customer": cust.id, "items": [{"price": price.id}], "default_payment_method": bad.id}
    )
    assert sub.status == "active"


def test_send_invoice_and_invoice_lifecycle(client: stripe.StripeClient) -> None:
    cust, price = _setup(client)
    sub = client.v1.subscriptions.create(
        {
            "customer": cust.id,
            "items": [{"price": price.id}],
            "collection_method": "send_invoice",
            "days_until_due": 7,
        }
    )
    assert sub.status == "active" and sub.days_until_due == 7
    assert client.v1.invoices.retrieve(str(sub.latest_invoice)).status == "open"
    inv = client.v1.invoices.create(
        {
            "customer": cust.id,
            "collection_method": "send_invoice",
            "days_until_due": 30,
            "description": "Consulting",
        }
    )
    assert inv.status == "draft"
    one = client.v1.prices.create({"currency": "usd", "unit_amount": 5000, "product_data": {"name": "Hours"}})
    client.v1.invoice_items.create(
        {"customer": cust.id, "invoice": inv.id, "pricing": {"price": one.id}, "quantity": 2}
    )
    client.v1.invoice_items.create(
        {"customer": cust.id, "invoice": inv.id, "amount": 1500, "currency": "usd", "description": "Fee"}
    )
    inv = client.v1.invoices.retrieve(inv.id)
    assert inv.total == 11500 and inv.amount_due == 11500 and len(inv.lines.data) == 2
    inv = client.v1.invoices.finalize_invoice(inv.id)
    assert inv.status == "open" and inv.number and inv.hosted_invoice_url
    inv = client.v1.invoices.send_invoice(inv.id)
    inv = (
        client.v1.invoices.pay(inv.id, {"payment_method": "pm_card_visa"})
        if False
        else client.v1.invoices.pay(inv.id)
    )
    assert inv.status == "paid" and inv.amount_paid == 11500
    other = client.v1.invoices.create({"customer": cust.id})
    client.v1.invoice_items.create(
        {"customer": cust.id, "invoice": other.id, "amount": 700, "currency": "usd"}
    )
    other = client.v1.invoices.finalize_invoice(other.id)
    other = client.v1.invoices.void_invoice(other.id)
    assert other.status == "void"
    assert {i.id for i in client.v1.invoices.list({"customer": cust.id, "status": "paid"}).data} >= {inv.id}
    assert [i.id for i in client.v1.invoices.list({"subscription": sub.id}).data] == [sub.latest_invoice]


def test_hosted_invoice_page_pays(client: stripe.StripeClient) -> None:
    cust, _ = _setup(client, pm=None)
    inv = client.v1.invoices.create(
        {"customer": cust.id, "collection_method": "send_invoice", "days_until_due": 3}
    )
    client.v1.invoice_items.create(
        {"customer": cust.id, "invoice": inv.id, "amount": 2500, "currency": "usd"}
    )
    inv = client.v1.invoices.finalize_invoice(inv.id)
    assert inv.hosted_invoice_url
    declined = httpx.post(inv.hosted_invoice_url, data={"card_number": "4000000000000002"})
    assert "Your card was declined." in declined.text
    ok = httpx.post(inv.hosted_invoice_url, data={"card_number": "4242424242424242"})
    assert ok.status_code == 200
    assert client.v1.invoices.retrieve(inv.id).status == "paid"


def test_payment_links(client: stripe.StripeClient) -> None:
    price = client.v1.prices.create(
        {"currency": "usd", "unit_amount": 1000, "product_data": {"name": "Book"}}
    )
    pl = client.v1.payment_links.create(
        {
            "line_items": [
                {
                    "price": price.id,
                    "quantity": 1,
                    "adjustable_quantity": {"enabled": True, "minimum": 1, "maximum": 5},
                }
            ],
            "after_completion": {"type": "redirect", "redirect": {"url": "http://127.0.0.1:1/thanks"}},
            "metadata": {"campaign": "spring"},
        }
    )
    assert pl.url and pl.active and pl.id.startswith("plink_")
    visit = httpx.get(pl.url)
    assert visit.status_code == 303
    session_url = visit.headers["location"]
    paid = httpx.post(session_url, data={"card_number": "4242424242424242", "quantity_0": "3"})
    assert paid.status_code == 303 and paid.headers["location"] == "http://127.0.0.1:1/thanks"
    sessions = client.v1.checkout.sessions.list({"payment_link": pl.id}).data
    assert len(sessions) == 1 and sessions[0].amount_total == 3000 and sessions[0].status == "complete"
    pl = client.v1.payment_links.update(pl.id, {"active": False})
    assert pl.active is False
    assert httpx.get(str(pl.url)).status_code == 410
    assert [p.id for p in client.v1.payment_links.list({"active": False}).data] == [pl.id]
    assert client.v1.payment_links.line_items.list(pl.id).data[0].price
