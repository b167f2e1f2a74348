"""Toolset `payment_intents`: create, confirm, capture, cancel and find PaymentIntents.

Dynamic payment methods by default (`automatic_payment_methods[enabled]=true`). A confirmation
without a `return_url` cannot follow a redirect, so redirect-based methods are turned off for it
(`allow_redirects=never`); a card confirmed with an explicit method off-session or with a
`return_url` sends neither and lets Stripe infer the type from the method.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field

from ..errors import InputError
from ..gateway import Gateway
from ..hints import api_call, call
from ._intents import client_secret, error_note, intent_next_step, redirect_url
from ._models import Page, Summary, money, ref
from ._params import (
    Amount,
    Ctx,
    Currency,
    Cursor,
    CustomerId,
    Email,
    IdempotencyKey,
    Limit,
    Metadata,
    PaymentIntentId,
    PaymentMethodId,
    Url,
    form,
    gateway,
    limits,
)
from ._refundable import refundable
from ._registry import Toolset
from ._shapes import AutomaticPaymentMethods, Created

toolset = Toolset(
    "payment_intents", "Payment Intents: custom payment flows, manual capture, off-session charges"
)

Description = Annotated[str, Field(max_length=1000)]
OffSession = Annotated[bool | None, Field(description="Customer absent; needs customer + saved method")]

# Expanded on reads so the summary can show refunds and a dispute.
EXPAND = ["latest_charge"]

CancellationReason = Literal["duplicate", "fraudulent", "requested_by_customer", "abandoned"]


class PaymentIntentSummary(Summary):
    id: str
    status: str
    amount: int
    amount_display: str | None = None
    currency: str
    amount_received: int | None = None
    amount_received_display: str | None = None
    amount_capturable: int | None = None
    amount_capturable_display: str | None = None
    capture_method: str | None = None
    customer: str | None = None
    payment_method: str | None = None
    latest_charge: str | None = None
    amount_refunded: int | None = None
    amount_refunded_display: str | None = None
    remaining_refundable: int | None = None
    remaining_refundable_display: str | None = None
    disputed: bool | None = None
    description: str | None = None
    setup_future_usage: str | None = None
    cancellation_reason: str | None = None
    last_payment_error: str | None = None
    next_action_url: str | None = None
    client_secret: str | None = None
    metadata: dict[str, str] | None = None
    created: int | None = None
    next_step: str | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any], *, with_secret: bool = False) -> PaymentIntentSummary:
        status, cur = str(obj["status"]), str(obj["currency"])
        received, capturable = obj.get("amount_received") or None, obj.get("amount_capturable") or None
        secret = client_secret(obj, with_secret)
        charge = obj.get("latest_charge")
        paid = charge if isinstance(charge, Mapping) and charge.get("captured") else None
        refunded = int(paid.get("amount_refunded") or 0) if paid else None
        remaining = refundable(paid) if paid else None
        return cls(
            id=obj["id"],
            status=status,
            amount=obj["amount"],
            amount_display=money(obj["amount"], cur),
            currency=cur,
            amount_received=received,
            amount_received_display=money(received, cur),
            amount_capturable=capturable,
            amount_capturable_display=money(capturable, cur),
            capture_method=obj.get("capture_method") if obj.get("capture_method") == "manual" else None,
            customer=ref(obj.get("customer")),
            payment_method=ref(obj.get("payment_method")),
            latest_charge=ref(charge),
            amount_refunded=refunded,
            amount_refunded_display=money(refunded, cur),
            remaining_refundable=remaining,
            remaining_refundable_display=money(remaining, cur),
            disputed=True if paid and paid.get("disputed") else None,
            description=obj.get("description"),
            setup_future_usage=obj.get("setup_future_usage"),
            cancellation_reason=obj.get("cancellation_reason"),
            last_payment_error=error_note(obj.get("last_payment_error")),
            next_action_url=redirect_url(obj),
            client_secret=secret,
            metadata=obj.get("metadata") or None,
            created=obj.get("created"),
            next_step=pi_next_step(obj, bool(secret)),
        )


def pi_next_step(obj: Mapping[str, Any], has_secret: bool) -> str | None:
    charge = obj.get("latest_charge")
    if obj["status"] == "succeeded" and isinstance(charge, Mapping):
        return _after_payment(obj, charge)
    if obj["status"] == "requires_capture":
        held = money(obj.get("amount_capturable"), obj.get("currency"))
        capture = call("capture_payment_intent", payment_intent=obj["id"])
        cancel = call("cancel_payment_intent", payment_intent=obj["id"])
        return f"{held} is authorized: capture it within 7 days ({capture}), or release it ({cancel})."
    return intent_next_step(obj, has_secret, "payment")


def _after_payment(obj: Mapping[str, Any], charge: Mapping[str, Any]) -> str | None:
    """What happened to a paid PaymentIntent since: refunds and disputes."""
    cur, remaining = obj.get("currency"), refundable(charge)
    notes = []
    if charge.get("disputed"):
        disputes = api_call("GET", "/v1/disputes", {"payment_intent": obj["id"]})
        notes.append(f"Disputed: see {disputes}; respond before the evidence due date.")
    if charge.get("amount_refunded"):
        done = "Fully refunded" if remaining == 0 else f"Refunded {money(charge['amount_refunded'], cur)}"
        notes.append(f"{done} ({call('list_refunds', payment_intent=obj['id'])}).")
    return " ".join(notes) or None


def payment_methods_param(
    payment_method: str | None, confirm: bool, return_url: str | None, off_session: bool
) -> dict[str, Any] | None:
    """Dynamic payment methods unless an explicit method is confirmed where no redirect is needed."""
    if confirm and payment_method and (return_url or off_session):
        return None
    if payment_method and not return_url and not off_session:
        return {"enabled": True, "allow_redirects": "never"}
    return {"enabled": True}


def require_off_session_parts(customer: str | None, payment_method: str | None, where: str) -> None:
    if not customer:
        raise InputError(
            "customer",
            f"an off-session charge needs the customer who saved the payment method{where}.",
            "Pass customer (cus_...) together with their saved payment_method.",
        )
    if not payment_method:
        raise InputError(
            "payment_method",
            f"an off-session charge needs a saved payment method{where}.",
            f"Pass a pm_... from {call('list_payment_methods', customer=customer)} (saved with "
            f"{call('create_setup_intent', customer=customer, usage='off_session')}).",
        )


async def preview_create(_: Gateway, args: dict[str, Any]) -> str:
    amount = money(args["amount"], args["currency"])
    if not args.get("confirm"):
        return f"Create a PaymentIntent for {amount}"
    how = " off-session" if args.get("off_session") else ""
    return f"Charge {amount}{how} to {args['payment_method']}" + (
        f" (customer {args['customer']})" if args.get("customer") else ""
    )


async def preview_confirm(gw: Gateway, args: dict[str, Any]) -> str:
    pi = await gw.request("GET", f"/v1/payment_intents/{args['payment_intent']}")
    method = args.get("payment_method") or ref(pi.get("payment_method")) or "its payment method"
    return f"Charge {money(pi['amount'], pi['currency'])} to {method} on {pi['id']}"


async def preview_capture(gw: Gateway, args: dict[str, Any]) -> str:
    pi = await gw.request("GET", f"/v1/payment_intents/{args['payment_intent']}")
    held = pi.get("amount_capturable") or 0
    amount = args.get("amount_to_capture") or held
    return (
        f"Capture {money(amount, pi['currency'])} of {money(held, pi['currency'])} authorized on {pi['id']}"
    )


@toolset.tool(
    "Create a PaymentIntent",
    kind="money",
    kind_of=lambda args: "money" if args.get("confirm") else "write",
    preview=preview_create,
)
async def create_payment_intent(
    ctx: Ctx,
    amount: Amount,
    currency: Currency,
    customer: CustomerId | None = None,
    description: Description | None = None,
    metadata: Metadata | None = None,
    capture_method: Annotated[
        Literal["automatic", "manual"] | None, Field(description="manual: authorize now, capture later")
    ] = None,
    setup_future_usage: Literal["on_session", "off_session"] | None = None,
    payment_method: PaymentMethodId | None = None,
    confirm: Annotated[bool | None, Field(description="Charge payment_method now")] = None,
    off_session: OffSession = None,
    return_url: Url | None = None,
    receipt_email: Email | None = None,
    automatic_payment_methods: AutomaticPaymentMethods | None = None,
    idempotency_key: IdempotencyKey | None = None,
) -> PaymentIntentSummary:
    """Create a payment; confirm=true charges payment_method (without return_url, no redirect methods)."""
    if (off_session or return_url) and not confirm:
        name = "off_session" if off_session else "return_url"
        raise InputError(name, "only applies when confirming.", "Pass confirm=true, or omit it.")
    if off_session:
        require_off_session_parts(customer, payment_method, "")
    if confirm and not payment_method:
        raise InputError(
            "payment_method",
            "confirm=true needs a payment method.",
            "Pass payment_method (test: pm_card_visa), or omit confirm and let the client confirm.",
        )
    limits(ctx).check_amount(amount, currency)
    params = form(
        amount=amount,
        currency=currency,
        customer=customer,
        description=description,
        metadata=metadata,
        capture_method=capture_method,
        setup_future_usage=setup_future_usage,
        payment_method=payment_method,
        automatic_payment_methods=automatic_payment_methods.wire()
        if automatic_payment_methods
        else payment_methods_param(payment_method, bool(confirm), return_url, bool(off_session)),
        confirm=confirm or None,
        off_session=off_session or None,
        return_url=return_url,
        receipt_email=receipt_email,
    )
    obj = await gateway(ctx).request("POST", "/v1/payment_intents", params, idempotency_key=idempotency_key)
    return PaymentIntentSummary.of(obj, with_secret=True)


@toolset.tool("Retrieve a PaymentIntent", kind="read")
async def retrieve_payment_intent(ctx: Ctx, payment_intent: PaymentIntentId) -> PaymentIntentSummary:
    """Get a PaymentIntent's status, refunds and dispute, and what to do next."""
    path = f"/v1/payment_intents/{payment_intent}"
    return PaymentIntentSummary.of(await gateway(ctx).request("GET", path, {"expand": EXPAND}))


@toolset.tool("Confirm a PaymentIntent", kind="money", preview=preview_confirm)
async def confirm_payment_intent(
    ctx: Ctx,
    payment_intent: PaymentIntentId,
    payment_method: PaymentMethodId | None = None,
    return_url: Url | None = None,
    off_session: OffSession = None,
    idempotency_key: IdempotencyKey | None = None,
) -> PaymentIntentSummary:
    """Confirm (charge) a PaymentIntent server-side."""
    path = f"/v1/payment_intents/{payment_intent}"
    # One read, only when something must be checked first: the common path stays one request.
    current = await gateway(ctx).request("GET", path) if off_session or limits(ctx).active else None
    if current is not None:
        limits(ctx).check_amount(int(current["amount"]), str(current["currency"]))
    if off_session and current is not None:
        require_off_session_parts(
            ref(current.get("customer")),
            payment_method or ref(current.get("payment_method")),
            f" ({payment_intent} has none)",
        )
    params = form(payment_method=payment_method, return_url=return_url, off_session=off_session or None)
    obj = await gateway(ctx).request("POST", f"{path}/confirm", params, idempotency_key=idempotency_key)
    return PaymentIntentSummary.of(obj)


@toolset.tool("Capture a PaymentIntent", kind="money", preview=preview_capture)
async def capture_payment_intent(
    ctx: Ctx,
    payment_intent: PaymentIntentId,
    amount_to_capture: Annotated[
        int | None, Field(ge=1, le=99_999_999, description="Partial capture; the rest is released")
    ] = None,
    idempotency_key: IdempotencyKey | None = None,
) -> PaymentIntentSummary:
    """Capture an authorized (requires_capture) PaymentIntent, fully or partly."""
    if limits(ctx).active:
        pi = await gateway(ctx).request("GET", f"/v1/payment_intents/{payment_intent}")
        amount = amount_to_capture or int(pi.get("amount_capturable") or 0)
        limits(ctx).check_amount(amount, str(pi["currency"]), "amount_to_capture")
    obj = await gateway(ctx).request(
        "POST",
        f"/v1/payment_intents/{payment_intent}/capture",
        form(amount_to_capture=amount_to_capture),
        idempotency_key=idempotency_key,
    )
    return PaymentIntentSummary.of(obj)


@toolset.tool("Cancel a PaymentIntent", kind="destructive", idempotent=True)
async def cancel_payment_intent(
    ctx: Ctx,
    payment_intent: PaymentIntentId,
    cancellation_reason: CancellationReason | None = None,
    idempotency_key: IdempotencyKey | None = None,
) -> PaymentIntentSummary:
    """Cancel an unpaid or uncaptured PaymentIntent (releases an authorization)."""
    obj = await gateway(ctx).request(
        "POST",
        f"/v1/payment_intents/{payment_intent}/cancel",
        form(cancellation_reason=cancellation_reason),
        idempotency_key=idempotency_key,
    )
    return PaymentIntentSummary.of(obj)


@toolset.tool("List PaymentIntents", kind="read")
async def list_payment_intents(
    ctx: Ctx,
    customer: CustomerId | None = None,
    created: Created | None = None,
    limit: Limit = 10,
    starting_after: Cursor | None = None,
) -> Page[PaymentIntentSummary]:
    """List PaymentIntents, newest first, by customer or creation time."""
    params = form(
        customer=customer,
        created=created.wire() or None if created else None,
        limit=limit,
        starting_after=starting_after,
        expand=[f"data.{field}" for field in EXPAND],
    )
    body = await gateway(ctx).request("GET", "/v1/payment_intents", params)
    return Page[PaymentIntentSummary].of(body, PaymentIntentSummary.of)
