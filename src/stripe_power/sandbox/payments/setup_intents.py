"""SetupIntents: saving a payment method for later, with 3D Secure where the card asks for it."""

from __future__ import annotations

from typing import Any

from ..core.errors import StripeError, invalid
from ..core.ids import client_secret, new_id
from ..core.router import Ctx, Router
from ..core.store import (
    JSON,
    apply_metadata,
    as_bool,
    as_dict,
    as_enum,
    as_list,
    as_str,
    changed,
    fields_match,
    now,
    paginate,
    public,
    skeleton,
    snapshot,
)
from . import setup_attempts
from .customers import customer_ref
from .payment_methods import attach, card_error, card_of, require_authentication, resolve_payment_method

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
        customer_ref(ctx, p["customer"]) if "customer" in p else None,
        as_enum(p.get("usage", "off_session"), "usage", ("off_session", "on_session")),
        apply_metadata({}, p.get("metadata", {})),
    )
    if "description" in p:
        si["description"] = as_str(p["description"], "description")
    if "automatic_payment_methods" in p:
        apm = as_dict(p["automatic_payment_methods"], "automatic_payment_methods")
        if "enabled" in apm and not as_bool(apm["enabled"], "automatic_payment_methods[enabled]"):
            si["automatic_payment_methods"] = None
        elif "allow_redirects" in apm:
            si["automatic_payment_methods"]["allow_redirects"] = as_enum(
                apm["allow_redirects"], "automatic_payment_methods[allow_redirects]", ("always", "never")
            )
    if "payment_method_types" in p:  # served as Stripe serves it; the Gateway's guardrail refuses it
        si["payment_method_types"] = [
            as_str(t, "payment_method_types")
            for t in as_list(p["payment_method_types"], "payment_method_types")
        ]
        if "automatic_payment_methods" not in p:
            si["automatic_payment_methods"] = None
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
        si["customer"] = customer_ref(ctx, p["customer"])
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
        (si["automatic_payment_methods"] or {}).get("allow_redirects") == "always"
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
        setup_attempts.record(acct, si, pm, "failed", si["last_setup_error"])
        acct.emit("setup_intent.setup_failed", si, changed(before, si))
        err.extra = {"setup_intent": snapshot(public(si)), "payment_method": snapshot(pm)}
        raise err
    if card.outcome in ("requires_action", "requires_action_on_session") and not ctx.acct.priv(si).get(
        "authenticated"
    ):
        require_authentication(ctx, si, pm)
        setup_attempts.record(acct, si, pm, "requires_action")
        acct.emit("setup_intent.requires_action", si, changed(before, si))
        return
    setup_attempts.record(acct, si, pm, "succeeded")
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
    setup_attempts.settle(ctx.acct, si, "succeeded" if success else "failed")
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
    pred = fields_match(ctx.params, "customer", "payment_method")
    return paginate(ctx.acct, "setup_intent", ctx.params, "/v1/setup_intents", pred)


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/setup_intents",
        create_si,
        consumes=(
            "automatic_payment_methods",
            "confirm",
            "customer",
            "description",
            "excluded_payment_method_types",
            "metadata",
            "payment_method",
            "payment_method_types",
            "return_url",
            "usage",
        ),
    )
    router.add("GET", "/v1/setup_intents", list_sis)
    router.add("GET", "/v1/setup_intents/{intent}", retrieve_si)
    router.add(
        "POST",
        "/v1/setup_intents/{intent}",
        update_si,
        consumes=("customer", "description", "metadata", "payment_method"),
    )
    router.add(
        "POST", "/v1/setup_intents/{intent}/confirm", confirm_si, consumes=("payment_method", "return_url")
    )
    router.add("POST", "/v1/setup_intents/{intent}/cancel", cancel_si, consumes=("cancellation_reason",))
