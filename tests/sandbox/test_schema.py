"""Every object the sandbox returns validates against Stripe's OpenAPI response schemas (the packaged index)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import stripe

from stripe_power.sandbox import SandboxServer

from ..spec_objects import assert_matches_spec

# Every object type the scenario creates (the singletons `account` and `balance` are read elsewhere).
TYPES = [
    "customer",
    "product",
    "price",
    "checkout.session",
    "item",
    "payment_intent",
    "charge",
    "refund",
    "payment_method",
    "setup_intent",
    "subscription",
    "subscription_item",
    "invoice",
    "invoiceitem",
    "line_item",
    "invoice_payment",
    "payment_link",
    "event",
    "webhook_endpoint",
    "dispute",
    "balance_transaction",
]


def _scenario(client: stripe.StripeClient) -> list[tuple[str, Any]]:
    """Create every object type through the SDK; return (schema, raw JSON) pairs of SDK responses."""
    seen: list[tuple[str, Any]] = []

    def keep(typ: str, obj: Any) -> Any:
        assert obj.last_response is not None
        seen.append((typ, json.loads(obj.last_response.body)))
        return obj

    ret = "http://127.0.0.1:1/r"
    cust = keep(
        "customer",
        client.v1.customers.create(
            {"email": "s@example.com", "name": "S", "address": {"line1": "1 Main", "country": "US"}}
        ),
    )
    prod = keep("product", client.v1.products.create({"name": "P", "images": ["http://127.0.0.1:1/i.png"]}))
    one = keep("price", client.v1.prices.create({"currency": "usd", "unit_amount": 1000, "product": prod.id}))
    rec = keep(
        "price",
        client.v1.prices.create(
            {"currency": "usd", "unit_amount": 500, "product": prod.id, "recurring": {"interval": "month"}}
        ),
    )
    cs = keep(
        "checkout.session",
        client.v1.checkout.sessions.create(
            {"mode": "payment", "line_items": [{"price": one.id, "quantity": 1}], "success_url": ret}
        ),
    )
    assert cs.url
    httpx.post(cs.url, data={"card_number": "4242424242424242"})
    keep(
        "checkout.session",
        client.v1.checkout.sessions.retrieve(cs.id, {"expand": ["line_items", "payment_intent"]}),
    )
    for mode in ("subscription", "setup"):
        params: dict[str, Any] = {"mode": mode, "success_url": ret, "customer": cust.id, "currency": "usd"}
        if mode == "subscription":
            params["line_items"] = [{"price": rec.id, "quantity": 1}]
            del params["currency"]
        s = client.v1.checkout.sessions.create(params)  # type: ignore[arg-type]
        assert s.url
        httpx.post(s.url, data={"card_number": "4242424242424242"})
        keep("checkout.session", client.v1.checkout.sessions.retrieve(s.id))
    client.v1.checkout.sessions.expire(
        client.v1.checkout.sessions.create(
            {"mode": "payment", "line_items": [{"price": one.id, "quantity": 1}], "success_url": ret}
        ).id
    )
    emb = keep(
        "checkout.session",
        client.v1.checkout.sessions.create(
            {
                "mode": "payment",
                "ui_mode": "embedded_page",
                "return_url": ret,
                "line_items": [{"price": one.id, "quantity": 1}],
            }
        ),
    )
    assert emb.client_secret
    pi = keep(
        "payment_intent",
        client.v1.payment_intents.create(
            {
                "amount": 5000,
                "currency": "usd",
                "customer": cust.id,
                "payment_method": "pm_card_visa",
                "confirm": True,
                "return_url": ret,
                "setup_future_usage": "off_session",
                "expand": ["latest_charge"],
            }
        ),
    )
    keep("refund", client.v1.refunds.create({"payment_intent": pi.id, "amount": 100}))
    keep("charge", client.v1.charges.retrieve(str(pi.latest_charge.id)))
    disputed = client.v1.payment_intents.create(
        {
            "amount": 3000,
            "currency": "usd",
            "payment_method": "pm_card_createDispute",
            "confirm": True,
            "return_url": ret,
            "expand": ["latest_charge.balance_transaction"],
        }
    )
    dispute = client.v1.disputes.list({"payment_intent": disputed.id}).data[0]
    keep("dispute", client.v1.disputes.retrieve(dispute.id))
    keep(
        "balance_transaction",
        client.v1.balance_transactions.retrieve(disputed.latest_charge.balance_transaction.id),
    )
    keep("charge", client.v1.charges.create({"amount": 700, "currency": "usd", "source": "tok_visa"}))
    held = keep(
        "payment_intent",
        client.v1.payment_intents.create(
            {
                "amount": 5000,
                "currency": "usd",
                "payment_method": "pm_card_visa",
                "confirm": True,
                "return_url": ret,
                "capture_method": "manual",
            }
        ),
    )
    keep("payment_intent", client.v1.payment_intents.capture(held.id, {"amount_to_capture": 1000}))
    keep(
        "payment_intent",
        client.v1.payment_intents.create(
            {
                "amount": 5000,
                "currency": "usd",
                "payment_method": "pm_card_authenticationRequired",
                "confirm": True,
                "return_url": ret,
            }
        ),
    )
    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_intents.create(
            {
                "amount": 5000,
                "currency": "usd",
                "payment_method": "pm_card_chargeDeclined",
                "confirm": True,
                "return_url": ret,
            }
        )
    body = declined.value.json_body or {}
    seen.append(("payment_intent", body["error"]["payment_intent"]))
    keep(
        "payment_intent",
        client.v1.payment_intents.cancel(
            client.v1.payment_intents.create({"amount": 700, "currency": "usd"}).id
        ),
    )
    pm = keep("payment_method", client.v1.payment_methods.attach("pm_card_mastercard", {"customer": cust.id}))
    client.v1.customers.update(cust.id, {"invoice_settings": {"default_payment_method": pm.id}})
    keep(
        "setup_intent",
        client.v1.setup_intents.create(
            {"customer": cust.id, "payment_method": "pm_card_visa", "confirm": True, "return_url": ret}
        ),
    )
    sub = keep(
        "subscription",
        client.v1.subscriptions.create(
            {"customer": cust.id, "items": [{"price": rec.id}], "expand": ["latest_invoice.payments"]}
        ),
    )
    keep(
        "subscription",
        client.v1.subscriptions.update(sub.id, {"items": [{"id": sub["items"].data[0].id, "quantity": 2}]}),
    )
    keep("subscription", client.v1.subscriptions.cancel(sub.id))
    keep(
        "subscription",
        client.v1.subscriptions.create(
            {"customer": cust.id, "items": [{"price": rec.id}], "trial_period_days": 7}
        ),
    )
    inv = keep(
        "invoice",
        client.v1.invoices.create(
            {"customer": cust.id, "collection_method": "send_invoice", "days_until_due": 5}
        ),
    )
    keep(
        "invoiceitem",
        client.v1.invoice_items.create(
            {"customer": cust.id, "invoice": inv.id, "pricing": {"price": one.id}}
        ),
    )
    keep(
        "invoiceitem", client.v1.invoice_items.create({"customer": cust.id, "amount": 300, "currency": "usd"})
    )
    keep("invoice", client.v1.invoices.finalize_invoice(inv.id, {"expand": ["confirmation_secret"]}))
    keep("invoice", client.v1.invoices.void_invoice(inv.id))
    keep(
        "payment_link",
        client.v1.payment_links.create(
            {
                "line_items": [{"price": one.id, "quantity": 1}],
                "after_completion": {"type": "redirect", "redirect": {"url": ret}},
            }
        ),
    )
    keep(
        "webhook_endpoint",
        client.v1.webhook_endpoints.create({"url": "http://127.0.0.1:9/h", "enabled_events": ["*"]}),
    )
    keep("balance", client.v1.balance.retrieve())
    keep("account", client.v1.accounts.retrieve_current())
    return seen


def test_every_object_matches_the_spec(
    client: stripe.StripeClient, sandbox: SandboxServer, api_key: str
) -> None:
    failures: list[str] = []

    def check(typ: str, obj: Any) -> None:
        try:
            assert_matches_spec(typ, obj)
        except AssertionError as err:
            failures.append(str(err))

    for typ, body in _scenario(client):
        check(typ, body)
    covered = set()
    for typ in TYPES:
        objects = sandbox.objects(api_key, typ)
        for obj in objects:
            check(typ, obj)
        if objects:
            covered.add(typ)
    assert covered == set(TYPES), f"not exercised: {set(TYPES) - covered}"
    for event in sandbox.objects(api_key, "event"):
        obj = event["data"]["object"]
        if obj.get("object") in TYPES:
            check(obj["object"], obj)
    assert not failures, "\n".join(sorted(set(failures)))
