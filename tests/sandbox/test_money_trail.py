"""Balance transactions with Stripe's fee model, expandable from charges and refunds, listed."""

from __future__ import annotations

import stripe

from ..spec_objects import assert_matches_spec


def _paid(client: stripe.StripeClient, amount: int, **extra: object) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        {
            "amount": amount,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
            **extra,  # type: ignore[typeddict-item]
        }
    )


def test_charge_fee_net_and_refund(client: stripe.StripeClient) -> None:
    pi = _paid(client, 2000)
    charge = client.v1.charges.retrieve(str(pi.latest_charge), {"expand": ["balance_transaction"]})
    txn = charge.balance_transaction
    assert isinstance(txn, stripe.BalanceTransaction)
    # Stripe's standard card pricing: 2.9% + 30 -> 58 + 30 = 88 on 20.00.
    assert (txn.amount, txn.fee, txn.net, txn.type, txn.source) == (2000, 88, 1912, "charge", charge.id)
    assert [(f.amount, f.type) for f in txn.fee_details] == [(88, "stripe_fee")]
    assert_matches_spec("balance_transaction", txn.to_dict())
    refund = client.v1.refunds.create(
        {"payment_intent": pi.id, "amount": 500, "expand": ["balance_transaction"]}
    )
    rtxn = refund.balance_transaction
    assert isinstance(rtxn, stripe.BalanceTransaction)
    assert (rtxn.amount, rtxn.fee, rtxn.net, rtxn.type, rtxn.source) == (-500, 0, -500, "refund", refund.id)
    assert client.v1.balance.retrieve().available[0].amount == 1912 - 500
    listed = client.v1.balance_transactions.list({"type": "charge"})
    assert [t.id for t in listed.data] == [txn.id]
    everything = client.v1.balance_transactions.list()
    assert [t.id for t in everything.data] == [rtxn.id, txn.id]
    assert client.v1.balance_transactions.retrieve(txn.id).net == 1912


def test_capture_books_what_was_captured(client: stripe.StripeClient) -> None:
    pi = _paid(client, 10000, capture_method="manual")
    assert client.v1.charges.retrieve(str(pi.latest_charge)).balance_transaction is None
    client.v1.payment_intents.capture(pi.id, {"amount_to_capture": 6000})
    charge = client.v1.charges.retrieve(str(pi.latest_charge), {"expand": ["balance_transaction"]})
    assert isinstance(charge.balance_transaction, stripe.BalanceTransaction)
    assert (charge.balance_transaction.amount, charge.balance_transaction.fee) == (6000, 204)
