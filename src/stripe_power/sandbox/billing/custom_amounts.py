"""Prices whose amount the customer chooses (``custom_unit_amount``), and paying them in Checkout.

Stripe (spec3.json, `POST /v1/prices`): ``custom_unit_amount`` "provides configuration for the
amount to be adjusted by the customer during Checkout Sessions and Payment Links"; ``enabled`` is
required; ``minimum`` "Must be at least the minimum charge amount"; ``preset`` is "The starting
unit amount which can be updated by the customer". Such a price has no ``unit_amount``.

The sandbox's hosted page takes the amount in the simple case: a payment-mode session (or the one
a payment link opens) whose only line item is the custom-amount price at quantity 1, without
discounts, promotion codes or shipping. Any other session with such a price answers
``sandbox_limit`` naming the line item, and so do invoice items with one (no amount to bill).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from ...currencies import minimum_charge
from ...money import decimals
from ..core.accepted import refusal
from ..core.errors import invalid
from ..core.router import Ctx
from ..core.store import JSON, Account, as_bool, as_dict, as_int

# Stripe's largest amount for a charge (docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).
_MAXIMUM = 99_999_999
_BEYOND_SIMPLE = refusal(
    ("POST /v1/checkout/sessions", "POST /v1/payment_links"),
    "a `custom_unit_amount` price in `line_items` other than a lone item at quantity 1 in payment mode "
    "(without discounts, promotion codes or shipping options)",
    "the sandbox's hosted page takes a custom amount only for a lone line item at quantity 1",
)
_ON_INVOICE = refusal(
    ("POST /v1/invoiceitems",),
    "`price` / `pricing[price]` with `custom_unit_amount`",
    "a custom-amount price has no amount to invoice",
)


def price_param(data: dict[str, Any], pn: Callable[[str], str], currency: str) -> JSON:
    """The price's ``custom_unit_amount`` from the request, checked."""
    at = pn("custom_unit_amount")
    raw = as_dict(data["custom_unit_amount"], at)
    if not as_bool(raw.get("enabled", ""), f"{at}[enabled]"):
        raise invalid(
            "custom_unit_amount[enabled] must be true: leave custom_unit_amount out for a fixed price.",
            param=f"{at}[enabled]",
        )
    for fixed in ("unit_amount", "unit_amount_decimal"):
        if fixed in data:
            raise invalid(
                f"You may only specify one of these parameters: custom_unit_amount, {fixed}.", param=pn(fixed)
            )
    bounds = {k: as_int(raw[k], f"{at}[{k}]") if k in raw else None for k in ("minimum", "maximum", "preset")}
    low, high, preset = bounds["minimum"], bounds["maximum"], bounds["preset"]
    floor = minimum_charge(currency)
    if low is not None and low < floor:
        raise invalid(
            f"custom_unit_amount[minimum] must be at least the minimum charge amount ({floor}).",
            param=f"{at}[minimum]",
        )
    if low is not None and high is not None and low > high:
        raise invalid("custom_unit_amount[minimum] must not exceed maximum.", param=f"{at}[minimum]")
    if preset is not None and not (low or floor) <= preset <= (high or _MAXIMUM):
        raise invalid(
            "custom_unit_amount[preset] must be between the minimum and the maximum.", param=f"{at}[preset]"
        )
    return {"maximum": high, "minimum": low, "preset": preset}


def is_custom(price: JSON) -> bool:
    return price.get("custom_unit_amount") is not None


def check_items(
    ctx: Ctx, items: list[tuple[JSON, int, JSON]], params: dict[str, Any], mode: str = "payment"
) -> None:
    """Refuse, as a sandbox limit, a session or link with a custom-amount price beyond the simple case."""
    for i, (price, qty, adjustable) in enumerate(items):
        if not is_custom(price):
            continue
        # Given and not off: `allow_promotion_codes=false` (as a form sends it) asks for nothing.
        others = [
            k
            for k in ("discounts", "allow_promotion_codes", "shipping_options")
            if params.get(k) not in (None, "", "false", False, [])
        ]
        simple = len(items) == 1 and qty == 1 and not adjustable and mode == "payment" and not others
        if not simple:
            raise _BEYOND_SIMPLE.error(ctx.method or "POST", ctx.path, ("line_items", i, "price"))


def refuse_on_invoice(ctx: Ctx, price: JSON, param: str) -> None:
    """Invoice items need an amount; a custom-amount price has none until a customer picks it."""
    if is_custom(price):
        raise _ON_INVOICE.error(ctx.method or "POST", ctx.path, (param,))


def configure(acct: Account, cs: JSON) -> None:
    """A session for a custom-amount price starts at its preset (or no amount yet)."""
    line = _custom_line(acct, cs)
    if line is not None:
        _set(cs, line, line["price"]["custom_unit_amount"]["preset"])


def _custom_line(acct: Account, cs: JSON) -> JSON | None:
    for li_id in acct.priv(cs).get("line_item_ids", []):
        line: JSON = acct.objects[li_id]
        if is_custom(line["price"]):
            return line
    return None


def _set(cs: JSON, line: JSON, amount: int | None) -> None:
    """Until the customer picks an amount (no preset) the session has none and its line is 0."""
    line["amount_subtotal"] = line["amount_total"] = amount or 0
    cs["amount_subtotal"] = cs["amount_total"] = amount


def field(acct: Account, cs: JSON) -> str:
    """The hosted page's amount field, for a session with a custom-amount price."""
    line = _custom_line(acct, cs)
    if line is None:
        return ""
    preset = line["price"]["custom_unit_amount"]["preset"]
    shown = "" if preset is None else _major(preset, cs["currency"])
    return (
        f"<label for=custom_amount>Amount ({html.escape(str(cs['currency']).upper())})</label>"
        f"<input id=custom_amount name=custom_amount inputmode=decimal value='{html.escape(shown)}' required>"
    )


def enter(acct: Account, cs: JSON, raw: str) -> None:
    """The amount the customer typed on the hosted page (in major units: ``25.00``), checked
    against the price's bounds; the session and its line item take it."""
    line = _custom_line(acct, cs)
    if line is None:
        return
    bounds = line["price"]["custom_unit_amount"]
    cur = str(cs["currency"])
    try:
        amount = Decimal(raw.strip()) * (10 ** decimals(cur))
    except InvalidOperation:
        raise invalid("Enter the amount to pay, such as 25.00.", param="custom_amount") from None
    if amount != amount.to_integral_value():
        raise invalid("That amount has too many decimal places.", param="custom_amount")
    low = bounds["minimum"] or minimum_charge(cur)
    high = bounds["maximum"] or _MAXIMUM
    if not low <= amount <= high:
        raise invalid(
            f"Enter an amount between {_major(low, cur)} and {_major(high, cur)}.", param="custom_amount"
        )
    _set(cs, line, int(amount))


def _major(amount: int, currency: str) -> str:
    places = decimals(currency)
    return f"{Decimal(amount) / (10**places):.{places}f}"
