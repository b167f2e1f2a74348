"""A Checkout Session's money: discounts (``discounts`` or a promotion code the customer enters
when ``allow_promotion_codes``), tax rates on line items, and shipping options, with the totals
Stripe shows (line ``amount_discount``/``amount_tax``/``amount_total``, ``total_details``,
``shipping_cost``, ``amount_total``). Discounts are redeemed when the session completes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..billing import discounts
from ..billing.invoice_totals import rate_taxes, tax_rates_param
from ..core.errors import invalid, no_such
from ..core.router import Ctx
from ..core.schema_objects import apply, new_object
from ..core.store import JSON, Account, as_dict, as_list


def configure(ctx: Ctx, cs: JSON, p: dict[str, Any]) -> None:
    """Read the money params of a Checkout Session create; called once the session exists."""
    acct = ctx.acct
    priv = acct.priv(cs)
    if "discounts" in p and cs.get("allow_promotion_codes"):
        raise invalid(
            "You may only specify one of these parameters: allow_promotion_codes, discounts.",
            param="discounts",
        )
    raw_items = as_list(p.get("line_items", []), "line_items")
    priv["line_tax_rates"] = [
        [r["id"] for r in tax_rates_param(acct, item["tax_rates"], f"line_items[{i}][tax_rates]")]
        if isinstance(item, dict) and "tax_rates" in item
        else []
        for i, item in enumerate(raw_items)
    ]
    if "shipping_options" in p:
        if cs["mode"] != "payment":
            raise invalid("`shipping_options` can only be used in `payment` mode.", param="shipping_options")
        cs["shipping_options"] = [
            {"shipping_amount": 0, "shipping_rate": _shipping_rate(ctx, opt, f"shipping_options[{i}]")["id"]}
            for i, opt in enumerate(as_list(p["shipping_options"], "shipping_options"))
        ]
    if cs["mode"] == "setup":
        return
    recompute(acct, cs)
    if "discounts" in p:
        pairs = discounts.resolve(
            ctx,
            p["discounts"],
            "discounts",
            subtotal=cs["amount_subtotal"],
            currency=cs["currency"],
            customer=cs["customer"],
        )
        _set_discounts(acct, cs, pairs)


def _shipping_rate(ctx: Ctx, raw: Any, param: str) -> JSON:
    option = as_dict(raw, param)
    if "shipping_rate" in option:
        rate = ctx.acct.find("shipping_rate", option["shipping_rate"])
        if rate is None:
            raise no_such(
                "shipping_rate", str(option["shipping_rate"]), param=f"{param}[shipping_rate]", status=400
            )
        return rate
    if "shipping_rate_data" not in option:
        raise invalid("Each shipping option needs `shipping_rate` or `shipping_rate_data`.", param=param)
    rate = new_object("shipping_rate")
    apply("shipping_rate", rate, as_dict(option["shipping_rate_data"], f"{param}[shipping_rate_data]"))
    rate["active"] = True
    ctx.acct.add(rate)
    return rate


def _set_discounts(acct: Account, cs: JSON, pairs: list[tuple[JSON, JSON | None]]) -> None:
    acct.priv(cs)["discount_pairs"] = [(c["id"], p["id"] if p else None) for c, p in pairs]
    cs["discounts"] = [{"coupon": c["id"], "promotion_code": p["id"] if p else None} for c, p in pairs]
    recompute(acct, cs)


def enter_code(ctx: Ctx, cs: JSON, code: str) -> None:
    """A promotion code typed on the hosted page (only where ``allow_promotion_codes``)."""
    if not cs.get("allow_promotion_codes"):
        raise invalid("This Checkout Session does not accept promotion codes.", param="promotion_code")
    promo = discounts.by_code(ctx.acct, code)
    if promo is None:
        raise invalid(f"The promotion code {code.strip()} is invalid.", param="promotion_code")
    pairs = discounts.resolve(
        ctx,
        [{"promotion_code": promo["id"]}],
        "promotion_code",
        subtotal=cs["amount_subtotal"],
        currency=cs["currency"],
        customer=cs.get("customer"),
    )
    _set_discounts(ctx.acct, cs, pairs)


def recompute(acct: Account, cs: JSON) -> None:
    priv = acct.priv(cs)
    items = [acct.objects[i] for i in priv.get("line_item_ids", [])]
    rates_by_line = priv.get("line_tax_rates") or [[] for _ in items]
    coupons = [(cid, acct.get("coupon", cid)) for cid, _ in priv.get("discount_pairs", [])]
    lines = [
        (int(li["price"]["unit_amount"] or 0) * int(li["quantity"] or 0), li["price"]["product"])
        for li in items
    ]
    offs = discounts.spread_coupons(coupons, lines)
    total_tax = exclusive = 0
    for li, (subtotal, _), line_offs, rate_ids in zip(items, lines, offs, rates_by_line, strict=False):
        off = sum(a for _, a in line_offs)
        net = subtotal - off
        rates = [acct.get("tax_rate", r) for r in rate_ids]
        taxes: list[JSON] = []
        for rate, amount, base in rate_taxes(net, rates):
            taxes.append(
                {
                    "amount": amount,
                    "rate": rate,
                    "taxability_reason": "standard_rated",
                    "taxable_amount": base,
                }
            )
            if not rate["inclusive"]:
                exclusive += amount
        tax = sum(int(t["amount"]) for t in taxes)
        total_tax += tax
        line_exclusive = sum(
            int(t["amount"]) for t, r in zip(taxes, rates, strict=True) if not r["inclusive"]
        )
        li.update(
            amount_subtotal=subtotal, amount_discount=off, amount_tax=tax, amount_total=net + line_exclusive
        )
        if taxes:
            li["taxes"] = taxes
    shipping = _shipping_cost(acct, cs)
    subtotal_all = sum(s for s, _ in lines)
    discount_all = sum(a for line_offs in offs for _, a in line_offs)
    cs["amount_subtotal"] = subtotal_all
    cs["total_details"] = {
        "amount_discount": discount_all,
        "amount_shipping": shipping,
        "amount_tax": total_tax,
    }
    cs["amount_total"] = subtotal_all - discount_all + exclusive + shipping


def _shipping_cost(acct: Account, cs: JSON) -> int:
    """The first shipping option is selected, as on Stripe's page."""
    for option in cs.get("shipping_options") or []:
        rate = acct.get("shipping_rate", option["shipping_rate"])
        amount = int(((rate.get("fixed_amount") or {}).get("amount")) or 0)
        option["shipping_amount"] = amount
    if not cs.get("shipping_options"):
        return 0
    first = cs["shipping_options"][0]
    cs["shipping_cost"] = {
        "amount_subtotal": first["shipping_amount"],
        "amount_tax": 0,
        "amount_total": first["shipping_amount"],
        "shipping_rate": first["shipping_rate"],
    }
    return int(first["shipping_amount"])


def redeem(ctx: Ctx, cs: JSON, customer: str | None) -> Callable[[JSON], None] | None:
    """At completion: the session's discounts become ``discount`` objects (counted as
    redemptions); in subscription mode, the function that hands them and the line items' tax
    rates to the new subscription."""
    acct = ctx.acct
    pairs = [
        (acct.get("coupon", cid), acct.find("promotion_code", pid) if pid else None)
        for cid, pid in acct.priv(cs).get("discount_pairs", [])
    ]
    if cs["mode"] != "subscription":
        for coupon, promo in pairs:
            discounts.redeem(acct, coupon, promo, checkout_session=cs["id"], customer=customer)
        return None
    rates: list[str] = next((r for r in acct.priv(cs).get("line_tax_rates", []) if r), [])

    def setup(sub: JSON) -> None:
        sub["discounts"] = discounts.ids_param(acct, pairs, subscription=sub["id"], customer=customer)
        sub["default_tax_rates"] = [acct.get("tax_rate", r) for r in rates]

    return setup
