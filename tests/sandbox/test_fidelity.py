"""Documented Stripe behaviours, one test each, with the source that documents it.

Every test drives the sandbox through the real `stripe` SDK (or raw HTTP where the SDK would
refuse to send the request) and checks what Stripe's documentation, its OpenAPI description
(`spec3.json`, via `stripe_power.spec`) or an SDK's own code says Stripe answers.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe

from stripe_power.sandbox import SandboxServer

RETURN = "http://127.0.0.1:1/return"
NO_REDIRECTS = {"enabled": True, "allow_redirects": "never"}


def _raw(sandbox: SandboxServer, key: str, method: str, path: str, **kw: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}", **kw.pop("headers", {})}
    return httpx.request(method, sandbox.url + path, headers=headers, **kw)


def _error(exc: pytest.ExceptionInfo[stripe.StripeError]) -> dict[str, Any]:
    assert exc.value.json_body is not None
    err: dict[str, Any] = exc.value.json_body["error"]
    return err


def _pay(client: stripe.StripeClient, pm: str, **extra: Any) -> stripe.PaymentIntent:
    params: dict[str, Any] = {
        "amount": 2000,
        "currency": "usd",
        "payment_method": pm,
        "confirm": True,
        "automatic_payment_methods": NO_REDIRECTS,
        **extra,
    }
    return client.v1.payment_intents.create(params)  # type: ignore[arg-type]


# -- 1. request validation from the spec, at any depth ------------------------------------
# Source: spec3.json request schemas (`additionalProperties: false`, `required`, `type`, `enum`,
# `maxLength`) and Stripe's error codes, https://docs.stripe.com/error-codes (parameter_unknown,
# parameter_missing, parameter_invalid_integer, parameter_invalid_empty); the code list is the
# one stripe-go generates from Stripe's spec (error.go, "generated from our OpenAPI spec").


# (path, form body, expected code, param, message prefix); each row is one documented behaviour.
RAW_REFUSALS = [
    pytest.param(
        "/v1/customers",
        {"address[lin2]": "x"},
        "parameter_unknown",
        "address[lin2]",
        "Received unknown parameter: address[lin2]",
        id="unknown-nested",
    ),
    pytest.param(
        "/v1/checkout/sessions",
        {
            "mode": "payment",
            "success_url": RETURN,
            "line_items[0][quantity]": "1",
            "line_items[0][price_data][currency]": "usd",
            "line_items[0][price_data][unit_amount]": "500",
            "line_items[0][price_data][product_data][nam]": "T-shirt",
        },
        "parameter_unknown",
        "line_items[0][price_data][product_data][nam]",
        "Received unknown parameter: line_items[0][price_data][product_data][nam]",
        id="unknown-in-array-item",
    ),
    pytest.param(  # spec3.json: POST /v1/prices product_data requires `name`.
        "/v1/prices",
        {"currency": "usd", "unit_amount": "100", "product_data[active]": "true"},
        "parameter_missing",
        "product_data[name]",
        "Missing required param: product_data[name].",
        id="missing-nested",
    ),
    pytest.param(
        "/v1/payment_intents",
        {"amount": "12.5", "currency": "usd"},
        "parameter_invalid_integer",
        "amount",
        "Invalid integer: 12.5",
        id="invalid-integer",
    ),
    pytest.param(
        "/v1/prices",
        {
            "currency": "usd",
            "unit_amount": "100",
            "product_data[name]": "P",
            "recurring[interval]": "month",
            "recurring[interval_count]": "two",
        },
        "parameter_invalid_integer",
        "recurring[interval_count]",
        "Invalid integer: two",
        id="invalid-nested-integer",
    ),
    pytest.param(  # no documented code for booleans: Stripe sends none
        "/v1/payment_intents",
        {"amount": "1000", "currency": "usd", "confirm": "yes"},
        None,
        "confirm",
        "Invalid boolean: yes",
        id="invalid-boolean",
    ),
]


@pytest.mark.parametrize(("path", "data", "code", "param", "message"), RAW_REFUSALS)
def test_request_validation_refusals(
    sandbox: SandboxServer,
    api_key: str,
    path: str,
    data: dict[str, str],
    code: str | None,
    param: str,
    message: str,
) -> None:
    r = _raw(sandbox, api_key, "POST", path, data=data)
    err = r.json()["error"]
    assert (r.status_code, err["type"], err.get("code"), err["param"]) == (
        400,
        "invalid_request_error",
        code,
        param,
    )
    assert err["message"].startswith(message)
    assert _raw(sandbox, api_key, "GET", "/v1/events").json()["data"] == []  # nothing happened


def test_unknown_top_level_parameter(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.create({"emial": "a@example.com"})  # type: ignore[typeddict-unknown-key]
    err = _error(exc)
    assert (err["code"], err["param"]) == ("parameter_unknown", "emial")
    assert "Did you mean email?" in err["message"]


def test_missing_required_parameter(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.create({"amount": 1000})  # type: ignore[typeddict-item]
    err = _error(exc)
    assert (err["code"], err["param"], err["message"]) == (
        "parameter_missing",
        "currency",
        "Missing required param: currency.",
    )


def test_invalid_enum_value(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.checkout.sessions.create(
            {"mode": "pay", "success_url": RETURN}  # type: ignore[typeddict-item]
        )
    err = _error(exc)
    assert err["param"] == "mode"
    assert err["message"] == "Invalid mode: must be one of payment, setup, or subscription"


def test_invalid_nested_enum_value(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.prices.create(
            {
                "currency": "usd",
                "unit_amount": 100,
                "product_data": {"name": "P"},
                "recurring": {"interval": "fortnight"},
            }  # type: ignore[typeddict-item]
        )
    assert _error(exc)["param"] == "recurring[interval]"


def test_string_longer_than_max_length(client: stripe.StripeClient) -> None:
    # spec3.json: PostCustomersRequestBody.name has maxLength 256.
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.create({"name": "n" * 257})
    err = _error(exc)
    assert err["param"] == "name" and "must be at most 256 characters" in err["message"]


def test_empty_string_for_a_parameter_that_cannot_be_unset(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.create({"amount": 1000, "currency": ""})
    err = _error(exc)
    assert (err["code"], err["param"]) == ("parameter_invalid_empty", "currency")


def test_empty_string_unsets_an_emptyable_parameter(client: stripe.StripeClient) -> None:
    # spec3.json: customer update `address` is anyOf [object, enum [""]] (emptyable).
    cust = client.v1.customers.create({"email": "a@example.com", "address": {"line1": "1 Main"}})
    cust = client.v1.customers.update(cust.id, {"address": ""})
    assert cust.address is None


def test_validation_applies_to_query_parameters(sandbox: SandboxServer, api_key: str) -> None:
    r = _raw(sandbox, api_key, "GET", "/v1/customers", params={"limit": "ten"})
    assert (r.status_code, r.json()["error"]["param"]) == (400, "limit")
    r = _raw(sandbox, api_key, "GET", "/v1/customers", params={"emal": "x"})
    assert r.json()["error"]["code"] == "parameter_unknown"


def test_bad_request_to_any_served_endpoint_is_400_never_500(sandbox: SandboxServer, api_key: str) -> None:
    # docs.stripe.com/api/errors: 4xx for errors given the information provided; 5xx is Stripe's fault.
    r = _raw(
        sandbox,
        api_key,
        "POST",
        "/v1/invoiceitems",
        data={"invoice": "in_123", "amount": "100", "currency": "usd"},
    )
    assert r.status_code == 400
    assert r.json()["error"]["type"] == "invalid_request_error"


# -- 2. expand -------------------------------------------------------------------------------
# Source: https://docs.stripe.com/api/expanding_objects ("expandable" fields only; lists via
# `data.`), spec3.json `x-expandableFields`, stripe-python issue #316 (Stripe's wording:
# "This property cannot be expanded (application). You may want to try expanding 'data.application'
# instead.").


def test_expand_a_field_that_is_not_expandable_is_refused(client: stripe.StripeClient) -> None:
    cust = client.v1.customers.create({"email": "a@example.com"})
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.retrieve(cust.id, {"expand": ["email"]})
    assert "This property cannot be expanded (email)" in _error(exc)["message"]


def test_expand_an_always_present_object_is_refused_but_includable_fields_expand(
    client: stripe.StripeClient,
) -> None:
    # docs.stripe.com/api/customers/object: `address` is a plain sub-object (no "Expandable" badge);
    # `tax` and `tax_ids` are "Expandable" (sent only when asked for).
    cust = client.v1.customers.create({"email": "x@example.com", "address": {"line1": "1 Main St"}})
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.customers.retrieve(cust.id, {"expand": ["address"]})
    assert "This property cannot be expanded (address)" in _error(exc)["message"]
    expanded = client.v1.customers.retrieve(cust.id, {"expand": ["tax", "tax_ids"]})
    assert expanded.id == cust.id


def test_expand_on_a_list_needs_the_data_prefix(client: stripe.StripeClient) -> None:
    _pay(client, "pm_card_visa")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.list({"expand": ["customer"]})
    assert _error(exc)["message"] == (
        "This property cannot be expanded (customer). You may want to try expanding 'data.customer' instead."
    )
    listed = client.v1.payment_intents.list({"expand": ["data.latest_charge"]})
    assert isinstance(listed.data[0].latest_charge, stripe.Charge)


def test_expand_unknown_field_is_refused(client: stripe.StripeClient) -> None:
    pi = _pay(client, "pm_card_visa")
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.retrieve(pi.id, {"expand": ["latest_chargee"]})


def test_expand_latest_charge_balance_transaction(client: stripe.StripeClient) -> None:
    # docs.stripe.com/payments/payment-intents ... expand=latest_charge.balance_transaction to read fees.
    pi = _pay(client, "pm_card_visa", expand=["latest_charge.balance_transaction"])
    charge = pi.latest_charge
    assert isinstance(charge, stripe.Charge)
    txn = charge.balance_transaction
    assert isinstance(txn, stripe.BalanceTransaction)
    assert txn.amount == 2000 and txn.source == charge.id and txn.net == txn.amount - txn.fee


# -- 3. money ----------------------------------------------------------------------------------
# Source: https://docs.stripe.com/currencies (supported presentment currencies; "Minimum and
# maximum charge amounts": USD 0.50, GBP 0.30, HKD 4.00, JPY 50, ...). Stripe's wording for a bad
# currency: lukec/stripe-perl issue #156 ("Invalid currency: zzz. Stripe currently supports these
# currencies: usd, aed, ...").


def test_unsupported_currency_is_refused(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.create({"amount": 1000, "currency": "xyz"})
    err = _error(exc)
    assert err["param"] == "currency"
    assert err["message"].startswith(
        "Invalid currency: xyz. Stripe currently supports these currencies: usd,"
    )


def test_unsupported_currency_on_price_is_refused(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.prices.create({"currency": "abc", "unit_amount": 100, "product_data": {"name": "P"}})
    assert _error(exc)["param"] == "currency"


def test_gbp_minimum_is_30_pence(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create({"amount": 40, "currency": "gbp"})
    assert pi.amount == 40
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.create({"amount": 29, "currency": "gbp"})
    assert _error(exc)["code"] == "amount_too_small"


def test_hkd_minimum_is_4_dollars(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.create({"amount": 300, "currency": "hkd"})
    err = _error(exc)
    assert (err["code"], err["param"]) == ("amount_too_small", "amount")
    assert client.v1.payment_intents.create({"amount": 400, "currency": "hkd"}).amount == 400


def test_jpy_minimum_is_50_yen(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.create({"amount": 49, "currency": "jpy"})
    assert client.v1.payment_intents.create({"amount": 50, "currency": "jpy"}).amount == 50


def test_zero_amount_payment_intent_is_refused(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.create({"amount": 0, "currency": "usd"})
    err = _error(exc)
    assert (err["code"], err["param"]) == ("amount_too_small", "amount")


# -- 4. Stripe-Version -------------------------------------------------------------------------
# Source: https://docs.stripe.com/api/versioning; stripe-java issue #682 and
# stripity-stripe PR #613 (Stripe answers 400 "Invalid Stripe API version: ...").


def test_bogus_stripe_version_is_refused(sandbox: SandboxServer, api_key: str) -> None:
    r = _raw(sandbox, api_key, "GET", "/v1/customers", headers={"Stripe-Version": "2019-2-19"})
    assert r.status_code == 400
    err = r.json()["error"]
    assert (err["type"], err["message"]) == ("invalid_request_error", "Invalid Stripe API version: 2019-2-19")


def test_real_stripe_version_is_accepted(sandbox: SandboxServer, api_key: str) -> None:
    for version in ("2024-06-20", "2026-08-26.dahlia"):
        r = _raw(sandbox, api_key, "GET", "/v1/customers", headers={"Stripe-Version": version})
        assert r.status_code == 200, version


# -- 5. invent nothing -----------------------------------------------------------------------
# Source: spec3.json (2026-08-26.dahlia): POST /v1/payment_intents accepts `payment_method_types`
# and `automatic_payment_methods[enabled]=false`; POST /v1/charges is served.


def test_payment_method_types_is_accepted_on_payment_intents(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(
        {"amount": 1000, "currency": "usd", "payment_method_types": ["card"]}
    )
    assert pi.payment_method_types == ["card"]
    assert pi.automatic_payment_methods is None


def test_automatic_payment_methods_disabled_is_accepted(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(
        {"amount": 1000, "currency": "usd", "automatic_payment_methods": {"enabled": False}}
    )
    assert pi.status == "requires_payment_method"


def test_checkout_payment_method_types_is_accepted(client: stripe.StripeClient) -> None:
    cs = client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "success_url": RETURN,
            "payment_method_types": ["card"],
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {"currency": "usd", "unit_amount": 500, "product_data": {"name": "T"}},
                }
            ],
        }
    )
    assert cs.payment_method_types == ["card"]


def test_legacy_charges_are_served(client: stripe.StripeClient) -> None:
    # docs.stripe.com/api/charges/create: `source` accepts a test token such as tok_visa.
    ch = client.v1.charges.create({"amount": 1500, "currency": "usd", "source": "tok_visa"})
    assert (ch.status, ch.paid, ch.captured, ch.amount) == ("succeeded", True, True, 1500)
    with pytest.raises(stripe.CardError) as exc:
        client.v1.charges.create({"amount": 1500, "currency": "usd", "source": "tok_chargeDeclined"})
    assert _error(exc)["decline_code"] == "generic_decline"


# -- 6. documented behaviours ---------------------------------------------------------------


def test_error_on_requires_action(client: stripe.StripeClient) -> None:
    # spec3.json PaymentIntent confirm `error_on_requires_action`: "fail the payment attempt if the
    # PaymentIntent transitions into requires_action"; docs.stripe.com/error-codes
    # authentication_required: "If you provided the error_on_requires_action parameter, then your
    # customer should try another card that does not require authentication."
    with pytest.raises(stripe.CardError) as exc:
        _pay(client, "pm_card_authenticationRequired", error_on_requires_action=True)
    err = _error(exc)
    assert err["code"] == "authentication_required"
    assert err["payment_intent"]["status"] == "requires_payment_method"


def test_checkout_setup_mode_needs_currency_without_payment_method_types(client: stripe.StripeClient) -> None:
    # spec3.json checkout.sessions.create `currency`: "Required in `setup` mode when
    # `payment_method_types` is not set."
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.checkout.sessions.create({"mode": "setup", "success_url": RETURN})
    assert _error(exc)["param"] == "currency"
    cs = client.v1.checkout.sessions.create({"mode": "setup", "success_url": RETURN, "currency": "usd"})
    assert cs.mode == "setup"


def test_customer_creation_only_in_payment_mode(client: stripe.StripeClient) -> None:
    # spec3.json checkout.sessions.create `customer_creation`: "Can only be set in `payment` and
    # `setup` mode."
    price = client.v1.prices.create(
        {
            "currency": "usd",
            "unit_amount": 500,
            "product_data": {"name": "P"},
            "recurring": {"interval": "month"},
        }
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.checkout.sessions.create(
            {
                "mode": "subscription",
                "success_url": RETURN,
                "customer_creation": "always",
                "line_items": [{"price": price.id, "quantity": 1}],
            }
        )
    assert _error(exc)["param"] == "customer_creation"
    cs = client.v1.checkout.sessions.create(
        {"mode": "setup", "success_url": RETURN, "currency": "usd", "customer_creation": "always"}
    )
    assert cs.customer_creation == "always"


def test_first_subscription_invoice_failure_emits_invoice_payment_failed(
    client: stripe.StripeClient, sandbox: SandboxServer, api_key: str
) -> None:
    # docs.stripe.com/billing/subscriptions/overview: a failed first payment leaves the
    # subscription `incomplete` and Stripe sends invoice.payment_failed.
    cust = client.v1.customers.create({"email": "f@example.com"})
    client.v1.payment_methods.attach("pm_card_chargeCustomerFail", {"customer": cust.id})
    pms = client.v1.customers.payment_methods.list(cust.id)
    price = client.v1.prices.create(
        {
            "currency": "usd",
            "unit_amount": 900,
            "product_data": {"name": "P"},
            "recurring": {"interval": "month"},
        }
    )
    sub = client.v1.subscriptions.create(
        {"customer": cust.id, "items": [{"price": price.id}], "default_payment_method": pms.data[0].id}
    )
    assert sub.status == "incomplete"
    types = [e["type"] for e in sandbox.objects(api_key, "event")]
    assert "invoice.payment_failed" in types


def test_small_finalized_invoice_is_credited_to_customer_balance(client: stripe.StripeClient) -> None:
    # docs.stripe.com/billing/invoices/subscription#minimum-amounts (invoice below the minimum
    # charge amount): Stripe marks it paid and debits the amount to the customer's balance, to be
    # added to the next invoice.
    cust = client.v1.customers.create({"email": "s@example.com"})
    inv = client.v1.invoices.create({"customer": cust.id, "collection_method": "charge_automatically"})
    client.v1.invoice_items.create({"customer": cust.id, "invoice": inv.id, "amount": 20, "currency": "usd"})
    inv = client.v1.invoices.finalize_invoice(inv.id)
    assert inv.status == "paid" and inv.amount_paid == 0
    assert client.v1.customers.retrieve(cust.id).balance == 20


def test_over_refund_message_and_code(client: stripe.StripeClient) -> None:
    # docs.stripe.com/error-codes amount_too_large; Stripe's wording: reactioncommerce/reaction
    # issue #3704 ("Refund amount ($25.00) is greater than unrefunded amount on charge ($21.45)").
    pi = _pay(client, "pm_card_visa")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.refunds.create({"payment_intent": pi.id, "amount": 2500})
    err = _error(exc)
    assert (err["code"], err["param"]) == ("amount_too_large", "amount")
    assert err["message"] == "Refund amount ($25.00) is greater than unrefunded amount on charge ($20.00)"


def test_charge_customer_fail_attaches_then_charges_fail(client: stripe.StripeClient) -> None:
    # docs.stripe.com/testing: 4000000000000341 / pm_card_chargeCustomerFail "Attaching this card
    # to a Customer object succeeds, but attempts to charge the customer fail."
    cust = client.v1.customers.create({"email": "c@example.com"})
    pm = client.v1.payment_methods.attach("pm_card_chargeCustomerFail", {"customer": cust.id})
    assert pm.customer == cust.id and pm.card is not None and pm.card.last4 == "0341"
    with pytest.raises(stripe.CardError) as exc:
        _pay(client, pm.id, customer=cust.id)
    assert _error(exc)["decline_code"] == "generic_decline"


@pytest.mark.parametrize(
    ("pm", "last4", "brand", "funding"),
    [
        ("pm_card_visa", "4242", "visa", "credit"),
        ("pm_card_visa_debit", "5556", "visa", "debit"),
        ("pm_card_mastercard", "4444", "mastercard", "credit"),
        ("pm_card_mastercard_debit", "8210", "mastercard", "debit"),
        ("pm_card_mastercard_prepaid", "5100", "mastercard", "prepaid"),
        ("pm_card_amex", "0005", "amex", "credit"),
        ("pm_card_discover", "1117", "discover", "credit"),
        ("pm_card_diners", "0004", "diners", "credit"),
        ("pm_card_jcb", "0505", "jcb", "credit"),
        ("pm_card_unionpay", "0005", "unionpay", "credit"),
    ],
)
def test_test_payment_methods_by_brand(
    client: stripe.StripeClient, pm: str, last4: str, brand: str, funding: str
) -> None:
    # docs.stripe.com/testing#cards (PaymentMethods tab).
    pi = _pay(client, pm, expand=["payment_method"])
    assert pi.status == "succeeded"
    method = pi.payment_method
    assert isinstance(method, stripe.PaymentMethod) and method.card is not None
    assert (method.card.last4, method.card.brand, method.card.funding) == (last4, brand, funding)


@pytest.mark.parametrize(
    ("pm", "code", "decline"),
    [
        ("pm_card_visa_chargeDeclined", "card_declined", "generic_decline"),
        ("pm_card_visa_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
        ("pm_card_visa_chargeDeclinedLostCard", "card_declined", "lost_card"),
        ("pm_card_visa_chargeDeclinedStolenCard", "card_declined", "stolen_card"),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"),
        ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "incorrect_cvc"),
        ("pm_card_chargeDeclinedProcessingError", "processing_error", "processing_error"),
        ("pm_card_chargeDeclinedVelocityLimitExceeded", "card_declined", "card_velocity_exceeded"),
    ],
)
def test_decline_payment_methods(client: stripe.StripeClient, pm: str, code: str, decline: str) -> None:
    # docs.stripe.com/testing#declined-payments.
    with pytest.raises(stripe.CardError) as exc:
        _pay(client, pm)
    err = _error(exc)
    assert (err["code"], err["decline_code"]) == (code, decline)


def test_radar_block_card_is_blocked_with_highest_risk(client: stripe.StripeClient) -> None:
    # docs.stripe.com/radar/testing: 4100000000000019 "risk level of highest ... always blocked".
    with pytest.raises(stripe.CardError) as exc:
        _pay(client, "pm_card_radarBlock")
    err = _error(exc)
    assert err["decline_code"] == "fraudulent"
    charge = client.v1.charges.retrieve(err["payment_intent"]["latest_charge"])
    assert charge.outcome is not None
    assert (charge.outcome.type, charge.outcome.risk_level) == ("blocked", "highest")


def test_risk_level_elevated_card_succeeds_with_elevated_risk(client: stripe.StripeClient) -> None:
    # docs.stripe.com/radar/testing: 4000000000009235 "Results in a charge with a risk level of elevated".
    pi = _pay(client, "pm_card_riskLevelElevated", expand=["latest_charge"])
    assert pi.status == "succeeded"
    charge = pi.latest_charge
    assert isinstance(charge, stripe.Charge) and charge.outcome is not None
    assert charge.outcome.risk_level == "elevated"


def test_risk_level_highest_card(client: stripe.StripeClient) -> None:
    # docs.stripe.com/radar/testing: 4000000000004954 "risk level of highest, but could be blocked
    # depending on the rules" (Radar's default rules block highest risk).
    with pytest.raises(stripe.CardError) as exc:
        _pay(client, "pm_card_riskLevelHighest")
    assert _error(exc)["decline_code"] == "fraudulent"


@pytest.mark.parametrize(
    ("pm", "reason", "status"),
    [
        ("pm_card_createDispute", "fraudulent", "needs_response"),
        ("pm_card_createDisputeProductNotReceived", "product_not_received", "needs_response"),
        ("pm_card_createDisputeInquiry", "fraudulent", "warning_needs_response"),
    ],
)
def test_dispute_cards_dispute_the_charge(
    client: stripe.StripeClient, pm: str, reason: str, status: str
) -> None:
    # docs.stripe.com/testing#disputes: the charge succeeds, then a dispute is opened.
    pi = _pay(client, pm, expand=["latest_charge"])
    assert pi.status == "succeeded"
    charge = pi.latest_charge
    assert isinstance(charge, stripe.Charge) and charge.disputed is True
    disputes = client.v1.disputes.list({"payment_intent": pi.id})
    assert [(d.reason, d.status, d.amount) for d in disputes.data] == [(reason, status, 2000)]


def test_setup_intent_payment_method_types_is_accepted(client: stripe.StripeClient) -> None:
    # spec3.json (2026-08-26.dahlia): POST /v1/setup_intents accepts `payment_method_types`.
    si = client.v1.setup_intents.create({"payment_method_types": ["card"]})
    assert si.payment_method_types == ["card"] and si.automatic_payment_methods is None
    si = client.v1.setup_intents.confirm(si.id, {"payment_method": "pm_card_visa"})
    assert si.status == "succeeded"


def test_amount_above_the_maximum_is_refused(client: stripe.StripeClient) -> None:
    # docs.stripe.com/currencies#minimum-and-maximum-charge-amounts: at most 8 digits
    # ("Amount must be no more than $999,999.99"); docs.stripe.com/error-codes amount_too_large.
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.create({"amount": 100_000_000, "currency": "usd"})
    err = _error(exc)
    assert (err["code"], err["param"]) == ("amount_too_large", "amount")


def test_legacy_charge_below_the_minimum_is_refused(client: stripe.StripeClient) -> None:
    # docs.stripe.com/currencies: the minimum charge amount applies to every charge.
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.charges.create({"amount": 49, "currency": "usd", "source": "tok_visa"})
    assert _error(exc)["code"] == "amount_too_small"


def test_legacy_charge_uncaptured_then_no_balance_transaction(client: stripe.StripeClient) -> None:
    # docs.stripe.com/api/charges/create `capture`: false leaves the charge uncaptured.
    ch = client.v1.charges.create({"amount": 1000, "currency": "usd", "source": "tok_visa", "capture": False})
    assert (ch.captured, ch.paid, ch.balance_transaction) == (False, True, None)


def test_balance_transactions_list_by_source(client: stripe.StripeClient) -> None:
    # docs.stripe.com/api/balance_transactions/list `source`: only transactions of that source.
    pi = _pay(client, "pm_card_visa")
    charge_id = str(pi.latest_charge)
    listed = client.v1.balance_transactions.list({"source": charge_id})
    assert [t.source for t in listed.data] == [charge_id]
    assert listed.data[0].type == "charge" and listed.data[0].fee > 0


def test_dispute_emits_charge_dispute_created(
    client: stripe.StripeClient, sandbox: SandboxServer, api_key: str
) -> None:
    # docs.stripe.com/disputes/how-disputes-work: Stripe sends charge.dispute.created.
    pi = _pay(client, "pm_card_createDispute")
    events = [e for e in sandbox.objects(api_key, "event") if e["type"] == "charge.dispute.created"]
    assert [e["data"]["object"]["payment_intent"] for e in events] == [pi.id]
