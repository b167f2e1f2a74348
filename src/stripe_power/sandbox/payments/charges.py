"""Charges: the ones PaymentIntents create, and legacy `POST /v1/charges` with test tokens.

Stripe still serves the Charges API in test mode; steering integrations to PaymentIntents is the
MCP server's job (its guardrails refuse `POST /v1/charges` before anything is sent).
"""

from __future__ import annotations

from ...currencies import MAXIMUM_CHARGE, minimum_charge
from ...money import format_amount
from ..connect import connect_charges
from ..core.errors import StripeError, invalid, no_such
from ..core.ids import new_id
from ..core.router import Ctx, Router
from ..core.store import (
    JSON,
    apply_metadata,
    as_bool,
    as_int,
    as_str,
    changed,
    fields_match,
    now,
    paginate,
    skeleton,
    snapshot,
)
from . import authorizations, disputes
from .cards import TestPaymentMethod, card_for_token
from .payment_methods import card_error, card_of, make_card_pm


def fmt_money(amount: int, cur: str) -> str:
    return format_amount(amount, cur) or str(amount)


# -- charges ------------------------------------------------------------------------------


def _outcome(card: TestPaymentMethod, ok: bool) -> JSON:
    if ok:
        return {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": card.risk_level,
            "risk_score": {"normal": 32, "elevated": 70}.get(card.risk_level, 32),
            "seller_message": "Payment complete.",
            "type": "authorized",
        }
    blocked = card.risk_level == "highest"
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
    """A charge for `pi` (a PaymentIntent, or the params of a legacy `POST /v1/charges`)."""
    card = card_of(ctx.acct, pm)
    ch: JSON = skeleton("charge")
    cid = new_id("ch", 24)
    ch.update(
        id=cid,
        object="charge",
        amount=pi["amount"],
        amount_captured=pi["amount"] if ok and captured else 0,
        amount_refunded=0,
        balance_transaction=None,
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
        payment_intent=pi["id"] if pi.get("object") == "payment_intent" else None,
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
                "incremental_authorization": {"status": authorizations.incremental_status(pi)},
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
    connect_charges.stamp(ctx, pi, ch)
    ctx.acct.add(ch)
    ctx.own(ch)
    if ok and captured:
        connect_charges.settle(ctx, ch, ch["amount"])
    if ok and card.dispute:
        disputes.open_dispute(ctx, ch, card)
    return ch


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
    pred = fields_match(ctx.params, "customer", "payment_intent")
    return paginate(ctx.acct, "charge", ctx.params, "/v1/charges", pred)


def create_charge(ctx: Ctx) -> JSON:
    """Legacy `POST /v1/charges` with a test token (`tok_visa`), as Stripe still serves in test mode."""
    p = ctx.params
    source = p.get("source")
    if source is None:
        if "customer" in p:
            raise invalid("Cannot charge a customer that has no active card", param="card", code="missing")
        raise invalid("Must provide source or customer.")
    card = card_for_token(as_str(source, "source"))
    if card is None:
        raise no_such("source", str(source), param="source", status=400)
    cur = as_str(p["currency"], "currency").lower()
    amount = as_int(p["amount"], "amount")
    check_amount(amount, cur)
    pay: JSON = {
        "object": "charge_request",
        "amount": amount,
        "currency": cur,
        "customer": p.get("customer"),
        "description": p.get("description"),
        "metadata": apply_metadata({}, p.get("metadata", {})),
        "receipt_email": p.get("receipt_email"),
    }
    connect_charges.apply(ctx, pay, connect_charges.read(ctx, p, kind="charge"))
    pm = make_card_pm(ctx, card)
    captured = as_bool(p.get("capture", "true"), "capture")
    if card.declines_charges:
        err = card_error(card)
        ch = make_charge(ctx, pay, pm, ok=False, captured=False, failure=err)
        ctx.acct.emit("charge.failed", ch)
        err.extra = {"charge": ch["id"]}
        raise err
    ch = make_charge(ctx, pay, pm, ok=True, captured=captured)
    ctx.acct.emit("charge.succeeded", ch)
    return ch


def check_amount(amount: int, cur: str, param: str = "amount") -> None:
    """Stripe's per-currency minimum charge amount (docs.stripe.com/currencies); 0 is below it."""
    minimum = minimum_charge(cur)
    if amount < minimum:
        raise invalid(
            f"Amount must be at least {fmt_money(minimum, cur)} {cur}", param=param, code="amount_too_small"
        )
    if amount > MAXIMUM_CHARGE:
        raise invalid("Amount must be no more than $999,999.99", param=param, code="amount_too_large")


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/charges",
        create_charge,
        consumes=(
            "amount",
            "capture",
            "card",
            "currency",
            "customer",
            "description",
            "metadata",
            "receipt_email",
            "source",
            *connect_charges.CHARGE_FIELDS,
        ),
    )
    router.add("GET", "/v1/charges", list_charges)
    router.add("GET", "/v1/charges/{charge}", retrieve_charge)
    router.add(
        "POST", "/v1/charges/{charge}", update_charge, consumes=("description", "metadata", "receipt_email")
    )
