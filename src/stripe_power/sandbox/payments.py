"""PaymentIntents, Charges (read-only), Refunds, PaymentMethods and SetupIntents."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..money import format_amount
from .cards import DECLINE_MESSAGES, TestPaymentMethod, card_for_number, card_for_test_pm
from .errors import StripeError, invalid, missing_param, no_such, unexpected_state
from .ids import client_secret, new_id
from .router import Ctx, Router
from .search import fields_of, search
from .store import (
    JSON,
    Account,
    apply_metadata,
    as_bool,
    as_dict,
    as_enum,
    as_int,
    as_str,
    changed,
    now,
    paginate,
    skeleton,
    snapshot,
)

PM_KIND = "PaymentMethod"
# Called after a PaymentIntent succeeds (billing marks the invoice it belongs to as paid).
PI_SUCCESS_HOOKS: list[Callable[[Ctx, JSON], None]] = []


def fmt_money(amount: int, cur: str) -> str:
    return format_amount(amount, cur) or str(amount)


# -- payment methods ---------------------------------------------------------------------


def _billing_details(data: Any = None) -> JSON:
    details: JSON = {
        "address": {
            "city": None,
            "country": None,
            "line1": None,
            "line2": None,
            "postal_code": None,
            "state": None,
        },
        "email": None,
        "name": None,
        "phone": None,
        "tax_id": None,
    }
    if isinstance(data, dict):
        for key in ("email", "name", "phone"):
            if key in data:
                details[key] = as_str(data[key], f"billing_details[{key}]") or None
        if isinstance(data.get("address"), dict):
            details["address"].update(
                {k: v or None for k, v in data["address"].items() if k in details["address"]}
            )
    return details


def make_card_pm(ctx: Ctx, card: TestPaymentMethod, billing_details: Any = None) -> JSON:
    pm: JSON = skeleton("payment_method")
    pm.update(
        id=new_id("pm", 24),
        object="payment_method",
        allow_redisplay="unspecified",
        billing_details=_billing_details(billing_details),
        card={
            "brand": card.brand,
            "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"},
            "country": card.country,
            "display_brand": {"amex": "american_express"}.get(card.brand, card.brand),
            "exp_month": 12,
            "exp_year": time.gmtime().tm_year + 3,
            "fingerprint": "fp" + card.number[-8:] + card.brand[:4],
            "funding": card.funding,
            "generated_from": None,
            "last4": card.last4,
            "networks": {"available": [card.brand], "preferred": None},
            "regulated_status": "unregulated",
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        created=now(),
        customer=None,
        livemode=False,
        metadata={},
        type="card",
    )
    ctx.acct.add(pm)
    ctx.acct.cards[pm["id"]] = card
    return pm


def resolve_payment_method(ctx: Ctx, ref: str, param: str) -> JSON:
    """A stored PaymentMethod, or a new one for a test id such as ``pm_card_visa``."""
    existing = ctx.acct.find("payment_method", ref)
    if existing is not None:
        return existing
    card = card_for_test_pm(ref)
    if card is not None:
        return make_card_pm(ctx, card)
    raise no_such(PM_KIND, ref, param=param, status=400)


def card_of(acct: Account, pm: JSON) -> TestPaymentMethod:
    card = acct.cards.get(pm["id"])
    if card is None:
        card = card_for_number("4242424242424242")
        assert card is not None
    return card


def pm_from_number(ctx: Ctx, number: str, param: str = "card_number") -> JSON:
    card = card_for_number(number)
    if card is None:
        raise StripeError(
            402, "Your card number is incorrect.", type="card_error", code="incorrect_number", param=param
        )
    return make_card_pm(ctx, card)


def card_error(card: TestPaymentMethod, extra: JSON | None = None) -> StripeError:
    decline = card.decline_code or "generic_decline"
    return StripeError(
        402,
        DECLINE_MESSAGES.get(decline, "Your card was declined."),
        type="card_error",
        code=card.error_code or "card_declined",
        decline_code=decline,
        extra=extra,
    )


def attach(ctx: Ctx, pm: JSON, customer_id: str) -> None:
    if pm.get("customer") == customer_id:
        return
    if pm.get("customer"):
        raise invalid(
            "The payment method you provided has already been attached to a customer.", param="payment_method"
        )
    if pm["id"] in ctx.acct.used_pms:
        raise invalid(
            "This PaymentMethod was previously used without being attached to a Customer or was detached from a "
            "Customer, and may not be used again.",
            param="payment_method",
        )
    card = card_of(ctx.acct, pm)
    if card.outcome == "declined":
        raise card_error(card)
    pm["customer"] = customer_id
    ctx.acct.emit("payment_method.attached", pm, {"customer": None})


def attach_pm(ctx: Ctx) -> JSON:
    pm = resolve_payment_method(ctx, ctx.path_params["payment_method"], "payment_method")
    cust_id = as_str(ctx.params["customer"], "customer")
    ctx.acct.get("customer", cust_id, param="customer", status=400)
    attach(ctx, pm, cust_id)
    return pm


def detach_pm(ctx: Ctx) -> JSON:
    pm = ctx.acct.get("payment_method", ctx.path_params["payment_method"], param="payment_method")
    if not pm.get("customer"):
        raise invalid(
            "The payment method you provided is not attached to a customer so detachment is impossible.",
            param="payment_method",
        )
    previous = {"customer": pm["customer"]}
    cust = ctx.acct.find("customer", pm["customer"])
    if cust is not None and cust["invoice_settings"].get("default_payment_method") == pm["id"]:
        cust["invoice_settings"]["default_payment_method"] = None
    pm["customer"] = None
    ctx.acct.used_pms.add(pm["id"])
    ctx.acct.emit("payment_method.detached", pm, previous)
    return pm


def retrieve_pm(ctx: Ctx) -> JSON:
    ref = ctx.path_params["payment_method"]
    if card_for_test_pm(ref) is not None and ctx.acct.find("payment_method", ref) is None:
        return resolve_payment_method(ctx, ref, "payment_method")
    return ctx.acct.get("payment_method", ref, param="payment_method")


def update_pm(ctx: Ctx) -> JSON:
    pm = ctx.acct.get("payment_method", ctx.path_params["payment_method"], param="payment_method")
    before = snapshot(pm)
    p = ctx.params
    if "billing_details" in p:
        pm["billing_details"] = _billing_details(
            {**pm["billing_details"], **as_dict(p["billing_details"], "billing_details")}
        )
    if "metadata" in p:
        pm["metadata"] = apply_metadata(pm["metadata"], p["metadata"])
    if "allow_redisplay" in p:
        pm["allow_redisplay"] = as_enum(
            p["allow_redisplay"], "allow_redisplay", ("always", "limited", "unspecified")
        )
    ctx.acct.emit("payment_method.updated", pm, changed(before, pm))
    return pm


def list_pms(ctx: Ctx) -> JSON:
    p = ctx.params
    customer = ctx.path_params.get("customer") or p.get("customer")
    if ctx.path_params.get("customer"):
        ctx.acct.get("customer", customer)
    typ = p.get("type")

    def pred(o: JSON) -> bool:
        return (customer is None or o.get("customer") == customer) and (typ is None or o["type"] == typ)

    url = (
        f"/v1/customers/{customer}/payment_methods"
        if ctx.path_params.get("customer")
        else "/v1/payment_methods"
    )
    return paginate(ctx.acct, "payment_method", p, url, pred)


def retrieve_customer_pm(ctx: Ctx) -> JSON:
    ctx.acct.get("customer", ctx.path_params["customer"], param="customer")
    pm = ctx.acct.get("payment_method", ctx.path_params["payment_method"], param="payment_method")
    if pm.get("customer") != ctx.path_params["customer"]:
        raise no_such(PM_KIND, pm["id"], param="payment_method")
    return pm


# -- charges ------------------------------------------------------------------------------


def _outcome(card: TestPaymentMethod, ok: bool) -> JSON:
    if ok:
        return {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "risk_score": 32,
            "seller_message": "Payment complete.",
            "type": "authorized",
        }
    blocked = card.decline_code == "fraudulent"
    return {
        "advice_code": "do_not_try_again" if blocked else "try_again_later",
        "network_advice_code": None,
        "network_decline_code": None,
        "network_status": "not_sent_to_network" if blocked else "declined_by_network",
        "reason": "highest_risk_level" if blocked else card.decline_code,
        "risk_level": "highest" if blocked else "normal",
        "risk_score": 95 if blocked else 40,
        "seller_message": (
            "Stripe blocked this payment as too risky."
            if blocked
            else "The bank did not return any further details with this decline."
        ),
        "type": "blocked" if blocked else "issuer_declined",
    }


def make_charge(
    ctx: Ctx, pi: JSON, pm: JSON, ok: bool, captured: bool, failure: StripeError | None = None
) -> JSON:
    card = card_of(ctx.acct, pm)
    ch: JSON = skeleton("charge")
    cid = new_id("ch", 24)
    ch.update(
        id=cid,
        object="charge",
        amount=pi["amount"],
        amount_captured=pi["amount"] if ok and captured else 0,
        amount_refunded=0,
        balance_transaction=new_id("txn", 24) if ok and captured else None,
        billing_details=pm["billing_details"],
        calculated_statement_descriptor="SANDBOX",
        captured=ok and captured,
        created=now(),
        currency=pi["currency"],
        customer=pi.get("customer"),
        description=pi.get("description"),
        disputed=False,
        failure_code=failure.code if failure else None,
        failure_message=failure.message if failure else None,
        fraud_details={},
        livemode=False,
        metadata=dict(pi.get("metadata") or {}),
        outcome=_outcome(card, ok),
        paid=ok,
        payment_intent=pi["id"],
        payment_method=pm["id"],
        payment_method_details={
            "card": {
                "amount_authorized": pi["amount"] if ok else None,
                "authorization_code": "123456" if ok else None,
                "brand": card.brand,
                "checks": {
                    "address_line1_check": None,
                    "address_postal_code_check": None,
                    "cvc_check": "pass",
                },
                "country": card.country,
                "exp_month": pm["card"]["exp_month"],
                "exp_year": pm["card"]["exp_year"],
                "extended_authorization": {"status": "disabled"},
                "fingerprint": pm["card"]["fingerprint"],
                "funding": card.funding,
                "incremental_authorization": {"status": "unavailable"},
                "installments": None,
                "last4": card.last4,
                "mandate": None,
                "multicapture": {"status": "unavailable"},
                "network": card.brand,
                "network_token": {"used": False},
                "network_transaction_id": "sandbox" + cid[-10:],
                "overcapture": {"maximum_amount_capturable": pi["amount"], "status": "unavailable"},
                "regulated_status": "unregulated",
                "three_d_secure": None,
                "wallet": None,
            },
            "type": "card",
        },
        receipt_email=pi.get("receipt_email"),
        receipt_url=f"{ctx.base_url}/receipts/{cid}",
        refunded=False,
        status="succeeded" if ok else "failed",
    )
    ctx.acct.add(ch)
    ctx.own(ch)
    if ok and captured:
        _credit(ctx.acct, ch["currency"], ch["amount"])
    return ch


def _credit(acct: Account, cur: str, amount: int) -> None:
    acct.balance[cur] = acct.balance.get(cur, 0) + amount


def retrieve_charge(ctx: Ctx) -> JSON:
    return ctx.acct.get("charge", ctx.path_params["charge"], param="charge")


def update_charge(ctx: Ctx) -> JSON:
    ch = ctx.acct.get("charge", ctx.path_params["charge"], param="charge")
    before = snapshot(ch)
    p = ctx.params
    if "metadata" in p:
        ch["metadata"] = apply_metadata(ch["metadata"], p["metadata"])
    for key in ("description", "receipt_email"):
        if key in p:
            ch[key] = as_str(p[key], key) or None
    ctx.acct.emit("charge.updated", ch, changed(before, ch))
    return ch


def list_charges(ctx: Ctx) -> JSON:
    p = ctx.params
    customer, pi = p.get("customer"), p.get("payment_intent")

    def pred(o: JSON) -> bool:
        return (customer is None or o.get("customer") == customer) and (
            pi is None or o.get("payment_intent") == pi
        )

    return paginate(ctx.acct, "charge", p, "/v1/charges", pred)


def create_charge(ctx: Ctx) -> JSON:
    raise StripeError(
        400,
        "Creating charges with card tokens or Sources is no longer supported for new integrations: the Charges "
        "API, Tokens and Sources are end-of-life for card payments. Use the Payment Intents API or Checkout "
        "Sessions instead (https://docs.stripe.com/payments/payment-intents/migration/charges).",
        param="source" if "source" in ctx.params else None,
        code="charges_api_end_of_life",
    )


# -- payment intents ----------------------------------------------------------------------

PI_CONFIRMABLE = ("requires_confirmation", "requires_payment_method", "requires_action")
PI_CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)


def _check_amount(amount: int, cur: str, param: str = "amount") -> None:
    minimum = 50
    if amount < minimum and amount != 0:
        raise invalid(
            f"Amount must be at least {fmt_money(minimum, cur)} {cur}", param=param, code="amount_too_small"
        )
    if amount > 99999999:
        raise invalid("Amount must be no more than $999,999.99", param=param, code="amount_too_large")


def new_payment_intent(
    ctx: Ctx,
    amount: int,
    cur: str,
    *,
    customer: str | None = None,
    description: str | None = None,
    metadata: dict[str, str] | None = None,
    capture_method: str = "automatic_async",
    setup_future_usage: str | None = None,
    receipt_email: str | None = None,
    allow_redirects: str = "always",
) -> JSON:
    pi: JSON = skeleton("payment_intent")
    pid = new_id("pi", 24)
    pi.update(
        id=pid,
        object="payment_intent",
        amount=amount,
        amount_capturable=0,
        amount_received=0,
        automatic_payment_methods={"allow_redirects": allow_redirects, "enabled": True},
        capture_method=capture_method,
        client_secret=client_secret(pid),
        confirmation_method="automatic",
        created=now(),
        currency=cur,
        customer=customer,
        description=description,
        livemode=False,
        metadata=metadata or {},
        payment_method_options={
            "card": {
                "installments": None,
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        },
        payment_method_types=["card"],
        receipt_email=receipt_email,
        setup_future_usage=setup_future_usage,
        status="requires_payment_method",
    )
    ctx.acct.add(pi)
    ctx.own(pi)
    ctx.acct.emit("payment_intent.created", pi)
    return pi


def _customer_ref(ctx: Ctx, value: Any, param: str = "customer") -> str:
    cid = as_str(value, param)
    ctx.acct.get("customer", cid, param=param, status=400)
    return cid


def create_pi(ctx: Ctx) -> JSON:
    p = ctx.params
    cur = as_str(p["currency"], "currency").lower()
    amount = as_int(p["amount"], "amount")
    _check_amount(amount, cur)
    allow_redirects = "always"
    if "automatic_payment_methods" in p:
        apm = as_dict(p["automatic_payment_methods"], "automatic_payment_methods")
        if "enabled" in apm and not as_bool(apm["enabled"], "automatic_payment_methods[enabled]"):
            raise invalid(
                "automatic_payment_methods[enabled] must be true: this API version chooses payment methods "
                "dynamically.",
                param="automatic_payment_methods[enabled]",
            )
        if "allow_redirects" in apm:
            allow_redirects = as_enum(
                apm["allow_redirects"], "automatic_payment_methods[allow_redirects]", ("always", "never")
            )
    pi = new_payment_intent(
        ctx,
        amount,
        cur,
        customer=_customer_ref(ctx, p["customer"]) if "customer" in p else None,
        description=as_str(p["description"], "description") if "description" in p else None,
        metadata=apply_metadata({}, p.get("metadata", {})),
        capture_method=as_enum(
            p.get("capture_method", "automatic_async"),
            "capture_method",
            ("automatic", "automatic_async", "manual"),
        ),
        setup_future_usage=(
            as_enum(p["setup_future_usage"], "setup_future_usage", ("off_session", "on_session"))
            if p.get("setup_future_usage")
            else None
        ),
        receipt_email=as_str(p["receipt_email"], "receipt_email") if "receipt_email" in p else None,
        allow_redirects=allow_redirects,
    )
    for key in ("statement_descriptor", "statement_descriptor_suffix", "transfer_group"):
        if key in p:
            pi[key] = as_str(p[key], key)
    if "excluded_payment_method_types" in p:
        pi["excluded_payment_method_types"] = list(p["excluded_payment_method_types"] or [])
    if "shipping" in p:
        pi["shipping"] = _shipping(p["shipping"])
    if "payment_method" in p:
        pm = resolve_payment_method(ctx, as_str(p["payment_method"], "payment_method"), "payment_method")
        pi["payment_method"] = pm["id"]
        pi["status"] = "requires_confirmation"
    if "return_url" in p:
        ctx.acct.priv(pi)["return_url"] = as_str(p["return_url"], "return_url")
    if "confirm" in p and as_bool(p["confirm"], "confirm"):
        confirm(
            ctx, pi, {k: p[k] for k in ("off_session", "return_url", "error_on_requires_action") if k in p}
        )
    elif "off_session" in p:
        raise invalid("You can only pass `off_session` when `confirm=true`.", param="off_session")
    return pi


def _shipping(value: Any) -> JSON:
    s = as_dict(value, "shipping")
    addr = as_dict(s.get("address", {}), "shipping[address]")
    return {
        "address": {k: addr.get(k) for k in ("city", "country", "line1", "line2", "postal_code", "state")},
        "carrier": s.get("carrier"),
        "name": s.get("name"),
        "phone": s.get("phone"),
        "tracking_number": s.get("tracking_number"),
    }


def retrieve_pi(ctx: Ctx) -> JSON:
    return ctx.acct.get("payment_intent", ctx.path_params["intent"], param="intent")


def update_pi(ctx: Ctx) -> JSON:
    pi = ctx.acct.get("payment_intent", ctx.path_params["intent"], param="intent")
    p = ctx.params
    if pi["status"] not in ("requires_payment_method", "requires_confirmation", "requires_action") and any(
        k in p for k in ("amount", "currency", "payment_method", "customer", "capture_method")
    ):
        raise unexpected_state(
            f"You cannot update this PaymentIntent because it has a status of {pi['status']}."
        )
    before = snapshot(pi)
    if "amount" in p:
        pi["amount"] = as_int(p["amount"], "amount")
        _check_amount(pi["amount"], pi["currency"])
    if "currency" in p:
        pi["currency"] = as_str(p["currency"], "currency").lower()
    if "customer" in p:
        pi["customer"] = _customer_ref(ctx, p["customer"])
    for key in ("description", "receipt_email", "statement_descriptor", "statement_descriptor_suffix"):
        if key in p:
            pi[key] = as_str(p[key], key) or None
    if "setup_future_usage" in p:
        pi["setup_future_usage"] = p["setup_future_usage"] or None
    if "capture_method" in p:
        pi["capture_method"] = as_enum(
            p["capture_method"], "capture_method", ("automatic", "automatic_async", "manual")
        )
    if "metadata" in p:
        pi["metadata"] = apply_metadata(pi["metadata"], p["metadata"])
    if "shipping" in p:
        pi["shipping"] = _shipping(p["shipping"]) if p["shipping"] != "" else None
    if "payment_method" in p:
        pm = resolve_payment_method(ctx, as_str(p["payment_method"], "payment_method"), "payment_method")
        pi["payment_method"] = pm["id"]
        pi["status"] = "requires_confirmation"
        pi["next_action"] = None
    previous = changed(before, pi)
    if previous:
        ctx.acct.emit("payment_intent.updated", pi, previous)
    return pi


def confirm_pi(ctx: Ctx) -> JSON:
    pi = ctx.acct.get("payment_intent", ctx.path_params["intent"], param="intent")
    confirm(ctx, pi, ctx.params)
    return pi


def confirm(ctx: Ctx, pi: JSON, p: dict[str, Any]) -> None:
    """Confirm ``pi``: charge its payment method and move it through Stripe's status machine."""
    if pi["status"] not in PI_CONFIRMABLE:
        raise unexpected_state(
            f"You cannot confirm this PaymentIntent because it has a status of {pi['status']}. Only a "
            "PaymentIntent with one of the following statuses may be confirmed: requires_confirmation, "
            "requires_payment_method, requires_action.",
        )
    acct = ctx.acct
    before = snapshot(pi)
    if "payment_method" in p:
        pi["payment_method"] = resolve_payment_method(
            ctx, as_str(p["payment_method"], "payment_method"), "payment_method"
        )["id"]
    if "payment_method_data" in p:
        raise StripeError(
            400,
            "Sending credit card numbers directly to the Stripe API is generally unsafe. We suggest you use test "
            "tokens that map to the test card you are using, see https://stripe.com/docs/testing.",
            param="payment_method_data",
        )
    for key in ("receipt_email",):
        if key in p:
            pi[key] = as_str(p[key], key) or None
    if "setup_future_usage" in p:
        pi["setup_future_usage"] = p["setup_future_usage"] or None
    if "return_url" in p:
        ctx.acct.priv(pi)["return_url"] = as_str(p["return_url"], "return_url")
    off_session = False
    if "off_session" in p:
        raw = p["off_session"]
        off_session = raw in ("one_off", "recurring") or as_bool(raw, "off_session")
    if not pi.get("payment_method"):
        raise unexpected_state(
            "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the "
            "PaymentIntent with "
            + (
                f"{pi['customer']}, specify a payment method attached to this customer along with the customer ID."
                if pi.get("customer")
                else "a payment method, update it with `payment_method` first."
            ),
        )
    pm = acct.get("payment_method", pi["payment_method"], param="payment_method", status=400)
    if pm.get("customer") and pi.get("customer") != pm["customer"]:
        raise (
            invalid(
                f"The provided PaymentMethod belongs to a Customer ({pm['customer']}); pass `customer` to use it.",
                param="payment_method",
            )
            if not pi.get("customer")
            else invalid(
                "The provided PaymentMethod is attached to a different Customer.", param="payment_method"
            )
        )
    if not pm.get("customer") and pm["id"] in acct.used_pms:
        raise invalid(
            "This PaymentMethod was previously used without being attached to a Customer or was detached from a "
            "Customer, and may not be used again.",
            param="payment_method",
        )
    if (
        not off_session
        and (pi.get("automatic_payment_methods") or {}).get("allow_redirects") == "always"
        and not ctx.acct.priv(pi).get("return_url")
        and not ctx.acct.priv(pi).get("hosted")
    ):
        raise invalid(
            "This PaymentIntent is configured to accept payment methods enabled in your Dashboard, because some of "
            "these payment methods might redirect your customer off of your page, you must provide a `return_url`. "
            "If you don't want to accept redirect-based payment methods, set "
            "`automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` to "
            "`never` when creating Setup Intents and Payment Intents.",
        )
    card = card_of(acct, pm)
    pi["last_payment_error"] = None
    pi["next_action"] = None
    needs_auth = card.outcome == "requires_action" or (
        card.outcome == "requires_action_on_session"
        and not (off_session and pm["id"] in acct.off_session_ready)
    )
    if needs_auth and not ctx.acct.priv(pi).get("authenticated"):
        if off_session:
            err = StripeError(
                402,
                "Your card was declined. This transaction requires authentication.",
                type="card_error",
                code="authentication_required",
                decline_code="authentication_required",
            )
            _fail(ctx, pi, pm, err, before)
        pi["status"] = "requires_action"
        auth_url = f"{ctx.base_url}/3ds/{pi['id']}"
        ctx.own(pi)
        if ctx.acct.priv(pi).get("return_url"):
            pi["next_action"] = {
                "type": "redirect_to_url",
                "redirect_to_url": {"return_url": ctx.acct.priv(pi)["return_url"], "url": auth_url},
            }
        else:
            pi["next_action"] = {
                "type": "use_stripe_sdk",
                "use_stripe_sdk": {
                    "type": "three_d_secure_redirect",
                    "stripe_js": auth_url,
                    "source": pm["id"],
                },
            }
        acct.emit("payment_intent.requires_action", pi, changed(before, pi))
        return
    if card.outcome == "declined":
        _fail(ctx, pi, pm, card_error(card), before)
    succeed(ctx, pi, pm, before)


def succeed(ctx: Ctx, pi: JSON, pm: JSON, before: JSON) -> None:
    acct = ctx.acct
    manual = pi["capture_method"] == "manual"
    ch = make_charge(ctx, pi, pm, ok=True, captured=not manual)
    pi["latest_charge"] = ch["id"]
    pi["next_action"] = None
    if not pm.get("customer"):
        acct.used_pms.add(pm["id"])
    if pi.get("setup_future_usage") and pi.get("customer") and not pm.get("customer"):
        pm["customer"] = pi["customer"]
        acct.used_pms.discard(pm["id"])
        acct.emit("payment_method.attached", pm, {"customer": None})
    if pi.get("setup_future_usage") == "off_session" or ctx.acct.priv(pi).get("authenticated"):
        acct.off_session_ready.add(pm["id"])
    if manual:
        pi["status"] = "requires_capture"
        pi["amount_capturable"] = pi["amount"]
        acct.emit("charge.succeeded", ch)
        acct.emit("payment_intent.amount_capturable_updated", pi, changed(before, pi))
    else:
        pi["status"] = "succeeded"
        pi["amount_received"] = pi["amount"]
        acct.emit("charge.succeeded", ch)
        acct.emit("payment_intent.succeeded", pi, changed(before, pi))
        for hook in PI_SUCCESS_HOOKS:
            hook(ctx, pi)


def _fail(ctx: Ctx, pi: JSON, pm: JSON, err: StripeError, before: JSON) -> None:
    acct = ctx.acct
    ch = make_charge(ctx, pi, pm, ok=False, captured=False, failure=err)
    pi["latest_charge"] = ch["id"]
    pi["status"] = "requires_payment_method"
    pi["payment_method"] = None
    pi["next_action"] = None
    lpe: JSON = {
        "type": err.type,
        "code": err.code,
        "decline_code": err.decline_code,
        "doc_url": f"https://docs.stripe.com/error-codes/{(err.code or '').replace('_', '-')}",
        "message": err.message,
        "charge": ch["id"],
        "payment_method": snapshot(pm),
    }
    pi["last_payment_error"] = lpe
    if not pm.get("customer"):
        acct.used_pms.add(pm["id"])
    acct.emit("charge.failed", ch)
    acct.emit("payment_intent.payment_failed", pi, changed(before, pi))
    err.extra = {"charge": ch["id"], "payment_intent": snapshot(public(pi)), "payment_method": snapshot(pm)}
    raise err


def public(obj: JSON) -> JSON:
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def authenticate(ctx: Ctx, pi: JSON, success: bool) -> None:
    """Finish 3D Secure from the sandbox's authentication page."""
    if pi["status"] != "requires_action":
        raise unexpected_state(
            f"This PaymentIntent has a status of {pi['status']} and needs no authentication."
        )
    before = snapshot(pi)
    pm = ctx.acct.get("payment_method", pi["payment_method"])
    if success:
        ctx.acct.priv(pi)["authenticated"] = True
        succeed(ctx, pi, pm, before)
    else:
        pi["status"] = "requires_payment_method"
        pi["next_action"] = None
        pi["payment_method"] = None
        pi["last_payment_error"] = {
            "type": "invalid_request_error",
            "code": "payment_intent_authentication_failure",
            "doc_url": "https://docs.stripe.com/error-codes/payment-intent-authentication-failure",
            "message": "The provided PaymentMethod has failed authentication. You can provide payment_method_data or "
            "a new PaymentMethod to attempt to fulfill this PaymentIntent again.",
            "payment_method": snapshot(pm),
        }
        ctx.acct.emit("payment_intent.payment_failed", pi, changed(before, pi))


def capture_pi(ctx: Ctx) -> JSON:
    pi = ctx.acct.get("payment_intent", ctx.path_params["intent"], param="intent")
    if pi["status"] != "requires_capture":
        raise unexpected_state(
            f"This PaymentIntent could not be captured because it has a status of {pi['status']}. Only a "
            "PaymentIntent with one of the following statuses may be captured: requires_capture."
        )
    p = ctx.params
    amount = pi["amount_capturable"]
    if "amount_to_capture" in p:
        amount = as_int(p["amount_to_capture"], "amount_to_capture", minimum=1)
        if amount > pi["amount_capturable"]:
            raise invalid(
                f"The amount_to_capture ({amount}) must be less than or equal to amount_capturable "
                f"({pi['amount_capturable']}).",
                param="amount_to_capture",
                code="amount_too_large",
            )
    if "metadata" in p:
        pi["metadata"] = apply_metadata(pi["metadata"], p["metadata"])
    before = snapshot(pi)
    ch = ctx.acct.get("charge", pi["latest_charge"])
    ch_before = snapshot(ch)
    ch["captured"] = True
    ch["amount_captured"] = amount
    ch["amount_refunded"] = ch["amount"] - amount
    ch["balance_transaction"] = new_id("txn", 24)
    _credit(ctx.acct, ch["currency"], amount)
    pi["amount_received"] = amount
    pi["amount_capturable"] = 0
    pi["status"] = "succeeded"
    ctx.acct.emit("charge.captured", ch, changed(ch_before, ch))
    ctx.acct.emit("payment_intent.succeeded", pi, changed(before, pi))
    for hook in PI_SUCCESS_HOOKS:
        hook(ctx, pi)
    return pi


def cancel_pi(ctx: Ctx) -> JSON:
    pi = ctx.acct.get("payment_intent", ctx.path_params["intent"], param="intent")
    p = ctx.params
    if pi["status"] not in PI_CANCELABLE:
        raise unexpected_state(
            f"You cannot cancel this PaymentIntent because it has a status of {pi['status']}. Only a PaymentIntent "
            "with one of the following statuses may be canceled: requires_payment_method, requires_capture, "
            "requires_confirmation, requires_action, processing."
        )
    if ctx.acct.priv(pi).get("invoice"):
        raise unexpected_state(
            "You cannot cancel this PaymentIntent because it was created by an invoice. Void the invoice instead."
        )
    before = snapshot(pi)
    reason = None
    if "cancellation_reason" in p:
        reason = as_enum(
            p["cancellation_reason"],
            "cancellation_reason",
            ("duplicate", "fraudulent", "requested_by_customer", "abandoned"),
        )
    if pi["status"] == "requires_capture" and pi.get("latest_charge"):
        ch = ctx.acct.get("charge", pi["latest_charge"])
        ch_before = snapshot(ch)
        ch["amount_refunded"] = ch["amount"]
        ch["refunded"] = True
        ctx.acct.emit("charge.refunded", ch, changed(ch_before, ch))
    pi["status"] = "canceled"
    pi["canceled_at"] = now()
    pi["cancellation_reason"] = reason
    pi["amount_capturable"] = 0
    pi["next_action"] = None
    ctx.acct.emit("payment_intent.canceled", pi, changed(before, pi))
    return pi


def list_pis(ctx: Ctx) -> JSON:
    customer = ctx.params.get("customer")

    def pred(o: JSON) -> bool:
        return customer is None or o.get("customer") == customer

    return paginate(ctx.acct, "payment_intent", ctx.params, "/v1/payment_intents", pred)


def search_pis(ctx: Ctx) -> JSON:
    fields = fields_of("amount", "currency", "customer", "status", "created")
    return search(ctx, "payment_intent", fields, "/v1/payment_intents/search")


# -- refunds -------------------------------------------------------------------------------


def create_refund(ctx: Ctx) -> JSON:
    p = ctx.params
    acct = ctx.acct
    if "payment_intent" in p:
        pi = acct.get(
            "payment_intent",
            as_str(p["payment_intent"], "payment_intent"),
            param="payment_intent",
            status=400,
        )
        if pi["status"] != "succeeded" or not pi.get("latest_charge"):
            raise invalid(
                f"This PaymentIntent ({pi['id']}) does not have a successful charge to refund.",
                param="payment_intent",
            )
        ch = acct.get("charge", pi["latest_charge"])
        if "charge" in p and p["charge"] != ch["id"]:
            raise invalid("The charge does not belong to this PaymentIntent.", param="charge")
    elif "charge" in p:
        ch = acct.get("charge", as_str(p["charge"], "charge"), param="charge", status=400)
    else:
        raise invalid(
            "One of the following params should be provided for this request: payment_intent or charge.",
            param="payment_intent",
        )
    if not ch["captured"] or ch["status"] != "succeeded":
        raise invalid(f"Charge {ch['id']} has not been captured and cannot be refunded.", param="charge")
    remaining = ch["amount"] - ch["amount_refunded"]
    if remaining <= 0:
        raise invalid(f"Charge {ch['id']} has already been refunded.", code="charge_already_refunded")
    amount = remaining
    if "amount" in p:
        amount = as_int(p["amount"], "amount", minimum=1)
        if amount > remaining:
            raise invalid(
                f"Refund amount ({fmt_money(amount, ch['currency'])}) is greater than unrefunded amount on charge "
                f"({fmt_money(remaining, ch['currency'])})",
                param="amount",
            )
    reason = None
    if "reason" in p:
        reason = as_enum(p["reason"], "reason", ("duplicate", "fraudulent", "requested_by_customer"))
    re: JSON = skeleton("refund")
    re.update(
        id=new_id("re", 24),
        object="refund",
        amount=amount,
        balance_transaction=new_id("txn", 24),
        charge=ch["id"],
        created=now(),
        currency=ch["currency"],
        destination_details={
            "card": {
                "reference": "sandbox" + ch["id"][-12:],
                "reference_status": "available",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        },
        metadata=apply_metadata({}, p.get("metadata", {})),
        payment_intent=ch.get("payment_intent"),
        reason=reason,
        status="succeeded",
    )
    acct.add(re)
    ch_before = snapshot(ch)
    ch["amount_refunded"] += amount
    ch["refunded"] = ch["amount_refunded"] >= ch["amount"]
    acct.balance[ch["currency"]] = acct.balance.get(ch["currency"], 0) - amount
    acct.emit("refund.created", re)
    acct.emit("charge.refunded", ch, changed(ch_before, ch))
    return re


def retrieve_refund(ctx: Ctx) -> JSON:
    return ctx.acct.get("refund", ctx.path_params["refund"], param="refund")


def update_refund(ctx: Ctx) -> JSON:
    re = ctx.acct.get("refund", ctx.path_params["refund"], param="refund")
    before = snapshot(re)
    if "metadata" in ctx.params:
        re["metadata"] = apply_metadata(re["metadata"], ctx.params["metadata"])
    ctx.acct.emit("refund.updated", re, changed(before, re))
    return re


def cancel_refund(ctx: Ctx) -> JSON:
    re = ctx.acct.get("refund", ctx.path_params["refund"], param="refund")
    raise invalid(
        f"Refund {re['id']} cannot be canceled because it has a status of {re['status']}. Only refunds with a "
        "status of `requires_action` can be canceled.",
        param="refund",
    )


def list_refunds(ctx: Ctx) -> JSON:
    p = ctx.params
    pi, ch = p.get("payment_intent"), p.get("charge")

    def pred(o: JSON) -> bool:
        return (pi is None or o.get("payment_intent") == pi) and (ch is None or o.get("charge") == ch)

    return paginate(ctx.acct, "refund", p, "/v1/refunds", pred)


# -- setup intents -------------------------------------------------------------------------

SI_CONFIRMABLE = ("requires_confirmation", "requires_payment_method", "requires_action")


def new_setup_intent(
    ctx: Ctx, customer: str | None, usage: str = "off_session", metadata: dict[str, str] | None = None
) -> JSON:
    si: JSON = skeleton("setup_intent")
    sid = new_id("seti", 24)
    si.update(
        id=sid,
        object="setup_intent",
        automatic_payment_methods={"allow_redirects": "always", "enabled": True},
        client_secret=client_secret(sid),
        created=now(),
        customer=customer,
        livemode=False,
        metadata=metadata or {},
        payment_method_options={
            "card": {"mandate_options": None, "network": None, "request_three_d_secure": "automatic"}
        },
        payment_method_types=["card"],
        status="requires_payment_method",
        usage=usage,
    )
    ctx.acct.add(si)
    ctx.own(si)
    ctx.acct.emit("setup_intent.created", si)
    return si


def create_si(ctx: Ctx) -> JSON:
    p = ctx.params
    si = new_setup_intent(
        ctx,
        _customer_ref(ctx, p["customer"]) if "customer" in p else None,
        as_enum(p.get("usage", "off_session"), "usage", ("off_session", "on_session")),
        apply_metadata({}, p.get("metadata", {})),
    )
    if "description" in p:
        si["description"] = as_str(p["description"], "description")
    if "automatic_payment_methods" in p:
        apm = as_dict(p["automatic_payment_methods"], "automatic_payment_methods")
        if "allow_redirects" in apm:
            si["automatic_payment_methods"]["allow_redirects"] = as_enum(
                apm["allow_redirects"], "automatic_payment_methods[allow_redirects]", ("always", "never")
            )
    if "excluded_payment_method_types" in p:
        si["excluded_payment_method_types"] = list(p["excluded_payment_method_types"] or [])
    if "payment_method" in p:
        si["payment_method"] = resolve_payment_method(
            ctx, as_str(p["payment_method"], "payment_method"), "payment_method"
        )["id"]
        si["status"] = "requires_confirmation"
    if "return_url" in p:
        ctx.acct.priv(si)["return_url"] = as_str(p["return_url"], "return_url")
    if "confirm" in p and as_bool(p["confirm"], "confirm"):
        confirm_setup(ctx, si, {})
    return si


def retrieve_si(ctx: Ctx) -> JSON:
    return ctx.acct.get("setup_intent", ctx.path_params["intent"], param="intent")


def update_si(ctx: Ctx) -> JSON:
    si = ctx.acct.get("setup_intent", ctx.path_params["intent"], param="intent")
    before = snapshot(si)
    p = ctx.params
    if "customer" in p:
        si["customer"] = _customer_ref(ctx, p["customer"])
    if "description" in p:
        si["description"] = as_str(p["description"], "description") or None
    if "metadata" in p:
        si["metadata"] = apply_metadata(si["metadata"], p["metadata"])
    if "payment_method" in p:
        si["payment_method"] = resolve_payment_method(
            ctx, as_str(p["payment_method"], "payment_method"), "payment_method"
        )["id"]
        if si["status"] == "requires_payment_method":
            si["status"] = "requires_confirmation"
    ctx.acct.emit("setup_intent.updated", si, changed(before, si))
    return si


def confirm_si(ctx: Ctx) -> JSON:
    si = ctx.acct.get("setup_intent", ctx.path_params["intent"], param="intent")
    confirm_setup(ctx, si, ctx.params)
    return si


def confirm_setup(ctx: Ctx, si: JSON, p: dict[str, Any]) -> None:
    if si["status"] not in SI_CONFIRMABLE:
        raise StripeError(
            400,
            f"You cannot confirm this SetupIntent because it has a status of {si['status']}.",
            code="setup_intent_unexpected_state",
        )
    acct = ctx.acct
    before = snapshot(si)
    if "payment_method" in p:
        si["payment_method"] = resolve_payment_method(
            ctx, as_str(p["payment_method"], "payment_method"), "payment_method"
        )["id"]
    if "return_url" in p:
        ctx.acct.priv(si)["return_url"] = as_str(p["return_url"], "return_url")
    if not si.get("payment_method"):
        raise StripeError(
            400,
            "You cannot confirm this SetupIntent because it's missing a payment method. Update it with "
            "`payment_method` or pass `payment_method` when confirming.",
            code="setup_intent_unexpected_state",
        )
    if (
        si["automatic_payment_methods"]["allow_redirects"] == "always"
        and not ctx.acct.priv(si).get("return_url")
        and not ctx.acct.priv(si).get("hosted")
    ):
        raise invalid(
            "This SetupIntent is configured to accept payment methods enabled in your Dashboard, because some of "
            "these payment methods might redirect your customer off of your page, you must provide a `return_url`. "
            "If you don't want to accept redirect-based payment methods, set "
            "`automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` to "
            "`never` when creating Setup Intents and Payment Intents.",
        )
    pm = acct.get("payment_method", si["payment_method"], param="payment_method", status=400)
    card = card_of(acct, pm)
    si["last_setup_error"] = None
    if card.outcome == "declined":
        err = card_error(card)
        si["status"] = "requires_payment_method"
        si["payment_method"] = None
        si["last_setup_error"] = {
            "type": "card_error",
            "code": err.code,
            "decline_code": err.decline_code,
            "doc_url": f"https://docs.stripe.com/error-codes/{(err.code or '').replace('_', '-')}",
            "message": err.message,
            "payment_method": snapshot(pm),
        }
        acct.emit("setup_intent.setup_failed", si, changed(before, si))
        err.extra = {"setup_intent": snapshot(public(si)), "payment_method": snapshot(pm)}
        raise err
    if card.outcome in ("requires_action", "requires_action_on_session") and not ctx.acct.priv(si).get(
        "authenticated"
    ):
        si["status"] = "requires_action"
        url = f"{ctx.base_url}/3ds/{si['id']}"
        ctx.own(si)
        si["next_action"] = (
            {
                "type": "redirect_to_url",
                "redirect_to_url": {"return_url": ctx.acct.priv(si)["return_url"], "url": url},
            }
            if ctx.acct.priv(si).get("return_url")
            else {
                "type": "use_stripe_sdk",
                "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": url, "source": pm["id"]},
            }
        )
        acct.emit("setup_intent.requires_action", si, changed(before, si))
        return
    setup_succeeded(ctx, si, pm, before)


def setup_succeeded(ctx: Ctx, si: JSON, pm: JSON, before: JSON) -> None:
    si["status"] = "succeeded"
    si["next_action"] = None
    if si.get("customer") and pm.get("customer") != si["customer"]:
        attach(ctx, pm, si["customer"])
    ctx.acct.off_session_ready.add(pm["id"])
    ctx.acct.emit("setup_intent.succeeded", si, changed(before, si))


def authenticate_setup(ctx: Ctx, si: JSON, success: bool) -> None:
    if si["status"] != "requires_action":
        raise StripeError(
            400, f"This SetupIntent has a status of {si['status']}.", code="setup_intent_unexpected_state"
        )
    before = snapshot(si)
    pm = ctx.acct.get("payment_method", si["payment_method"])
    if success:
        ctx.acct.priv(si)["authenticated"] = True
        setup_succeeded(ctx, si, pm, before)
    else:
        si["status"] = "requires_payment_method"
        si["next_action"] = None
        si["payment_method"] = None
        si["last_setup_error"] = {
            "type": "invalid_request_error",
            "code": "setup_intent_authentication_failure",
            "doc_url": "https://docs.stripe.com/error-codes/setup-intent-authentication-failure",
            "message": "The latest attempt to set up the payment method has failed because authentication failed.",
            "payment_method": snapshot(pm),
        }
        ctx.acct.emit("setup_intent.setup_failed", si, changed(before, si))


def cancel_si(ctx: Ctx) -> JSON:
    si = ctx.acct.get("setup_intent", ctx.path_params["intent"], param="intent")
    if si["status"] not in SI_CONFIRMABLE:
        raise StripeError(
            400,
            f"You cannot cancel this SetupIntent because it has a status of {si['status']}. Only a SetupIntent "
            "with one of the following statuses may be canceled: requires_payment_method, requires_confirmation, "
            "requires_action.",
            code="setup_intent_unexpected_state",
        )
    before = snapshot(si)
    if "cancellation_reason" in ctx.params:
        si["cancellation_reason"] = as_enum(
            ctx.params["cancellation_reason"],
            "cancellation_reason",
            ("abandoned", "duplicate", "requested_by_customer"),
        )
    si["status"] = "canceled"
    si["next_action"] = None
    ctx.acct.emit("setup_intent.canceled", si, changed(before, si))
    return si


def list_sis(ctx: Ctx) -> JSON:
    p = ctx.params
    customer, pm = p.get("customer"), p.get("payment_method")

    def pred(o: JSON) -> bool:
        return (customer is None or o.get("customer") == customer) and (
            pm is None or o.get("payment_method") == pm
        )

    return paginate(ctx.acct, "setup_intent", p, "/v1/setup_intents", pred)


def _require(p: dict[str, Any], name: str) -> Any:
    if name not in p:
        raise missing_param(name)
    return p[name]


def register(router: Router) -> None:
    router.add("GET", "/v1/payment_methods", list_pms)
    router.add("GET", "/v1/payment_methods/{payment_method}", retrieve_pm)
    router.add("POST", "/v1/payment_methods/{payment_method}", update_pm)
    router.add("POST", "/v1/payment_methods/{payment_method}/attach", attach_pm)
    router.add("POST", "/v1/payment_methods/{payment_method}/detach", detach_pm)
    router.add("GET", "/v1/customers/{customer}/payment_methods", list_pms)
    router.add("GET", "/v1/customers/{customer}/payment_methods/{payment_method}", retrieve_customer_pm)
    router.add("POST", "/v1/charges", create_charge)
    router.add("GET", "/v1/charges", list_charges)
    router.add("GET", "/v1/charges/{charge}", retrieve_charge)
    router.add("POST", "/v1/charges/{charge}", update_charge)
    router.add("POST", "/v1/payment_intents", create_pi)
    router.add("GET", "/v1/payment_intents", list_pis)
    router.add("GET", "/v1/payment_intents/search", search_pis)
    router.add("GET", "/v1/payment_intents/{intent}", retrieve_pi)
    router.add("POST", "/v1/payment_intents/{intent}", update_pi)
    router.add("POST", "/v1/payment_intents/{intent}/confirm", confirm_pi)
    router.add("POST", "/v1/payment_intents/{intent}/capture", capture_pi)
    router.add("POST", "/v1/payment_intents/{intent}/cancel", cancel_pi)
    router.add("POST", "/v1/refunds", create_refund)
    router.add("GET", "/v1/refunds", list_refunds)
    router.add("GET", "/v1/refunds/{refund}", retrieve_refund)
    router.add("POST", "/v1/refunds/{refund}", update_refund)
    router.add("POST", "/v1/refunds/{refund}/cancel", cancel_refund)
    router.add("POST", "/v1/setup_intents", create_si)
    router.add("GET", "/v1/setup_intents", list_sis)
    router.add("GET", "/v1/setup_intents/{intent}", retrieve_si)
    router.add("POST", "/v1/setup_intents/{intent}", update_si)
    router.add("POST", "/v1/setup_intents/{intent}/confirm", confirm_si)
    router.add("POST", "/v1/setup_intents/{intent}/cancel", cancel_si)
