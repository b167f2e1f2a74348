"""Views of Checkout: the session (with what proves a discount was offered and taken) and its line items."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..hints import call
from ._base import Summary, money, only, ref

NEXT_OPEN_HOSTED = "Send the customer to url."
NEXT_OPEN_EMBEDDED = (
    "Pass client_secret to your client only (Stripe.js initEmbeddedCheckout); never log or store it."
)
NEXT_OPEN_EMBEDDED_READ = (
    "Open in an embedded page: the client uses the client_secret returned when the session was created."
)
NEXT_COMPLETE = "Fulfil the order on the checkout.session.completed webhook (see it: {wait})."
NEXT_SAVED = "Payment method saved (see setup_intent); rely on the checkout.session.completed webhook."
NEXT_ASYNC = "Payment pending: fulfil on checkout.session.async_payment_succeeded."
NEXT_EXPIRED = "Create a new session."


class SessionSummary(Summary):
    id: str
    mode: str | None = None
    status: str | None = None
    payment_status: str | None = None
    ui_mode: str | None = None
    url: str | None = None
    client_secret: str | None = None
    amount_subtotal_display: str | None = None
    amount_discount: int | None = None
    amount_discount_display: str | None = None
    amount_total: int | None = None
    amount_total_display: str | None = None
    currency: str | None = None
    allow_promotion_codes: bool | None = None
    discounts: list[str] | None = None  # the promotion codes (or coupons) applied
    excluded_payment_method_types: list[str] | None = None
    customer: str | None = None
    customer_email: str | None = None
    payment_intent: str | None = None
    subscription: str | None = None
    setup_intent: str | None = None
    invoice: str | None = None
    expires_at: int | None = None
    metadata: dict[str, str] | None = None
    next_step: str | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any], *, with_secret: bool = False) -> SessionSummary:
        """`with_secret` only for the call that created the session: reads never return the secret."""
        details: Mapping[str, Any] = obj.get("customer_details") or {}
        status, currency = obj.get("status"), obj.get("currency")
        embedded = bool(obj.get("client_secret")) and not obj.get("url")
        client_secret = obj.get("client_secret") if with_secret and status == "open" else None
        # A discount shows as what it took off, and the subtotal it was taken from.
        off = int((obj.get("total_details") or {}).get("amount_discount") or 0)
        applied = [
            ref(d.get("promotion_code")) or ref(d.get("coupon"))
            for d in obj.get("discounts") or []
            if isinstance(d, Mapping)
        ]
        return cls(
            id=obj["id"],
            mode=obj.get("mode"),
            status=status,
            payment_status=obj.get("payment_status"),
            ui_mode=obj.get("ui_mode") if obj.get("ui_mode") != "hosted_page" else None,
            url=obj.get("url"),
            client_secret=client_secret,
            amount_subtotal_display=money(obj.get("amount_subtotal"), currency) if off else None,
            amount_discount=off or None,
            amount_discount_display=money(off, currency) if off else None,
            amount_total=obj.get("amount_total"),
            amount_total_display=money(obj.get("amount_total"), currency),
            currency=currency,
            allow_promotion_codes=True if obj.get("allow_promotion_codes") else None,
            discounts=[code for code in applied if code] or None,
            excluded_payment_method_types=obj.get("excluded_payment_method_types") or None,
            customer=ref(obj.get("customer")),
            customer_email=obj.get("customer_email") or details.get("email"),
            payment_intent=ref(obj.get("payment_intent")),
            subscription=ref(obj.get("subscription")),
            setup_intent=ref(obj.get("setup_intent")),
            invoice=ref(obj.get("invoice")),
            expires_at=obj.get("expires_at") if status == "open" else None,
            metadata=obj.get("metadata") or None,
            next_step=session_next_step(obj, embedded, bool(client_secret)),
        )

    @classmethod
    def row(cls, obj: Mapping[str, Any]) -> SessionSummary:
        return only(cls.of(obj), SESSION_ROW)


SESSION_ROW = frozenset(
    {"id", "mode", "status", "payment_status", "amount_total_display", "customer", "customer_email",
     "payment_intent", "subscription"}
)  # fmt: skip


def session_next_step(obj: Mapping[str, Any], embedded: bool, has_secret: bool) -> str | None:
    status = obj.get("status")
    if status == "open" and embedded:
        return NEXT_OPEN_EMBEDDED if has_secret else NEXT_OPEN_EMBEDDED_READ
    if status == "open":
        return NEXT_OPEN_HOSTED
    if status == "complete":
        if obj.get("mode") == "setup":
            return NEXT_SAVED
        if obj.get("payment_status") == "unpaid":
            return NEXT_ASYNC
        return NEXT_COMPLETE.format(
            wait=call("wait_for_event", type="checkout.session.completed", object_id=obj["id"])
        )
    if status == "expired":
        return NEXT_EXPIRED
    return None


class LineItemSummary(Summary):
    id: str
    description: str | None = None
    quantity: int | None = None
    price: str | None = None
    amount_discount_display: str | None = None
    amount_total: int | None = None
    amount_total_display: str | None = None
    currency: str | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> LineItemSummary:
        off = obj.get("amount_discount") or None
        return cls(
            id=obj["id"],
            description=obj.get("description"),
            quantity=obj.get("quantity"),
            price=ref(obj.get("price")),
            amount_discount_display=money(off, obj.get("currency")),
            amount_total=obj.get("amount_total"),
            amount_total_display=money(obj.get("amount_total"), obj.get("currency")),
            currency=obj.get("currency"),
        )
