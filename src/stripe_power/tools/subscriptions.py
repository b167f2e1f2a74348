"""Toolset `subscriptions`: recurring billing for a customer on one or more prices.

Two ways in, as Stripe recommends: a Checkout Session in `subscription` mode (the hosted
page collects the card), or `create_subscription` for a customer here. With the default
`payment_behavior=default_incomplete` the first invoice waits for the customer to confirm
its payment on the client (`latest_invoice.client_secret`); with a saved payment method,
`allow_incomplete`/`error_if_incomplete` charge it at once. The view is `views.subscriptions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field

from ..errors import GuardrailRefusal, InputError
from ..gateway import Gateway
from ..hints import call
from ..kinds import kind_of_request
from ..views import Page, money, ref
from ..views.subscriptions import SUBSCRIPTION_EXPAND, SubscriptionSummary, undo_params
from ._params import (
    Ctx,
    Cursor,
    CustomerId,
    IdempotencyKey,
    Limit,
    Metadata,
    PaymentMethodId,
    PriceId,
    SubscriptionId,
    check_days_until_due,
    form,
    gateway,
    ident,
    limits,
)
from ._preview import customer_label
from ._registry import ToolKind, Toolset
from ._shapes import PriceData, Shape, one_price

toolset = Toolset("subscriptions", "Subscriptions: create, change, cancel, resume")

Quantity = Annotated[int, Field(ge=0, le=999_999)]
ItemId = Annotated[str, ident("si")]
ProrationBehavior = Literal["create_prorations", "none", "always_invoice"]
Status = Literal[
    "active", "all", "canceled", "ended", "incomplete", "incomplete_expired", "past_due", "paused",
    "trialing", "unpaid",
]  # fmt: skip


class Item(Shape):
    price: PriceId | None = None
    price_data: PriceData | None = None
    quantity: Annotated[int, Field(ge=1, le=999_999)] = 1


class ItemChange(Shape):
    id: ItemId | None = None  # none: a new item
    price: PriceId | None = None
    quantity: Quantity | None = None
    deleted: bool | None = None


def _create_params(args: Mapping[str, Any]) -> dict[str, Any]:
    return form(
        payment_behavior=args.get("payment_behavior") or "default_incomplete",
        trial_period_days=args.get("trial_period_days"),
        collection_method=args.get("collection_method"),
    )


def _create_kind(args: dict[str, Any]) -> ToolKind:
    return kind_of_request("POST", "/v1/subscriptions", _create_params(args))


def _update_params(args: Mapping[str, Any]) -> dict[str, Any]:
    items = args.get("items")
    return form(
        items=[c.wire() if isinstance(c, ItemChange) else dict(c) for c in items] if items else None,
        proration_behavior=args.get("proration_behavior"),
        cancel_at_period_end=args.get("cancel_at_period_end"),
        default_payment_method=args.get("default_payment_method"),
    )


def _update_kind(args: dict[str, Any]) -> ToolKind:
    return kind_of_request("POST", f"/v1/subscriptions/{args.get('subscription')}", _update_params(args))


def _cancel_kind(args: dict[str, Any]) -> ToolKind:
    if args.get("at_period_end"):
        return "write"
    # A final invoice for pending usage and prorations is charged at once.
    return "money" if args.get("invoice_now") else "destructive"


async def _period_total(ctx: Ctx, lines: list[tuple[Any, int]]) -> tuple[int, str] | None:
    """One period of these (price, quantity) lines: an upper bound of what billing them now
    charges (prorations only lower it). None when a price has no unit amount (metered, tiered)."""
    total, currencies = 0, set()
    for price, quantity in lines:
        if not isinstance(price, Mapping):
            price = await gateway(ctx).request("GET", f"/v1/prices/{price}")
        if price.get("unit_amount") is None:
            return None
        total += int(price["unit_amount"]) * quantity
        currencies.add(str(price.get("currency")))
    return (total, currencies.pop()) if len(currencies) == 1 else None


async def _limit_invoice_now(ctx: Ctx, lines: list[tuple[Any, int]], what: str) -> None:
    """With spending limits set, a call that invoices and charges at once meets them with one period
    of its prices; when that amount cannot be known, it is refused."""
    if not limits(ctx).active:
        return
    found = await _period_total(ctx, lines)
    if found is None:
        raise GuardrailRefusal(
            "spending-limit",
            f"Refused by guardrail `spending-limit`: {what} would charge the customer's saved payment "
            "method at once, an amount this server cannot check against the spending limits "
            "(--max-amount): a price has no unit amount. Use instead: payment_behavior=default_incomplete "
            "(the customer confirms the first payment) or a subscription-mode Checkout Session. Nothing "
            "was sent to Stripe.",
        )
    limits(ctx).check_amount(*found, f"{what}: one period of the prices")


def _lines(sub: Mapping[str, Any], changes: list[Mapping[str, Any]] | None = None) -> list[tuple[Any, int]]:
    """(price, quantity) of each item after `changes` (Stripe's `items`: `id` changes or, with
    `deleted`, removes one; no `id` adds one)."""
    by_id = {c.get("id"): c for c in changes or [] if c.get("id")}
    out: list[tuple[Any, int]] = []
    for item in (sub.get("items") or {}).get("data") or []:
        change = by_id.get(item.get("id"), {})
        if change.get("deleted"):
            continue
        out.append(
            (
                change.get("price") or item.get("price"),
                int(change.get("quantity") or item.get("quantity") or 1),
            )
        )
    out += [
        (c["price"], int(c.get("quantity") or 1)) for c in changes or [] if not c.get("id") and c.get("price")
    ]
    return out


def _per_interval(item: Mapping[str, Any], currency: str | None) -> str | None:
    price = item.get("price")
    if not isinstance(price, Mapping) or price.get("unit_amount") is None:
        return ref(price)
    recurring = price.get("recurring") or {}
    count, interval = int(recurring.get("interval_count") or 1), recurring.get("interval") or "period"
    every = interval if count == 1 else f"{count} {interval}s"
    amount = money(
        int(price["unit_amount"]) * int(item.get("quantity") or 1), price.get("currency") or currency
    )
    return f"{amount}/{every} ({price.get('id')})"


async def preview_cancel(gw: Gateway, args: dict[str, Any]) -> str:
    sub = await gw.request("GET", f"/v1/subscriptions/{args['subscription']}", {"expand": ["customer"]})
    items: list[Mapping[str, Any]] = (sub.get("items") or {}).get("data") or []
    prices = ", ".join(p for p in (_per_interval(i, sub.get("currency")) for i in items) if p)
    who = customer_label(sub.get("customer"))
    # At period end the call can be undone and needs no confirmation; said here for completeness.
    when = "at the end of the current period" if args.get("at_period_end") else "now, for good"
    if args.get("invoice_now") and not args.get("at_period_end"):
        when += ", with a final invoice for pending usage and prorations charged at once"
    return f"Cancel subscription {sub['id']} {when}: {who or 'no customer'}, {prices or 'no items'}"


async def _get(ctx: Ctx, subscription: str) -> Mapping[str, Any]:
    return await gateway(ctx).request(
        "GET", f"/v1/subscriptions/{subscription}", {"expand": list(SUBSCRIPTION_EXPAND)}
    )


async def _post(ctx: Ctx, path: str, params: dict[str, Any], key: str | None) -> SubscriptionSummary:
    obj = await gateway(ctx).request(
        "POST", path, {**params, "expand": list(SUBSCRIPTION_EXPAND)}, idempotency_key=key
    )
    return SubscriptionSummary.of(obj)


@toolset.tool("Create a subscription", kind="money", kind_of=_create_kind)
async def create_subscription(
    ctx: Ctx,
    customer: CustomerId,
    items: Annotated[list[Item], Field(min_length=1, max_length=20, description="Recurring prices")],
    default_payment_method: PaymentMethodId | None = None,
    trial_period_days: Annotated[int | None, Field(ge=1, le=730)] = None,
    payment_behavior: Annotated[
        Literal["default_incomplete", "allow_incomplete", "error_if_incomplete"],
        Field(
            description="default_incomplete: customer confirms first payment; others charge the saved method now"
        ),
    ] = "default_incomplete",
    collection_method: Literal["charge_automatically", "send_invoice"] | None = None,
    days_until_due: Annotated[
        int | None, Field(ge=0, le=730, description="Required for send_invoice")
    ] = None,
    metadata: Metadata | None = None,
    idempotency_key: IdempotencyKey | None = None,
) -> SubscriptionSummary:
    """Subscribe a customer to recurring prices (or use a subscription-mode Checkout Session)."""
    one_price(items, "items")
    check_days_until_due(collection_method, days_until_due)
    args = {"payment_behavior": payment_behavior, "trial_period_days": trial_period_days,
            "collection_method": collection_method}  # fmt: skip
    if _create_kind(args) == "money":
        lines: list[tuple[Any, int]] = [(item.price, item.quantity) for item in items]
        await _limit_invoice_now(ctx, lines, f"payment_behavior={payment_behavior}")
    params = form(
        customer=customer,
        items=[item.wire() for item in items],
        default_payment_method=default_payment_method,
        trial_period_days=trial_period_days,
        payment_behavior=payment_behavior,
        collection_method=collection_method,
        days_until_due=days_until_due,
        metadata=metadata,
    )
    return await _post(ctx, "/v1/subscriptions", params, idempotency_key)


@toolset.tool("Retrieve a subscription", kind="read")
async def retrieve_subscription(ctx: Ctx, subscription: SubscriptionId) -> SubscriptionSummary:
    """Get a subscription: status, period, next and latest invoice."""
    return SubscriptionSummary.of(await _get(ctx, subscription))


@toolset.tool("Update a subscription", kind="money", kind_of=_update_kind)
async def update_subscription(
    ctx: Ctx,
    subscription: SubscriptionId,
    items: Annotated[
        list[ItemChange] | None, Field(max_length=20, description="id si_... changes one; none adds one")
    ] = None,
    proration_behavior: ProrationBehavior | None = None,
    cancel_at_period_end: Annotated[
        bool | None, Field(description="false undoes a pending cancellation")
    ] = None,
    default_payment_method: PaymentMethodId | None = None,
    idempotency_key: IdempotencyKey | None = None,
) -> SubscriptionSummary:
    """Change items (price, quantity, add, remove), the payment method, or end-of-period cancellation."""
    for index, change in enumerate(items or []):
        _check_change(change, f"items[{index}]")
    changes = (items, proration_behavior, cancel_at_period_end, default_payment_method)
    if all(not value and value is not False for value in changes):
        raise InputError(
            "subscription", "nothing to change.", "Pass items, cancel_at_period_end or another field."
        )
    params = _update_params(
        {"items": items, "proration_behavior": proration_behavior,
         "cancel_at_period_end": cancel_at_period_end, "default_payment_method": default_payment_method}
    )  # fmt: skip
    path = f"/v1/subscriptions/{subscription}"
    if limits(ctx).active and kind_of_request("POST", path, params) == "money":
        await _limit_invoice_now(
            ctx, _lines(await _get(ctx, subscription), params.get("items")), "this change"
        )
    return await _post(ctx, path, params, idempotency_key)


def _check_change(change: ItemChange, where: str) -> None:
    """Stripe's rules for one `items[]` entry of an update, checked before sending."""
    priced = change.price is not None
    if change.id is None and not priced:
        raise InputError(
            f"{where}.price",
            "a new item (no `id`) needs a `price`.",
            "Pass the si_... id to change an existing item, or a price to add one.",
        )
    if change.id is not None and not priced and change.quantity is None and change.deleted is None:
        raise InputError(
            f"{where}", "says nothing to change.", "Pass price, price_data, quantity or deleted."
        )
    if change.deleted and change.id is None:
        raise InputError(f"{where}.deleted", "needs the `id` of the item to remove.")


@toolset.tool(
    "Cancel a subscription", kind="destructive", idempotent=True, kind_of=_cancel_kind, preview=preview_cancel
)
async def cancel_subscription(
    ctx: Ctx,
    subscription: SubscriptionId,
    at_period_end: Annotated[
        bool, Field(description="true: keep it until the period ends (undoable)")
    ] = False,
    invoice_now: Annotated[
        bool | None, Field(description="Immediate only: final invoice for pending usage")
    ] = None,
    prorate: Annotated[bool | None, Field(description="Immediate only: credit unused time")] = None,
    idempotency_key: IdempotencyKey | None = None,
) -> SubscriptionSummary:
    """Cancel a subscription now, or at the end of its current period."""
    path = f"/v1/subscriptions/{subscription}"
    if at_period_end:
        if invoice_now is not None or prorate is not None:
            raise InputError(
                "at_period_end",
                "cannot be combined with invoice_now or prorate (they apply to immediate cancellation).",
                "Omit them, or set at_period_end=false.",
            )
        return await _post(ctx, path, {"cancel_at_period_end": True}, idempotency_key)
    if idempotency_key is not None:
        raise InputError(
            "idempotency_key",
            "does not apply to an immediate cancellation (a DELETE, which Stripe does not key; "
            "repeating it is harmless).",
            "Omit idempotency_key, or pass at_period_end=true.",
        )
    if invoice_now and limits(ctx).active:
        # What the final invoice bills (pending usage, prorations) is only known once Stripe makes it.
        raise GuardrailRefusal(
            "spending-limit",
            "Refused by guardrail `spending-limit`: invoice_now=true charges a final invoice (pending "
            "usage and prorations) whose amount this server cannot check against the spending limits "
            "(--max-amount) before Stripe makes it. Use instead: cancel without invoice_now, or "
            "invoice the pending items yourself and pay the invoice with "
            + call("pay_invoice", invoice="in_...")
            + ", which checks the limits. Nothing was sent to Stripe.",
        )
    params = {**form(invoice_now=invoice_now, prorate=prorate), "expand": list(SUBSCRIPTION_EXPAND)}
    obj = await gateway(ctx).request("DELETE", path, params)
    return SubscriptionSummary.of(obj)


async def preview_resume(gw: Gateway, args: dict[str, Any]) -> str:
    sub = await gw.request("GET", f"/v1/subscriptions/{args['subscription']}", {"expand": ["customer"]})
    who = customer_label(sub.get("customer")) or "no customer"
    if sub.get("status") != "paused":
        return (
            f"Resume subscription {sub['id']} ({who}): undo the pending cancellation or pause; no charge now"
        )
    items: list[Mapping[str, Any]] = (sub.get("items") or {}).get("data") or []
    prices = ", ".join(p for p in (_per_interval(i, sub.get("currency")) for i in items) if p)
    return f"Resume paused subscription {sub['id']} ({who}): invoices and charges now, {prices or 'no items'}"


@toolset.tool("Resume a subscription", kind="money", idempotent=True, preview=preview_resume)
async def resume_subscription(
    ctx: Ctx,
    subscription: SubscriptionId,
    proration_behavior: Annotated[
        ProrationBehavior | None, Field(description="For a paused subscription")
    ] = None,
    idempotency_key: IdempotencyKey | None = None,
) -> SubscriptionSummary:
    """Undo a pending cancellation, or resume a paused subscription."""
    current = await _get(ctx, subscription)
    status = current.get("status")
    path = f"/v1/subscriptions/{subscription}"
    if status == "paused":
        # Resuming bills a new period at once (Stripe's default billing_cycle_anchor=now).
        await _limit_invoice_now(ctx, _lines(current), "resuming a paused subscription")
        return await _post(
            ctx, f"{path}/resume", form(proration_behavior=proration_behavior), idempotency_key
        )
    if proration_behavior is not None:
        raise InputError(
            "proration_behavior", f"only applies to a paused subscription (this one is {status})."
        )
    params = undo_params(
        status, current.get("cancel_at_period_end"), current.get("cancel_at"), current.get("pause_collection")
    )
    if not params:
        fix = "Create a new subscription." if status in ("canceled", "incomplete_expired") else ""
        raise InputError(
            "subscription", f"has nothing to resume (status {status}, no cancellation or pause pending).", fix
        )
    return await _post(ctx, path, params, idempotency_key)


@toolset.tool("List subscriptions", kind="read")
async def list_subscriptions(
    ctx: Ctx,
    customer: CustomerId | None = None,
    status: Annotated[Status | None, Field(description="Default: all but canceled")] = None,
    price: PriceId | None = None,
    limit: Limit = 10,
    starting_after: Cursor | None = None,
) -> Page[SubscriptionSummary]:
    """List subscriptions, newest first, by customer, status or price."""
    params = form(
        customer=customer,
        status=status,
        price=price,
        limit=limit,
        starting_after=starting_after,
        expand=["data.latest_invoice"],
    )
    body = await gateway(ctx).request("GET", "/v1/subscriptions", params)
    return Page[SubscriptionSummary].of(body, SubscriptionSummary.row)
