"""Coupons, promotion codes and the discounts they become when applied.

Coupons and promotion codes are created here with Stripe's checks; retrieve, update, list and
delete are the generic layer's. Applying one (``discounts=[{coupon}|{promotion_code}]`` on
invoices, subscriptions and Checkout Sessions) checks that it can be redeemed, creates a
``discount`` (``di_...``) and counts the redemption. The arithmetic is Stripe's: discounts apply
in order, each to what the previous ones left; ``percent_off`` per line, rounded;
``amount_off`` (capped at what is left) spread over the eligible lines in proportion to their
amounts; ``applies_to.products`` limits the lines a coupon reaches.
"""

from __future__ import annotations

import calendar
import time
from typing import Any

from ..core.errors import StripeError, invalid, missing_param, no_such
from ..core.ids import new_id
from ..core.router import Ctx, Router
from ..core.schema_objects import apply, new_object
from ..core.store import JSON, Account, as_dict, as_list, as_str, now

_CODE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def create_coupon(ctx: Ctx) -> JSON:
    p = ctx.params
    if "percent_off" in p and "amount_off" in p:
        raise invalid(
            "You may only specify one of these parameters: amount_off, percent_off.", param="amount_off"
        )
    if "percent_off" not in p and "amount_off" not in p:
        raise invalid("Coupons must have either a percent_off or an amount_off.", param="percent_off")
    if "amount_off" in p and "currency" not in p:
        raise missing_param("currency")
    duration = p.get("duration", "once")
    if duration == "repeating" and "duration_in_months" not in p:
        raise missing_param("duration_in_months")
    if duration != "repeating" and "duration_in_months" in p:
        raise invalid(
            "You can only pass duration_in_months when duration is repeating.", param="duration_in_months"
        )
    if "percent_off" in p:
        try:
            pct = float(str(p["percent_off"]))
        except ValueError:
            raise invalid(f"Invalid decimal: {p['percent_off']}", param="percent_off") from None
        if not 0 < pct <= 100:
            raise invalid("percent_off must be greater than 0 and at most 100.", param="percent_off")
    coupon = new_object("coupon")
    apply("coupon", coupon, p)
    coupon.update(duration=duration, valid=True, times_redeemed=0, amount_off=coupon.get("amount_off"))
    if "id" in p:
        custom = as_str(p["id"], "id")
        if ctx.acct.find("coupon", custom) is not None:
            raise StripeError(400, "Coupon already exists.", code="resource_already_exists", param="id")
        coupon["id"] = custom
    else:
        coupon["id"] = new_id("x", 8)[2:].upper()
    if "applies_to" in p:
        products = as_list(as_dict(p["applies_to"], "applies_to").get("products", []), "applies_to[products]")
        coupon["applies_to"] = {"products": [as_str(x, "applies_to[products]") for x in products]}
    ctx.acct.add(coupon)
    ctx.acct.emit("coupon.created", coupon)
    return coupon


def create_promotion_code(ctx: Ctx) -> JSON:
    p = ctx.params
    if "promotion" not in p:
        raise missing_param("promotion")
    promotion = as_dict(p["promotion"], "promotion")
    if promotion.get("type") != "coupon" or "coupon" not in promotion:
        raise missing_param("promotion[coupon]")
    coupon = ctx.acct.find("coupon", promotion["coupon"])
    if coupon is None:
        raise no_such("coupon", str(promotion["coupon"]), param="promotion[coupon]", status=400)
    code = (
        as_str(p["code"], "code")
        if "code" in p
        else "".join(_CODE_CHARS[b % 32] for b in new_id("x", 8)[2:].encode())
    )
    if any(pc["code"].lower() == code.lower() and pc["active"] for pc in ctx.acct.of_type("promotion_code")):
        raise invalid(f"An active promotion code with `code: {code}` already exists.", param="code")
    if "customer" in p and ctx.acct.find("customer", p["customer"]) is None:
        raise no_such("customer", str(p["customer"]), param="customer", status=400)
    promo = new_object("promotion_code")
    apply("promotion_code", promo, p)
    promo.update(code=code, times_redeemed=0, promotion={"coupon": coupon["id"], "type": "coupon"})
    promo["active"] = promo.get("active", True) if "active" in p else True
    ctx.acct.add(promo)
    ctx.acct.emit("promotion_code.created", promo)
    return promo


# -- redeeming -----------------------------------------------------------------------------


def _coupon_usable(coupon: JSON, param: str) -> None:
    redeem_by = coupon.get("redeem_by")
    max_redemptions = coupon.get("max_redemptions")
    if (
        not coupon["valid"]
        or (redeem_by and redeem_by < now())
        or (max_redemptions is not None and coupon["times_redeemed"] >= max_redemptions)
    ):
        raise invalid(f"Coupon {coupon['id']} is no longer valid and cannot be redeemed.", param=param)


def _promo_usable(
    acct: Account, promo: JSON, param: str, subtotal: int, currency: str, customer: str | None
) -> None:
    max_redemptions = promo.get("max_redemptions")
    expires_at = promo.get("expires_at")
    if (
        not promo["active"]
        or (expires_at and expires_at < now())
        or (max_redemptions is not None and promo["times_redeemed"] >= max_redemptions)
    ):
        raise invalid(
            f"This promotion code ({promo['code']}) is inactive and cannot be redeemed.", param=param
        )
    if promo.get("customer") and promo["customer"] != customer:
        raise invalid(
            f"This promotion code ({promo['code']}) can only be redeemed by customer {promo['customer']}.",
            param=param,
        )
    restrictions = promo.get("restrictions") or {}
    minimum = restrictions.get("minimum_amount")
    if (
        minimum
        and (restrictions.get("minimum_amount_currency") or currency) == currency
        and subtotal < minimum
    ):
        raise invalid(
            f"This promotion code ({promo['code']}) requires a minimum order of {minimum} ({currency}).",
            param=param,
        )
    if restrictions.get("first_time_transaction") and customer and _has_paid(acct, customer):
        raise invalid(f"This promotion code ({promo['code']}) is for first-time customers only.", param=param)


def _has_paid(acct: Account, customer: str) -> bool:
    return any(ch["customer"] == customer and ch["paid"] for ch in acct.of_type("charge"))


def resolve(
    ctx: Ctx, raw: Any, param: str, *, subtotal: int, currency: str, customer: str | None
) -> list[tuple[JSON, JSON | None]]:
    """``discounts=[...]`` as (coupon, promotion code or None) pairs, checked to be redeemable."""
    if raw == "":
        return []
    found: list[tuple[JSON, JSON | None]] = []
    for i, entry_raw in enumerate(as_list(raw, param)):
        entry = as_dict(entry_raw, f"{param}[{i}]")
        if "coupon" in entry:
            coupon = ctx.acct.find("coupon", entry["coupon"])
            if coupon is None:
                raise no_such("coupon", str(entry["coupon"]), param=f"{param}[{i}][coupon]", status=400)
            _coupon_usable(coupon, f"{param}[{i}][coupon]")
            promo = None
        elif "promotion_code" in entry:
            promo = ctx.acct.find("promotion_code", entry["promotion_code"])
            if promo is None:
                raise no_such(
                    "promotion_code",
                    str(entry["promotion_code"]),
                    param=f"{param}[{i}][promotion_code]",
                    status=400,
                )
            _promo_usable(ctx.acct, promo, f"{param}[{i}][promotion_code]", subtotal, currency, customer)
            coupon = ctx.acct.get("coupon", promo["promotion"]["coupon"])
            _coupon_usable(coupon, f"{param}[{i}][promotion_code]")
        else:
            raise invalid("Each discount needs a `coupon` or a `promotion_code`.", param=f"{param}[{i}]")
        if coupon.get("amount_off") and coupon.get("currency") != currency:
            raise invalid(
                f"The coupon {coupon['id']} is in {coupon['currency']} and cannot discount an amount in {currency}.",
                param=f"{param}[{i}]",
            )
        found.append((coupon, promo))
    if len(found) > 20:
        raise invalid("You can apply at most 20 discounts.", param=param)
    return found


def by_code(acct: Account, code: str) -> JSON | None:
    """The active promotion code a customer typed (case-insensitive), for hosted pages."""
    return next(
        (
            pc
            for pc in acct.of_type("promotion_code")
            if pc["code"].lower() == code.strip().lower() and pc["active"]
        ),
        None,
    )


def _add_months(ts: int, months: int) -> int:
    t = time.gmtime(ts)
    year, month = divmod(t.tm_mon - 1 + months, 12)
    year += t.tm_year
    day = min(t.tm_mday, calendar.monthrange(year, month + 1)[1])
    return calendar.timegm((year, month + 1, day, t.tm_hour, t.tm_min, t.tm_sec, 0, 0, 0))


def redeem(acct: Account, coupon: JSON, promo: JSON | None, **where: str | None) -> JSON:
    """A new ``discount`` for ``coupon`` (through ``promo``), attached ``where`` (customer,
    subscription, invoice, checkout_session...). Counts the redemption."""
    start = now()
    discount: JSON = {
        "id": new_id("di", 24),
        "object": "discount",
        "checkout_session": None,
        "customer": None,
        "customer_account": None,
        "end": _add_months(start, int(coupon["duration_in_months"]))
        if coupon["duration"] == "repeating"
        else None,
        "invoice": None,
        "invoice_item": None,
        "promotion_code": promo["id"] if promo else None,
        "source": {"coupon": coupon["id"], "type": "coupon"},
        "start": start,
        "subscription": None,
        "subscription_item": None,
    }
    discount.update({k: v for k, v in where.items() if k in discount})
    acct.add(discount)
    for counted in (coupon, promo):
        if counted is None:
            continue
        counted["times_redeemed"] += 1
        if (
            counted.get("max_redemptions") is not None
            and counted["times_redeemed"] >= counted["max_redemptions"]
        ):
            counted["valid" if counted is coupon else "active"] = False
    return discount


# -- arithmetic ----------------------------------------------------------------------------


def allocate(
    acct: Account, discount_ids: list[str], lines: list[tuple[int, str | None]]
) -> list[list[tuple[str, int]]]:
    """For lines of (amount, product id), each line's (discount id, amount off), in order."""
    coupons = []
    for did in discount_ids:
        discount = acct.find("discount", did)
        coupon = acct.find("coupon", discount["source"]["coupon"]) if discount else None
        if coupon is not None:
            coupons.append((did, coupon))
    return spread_coupons(coupons, lines)


def spread_coupons(
    coupons: list[tuple[str, JSON]], lines: list[tuple[int, str | None]]
) -> list[list[tuple[str, int]]]:
    """``allocate`` for (key, coupon) pairs: each line's (key, amount off)."""
    left = [max(amount, 0) for amount, _ in lines]
    result: list[list[tuple[str, int]]] = [[] for _ in lines]
    for key, coupon in coupons:
        products = (coupon.get("applies_to") or {}).get("products")
        eligible = [i for i, (_, product) in enumerate(lines) if not products or product in products]
        if coupon.get("percent_off"):
            offs = {i: round(left[i] * float(coupon["percent_off"]) / 100) for i in eligible}
        else:
            pool = sum(left[i] for i in eligible)
            total = min(int(coupon.get("amount_off") or 0), pool)
            offs = _spread(total, {i: left[i] for i in eligible})
        for i, off in offs.items():
            if off:
                result[i].append((key, off))
                left[i] -= off
    return result


def _spread(total: int, weights: dict[int, int]) -> dict[int, int]:
    """``total`` split in proportion to ``weights``, largest remainders first, summing exactly."""
    pool = sum(weights.values())
    if pool <= 0 or total <= 0:
        return dict.fromkeys(weights, 0)
    exact = {i: total * w / pool for i, w in weights.items()}
    shares = {i: int(x) for i, x in exact.items()}
    for i in sorted(exact, key=lambda i: exact[i] - shares[i], reverse=True)[: total - sum(shares.values())]:
        shares[i] += 1
    return shares


def ids_param(acct: Account, pairs: list[tuple[JSON, JSON | None]], **where: str | None) -> list[str]:
    return [redeem(acct, coupon, promo, **where)["id"] for coupon, promo in pairs]


def still_applies(acct: Account, did: str) -> bool:
    """Whether a subscription's discount reaches its next invoice (``once`` is used up after one,
    ``repeating`` ends at ``end``)."""
    discount = acct.find("discount", did)
    if discount is None:
        return False
    coupon = acct.find("coupon", discount["source"]["coupon"])
    if coupon is None:
        return False
    if coupon["duration"] == "once":
        return not acct.priv(discount).get("used")
    return discount["end"] is None or discount["end"] > now()


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/coupons",
        create_coupon,
        consumes=(
            "amount_off",
            "applies_to",
            "currency",
            "duration",
            "duration_in_months",
            "id",
            "max_redemptions",
            "percent_off",
        ),
    )
    router.add(
        "POST",
        "/v1/promotion_codes",
        create_promotion_code,
        consumes=("active", "code", "customer", "promotion"),
    )
