"""Views of what is sold and how: products, prices, coupons, promotion codes, payment links."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..hints import api_call
from ._base import Summary, money, ref

METERED_NEXT_STEP = (
    "Metered price: report usage with Billing Meter events (the price needs `meter`); "
    "the offline sandbox cannot bill metered usage."
)


class ProductSummary(Summary):
    id: str
    name: str | None = None
    description: str | None = None
    active: bool | None = None
    default_price: str | None = None
    metadata: dict[str, str] | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> ProductSummary:
        return cls(
            id=obj["id"],
            name=obj.get("name"),
            description=obj.get("description"),
            active=obj.get("active"),
            default_price=ref(obj.get("default_price")),
            metadata=obj.get("metadata") or None,
        )


class PriceSummary(Summary):
    id: str
    product: str | None = None
    unit_amount: int | None = None
    unit_amount_display: str | None = None
    currency: str | None = None
    type: str | None = None
    interval: str | None = None
    interval_count: int | None = None
    usage_type: str | None = None
    active: bool | None = None
    nickname: str | None = None
    lookup_key: str | None = None
    metadata: dict[str, str] | None = None
    next_step: str | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> PriceSummary:
        recurring: Mapping[str, Any] = obj.get("recurring") or {}
        usage_type = recurring.get("usage_type")
        return cls(
            id=obj["id"],
            product=ref(obj.get("product")),
            unit_amount=obj.get("unit_amount"),
            unit_amount_display=money(obj.get("unit_amount"), obj.get("currency")),
            currency=obj.get("currency"),
            type=obj.get("type"),
            interval=recurring.get("interval"),
            interval_count=recurring.get("interval_count"),
            usage_type=usage_type,
            active=obj.get("active"),
            nickname=obj.get("nickname"),
            lookup_key=obj.get("lookup_key"),
            metadata=obj.get("metadata") or None,
            next_step=METERED_NEXT_STEP if usage_type == "metered" else None,
        )


class CouponSummary(Summary):
    id: str
    name: str | None = None
    percent_off: int | float | None = None
    amount_off: int | None = None
    amount_off_display: str | None = None
    currency: str | None = None
    duration: str | None = None
    duration_in_months: int | None = None
    valid: bool | None = None
    times_redeemed: int | None = None
    max_redemptions: int | None = None
    redeem_by: int | None = None
    metadata: dict[str, str] | None = None
    next_step: str | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> CouponSummary:
        return cls(
            id=obj["id"],
            name=obj.get("name"),
            percent_off=obj.get("percent_off"),
            amount_off=obj.get("amount_off"),
            amount_off_display=money(obj.get("amount_off"), obj.get("currency")),
            currency=obj.get("currency") if obj.get("amount_off") else None,
            duration=obj.get("duration"),
            duration_in_months=obj.get("duration_in_months"),
            valid=obj.get("valid"),
            times_redeemed=obj.get("times_redeemed"),
            max_redemptions=obj.get("max_redemptions"),
            redeem_by=obj.get("redeem_by"),
            metadata=obj.get("metadata") or None,
            next_step="Customers can enter a code for it once there is one: "
            + api_call(
                "POST",
                "/v1/promotion_codes",
                {"promotion": {"type": "coupon", "coupon": obj["id"]}, "code": "..."},
            )
            + "."
            if obj.get("valid") and not obj.get("times_redeemed")
            else None,
        )


class PromotionCodeSummary(Summary):
    id: str
    code: str | None = None
    active: bool | None = None
    coupon: str | None = None
    customer: str | None = None
    times_redeemed: int | None = None
    max_redemptions: int | None = None
    expires_at: int | None = None
    first_time_transaction: bool | None = None
    minimum_amount_display: str | None = None
    metadata: dict[str, str] | None = None
    next_step: str | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> PromotionCodeSummary:
        coupon = (obj.get("promotion") or {}).get("coupon") or obj.get("coupon")
        rules = obj.get("restrictions") or {}
        return cls(
            id=obj["id"],
            code=obj.get("code"),
            active=obj.get("active"),
            coupon=ref(coupon),
            customer=ref(obj.get("customer")),
            times_redeemed=obj.get("times_redeemed"),
            max_redemptions=obj.get("max_redemptions"),
            expires_at=obj.get("expires_at"),
            first_time_transaction=True if rules.get("first_time_transaction") else None,
            minimum_amount_display=money(rules.get("minimum_amount"), rules.get("minimum_amount_currency")),
            metadata=obj.get("metadata") or None,
            next_step="Customers type code on a Checkout page created with allow_promotion_codes=true."
            if obj.get("active")
            else None,
        )


class PaymentLinkSummary(Summary):
    id: str
    url: str | None = None
    active: bool | None = None
    allow_promotion_codes: bool | None = None
    after_completion_url: str | None = None
    metadata: dict[str, str] | None = None
    next_step: str | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> PaymentLinkSummary:
        after = obj.get("after_completion") or {}
        active = obj.get("active")
        return cls(
            id=obj["id"],
            url=obj.get("url"),
            active=active,
            allow_promotion_codes=True if obj.get("allow_promotion_codes") else None,
            after_completion_url=(after.get("redirect") or {}).get("url"),
            metadata=obj.get("metadata") or None,
            next_step="Share url with customers; watch checkout.session.completed for purchases."
            if active
            else None,
        )
