"""An invoice's totals as Stripe computes them: subtotal, discounts, tax rates, total, amount due.

Per line: discounts (the invoice's, in order; see `discounts.allocate`) come off first, then each
tax rate applies to what is left. An exclusive rate adds ``round(net × rate)``; an inclusive one
is already inside the amount (``net − round(net / (1 + rate))``). A line's tax rates are its own
(invoice item or subscription item ``tax_rates``), else the invoice's ``default_tax_rates``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.errors import invalid, no_such
from ..core.router import Ctx
from ..core.store import JSON, Account, as_list, as_str
from . import customer_balance, discounts


def tax_rates_param(acct: Account, raw: Any, param: str) -> list[JSON]:
    """``tax_rates`` / ``default_tax_rates``: the tax rate objects they name ('' clears)."""
    if raw == "":
        return []
    rates = []
    for i, value in enumerate(as_list(raw, param)):
        rate = acct.find("tax_rate", as_str(value, f"{param}[{i}]"))
        if rate is None:
            raise no_such("tax_rate", str(value), param=f"{param}[{i}]", status=400)
        if not rate["active"]:
            raise invalid(f"Tax rate {rate['id']} is inactive and cannot be applied.", param=f"{param}[{i}]")
        rates.append(rate)
    return rates


def _product(line: JSON) -> str | None:
    details = (line.get("pricing") or {}).get("price_details") or {}
    product = details.get("product")
    return product if isinstance(product, str) else None


def _line_rates(acct: Account, inv: JSON, line: JSON) -> list[JSON]:
    parent = line.get("parent") or {}
    item_id = (parent.get("subscription_item_details") or {}).get("subscription_item")
    ii_id = (parent.get("invoice_item_details") or {}).get("invoice_item")
    owner = acct.find("subscription_item", item_id) or acct.find("invoiceitem", ii_id)
    if owner is not None and owner.get("tax_rates"):
        return list(owner["tax_rates"])
    return list(inv.get("default_tax_rates") or [])


def rate_taxes(net: int, rates: list[JSON]) -> list[tuple[JSON, int, int]]:
    """Each rate's (rate, tax, taxable amount) on ``net``. Inclusive rates share one base: the
    amount without all of them."""
    inclusive_pct = sum(float(r["percentage"]) for r in rates if r["inclusive"])
    out = []
    for rate in rates:
        taxable = round(net / (1 + inclusive_pct / 100)) if rate["inclusive"] else net
        out.append((rate, round(taxable * float(rate["percentage"]) / 100), taxable))
    return out


def recompute(acct: Account, inv: JSON) -> None:
    lines: list[JSON] = inv["lines"]["data"]
    offs = discounts.allocate(
        acct, list(inv.get("discounts") or []), [(int(li["amount"]), _product(li)) for li in lines]
    )
    by_discount: dict[str, int] = {}
    by_rate: dict[str, JSON] = {}
    exclusive_tax = inclusive_tax = 0
    for line, line_offs in zip(lines, offs, strict=True):
        line["discount_amounts"] = [{"amount": a, "discount": d} for d, a in line_offs]
        line["discounts"] = [d for d, _ in line_offs]
        for d, a in line_offs:
            by_discount[d] = by_discount.get(d, 0) + a
        net = int(line["amount"]) - sum(a for _, a in line_offs)
        line["taxes"] = []
        for rate, amount, taxable in rate_taxes(net, _line_rates(acct, inv, line)):
            behavior = "inclusive" if rate["inclusive"] else "exclusive"
            line["taxes"].append(
                {
                    "amount": amount,
                    "tax_behavior": behavior,
                    "tax_rate_details": {"tax_rate": rate["id"]},
                    "taxability_reason": "standard_rated",
                    "taxable_amount": taxable,
                    "type": "tax_rate_details",
                }
            )
            if rate["inclusive"]:
                inclusive_tax += amount
            else:
                exclusive_tax += amount
            total = by_rate.setdefault(rate["id"], {**line["taxes"][-1], "amount": 0, "taxable_amount": 0})
            total["amount"] += amount
            total["taxable_amount"] += taxable
    subtotal = sum(int(li["amount"]) for li in lines)
    discount_total = sum(by_discount.values())
    inv["subtotal"] = subtotal
    inv["subtotal_excluding_tax"] = subtotal - inclusive_tax
    inv["total_discount_amounts"] = [{"amount": a, "discount": d} for d, a in by_discount.items()]
    inv["total_taxes"] = list(by_rate.values())
    inv["total"] = subtotal - discount_total + exclusive_tax
    inv["total_excluding_tax"] = inv["total"] - exclusive_tax - inclusive_tax
    due = inv["total"] - int(inv.get("pre_payment_credit_notes_amount") or 0)
    inv["amount_due"] = customer_balance.amount_due(acct, inv, due)
    inv["amount_remaining"] = max(inv["amount_due"] - inv["amount_paid"], 0)
    inv["lines"]["total_count"] = len(lines)


def apply_params(ctx: Ctx, inv: JSON, p: dict[str, Any]) -> None:
    """``discounts`` and ``default_tax_rates`` on an invoice create or (draft) update."""
    if inv["status"] != "draft" and ("discounts" in p or "default_tax_rates" in p):
        raise invalid("You can only change the discounts and tax rates of a draft invoice.", param="invoice")
    if "default_tax_rates" in p:
        inv["default_tax_rates"] = tax_rates_param(ctx.acct, p["default_tax_rates"], "default_tax_rates")
    if "discounts" in p:
        pairs = discounts.resolve(
            ctx,
            p["discounts"],
            "discounts",
            subtotal=inv["subtotal"],
            currency=inv["currency"],
            customer=inv["customer"],
        )
        inv["discounts"] = discounts.ids_param(ctx.acct, pairs, invoice=inv["id"], customer=inv["customer"])
    recompute(ctx.acct, inv)


def inherit(acct: Account, inv: JSON, sub: JSON) -> None:
    """A subscription's invoice takes its discounts that still apply and its default tax rates."""
    inv["discounts"] = [d for d in sub.get("discounts") or [] if discounts.still_applies(acct, d)]
    for did in inv["discounts"]:
        acct.priv(acct.get("discount", did))["used"] = True
    inv["default_tax_rates"] = list(sub.get("default_tax_rates") or [])


def subscription_setup(
    ctx: Ctx, p: dict[str, Any], customer: str, items: list[tuple[JSON, int]]
) -> Callable[[JSON], None]:
    """Check a subscription create's ``discounts`` and ``default_tax_rates`` before anything is
    created; the returned function attaches them to the new subscription (before its first invoice)."""
    rates = (
        tax_rates_param(ctx.acct, p["default_tax_rates"], "default_tax_rates")
        if "default_tax_rates" in p
        else []
    )
    currency = items[0][0]["currency"] if items else "usd"
    subtotal = sum(int(price["unit_amount"] or 0) * qty for price, qty in items)
    pairs = (
        discounts.resolve(
            ctx, p["discounts"], "discounts", subtotal=subtotal, currency=currency, customer=customer
        )
        if "discounts" in p
        else []
    )

    def attach(sub: JSON) -> None:
        sub["default_tax_rates"] = rates
        sub["discounts"] = discounts.ids_param(ctx.acct, pairs, subscription=sub["id"], customer=customer)

    return attach
