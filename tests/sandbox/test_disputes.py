"""Disputes from Stripe's dispute test cards: created on payment with events and the money
withdrawn, evidence staged and submitted, Stripe's winning/losing test evidence, closing."""

from __future__ import annotations

import pytest
import stripe

from ..spec_objects import assert_matches_spec


def _pay(client: stripe.StripeClient, pm: str, amount: int = 10000) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        {
            "amount": amount,
            "currency": "usd",
            "payment_method": pm,
            "confirm": True,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        }
    )


def _types(client: stripe.StripeClient) -> list[str]:
    return [e.type for e in client.v1.events.list({"limit": 100}).data]


def test_dispute_card_creates_a_dispute(client: stripe.StripeClient) -> None:
    pi = _pay(client, "pm_card_createDispute")
    assert pi.status == "succeeded"
    disputes = client.v1.disputes.list().data
    assert len(disputes) == 1
    dispute = disputes[0]
    assert (dispute.status, dispute.reason, dispute.amount, dispute.charge) == (
        "needs_response",
        "fraudulent",
        10000,
        pi.latest_charge,
    )
    assert_matches_spec("dispute", client.raw_request("get", f"/v1/disputes/{dispute.id}").data)
    assert {"charge.dispute.created", "charge.dispute.funds_withdrawn"} <= set(_types(client))
    assert client.v1.charges.retrieve(str(pi.latest_charge)).disputed is True
    txn = client.v1.balance_transactions.retrieve(dispute.balance_transactions[0].id)
    assert (txn.amount, txn.fee, txn.net) == (-10000, 1500, -11500)
    # 100.00 charged (fee 3.20), then 100.00 + 15.00 withdrawn
    assert client.v1.balance.retrieve().available[0].amount == 10000 - 320 - 11500


def test_ordinary_cards_are_not_disputed(client: stripe.StripeClient) -> None:
    _pay(client, "pm_card_visa")
    assert client.v1.disputes.list().data == []


def test_evidence_staged_then_winning_evidence_wins(client: stripe.StripeClient) -> None:
    _pay(client, "pm_card_createDispute")
    dispute = client.v1.disputes.list().data[0]
    staged = client.v1.disputes.update(
        dispute.id, {"evidence": {"customer_name": "Jane Doe"}, "submit": False}
    )
    assert staged.status == "needs_response" and staged.evidence.customer_name == "Jane Doe"
    assert staged.evidence_details.has_evidence is True and staged.evidence_details.submission_count == 0
    won = client.v1.disputes.update(dispute.id, {"evidence": {"uncategorized_text": "winning_evidence"}})
    assert won.status == "won" and won.evidence.customer_name == "Jane Doe"
    assert won.evidence_details.submission_count == 1
    assert {"charge.dispute.funds_reinstated", "charge.dispute.closed"} <= set(_types(client))
    assert client.v1.balance.retrieve().available[0].amount == 10000 - 320 - 1500
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.disputes.close(dispute.id)


def test_losing_evidence_and_close(client: stripe.StripeClient) -> None:
    _pay(client, "pm_card_createDispute")
    _pay(client, "pm_card_createDisputeProductNotReceived")
    first, second = client.v1.disputes.list().data[::-1]
    assert second.reason == "product_not_received"
    lost = client.v1.disputes.update(first.id, {"evidence": {"uncategorized_text": "losing_evidence"}})
    assert lost.status == "lost"
    closed = client.v1.disputes.close(second.id)
    assert closed.status == "lost"


def test_inquiry_moves_no_money(client: stripe.StripeClient) -> None:
    _pay(client, "pm_card_createDisputeInquiry", 5000)
    inquiry = client.v1.disputes.list().data[0]
    assert inquiry.status == "warning_needs_response" and inquiry.balance_transactions == []
    assert client.v1.disputes.close(inquiry.id).status == "warning_closed"
