"""Toolset `setup_intents`: save payment methods for later, list and detach saved ones.

A SetupIntent created with a `payment_method` and no `return_url` is meant for server-side
confirmation, which cannot follow a redirect, so redirect-based methods are turned off for it
(`allow_redirects=never`) unless the caller passes `automatic_payment_methods` itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field

from ..errors import InputError
from ..gateway import Gateway
from ..hints import call
from ._intents import client_secret, error_note, intent_next_step, redirect_url
from ._models import Page, Summary, ref
from ._params import (
    Ctx,
    Cursor,
    CustomerId,
    IdempotencyKey,
    Limit,
    Metadata,
    PaymentMethodId,
    SetupIntentId,
    Url,
    form,
    gateway,
)
from ._preview import customer_label
from ._registry import Toolset
from ._shapes import AutomaticPaymentMethods

toolset = Toolset("setup_intents", "Setup Intents and saved payment methods: save, list, detach")


class SetupIntentSummary(Summary):
    id: str
    status: str
    customer: str | None = None
    payment_method: str | None = None
    usage: str | None = None
    last_setup_error: str | None = None
    next_action_url: str | None = None
    client_secret: str | None = None
    metadata: dict[str, str] | None = None
    created: int | None = None
    next_step: str | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any], *, with_secret: bool = False) -> SetupIntentSummary:
        secret = client_secret(obj, with_secret)
        return cls(
            id=obj["id"],
            status=obj["status"],
            customer=ref(obj.get("customer")),
            payment_method=ref(obj.get("payment_method")),
            usage=obj.get("usage"),
            last_setup_error=error_note(obj.get("last_setup_error")),
            next_action_url=redirect_url(obj),
            client_secret=secret,
            metadata=obj.get("metadata") or None,
            created=obj.get("created"),
            next_step=si_next_step(obj, bool(secret)),
        )


def si_next_step(obj: Mapping[str, Any], has_secret: bool) -> str | None:
    if obj["status"] == "succeeded" and obj.get("customer") and obj.get("usage") == "off_session":
        charge = call(
            "create_payment_intent",
            amount=2000,
            currency="usd",
            customer=ref(obj.get("customer")),
            payment_method=ref(obj.get("payment_method")),
            confirm=True,
            off_session=True,
        )
        return (
            f"Saved {ref(obj.get('payment_method'))} for {ref(obj.get('customer'))}: charge it later "
            f"(your amount and currency; e.g. $20.00) with {charge}."
        )
    return intent_next_step(obj, has_secret, "setup")


class PaymentMethodSummary(Summary):
    id: str
    type: str
    brand: str | None = None
    last4: str | None = None
    exp_month: int | None = None
    exp_year: int | None = None
    customer: str | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> PaymentMethodSummary:
        kind = str(obj.get("type") or "")
        found = obj.get(kind)
        details: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
        return cls(
            id=obj["id"],
            type=kind,
            brand=details.get("brand") or details.get("bank_name"),
            last4=details.get("last4"),
            exp_month=details.get("exp_month"),
            exp_year=details.get("exp_year"),
            customer=ref(obj.get("customer")),
        )


@toolset.tool("Create a SetupIntent", kind="write")
async def create_setup_intent(
    ctx: Ctx,
    customer: CustomerId | None = None,
    usage: Literal["on_session", "off_session"] | None = None,
    metadata: Metadata | None = None,
    payment_method: PaymentMethodId | None = None,
    confirm: Annotated[bool | None, Field(description="Save payment_method now")] = None,
    automatic_payment_methods: AutomaticPaymentMethods | None = None,
    return_url: Url | None = None,
    idempotency_key: IdempotencyKey | None = None,
) -> SetupIntentSummary:
    """Save a payment method for later payments (usage defaults to off_session)."""
    if confirm and not payment_method:
        raise InputError(
            "payment_method",
            "confirm=true needs a payment method.",
            "Pass payment_method (test: pm_card_visa), or omit confirm and let the client confirm.",
        )
    automatic = (
        automatic_payment_methods.wire()
        if automatic_payment_methods
        else {"enabled": True, "allow_redirects": "never"}
        if payment_method and not return_url
        else {"enabled": True}
    )
    params = form(
        customer=customer,
        usage=usage,
        metadata=metadata,
        payment_method=payment_method,
        automatic_payment_methods=automatic,
        confirm=confirm or None,
        return_url=return_url,
    )
    obj = await gateway(ctx).request("POST", "/v1/setup_intents", params, idempotency_key=idempotency_key)
    return SetupIntentSummary.of(obj, with_secret=True)


@toolset.tool("Retrieve a SetupIntent", kind="read")
async def retrieve_setup_intent(ctx: Ctx, setup_intent: SetupIntentId) -> SetupIntentSummary:
    """Get a SetupIntent's status and what to do next."""
    return SetupIntentSummary.of(await gateway(ctx).request("GET", f"/v1/setup_intents/{setup_intent}"))


@toolset.tool("Confirm a SetupIntent", kind="write")
async def confirm_setup_intent(
    ctx: Ctx,
    setup_intent: SetupIntentId,
    payment_method: PaymentMethodId | None = None,
    return_url: Annotated[
        Url | None, Field(description="Needed if the intent was created without payment_method")
    ] = None,
    idempotency_key: IdempotencyKey | None = None,
) -> SetupIntentSummary:
    """Confirm a SetupIntent server-side, saving the payment method."""
    obj = await gateway(ctx).request(
        "POST",
        f"/v1/setup_intents/{setup_intent}/confirm",
        form(payment_method=payment_method, return_url=return_url),
        idempotency_key=idempotency_key,
    )
    return SetupIntentSummary.of(obj)


@toolset.tool("Cancel a SetupIntent", kind="destructive", idempotent=True)
async def cancel_setup_intent(
    ctx: Ctx, setup_intent: SetupIntentId, idempotency_key: IdempotencyKey | None = None
) -> SetupIntentSummary:
    """Cancel a SetupIntent that has not succeeded."""
    obj = await gateway(ctx).request(
        "POST", f"/v1/setup_intents/{setup_intent}/cancel", {}, idempotency_key=idempotency_key
    )
    return SetupIntentSummary.of(obj)


@toolset.tool("List SetupIntents", kind="read")
async def list_setup_intents(
    ctx: Ctx, customer: CustomerId | None = None, limit: Limit = 10, starting_after: Cursor | None = None
) -> Page[SetupIntentSummary]:
    """List SetupIntents, newest first, optionally for one customer."""
    params = form(customer=customer, limit=limit, starting_after=starting_after)
    body = await gateway(ctx).request("GET", "/v1/setup_intents", params)
    return Page[SetupIntentSummary].of(body, SetupIntentSummary.of)


@toolset.tool("List a customer's payment methods", kind="read")
async def list_payment_methods(
    ctx: Ctx,
    customer: CustomerId,
    type: Annotated[str, Field(pattern=r"^[a-z_]{2,40}$")] = "card",
    limit: Limit = 10,
    starting_after: Cursor | None = None,
) -> Page[PaymentMethodSummary]:
    """List a customer's saved payment methods (brand, last4, expiry)."""
    params = form(type=type, limit=limit, starting_after=starting_after)
    body = await gateway(ctx).request("GET", f"/v1/customers/{customer}/payment_methods", params)
    return Page[PaymentMethodSummary].of(body, PaymentMethodSummary.of)


async def preview_detach(gw: Gateway, args: dict[str, Any]) -> str:
    pm = await gw.request("GET", f"/v1/payment_methods/{args['payment_method']}", {"expand": ["customer"]})
    card = PaymentMethodSummary.of(pm)
    what = " ".join(p for p in (card.brand or card.type, f"•••• {card.last4}" if card.last4 else None) if p)
    who = customer_label(pm.get("customer")) or "no customer"
    return f"Detach {what} ({card.id}) from {who}; it cannot be used again"


@toolset.tool("Detach a payment method", kind="destructive", idempotent=True, preview=preview_detach)
async def detach_payment_method(
    ctx: Ctx, payment_method: PaymentMethodId, idempotency_key: IdempotencyKey | None = None
) -> PaymentMethodSummary:
    """Detach a saved payment method from its customer; it cannot be used again."""
    obj = await gateway(ctx).request(
        "POST", f"/v1/payment_methods/{payment_method}/detach", {}, idempotency_key=idempotency_key
    )
    return PaymentMethodSummary.of(obj)
