"""PaymentIntents: create, confirm through the test cards, capture, cancel; their charges are in charges.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..connect import connect_charges
from ..core.errors import StripeError, invalid, unexpected_state
from ..core.ids import client_secret, new_id
from ..core.router import Ctx, Router
from ..core.search import fields_of, search
from ..core.store import (
    JSON,
    apply_metadata,
    as_bool,
    as_dict,
    as_enum,
    as_int,
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
from . import authorizations
from .charges import check_amount, make_charge
from .customers import customer_ref
from .payment_methods import card_error, card_of, require_authentication, resolve_payment_method

# Called after a PaymentIntent succeeds (invoices.py marks the invoice it belongs to as paid).
PI_SUCCESS_HOOKS: list[Callable[[Ctx, JSON], None]] = []


# -- payment intents ----------------------------------------------------------------------

PI_CONFIRMABLE = ("requires_confirmation", "requires_payment_method", "requires_action")
PI_CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)


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
    allow_redirects: str | None = "always",
    payment_method_types: list[str] | None = None,
) -> JSON:
    pi: JSON = skeleton("payment_intent")
    pid = new_id("pi", 24)
    pi.update(
        id=pid,
        object="payment_intent",
        amount=amount,
        amount_capturable=0,
        amount_received=0,
        automatic_payment_methods=(
            {"allow_redirects": allow_redirects, "enabled": True} if allow_redirects else None
        ),
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
        payment_method_types=payment_method_types or ["card"],
        receipt_email=receipt_email,
        setup_future_usage=setup_future_usage,
        status="requires_payment_method",
    )
    ctx.acct.add(pi)
    ctx.own(pi)
    ctx.acct.emit("payment_intent.created", pi)
    return pi


def create_pi(ctx: Ctx) -> JSON:
    p = ctx.params
    cur = as_str(p["currency"], "currency").lower()
    amount = as_int(p["amount"], "amount")
    check_amount(amount, cur)
    connect = connect_charges.read(ctx, p)
    allow_redirects: str | None = "always"
    if "automatic_payment_methods" in p:
        apm = as_dict(p["automatic_payment_methods"], "automatic_payment_methods")
        if "enabled" in apm and not as_bool(apm["enabled"], "automatic_payment_methods[enabled]"):
            allow_redirects = None  # Stripe accepts it: the PaymentIntent then uses payment_method_types
        elif "allow_redirects" in apm:
            allow_redirects = as_enum(
                apm["allow_redirects"], "automatic_payment_methods[allow_redirects]", ("always", "never")
            )
    types = None
    if "payment_method_types" in p:  # served as Stripe serves it; the Gateway's guardrail refuses it
        types = [
            as_str(t, "payment_method_types")
            for t in as_list(p["payment_method_types"], "payment_method_types")
        ]
        if "automatic_payment_methods" not in p:
            allow_redirects = None
    pi = new_payment_intent(
        ctx,
        amount,
        cur,
        customer=customer_ref(ctx, p["customer"]) if "customer" in p else None,
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
        payment_method_types=types,
    )
    for key in ("statement_descriptor", "statement_descriptor_suffix"):
        if key in p:
            pi[key] = as_str(p[key], key)
    connect_charges.apply(ctx, pi, connect)
    if "excluded_payment_method_types" in p:
        pi["excluded_payment_method_types"] = list(p["excluded_payment_method_types"] or [])
    if "shipping" in p:
        pi["shipping"] = _shipping(p["shipping"])
    authorizations.note_card_options(pi, p)
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
    connect = connect_charges.read(ctx, p, pi)
    before = snapshot(pi)
    if "amount" in p:
        pi["amount"] = as_int(p["amount"], "amount")
        check_amount(pi["amount"], pi["currency"])
    if "currency" in p:
        pi["currency"] = as_str(p["currency"], "currency").lower()
    if "customer" in p:
        pi["customer"] = customer_ref(ctx, p["customer"])
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
    connect_charges.apply(ctx, pi, connect)
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
    authorizations.note_card_options(pi, p)
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
        # `error_on_requires_action`: fail instead of asking for authentication (spec3.json).
        if off_session or as_bool(p.get("error_on_requires_action", False), "error_on_requires_action"):
            err = StripeError(
                402,
                "Your card was declined. This transaction requires authentication.",
                type="card_error",
                code="authentication_required",
                decline_code="authentication_required",
            )
            _fail(ctx, pi, pm, err, before)
        require_authentication(ctx, pi, pm)
        acct.emit("payment_intent.requires_action", pi, changed(before, pi))
        return
    if card.declines_charges:
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
    connect = connect_charges.at_capture(ctx, pi, p)
    if "metadata" in p:
        pi["metadata"] = apply_metadata(pi["metadata"], p["metadata"])
    before = snapshot(pi)
    connect_charges.apply(ctx, pi, connect)
    ch = ctx.acct.get("charge", pi["latest_charge"])
    ch_before = snapshot(ch)
    ch["captured"] = True
    ch["amount_captured"] = amount
    ch["amount_refunded"] = ch["amount"] - amount
    connect_charges.stamp(ctx, pi, ch)
    connect_charges.settle(ctx, ch, amount)
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
    pred = fields_match(ctx.params, "customer")
    return paginate(ctx.acct, "payment_intent", ctx.params, "/v1/payment_intents", pred)


def search_pis(ctx: Ctx) -> JSON:
    fields = fields_of("amount", "currency", "customer", "status", "created")
    return search(ctx, "payment_intent", fields, "/v1/payment_intents/search")


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/payment_intents",
        create_pi,
        consumes=(
            "amount",
            "automatic_payment_methods",
            "capture_method",
            "confirm",
            "currency",
            "customer",
            "description",
            "error_on_requires_action",
            "excluded_payment_method_types",
            "metadata",
            "off_session",
            "payment_method",
            "payment_method_options.card.request_incremental_authorization",
            "payment_method_types",
            "receipt_email",
            "return_url",
            "setup_future_usage",
            "shipping",
            "statement_descriptor",
            "statement_descriptor_suffix",
            *connect_charges.FIELDS,
        ),
    )
    router.add("GET", "/v1/payment_intents", list_pis)
    router.add("GET", "/v1/payment_intents/search", search_pis)
    router.add("GET", "/v1/payment_intents/{intent}", retrieve_pi)
    router.add(
        "POST",
        "/v1/payment_intents/{intent}",
        update_pi,
        consumes=(
            "amount",
            "capture_method",
            "currency",
            "customer",
            "description",
            "metadata",
            "payment_method",
            "receipt_email",
            "setup_future_usage",
            "shipping",
            "statement_descriptor",
            "statement_descriptor_suffix",
            *connect_charges.UPDATABLE,
        ),
    )
    router.add(
        "POST",
        "/v1/payment_intents/{intent}/confirm",
        confirm_pi,
        consumes=(
            "capture_method",
            "error_on_requires_action",
            "off_session",
            "payment_method",
            "payment_method_data",
            "payment_method_options.card.request_incremental_authorization",
            "receipt_email",
            "return_url",
            "setup_future_usage",
        ),
    )
    router.add(
        "POST",
        "/v1/payment_intents/{intent}/capture",
        capture_pi,
        consumes=("amount_to_capture", "metadata", *connect_charges.AT_CAPTURE),
    )
    router.add("POST", "/v1/payment_intents/{intent}/cancel", cancel_pi, consumes=("cancellation_reason",))
