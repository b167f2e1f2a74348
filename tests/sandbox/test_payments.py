"""PaymentIntents, declines, 3D Secure, capture, cancel, refunds, charges, payment methods, SetupIntents."""

from __future__ import annotations

import httpx
import pytest
import stripe

from stripe_power.sandbox import TEST_PAYMENT_METHODS, SandboxServer

RETURN = "http://127.0.0.1:1/return"


def _pi(client: stripe.StripeClient, pm: str = "pm_card_visa", **extra: object) -> stripe.PaymentIntent:
    params: dict[str, object] = {
        "amount": 2000,
        "currency": "usd",
        "payment_method": pm,
        "confirm": True,
        "return_url": RETURN,
    }
    params.update(extra)
    return client.v1.payment_intents.create(params)  # type: ignore[arg-type]


def test_status_machine_and_charge(client: stripe.StripeClient, sandbox: SandboxServer, api_key: str) -> None:
    pi = client.v1.payment_intents.create(
        {"amount": 1500, "currency": "usd", "description": "d", "metadata": {"o": "1"}}
    )
    assert pi.status == "requires_payment_method"
    assert pi.client_secret and pi.client_secret.startswith(pi.id + "_secret_")
    assert pi.automatic_payment_methods and pi.automatic_payment_methods.enabled is True
    pi = client.v1.payment_intents.update(pi.id, {"payment_method": "pm_card_mastercard"})
    assert pi.status == "requires_confirmation"
    pi = client.v1.payment_intents.confirm(pi.id, {"return_url": RETURN, "expand": ["latest_charge"]})
    assert pi.status == "succeeded"
    assert pi.amount_received == 1500
    charge = pi.latest_charge
    assert isinstance(charge, stripe.Charge)
    assert charge.paid and charge.captured and charge.payment_method_details
    assert charge.payment_method_details.card and charge.payment_method_details.card.brand == "mastercard"
    assert client.v1.charges.retrieve(charge.id).payment_intent == pi.id
    assert [c.id for c in client.v1.charges.list({"payment_intent": pi.id}).data] == [charge.id]
    pms = sandbox.objects(api_key, "payment_method")
    assert len(pms) == 1 and pms[0]["id"].startswith("pm_") and pms[0]["card"]["last4"] == "4444"


def test_confirm_without_return_url_is_refused_like_stripe(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError, match="return_url"):
        client.v1.payment_intents.create(
            {"amount": 1000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}
        )
    pi = client.v1.payment_intents.create(
        {
            "amount": 1000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        }
    )
    assert pi.status == "succeeded"


@pytest.mark.parametrize(
    ("pm", "code", "decline", "message"),
    [
        ("pm_card_chargeDeclined", "card_declined", "generic_decline", "Your card was declined."),
        (
            "pm_card_chargeDeclinedInsufficientFunds",
            "card_declined",
            "insufficient_funds",
            "Your card has insufficient funds.",
        ),
        ("pm_card_chargeDeclinedFraudulent", "card_declined", "fraudulent", "Your card was declined."),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card", "Your card has expired."),
        (
            "pm_card_chargeDeclinedIncorrectCvc",
            "incorrect_cvc",
            "incorrect_cvc",
            "Your card's security code is incorrect.",
        ),
    ],
)
def test_declines(client: stripe.StripeClient, pm: str, code: str, decline: str, message: str) -> None:
    with pytest.raises(stripe.CardError) as exc:
        _pi(client, pm)
    err = exc.value
    assert err.http_status == 402
    assert err.code == code
    assert err.error is not None and err.error.decline_code == decline
    assert err.user_message == message
    assert err.json_body is not None
    embedded = err.json_body["error"]["payment_intent"]
    assert embedded["status"] == "requires_payment_method"
    pi = client.v1.payment_intents.retrieve(embedded["id"])
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error is not None and pi.last_payment_error.decline_code == decline
    assert client.v1.charges.retrieve(str(pi.latest_charge)).status == "failed"
    # retry with a good card works
    pi = client.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_visa"})
    assert pi.status == "succeeded"


def test_card_numbers_in_test_data() -> None:
    numbers = {c.number: c for c in TEST_PAYMENT_METHODS}
    assert numbers["4242424242424242"].outcome == "succeeded"
    assert numbers["4000000000009995"].decline_code == "insufficient_funds"
    assert numbers["4000002760003184"].outcome == "requires_action"
    assert all(c.meaning for c in TEST_PAYMENT_METHODS)


def test_3ds_requires_action_then_authentication(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(
        {
            "amount": 3000,
            "currency": "usd",
            "payment_method": "pm_card_authenticationRequired",
            "confirm": True,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        }
    )
    assert pi.status == "requires_action"
    assert pi.next_action is not None and pi.next_action.type == "use_stripe_sdk"
    pi = _pi(client, "pm_card_authenticationRequired")
    assert pi.next_action is not None and pi.next_action.type == "redirect_to_url"
    redirect = pi.next_action.redirect_to_url
    assert redirect is not None and redirect.url and redirect.return_url == RETURN
    r = httpx.post(redirect.url, data={"action": "complete"})
    assert r.status_code == 303
    assert r.headers["location"].startswith(RETURN + "?payment_intent=" + pi.id)
    assert client.v1.payment_intents.retrieve(pi.id).status == "succeeded"
    failed = _pi(client, "pm_card_authenticationRequired")
    assert failed.next_action and failed.next_action.redirect_to_url
    httpx.post(str(failed.next_action.redirect_to_url.url), data={"action": "fail"})
    failed = client.v1.payment_intents.retrieve(failed.id)
    assert failed.status == "requires_payment_method"
    assert (
        failed.last_payment_error
        and failed.last_payment_error.code == "payment_intent_authentication_failure"
    )


def test_off_session_with_saved_method(client: stripe.StripeClient) -> None:
    cust = client.v1.customers.create({"email": "off@example.com"})
    pm = client.v1.payment_methods.attach("pm_card_visa", {"customer": cust.id})
    pi = client.v1.payment_intents.create(
        {
            "amount": 1200,
            "currency": "usd",
            "customer": cust.id,
            "payment_method": pm.id,
            "confirm": True,
            "off_session": True,
        }
    )
    assert pi.status == "succeeded"
    auth = client.v1.payment_methods.attach("pm_card_authenticationRequired", {"customer": cust.id})
    with pytest.raises(stripe.CardError) as exc:
        client.v1.payment_intents.create(
            {
                "amount": 1200,
                "currency": "usd",
                "customer": cust.id,
                "payment_method": auth.id,
                "confirm": True,
                "off_session": True,
            }
        )
    assert exc.value.code == "authentication_required"
    assert exc.value.http_status == 402


def test_manual_capture_partial(client: stripe.StripeClient) -> None:
    pi = _pi(client, capture_method="manual", amount=5000)
    assert pi.status == "requires_capture"
    assert pi.amount_capturable == 5000
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.capture(pi.id, {"amount_to_capture": 6000})
    assert exc.value.param == "amount_to_capture"
    pi = client.v1.payment_intents.capture(pi.id, {"amount_to_capture": 3000, "expand": ["latest_charge"]})
    assert pi.status == "succeeded"
    assert pi.amount_received == 3000
    assert pi.amount_capturable == 0
    charge = pi.latest_charge
    assert isinstance(charge, stripe.Charge)
    assert charge.amount_captured == 3000 and charge.amount_refunded == 2000
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.capture(pi.id)
    assert exc.value.code == "payment_intent_unexpected_state"
    # only what was captured can be refunded
    with pytest.raises(stripe.InvalidRequestError, match=r"\(\$30.00\)"):
        client.v1.refunds.create({"payment_intent": pi.id, "amount": 3001})


def test_cancel(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    pi = client.v1.payment_intents.cancel(pi.id, {"cancellation_reason": "requested_by_customer"})
    assert pi.status == "canceled" and pi.cancellation_reason == "requested_by_customer" and pi.canceled_at
    done = _pi(client)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.cancel(done.id)
    assert exc.value.code == "payment_intent_unexpected_state"
    held = _pi(client, capture_method="manual")
    held = client.v1.payment_intents.cancel(held.id)
    assert held.status == "canceled"
    assert client.v1.charges.retrieve(str(held.latest_charge)).refunded is True


def test_list_filters(client: stripe.StripeClient) -> None:
    cust = client.v1.customers.create({})
    mine = client.v1.payment_intents.create({"amount": 1000, "currency": "usd", "customer": cust.id})
    client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    assert [p.id for p in client.v1.payment_intents.list({"customer": cust.id}).data] == [mine.id]
    assert len(client.v1.payment_intents.list({"created": {"gte": mine.created}}).data) == 2
    assert client.v1.payment_intents.list({"created": {"lt": mine.created}}).data == []


def test_refunds_full_partial_remainder(
    client: stripe.StripeClient, api_key: str, sandbox: SandboxServer
) -> None:
    pi = _pi(client, amount=10000)
    r1 = client.v1.refunds.create(
        {"payment_intent": pi.id, "amount": 2500, "reason": "requested_by_customer", "metadata": {"k": "v"}}
    )
    assert r1.status == "succeeded" and r1.amount == 2500 and r1.charge == pi.latest_charge
    charge = client.v1.charges.retrieve(str(pi.latest_charge))
    assert charge.amount_refunded == 2500 and charge.refunded is False
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.refunds.create({"charge": charge.id, "amount": 8000})
    assert exc.value.param == "amount"
    assert "Refund amount ($80.00) is greater than unrefunded amount on charge ($75.00)" in str(
        exc.value.user_message
    )
    r2 = client.v1.refunds.create({"charge": charge.id})
    assert r2.amount == 7500
    charge = client.v1.charges.retrieve(charge.id)
    assert charge.refunded is True and charge.amount_refunded == 10000
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.refunds.create({"payment_intent": pi.id})
    assert exc.value.code == "charge_already_refunded"
    listed = client.v1.refunds.list({"payment_intent": pi.id})
    assert [r.id for r in listed.data] == [r2.id, r1.id]
    assert client.v1.refunds.retrieve(r1.id).metadata.to_dict() == {"k": "v"}
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.cancel(r1.id)
    # Stripe keeps its fee when a payment is refunded (docs.stripe.com/refunds): the balance is -fee.
    fee = client.v1.balance_transactions.retrieve(str(charge.balance_transaction)).fee
    assert client.v1.balance.retrieve().available[0].amount == -fee


def test_refund_requires_successful_payment(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create({"payment_intent": pi.id})


def test_payment_methods_attach_detach_list(client: stripe.StripeClient) -> None:
    cust = client.v1.customers.create({})
    pm = client.v1.payment_methods.attach("pm_card_amex", {"customer": cust.id})
    assert pm.customer == cust.id and pm.card and pm.card.brand == "amex" and pm.card.last4 == "0005"
    assert pm.card.exp_month == 12 and pm.card.exp_year > 2025
    assert [p.id for p in client.v1.payment_methods.list({"customer": cust.id}).data] == [pm.id]
    assert [p.id for p in client.v1.customers.payment_methods.list(cust.id).data] == [pm.id]
    assert client.v1.customers.payment_methods.retrieve(cust.id, pm.id).id == pm.id
    with pytest.raises(stripe.CardError):
        client.v1.payment_methods.attach("pm_card_chargeDeclined", {"customer": cust.id})
    pm = client.v1.payment_methods.detach(pm.id)
    assert pm.customer is None
    assert client.v1.customers.payment_methods.list(cust.id).data == []
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_methods.retrieve("pm_nope")


def test_setup_intents(client: stripe.StripeClient) -> None:
    cust = client.v1.customers.create({})
    si = client.v1.setup_intents.create({"customer": cust.id, "usage": "off_session", "metadata": {"a": "b"}})
    assert si.status == "requires_payment_method" and si.usage == "off_session"
    si = client.v1.setup_intents.confirm(si.id, {"payment_method": "pm_card_visa", "return_url": RETURN})
    assert si.status == "succeeded"
    pm = client.v1.payment_methods.retrieve(str(si.payment_method))
    assert pm.customer == cust.id
    declined = client.v1.setup_intents.create({"customer": cust.id})
    with pytest.raises(stripe.CardError):
        client.v1.setup_intents.confirm(
            declined.id, {"payment_method": "pm_card_chargeDeclined", "return_url": RETURN}
        )
    assert client.v1.setup_intents.retrieve(declined.id).status == "requires_payment_method"
    canceled = client.v1.setup_intents.cancel(declined.id, {"cancellation_reason": "abandoned"})
    assert canceled.status == "canceled"
    auth = client.v1.setup_intents.create(
        {
            "customer": cust.id,
            "payment_method": "pm_card_authenticationRequiredOnSetup",
            "confirm": True,
            "return_url": RETURN,
        }
    )
    assert auth.status == "requires_action"
    assert auth.next_action and auth.next_action.redirect_to_url
    httpx.post(str(auth.next_action.redirect_to_url.url), data={"action": "complete"})
    auth = client.v1.setup_intents.retrieve(auth.id)
    assert auth.status == "succeeded"
    # a card set up for off-session use pays off-session without authentication
    pi = client.v1.payment_intents.create(
        {
            "amount": 900,
            "currency": "usd",
            "customer": cust.id,
            "payment_method": str(auth.payment_method),
            "confirm": True,
            "off_session": True,
        }
    )
    assert pi.status == "succeeded"
    assert {s.id for s in client.v1.setup_intents.list({"customer": cust.id}).data} == {
        si.id,
        declined.id,
        auth.id,
    }


def test_charge_customer_fail_card_attaches_then_declines(client: stripe.StripeClient) -> None:
    """Stripe's testing page: pm_card_chargeCustomerFail (4000000000000341) — "Attaching this card to a
    Customer object succeeds, but attempts to charge the customer fail." (docs.stripe.com/testing#declined-payments)"""
    customer = client.v1.customers.create({"email": "late@example.com"})
    pm = client.v1.payment_methods.attach("pm_card_chargeCustomerFail", {"customer": customer.id})
    assert pm.customer == customer.id
    with pytest.raises(stripe.CardError) as caught:
        _pi(client, pm.id, customer=customer.id, off_session=True)
    assert caught.value.code == "card_declined"
