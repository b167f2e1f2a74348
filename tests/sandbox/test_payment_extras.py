"""PaymentMethods from test tokens, incremental authorization, customer sessions,
and marking an invoice uncollectible."""

from __future__ import annotations

import pytest
import stripe

from ..spec_objects import assert_matches_spec


def _event_types(client: stripe.StripeClient) -> list[str]:
    return [e.type for e in client.v1.events.list({"limit": 100}).data]


def test_payment_method_from_a_test_token_behaves_like_its_card(client: stripe.StripeClient) -> None:
    pm = client.v1.payment_methods.create({"type": "card", "card": {"token": "tok_visa"}})
    assert pm.type == "card" and pm.card is not None and (pm.card.brand, pm.card.last4) == ("visa", "4242")
    assert_matches_spec("payment_method", pm.to_dict())
    declined = client.v1.payment_methods.create({"type": "card", "card": {"token": "tok_chargeDeclined"}})
    with pytest.raises(stripe.CardError) as err:
        client.v1.payment_intents.create(
            {
                "amount": 1000,
                "currency": "usd",
                "payment_method": declined.id,
                "confirm": True,
                "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
            }
        )
    assert err.value.code == "card_declined"
    cus = client.v1.customers.create({})
    attached = client.v1.payment_methods.attach(pm.id, {"customer": cus.id})
    assert attached.customer == cus.id


def test_payment_method_refusals(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raw:
        client.v1.payment_methods.create(
            {
                "type": "card",
                "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
            }
        )
    assert raw.value.param == "card[number]" and "test tokens" in str(raw.value)
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.payment_methods.create({"type": "card", "card": {"token": "tok_nope"}})
    assert unknown.value.param == "card[token]"
    with pytest.raises(stripe.InvalidRequestError) as other:
        client.v1.payment_methods.create(
            {"type": "sepa_debit", "sepa_debit": {"iban": "DE89370400440532013000"}}
        )
    assert other.value.code == "sandbox_limit"
    assert client.v1.payment_methods.list({"type": "card"}).data == []  # nothing was stored


def test_increment_authorization(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(
        {
            "amount": 5000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "capture_method": "manual",
            "payment_method_options": {"card": {"request_incremental_authorization": "if_available"}},
            "confirm": True,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        }
    )
    assert pi.status == "requires_capture"
    with pytest.raises(stripe.InvalidRequestError) as smaller:
        client.v1.payment_intents.increment_authorization(pi.id, {"amount": 4000})
    assert smaller.value.param == "amount"
    pi = client.v1.payment_intents.increment_authorization(pi.id, {"amount": 7500})
    assert (pi.amount, pi.amount_capturable) == (7500, 7500)
    charge = client.v1.charges.retrieve(str(pi.latest_charge))
    card = charge.payment_method_details.card  # type: ignore[union-attr]
    assert card is not None and card.amount_authorized == 7500
    assert "payment_intent.amount_capturable_updated" in _event_types(client)
    captured = client.v1.payment_intents.capture(pi.id)
    assert captured.amount_received == 7500


def test_increment_authorization_needs_it_requested(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(
        {
            "amount": 5000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "capture_method": "manual",
            "confirm": True,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        }
    )
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.payment_intents.increment_authorization(pi.id, {"amount": 6000})
    assert "request_incremental_authorization" in str(err.value)
    assert client.v1.payment_intents.retrieve(pi.id).amount == 5000


def test_customer_session(client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create({})
    session = client.v1.customer_sessions.create(
        {"customer": cus.id, "components": {"pricing_table": {"enabled": True}}}
    )
    assert session.customer == cus.id and session.client_secret.startswith("cuss_secret_")
    assert session.expires_at == session.created + 1800
    assert session.components.pricing_table.enabled is True
    assert session.components.buy_button.enabled is False
    assert_matches_spec("customer_session", session.to_dict())
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.customer_sessions.create(
            {"customer": "cus_missing", "components": {"buy_button": {"enabled": True}}}
        )
    assert err.value.param == "customer"


def test_mark_uncollectible_then_pay(client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create({})
    client.v1.invoice_items.create({"customer": cus.id, "amount": 1500, "currency": "usd"})
    inv = client.v1.invoices.create(
        {
            "customer": cus.id,
            "collection_method": "send_invoice",
            "days_until_due": 30,
            "pending_invoice_items_behavior": "include",
        }
    )
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.mark_uncollectible(str(inv.id))  # a draft
    client.v1.invoices.finalize_invoice(str(inv.id))
    inv = client.v1.invoices.mark_uncollectible(str(inv.id))
    assert inv.status == "uncollectible" and inv.status_transitions.marked_uncollectible_at
    assert _event_types(client)[:2] == ["invoice.updated", "invoice.marked_uncollectible"]
    paid = client.v1.invoices.pay(str(inv.id), {"payment_method": "pm_card_visa"})
    assert paid.status == "paid" and paid.amount_paid == 1500
