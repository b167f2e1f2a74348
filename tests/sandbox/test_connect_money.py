"""Connect's money as Stripe documents it: direct charges with application fees, destination charges
with transfers to a payment on the connected account, transfers and reversals, refunds that undo
them, payouts of a connected account; every object against its schema, every effect read back.

Sources: docs.stripe.com/connect/direct-charges (collect fees), /connect/destination-charges,
/connect/separate-charges-and-transfers, /connect/payouts-connected-accounts, and the spec's
descriptions: PaymentIntent `application_fee_amount` ("capped at the total amount captured"),
`transfer_data[amount]`, transfer reversals ("return an error when called on an already-reversed
transfer, or when trying to reverse more money than is left"), refunds' `reverse_transfer` and
`refund_application_fee` ("proportional to the amount of the charge refunded").
"""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from ..spec_objects import assert_matches_spec
from .connect_setup import NO_REDIRECTS, TOS, custom_account, paid, txn


def _on(account: str) -> dict[str, Any]:
    return {"stripe_account": account}


def _available(client: stripe.StripeClient, account: str | None = None) -> int:
    balance = client.v1.balance.retrieve(options=_on(account) if account else {})  # type: ignore[arg-type]
    return sum(b.amount for b in balance.available if b.currency == "usd")


# -- direct charges ----------------------------------------------------------------------------


def test_direct_charge_collects_an_application_fee_that_can_be_refunded(client: stripe.StripeClient) -> None:
    account = custom_account(client).id
    pi = paid(client, 2000, account, application_fee_amount=200)
    charge = client.v1.charges.retrieve(str(pi.latest_charge), options=_on(account))
    with pytest.raises(stripe.InvalidRequestError):  # the charge is the connected account's
        client.v1.charges.retrieve(charge.id)
    assert charge.application_fee_amount == 200 and charge.application is not None
    fees = client.v1.application_fees.list({"charge": charge.id})
    assert [f.id for f in fees.data] == [charge.application_fee]
    fee = client.v1.application_fees.retrieve(str(charge.application_fee))
    assert (fee.account, fee.amount, fee.charge, fee.originating_transaction) == (
        account,
        200,
        charge.id,
        None,
    )
    assert fee.application == charge.application and fee.fee_source is not None
    assert_matches_spec("application_fee", fee.to_dict())
    assert_matches_spec("charge", charge.to_dict())
    assert client.v1.application_fees.list({"charge": "ch_other"}).data == []
    # The connected account pays Stripe's fee (Custom: fees.payer application_custom) and the application fee.
    ctxn = txn(client, charge.balance_transaction, account)
    assert (ctxn.amount, ctxn.fee, ctxn.net) == (2000, 88 + 200, 1712)
    assert [(d.type, d.amount, d.application) for d in ctxn.fee_details] == [
        ("stripe_fee", 88, None),
        ("application_fee", 200, charge.application),
    ]
    ptxn = txn(client, fee.balance_transaction)
    assert (ptxn.type, ptxn.amount, ptxn.net, ptxn.source, ptxn.reporting_category) == (
        "application_fee", 200, 200, fee.id, "platform_earning"
    )  # fmt: skip
    assert (_available(client), _available(client, account)) == (200, 1712)

    part = client.v1.application_fees.refunds.create(fee.id, {"amount": 50, "metadata": {"why": "goodwill"}})
    assert (part.amount, part.fee, part.metadata.to_dict()) == (50, fee.id, {"why": "goodwill"})
    assert_matches_spec("fee_refund", part.to_dict())
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.application_fees.refunds.create(fee.id, {"amount": 151})
    assert (too_much.value.param, too_much.value.code) == ("amount", "amount_too_large")
    after = client.v1.application_fees.retrieve(fee.id)
    assert (after.amount_refunded, after.refunded, [r.id for r in after.refunds.data]) == (
        50,
        False,
        [part.id],
    )
    assert client.v1.application_fees.refunds.retrieve(fee.id, part.id).amount == 50
    relabeled = client.v1.application_fees.refunds.update(fee.id, part.id, {"metadata": {"why": "promo"}})
    assert relabeled.metadata.to_dict() == {"why": "promo"}
    # The older POST /v1/application_fees/{id}/refund refunds the rest and answers the fee.
    rest = client.raw_request("post", f"/v1/application_fees/{fee.id}/refund")
    assert rest.data["refunded"] is True and rest.data["amount_refunded"] == 200
    assert [r.amount for r in client.v1.application_fees.refunds.list(fee.id).data] == [150, 50]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.application_fees.refunds.create(fee.id)
    assert (_available(client), _available(client, account)) == (0, 1912)
    kinds = [t.type for t in client.v1.balance_transactions.list().data]
    assert kinds == ["application_fee_refund", "application_fee_refund", "application_fee"]


@pytest.mark.parametrize("where", ["create", "update", "capture"])
def test_an_application_fee_without_a_connected_account_is_refused(
    client: stripe.StripeClient, where: str
) -> None:
    message = (
        "Can only apply an application_fee_amount when the PaymentIntent is attempting a direct payment (using an "
        "OAuth key or Stripe-Account header) or destination payment (using `transfer_data[destination]`)."
    )
    send: Any
    if where == "create":
        send = lambda: paid(client, 1000, application_fee_amount=100)  # noqa: E731
    elif where == "update":
        pi = client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
        send = lambda: client.v1.payment_intents.update(pi.id, {"application_fee_amount": 100})  # noqa: E731
    else:
        held = paid(client, 1000, capture_method="manual")
        send = lambda: client.v1.payment_intents.capture(held.id, {"application_fee_amount": 100})  # noqa: E731
    with pytest.raises(stripe.InvalidRequestError) as refused:
        send()
    assert (refused.value.user_message, refused.value.param) == (message, "application_fee_amount")
    assert client.v1.application_fees.list().data == []
    for pi in client.v1.payment_intents.list().data:  # nothing applied where the intent existed before
        assert pi.application_fee_amount is None and pi.status != "succeeded"
    assert client.v1.balance_transactions.list().data == []


def test_the_charges_api_refuses_it_with_its_own_message(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.charges.create(
            {"amount": 1000, "currency": "usd", "source": "tok_visa", "application_fee_amount": 100}
        )
    assert str(refused.value.user_message).startswith(
        "Can only apply an application_fee when the request is made"
    )
    assert client.v1.charges.list().data == []


def test_the_fee_is_capped_at_the_amount_captured(client: stripe.StripeClient) -> None:
    account = custom_account(client).id
    pi = paid(client, 1000, account, application_fee_amount=800, capture_method="manual")
    assert client.v1.application_fees.list().data == []  # nothing collected before capture
    client.v1.payment_intents.capture(pi.id, {"amount_to_capture": 500}, _on(account))
    charge = client.v1.charges.retrieve(str(pi.latest_charge), options=_on(account))
    fee = client.v1.application_fees.retrieve(str(charge.application_fee))
    assert (charge.application_fee_amount, fee.amount) == (800, 500)
    # The fee given when capturing replaces the intent's.
    other = paid(client, 1000, account, application_fee_amount=800, capture_method="manual")
    captured = client.v1.payment_intents.capture(other.id, {"application_fee_amount": 100}, _on(account))
    assert captured.application_fee_amount == 100
    assert client.v1.application_fees.list().data[0].amount == 100


def test_the_platform_pays_stripes_fee_when_it_is_the_fee_payer(client: stripe.StripeClient) -> None:
    account = client.v1.accounts.create(
        {
            "controller": {
                "fees": {"payer": "application"},
                "losses": {"payments": "application"},
                "requirement_collection": "application",
                "stripe_dashboard": {"type": "none"},
            },
            "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
            "tos_acceptance": TOS,
        }
    ).id
    pi = paid(client, 2000, account, application_fee_amount=100)
    charge = client.v1.charges.retrieve(str(pi.latest_charge), options=_on(account))
    ctxn = txn(client, charge.balance_transaction, account)
    assert [(d.type, d.amount) for d in ctxn.fee_details] == [("application_fee", 100)] and ctxn.net == 1900
    assert [(t.type, t.amount) for t in client.v1.balance_transactions.list().data] == [
        ("application_fee", 100),
        ("stripe_fee", -88),
    ]
    assert _available(client) == 12


# -- destination charges -------------------------------------------------------------------------


def test_a_destination_charge_transfers_to_a_payment_on_the_connected_account(
    client: stripe.StripeClient,
) -> None:
    account = custom_account(client).id
    pi = paid(
        client,
        10000,
        transfer_data={"destination": account},
        application_fee_amount=1230,
        on_behalf_of=account,
    )
    assert (
        pi.transfer_data is not None
        and pi.transfer_data.destination == account
        and pi.on_behalf_of == account
    )
    charge = client.v1.charges.retrieve(str(pi.latest_charge))
    assert charge.on_behalf_of == account and charge.transfer_group == f"group_{pi.id}"
    assert charge.transfer_data is not None and (
        charge.transfer_data.destination,
        charge.transfer_data.amount,
    ) == (
        account,
        None,
    )
    transfer = client.v1.transfers.retrieve(str(charge.transfer))
    assert (transfer.amount, transfer.destination, transfer.source_transaction) == (10000, account, charge.id)
    assert transfer.transfer_group == charge.transfer_group
    assert_matches_spec("transfer", transfer.to_dict())
    assert_matches_spec("charge", charge.to_dict())
    payment = client.v1.charges.retrieve(str(transfer.destination_payment), options=_on(account))
    assert payment.id.startswith("py_") and (payment.amount, payment.source_transfer) == (10000, transfer.id)
    assert (
        payment.payment_method_details is not None and payment.payment_method_details.type == "stripe_account"
    )
    assert_matches_spec("charge", payment.to_dict())
    # The full amount goes over and the application fee comes back from the connected account's payment.
    fee = client.v1.application_fees.retrieve(str(charge.application_fee))
    assert (fee.account, fee.amount, fee.charge, fee.originating_transaction) == (
        account,
        1230,
        payment.id,
        charge.id,
    )
    ptxn = txn(client, payment.balance_transaction, account)
    assert (ptxn.type, ptxn.amount, ptxn.fee, ptxn.net) == ("payment", 10000, 1230, 8770)
    ttxn = txn(client, transfer.balance_transaction)
    assert (ttxn.type, ttxn.amount, ttxn.reporting_category) == ("transfer", -10000, "transfer")
    # The platform pays Stripe's fee on destination charges: 10000 - 320 - 10000 + 1230.
    assert (_available(client), _available(client, account)) == (910, 8770)
    assert [t.id for t in client.v1.transfers.list({"destination": account}).data] == [transfer.id]
    assert [t.id for t in client.v1.transfers.list({"transfer_group": f"group_{pi.id}"}).data] == [
        transfer.id
    ]
    assert client.v1.transfers.list({"transfer_group": "other"}).data == []
    assert client.v1.transfers.list(options=_on(account)).data == []  # sent by the platform, not the account


def test_transfer_data_amount_and_transfer_group_are_applied(client: stripe.StripeClient) -> None:
    account = custom_account(client).id
    extra = {"transfer_data": {"destination": account, "amount": 7000}, "transfer_group": "order-42"}
    pi = paid(client, 10000, **extra)
    charge = client.v1.charges.retrieve(str(pi.latest_charge), {"expand": ["transfer"]})
    assert charge.transfer_group == "order-42" and pi.transfer_group == "order-42"
    assert isinstance(charge.transfer, stripe.Transfer)
    assert (charge.transfer.amount, charge.transfer.transfer_group) == (7000, "order-42")
    # Captured less than transfer_data[amount]: the transfer is capped at what was captured.
    held = paid(client, 10000, capture_method="manual", **extra)
    client.v1.payment_intents.capture(held.id, {"amount_to_capture": 5000})
    capped = client.v1.charges.retrieve(str(held.latest_charge), {"expand": ["transfer"]})
    assert isinstance(capped.transfer, stripe.Transfer) and capped.transfer.amount == 5000
    # transfer_data[amount] can change before the payment, not the destination.
    later = client.v1.payment_intents.create({"amount": 3000, "currency": "usd", **extra})  # type: ignore[typeddict-item]
    changed = client.v1.payment_intents.update(later.id, {"transfer_data": {"amount": 2500}})
    assert changed.transfer_data is not None and changed.transfer_data.amount == 2500


def test_destination_must_be_a_connected_account_with_active_transfers(client: stripe.StripeClient) -> None:
    waiting = client.v1.accounts.create({"type": "express"}).id  # not onboarded: transfers inactive
    cases = [
        (
            {"transfer_data": {"destination": waiting}},
            "transfer_data[destination]",
            "at least one of the following capabilities",
        ),
        (
            {"transfer_data": {"destination": "acct_1NotMine000000"}},
            "transfer_data[destination]",
            "No such destination",
        ),
        ({"on_behalf_of": "acct_1NotMine000000"}, "on_behalf_of", "No such account"),
    ]
    for extra, param, text in cases:
        with pytest.raises(stripe.InvalidRequestError) as refused:
            paid(client, 1000, **extra)
        assert refused.value.param == param and text in str(refused.value.user_message)
    assert client.v1.payment_intents.list().data == [] and client.v1.transfers.list().data == []


# -- transfers and reversals ---------------------------------------------------------------------


def test_transfers_and_their_reversals_are_objects_of_their_own(client: stripe.StripeClient) -> None:
    account = custom_account(client).id
    with pytest.raises(stripe.InvalidRequestError) as broke:
        client.v1.transfers.create({"amount": 3000, "currency": "usd", "destination": account})
    assert broke.value.code == "balance_insufficient" and client.v1.transfers.list().data == []
    paid(client, 10000)
    funds = _available(client)
    transfer = client.v1.transfers.create(
        {
            "amount": 3000,
            "currency": "usd",
            "destination": account,
            "transfer_group": "g1",
            "metadata": {"k": "v"},
        }
    )
    assert (transfer.transfer_group, transfer.metadata.to_dict(), transfer.amount_reversed) == (
        "g1",
        {"k": "v"},
        0,
    )
    assert _available(client) == funds - 3000 and _available(client, account) == 3000

    first = client.v1.transfers.reversals.create(transfer.id, {"amount": 1000, "metadata": {"n": "1"}})
    assert first.id.startswith("trr_") and (first.transfer, first.amount) == (transfer.id, 1000)
    assert_matches_spec("transfer_reversal", first.to_dict())
    parent = client.v1.transfers.retrieve(transfer.id)  # the transfer keeps its id and answers
    assert (parent.id, parent.amount_reversed, parent.reversed) == (transfer.id, 1000, False)
    assert [r.id for r in parent.reversals.data] == [first.id] and parent.reversals.total_count == 1
    assert_matches_spec("transfer", parent.to_dict())
    assert client.v1.transfers.reversals.retrieve(transfer.id, first.id).to_dict()["metadata"] == {"n": "1"}
    relabeled = client.v1.transfers.reversals.update(transfer.id, first.id, {"metadata": {"n": "2"}})
    assert relabeled.to_dict()["metadata"] == {"n": "2"}
    refund = client.v1.refunds.retrieve(str(first.destination_payment_refund), options=_on(account))
    assert refund.id.startswith("pyr_") and refund.amount == 1000
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.transfers.reversals.create(transfer.id, {"amount": 2001})
    assert (too_much.value.param, too_much.value.code) == ("amount", "amount_too_large")

    rest = client.v1.transfers.reversals.create(transfer.id)  # no amount: what is left
    assert rest.amount == 2000
    done = client.v1.transfers.retrieve(transfer.id)
    assert (done.amount_reversed, done.reversed) == (3000, True)
    assert [r.id for r in client.v1.transfers.reversals.list(transfer.id).data] == [rest.id, first.id]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.transfers.reversals.create(transfer.id, {"amount": 1})
    assert _available(client) == funds and _available(client, account) == 0
    assert [t.type for t in client.v1.balance_transactions.list({"limit": 3}).data] == [
        "transfer_refund",
        "transfer_refund",
        "transfer",
    ]
    payment = client.v1.charges.retrieve(str(transfer.destination_payment), options=_on(account))
    assert (payment.amount_refunded, payment.refunded) == (3000, True)
    kinds = [t.type for t in client.v1.balance_transactions.list(options=_on(account)).data]
    assert kinds == ["payment_refund", "payment_refund", "payment"]


def test_a_transfer_from_a_charge_cannot_exceed_it(client: stripe.StripeClient) -> None:
    account = custom_account(client).id
    pi = paid(client, 5000)
    charge = str(pi.latest_charge)
    first = client.v1.transfers.create(
        {"amount": 3000, "currency": "usd", "destination": account, "source_transaction": charge}
    )
    assert first.source_transaction == charge
    with pytest.raises(stripe.InvalidRequestError) as over:
        client.v1.transfers.create(
            {"amount": 2001, "currency": "usd", "destination": account, "source_transaction": charge}
        )
    assert over.value.param == "amount"
    assert [t.id for t in client.v1.transfers.list().data] == [first.id]


def test_reversing_a_destination_transfer_can_refund_the_fee_in_proportion(
    client: stripe.StripeClient,
) -> None:
    account = custom_account(client).id
    pi = paid(client, 10000, transfer_data={"destination": account}, application_fee_amount=1000)
    charge = client.v1.charges.retrieve(str(pi.latest_charge))
    client.v1.transfers.reversals.create(
        str(charge.transfer), {"amount": 2500, "refund_application_fee": True}
    )
    fee = client.v1.application_fees.retrieve(str(charge.application_fee))
    assert fee.amount_refunded == 250  # a quarter of the transfer, a quarter of the fee
    client.v1.transfers.reversals.create(str(charge.transfer), {"refund_application_fee": True})
    assert client.v1.application_fees.retrieve(fee.id).refunded is True


# -- refunds ---------------------------------------------------------------------------------------


def test_refunds_reverse_the_transfer_and_refund_the_fee_on_request(client: stripe.StripeClient) -> None:
    account = custom_account(client).id
    pi = paid(client, 10000, transfer_data={"destination": account}, application_fee_amount=1000)
    charge = client.v1.charges.retrieve(str(pi.latest_charge))
    plain = client.v1.refunds.create({"payment_intent": pi.id, "amount": 2000})
    assert (
        plain.transfer_reversal is None
        and client.v1.transfers.retrieve(str(charge.transfer)).amount_reversed == 0
    )
    half = client.v1.refunds.create(
        {"payment_intent": pi.id, "amount": 4000, "reverse_transfer": True, "refund_application_fee": True}
    )
    reversal = client.v1.transfers.reversals.retrieve(str(charge.transfer), str(half.transfer_reversal))
    assert (reversal.amount, reversal.source_refund) == (4000, half.id)
    assert client.v1.application_fees.retrieve(str(charge.application_fee)).amount_refunded == 400
    client.v1.refunds.create(
        {"payment_intent": pi.id, "reverse_transfer": True, "refund_application_fee": True}
    )
    transfer = client.v1.transfers.retrieve(str(charge.transfer))
    assert (transfer.amount_reversed, transfer.reversed) == (
        10000,
        True,
    )  # the last refund takes what is left
    assert client.v1.application_fees.retrieve(str(charge.application_fee)).refunded is True


def test_a_direct_charge_refund_can_refund_the_application_fee(client: stripe.StripeClient) -> None:
    account = custom_account(client).id
    pi = paid(client, 2000, account, application_fee_amount=200)
    client.v1.refunds.create(
        {"payment_intent": pi.id, "amount": 500, "refund_application_fee": True}, _on(account)
    )
    charge = client.v1.charges.retrieve(str(pi.latest_charge), options=_on(account))
    assert client.v1.application_fees.retrieve(str(charge.application_fee)).amount_refunded == 50


# -- payouts ---------------------------------------------------------------------------------------


def test_payouts_of_a_connected_account(client: stripe.StripeClient) -> None:
    account = custom_account(client).id
    paid(client, 2000, account)
    with pytest.raises(stripe.InvalidRequestError) as no_bank:
        client.v1.payouts.create({"amount": 500, "currency": "usd"}, _on(account))
    assert no_bank.value.user_message == "Sorry, you don't have any external accounts in that currency (usd)."
    updated = client.v1.accounts.update(account, {"external_account": "btok_us_verified"})
    bank = updated.external_accounts.data[0]
    assert_matches_spec("bank_account", bank.to_dict())
    assert [b.id for b in client.v1.accounts.external_accounts.list(account).data] == [bank.id]
    before = _available(client, account)
    payout = client.v1.payouts.create(
        {"amount": 500, "currency": "usd", "metadata": {"week": "1"}}, _on(account)
    )
    assert (payout.status, payout.destination, payout.method) == ("pending", bank.id, "standard")
    assert payout.to_dict()["metadata"] == {"week": "1"}
    assert payout.arrival_date > payout.created
    assert_matches_spec("payout", payout.to_dict())
    assert _available(client, account) == before - 500
    assert txn(client, payout.balance_transaction, account).type == "payout"
    with pytest.raises(stripe.InvalidRequestError) as broke:
        client.v1.payouts.create({"amount": before, "currency": "usd"}, _on(account))
    assert broke.value.code == "balance_insufficient"
    assert client.v1.payouts.list().data == []  # the platform's payouts are its own
    assert [p.id for p in client.v1.payouts.list({"status": "pending"}, _on(account)).data] == [payout.id]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payouts.reverse(payout.id, options=_on(account))  # pending: cancel, not reverse
    canceled = client.v1.payouts.cancel(payout.id, options=_on(account))
    assert canceled.status == "canceled" and canceled.failure_balance_transaction is not None
    assert _available(client, account) == before
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payouts.cancel(payout.id, options=_on(account))


def test_external_accounts_of_a_connected_account(client: stripe.StripeClient) -> None:
    account = custom_account(client, external_account="btok_us_verified").id
    first = client.v1.accounts.external_accounts.list(account).data[0]
    assert first.default_for_currency is True  # the first in its currency
    second = client.v1.accounts.external_accounts.create(
        account,
        {
            "bank_account": {
                "object": "bank_account",
                "country": "US",
                "currency": "usd",
                "routing_number": "110000000",
                "account_number": "000222333444",
            },
            "default_for_currency": True,
            "metadata": {"label": "savings"},
        },
    )
    assert second.last4 == "3444" and second.to_dict()["metadata"] == {"label": "savings"}
    listed = {b.id: b.default_for_currency for b in client.v1.accounts.external_accounts.list(account).data}
    assert listed == {first.id: False, second.id: True}
    events = client.v1.events.list({"type": "account.external_account.created"}, _on(account)).data
    assert [e.data.object["id"] for e in events] == [second.id] and events[0].account == account
    paid(client, 2000, account)
    payout = client.v1.payouts.create({"amount": 100, "currency": "usd"}, _on(account))
    assert payout.destination == second.id  # the default for usd
    to_first = client.v1.payouts.create(
        {"amount": 100, "currency": "usd", "destination": first.id}, _on(account)
    )
    assert to_first.destination == first.id
    with pytest.raises(stripe.InvalidRequestError) as other:
        client.v1.payouts.create(
            {"amount": 100, "currency": "usd", "destination": "ba_1NotThis"}, _on(account)
        )
    assert other.value.param == "destination"


def test_the_platform_pays_out_to_its_test_bank_account(client: stripe.StripeClient) -> None:
    paid(client, 2000)
    payout = client.v1.payouts.create({"amount": 1000, "currency": "usd", "method": "instant"})
    assert payout.status == "pending" and payout.arrival_date == payout.created and payout.destination
    assert _available(client) == 2000 - 88 - 1000


def test_direct_charge_objects_match_their_schemas(client: stripe.StripeClient) -> None:
    account = custom_account(client).id
    pi = paid(client, 3000, account, application_fee_amount=300, automatic_payment_methods=NO_REDIRECTS)
    assert_matches_spec("payment_intent", pi.to_dict())
    for t in (
        client.v1.balance_transactions.list(options=_on(account)).data
        + client.v1.balance_transactions.list().data
    ):
        assert_matches_spec("balance_transaction", t.to_dict())
