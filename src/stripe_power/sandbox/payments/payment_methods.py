"""PaymentMethods: test cards as payment methods, attach and detach, and the card behind each one."""

from __future__ import annotations

import copy
import time
from typing import Any

from ... import clock
from ..core.errors import StripeError, invalid, no_such
from ..core.ids import new_id
from ..core.router import Ctx, Router
from ..core.store import (
    JSON,
    Account,
    apply_metadata,
    as_dict,
    as_enum,
    as_str,
    changed,
    now,
    paginate,
    skeleton,
    snapshot,
)
from .cards import DECLINE_MESSAGES, TestPaymentMethod, card_for_number, card_for_test_pm

PM_KIND = "PaymentMethod"


_ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")


def _billing_details(data: Any = None, current: JSON | None = None) -> JSON:
    """``billing_details`` from a create, or merged onto ``current`` by an update: the fields given
    change, the others stay; "" clears a field (an address: all of it)."""
    details: JSON = (
        copy.deepcopy(current)
        if current
        else {
            "address": dict.fromkeys(_ADDRESS_KEYS),
            "email": None,
            "name": None,
            "phone": None,
            "tax_id": None,
        }
    )
    if isinstance(data, dict):
        for key in ("email", "name", "phone", "tax_id"):
            if key in data:
                details[key] = as_str(data[key], f"billing_details[{key}]") or None
        address = data.get("address")
        if address == "":
            details["address"] = dict.fromkeys(_ADDRESS_KEYS)
        elif isinstance(address, dict):
            details["address"].update({k: v or None for k, v in address.items() if k in _ADDRESS_KEYS})
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
            "exp_year": time.gmtime(clock.now()).tm_year + 3,
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
            as_dict(p["billing_details"], "billing_details"), pm["billing_details"]
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


def register(router: Router) -> None:
    router.add("GET", "/v1/payment_methods", list_pms)
    router.add("GET", "/v1/payment_methods/{payment_method}", retrieve_pm)
    router.add(
        "POST",
        "/v1/payment_methods/{payment_method}",
        update_pm,
        consumes=("allow_redisplay", "billing_details", "metadata"),
    )
    router.add("POST", "/v1/payment_methods/{payment_method}/attach", attach_pm, consumes=("customer",))
    router.add("POST", "/v1/payment_methods/{payment_method}/detach", detach_pm, consumes=())
    router.add("GET", "/v1/customers/{customer}/payment_methods", list_pms)
    router.add("GET", "/v1/customers/{customer}/payment_methods/{payment_method}", retrieve_customer_pm)


def require_authentication(ctx: Ctx, intent: JSON, pm: JSON) -> None:
    """Put a PaymentIntent or SetupIntent in `requires_action` with Stripe's 3-D Secure
    next_action: a redirect when the caller gave a return_url, else one for Stripe.js.
    The sandbox's page at `/3ds/{id}` completes or fails the authentication."""
    intent["status"] = "requires_action"
    url = f"{ctx.base_url}/3ds/{intent['id']}"
    ctx.own(intent)
    return_url = ctx.acct.priv(intent).get("return_url")
    intent["next_action"] = (
        {"type": "redirect_to_url", "redirect_to_url": {"return_url": return_url, "url": url}}
        if return_url
        else {
            "type": "use_stripe_sdk",
            "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": url, "source": pm["id"]},
        }
    )
