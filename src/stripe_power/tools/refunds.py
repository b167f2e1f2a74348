"""Toolset `refunds`: refund payments, with the refundable remainder checked before sending.

What remains refundable on a charge is `min(amount_captured, amount - amount_refunded)`: after a
partial capture Stripe counts the released, uncaptured part in `amount_refunded`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field

from ..audit import replayed
from ..errors import InputError
from ..gateway import Gateway
from ..hints import call
from ._models import Page, Summary, money, ref
from ._params import (
    ChargeId,
    Ctx,
    Cursor,
    IdempotencyKey,
    Limit,
    Metadata,
    PaymentIntentId,
    RefundId,
    form,
    gateway,
    limits,
)
from ._preview import customer_label
from ._refundable import refundable
from ._registry import Toolset

toolset = Toolset("refunds", "Refunds: full or partial, checked against what remains refundable")

IN_FLIGHT = frozenset({"pending", "succeeded", "requires_action"})


class RefundSummary(Summary):
    id: str
    status: str | None = None
    amount: int
    amount_display: str | None = None
    currency: str
    payment_intent: str | None = None
    charge: str | None = None
    reason: str | None = None
    failure_reason: str | None = None
    remaining_refundable: int | None = None
    remaining_refundable_display: str | None = None
    metadata: dict[str, str] | None = None
    created: int | None = None
    next_step: str | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any], remaining: int | None = None) -> RefundSummary:
        status, cur = obj.get("status"), str(obj["currency"])
        return cls(
            id=obj["id"],
            status=status,
            amount=obj["amount"],
            amount_display=money(obj["amount"], cur),
            currency=cur,
            payment_intent=ref(obj.get("payment_intent")),
            charge=ref(obj.get("charge")),
            reason=obj.get("reason"),
            failure_reason=obj.get("failure_reason"),
            remaining_refundable=remaining,
            remaining_refundable_display=money(remaining, cur),
            metadata=obj.get("metadata") or None,
            created=obj.get("created"),
            next_step=_next_step(str(status), obj["id"]),
        )


def _next_step(status: str, refund: str) -> str | None:
    if status == "pending":
        return f"Pending: {call('retrieve_refund', refund=refund)} later, or wait for refund.updated."
    if status == "requires_action":
        return f"The customer must provide refund details; {call('cancel_refund', refund=refund)} stops it."
    if status == "failed":
        return "Refund failed (see failure_reason); the money stays with you."
    return None


async def paid_charge(
    gw: Gateway, payment_intent: str | None, charge: str | None, with_customer: bool = False
) -> Mapping[str, Any]:
    """The charge a refund would draw on (its customer expanded if asked); refuses what has nothing
    to refund."""
    if bool(payment_intent) == bool(charge):
        raise InputError("payment_intent", "pass exactly one of payment_intent or charge.", "")
    if payment_intent:
        params = {"expand": ["latest_charge.customer" if with_customer else "latest_charge"]}
        pi = await gw.request("GET", f"/v1/payment_intents/{payment_intent}", params)
        found, status = pi.get("latest_charge"), pi.get("status")
        if status == "requires_capture":
            raise InputError(
                "payment_intent",
                f"{payment_intent} is authorized but not captured: nothing to refund.",
                f"Release the authorization instead: {call('cancel_payment_intent', payment_intent=payment_intent)}.",
            )
        if status != "succeeded" or not isinstance(found, Mapping):
            raise InputError(
                "payment_intent", f"{payment_intent} has no successful payment (status {status}).", ""
            )
        return found
    ch = await gw.request("GET", f"/v1/charges/{charge}", {"expand": ["customer"]} if with_customer else None)
    if ch.get("status") != "succeeded" or not ch.get("captured"):
        raise InputError("charge", f"{charge} is not a captured, successful charge: nothing to refund.", "")
    return ch


async def refund_plan(
    gw: Gateway,
    payment_intent: str | None,
    charge: str | None,
    amount: int | None,
    paid: Mapping[str, Any] | None = None,
) -> tuple[int, int, str]:
    """(amount to refund, remaining refundable, currency), checked before anything is sent."""
    paid = paid or await paid_charge(gw, payment_intent, charge)
    remaining, cur = refundable(paid), str(paid.get("currency"))
    left, target = money(remaining, cur), payment_intent or charge
    if remaining == 0:
        raise InputError(
            "amount" if amount else ("payment_intent" if payment_intent else "charge"),
            f"nothing left to refund on {target} (remaining refundable: {left}).",
            "It has been fully refunded already.",
        )
    if amount is not None and amount > remaining:
        raise InputError(
            "amount",
            f"{money(amount, cur)} is more than remains refundable on {target}: {left}.",
            f"Pass amount <= {remaining}, or omit amount to refund the rest.",
        )
    return amount or remaining, remaining, cur


async def preview_refund(gw: Gateway, args: dict[str, Any]) -> str:
    target, pi, ch = (
        args.get("payment_intent") or args.get("charge"),
        args.get("payment_intent"),
        args.get("charge"),
    )
    paid = await paid_charge(gw, pi, ch, with_customer=True)  # the one read
    amount, remaining, cur = await refund_plan(gw, pi, ch, args.get("amount"), paid)
    details = paid.get("billing_details") or {}
    who = customer_label(paid.get("customer"), paid.get("receipt_email") or details.get("email"))
    return f"Refund {money(amount, cur)} of {money(remaining, cur)} refundable on {target}" + (
        f", {who}" if who else ""
    )


@toolset.tool("Create a refund", kind="money", preview=preview_refund)
async def create_refund(
    ctx: Ctx,
    payment_intent: PaymentIntentId | None = None,
    charge: Annotated[ChargeId | None, Field(description="Instead of payment_intent")] = None,
    amount: Annotated[
        int | None,
        Field(ge=1, le=99_999_999, description="Partial; default: all that remains"),
    ] = None,
    reason: Literal["duplicate", "fraudulent", "requested_by_customer"] | None = None,
    metadata: Metadata | None = None,
    idempotency_key: IdempotencyKey | None = None,
) -> RefundSummary:
    """Refund a payment, fully or partly."""
    refund, remaining, cur = await refund_plan(gateway(ctx), payment_intent, charge, amount)
    params = form(
        payment_intent=payment_intent, charge=charge, amount=amount, reason=reason, metadata=metadata
    )
    async with limits(ctx).refund_reserved(refund, cur) as release:
        obj = await gateway(ctx).request("POST", "/v1/refunds", params, idempotency_key=idempotency_key)
        # A replay (same idempotency key) made nothing new: the remainder read before already counts it.
        counts = obj.get("status") in IN_FLIGHT and not replayed.get()
        if not counts:
            await release()
    after = remaining - int(obj["amount"]) if counts else remaining
    return RefundSummary.of(obj, max(0, after))


@toolset.tool("Retrieve a refund", kind="read")
async def retrieve_refund(ctx: Ctx, refund: RefundId) -> RefundSummary:
    """Get one refund by id."""
    return RefundSummary.of(await gateway(ctx).request("GET", f"/v1/refunds/{refund}"))


@toolset.tool("List refunds", kind="read")
async def list_refunds(
    ctx: Ctx,
    payment_intent: PaymentIntentId | None = None,
    charge: ChargeId | None = None,
    limit: Limit = 10,
    starting_after: Cursor | None = None,
) -> Page[RefundSummary]:
    """List refunds, newest first, optionally for one payment."""
    params = form(payment_intent=payment_intent, charge=charge, limit=limit, starting_after=starting_after)
    body = await gateway(ctx).request("GET", "/v1/refunds", params)
    return Page[RefundSummary].of(body, RefundSummary.of)


@toolset.tool("Cancel a refund", kind="destructive", idempotent=True)
async def cancel_refund(
    ctx: Ctx, refund: RefundId, idempotency_key: IdempotencyKey | None = None
) -> RefundSummary:
    """Cancel a refund awaiting customer action (status requires_action)."""
    obj = await gateway(ctx).request(
        "POST", f"/v1/refunds/{refund}/cancel", {}, idempotency_key=idempotency_key
    )
    return RefundSummary.of(obj)
