"""Credit notes: lowering what a finalized invoice asks for, or giving money back after payment.

Stripe's rules, as documented: a credit note needs an ``open`` or ``paid`` invoice. On an open
invoice it is ``pre_payment``: it lowers ``amount_due`` (``pre_payment_credit_notes_amount``) and,
if nothing is left to pay, the invoice is paid. On a paid invoice it is ``post_payment``
(``post_payment_credit_notes_amount``) and splits into ``refund_amount`` (a refund of the
invoice's charge), ``credit_amount`` (the customer's balance, through a customer balance
transaction) and ``out_of_band_amount``; with none of them given, all of it goes to the balance.
``amount`` or ``lines`` (invoice line items by amount or quantity, or custom lines) say how much.
Voiding (pre-payment notes) puts the amount back on the invoice.
"""

from __future__ import annotations

from typing import Any

from ..core.errors import invalid, missing_param, no_such
from ..core.router import Ctx, Router
from ..core.schema_objects import new_object
from ..core.store import (
    JSON,
    Account,
    apply_metadata,
    as_dict,
    as_int,
    as_list,
    as_str,
    changed,
    now,
    paginate,
    snapshot,
)
from ..payments import refunds
from . import customer_balance, invoice_totals
from .invoice_lifecycle import invoice_pi, mark_paid


def _lines(acct: Account, inv: JSON, p: dict[str, Any]) -> list[JSON]:
    """The credit note's lines from ``lines`` or ``amount`` (one line for the whole amount)."""
    out: list[JSON] = []
    if "lines" not in p:
        amount = as_int(p["amount"], "amount", minimum=1) if "amount" in p else None
        if amount is None:
            raise missing_param("amount")
        return [_line("custom_line_item", amount, "Credit", None, None)]
    by_id = {line["id"]: line for line in inv["lines"]["data"]}
    for i, raw in enumerate(as_list(p["lines"], "lines")):
        entry = as_dict(raw, f"lines[{i}]")
        kind = as_str(entry.get("type", ""), f"lines[{i}][type]")
        if kind == "invoice_line_item":
            source = by_id.get(entry.get("invoice_line_item"))
            if source is None:
                raise no_such(
                    "line_item",
                    str(entry.get("invoice_line_item")),
                    param=f"lines[{i}][invoice_line_item]",
                    status=400,
                )
            if "amount" in entry:
                amount = as_int(entry["amount"], f"lines[{i}][amount]", minimum=0)
            else:
                qty = as_int(
                    entry.get("quantity", source.get("quantity") or 1), f"lines[{i}][quantity]", minimum=0
                )
                unit = int(source["amount"]) // max(int(source.get("quantity") or 1), 1)
                amount = unit * qty
            if amount > int(source["amount"]):
                raise invalid(
                    f"The credit amount ({amount}) exceeds the line item's amount ({source['amount']}).",
                    param=f"lines[{i}][amount]",
                )
            out.append(_line(kind, amount, source.get("description"), source["id"], entry.get("quantity")))
        elif kind == "custom_line_item":
            unit = as_int(entry.get("unit_amount", 0), f"lines[{i}][unit_amount]", minimum=0)
            qty = as_int(entry.get("quantity", 1), f"lines[{i}][quantity]", minimum=0)
            if "description" not in entry:
                raise missing_param(f"lines[{i}][description]")
            out.append(
                _line(kind, unit * qty, as_str(entry["description"], f"lines[{i}][description]"), None, qty)
            )
        else:
            raise invalid(
                "Each line needs `type`: invoice_line_item or custom_line_item.", param=f"lines[{i}][type]"
            )
    return out


def _line(kind: str, amount: int, description: str | None, invoice_line: str | None, qty: Any) -> JSON:
    line = new_object("credit_note_line_item")
    line.update(
        amount=amount,
        description=description,
        quantity=int(qty) if qty is not None else 1,
        type=kind,
        unit_amount=amount // (int(qty) if qty else 1) if kind == "custom_line_item" else None,
    )
    if invoice_line is not None:
        line["invoice_line_item"] = invoice_line
    return line


def build(ctx: Ctx, p: dict[str, Any]) -> tuple[JSON, JSON, dict[str, int]]:
    """(credit note, its invoice, how the amount splits), checked, nothing changed yet."""
    acct = ctx.acct
    if "invoice" not in p:
        raise missing_param("invoice")
    inv = acct.get("invoice", as_str(p["invoice"], "invoice"), param="invoice", status=400)
    if inv["status"] not in ("open", "paid"):
        raise invalid(
            f"You can only create a credit note for an open or paid invoice; this invoice is {inv['status']}.",
            param="invoice",
        )
    lines = _lines(acct, inv, p)
    total = sum(int(line["amount"]) for line in lines)
    if "amount" in p and "lines" in p and as_int(p["amount"], "amount") != total:
        raise invalid(
            f"The amount ({p['amount']}) must equal the sum of the lines ({total}).", param="amount"
        )
    split: dict[str, int] = {
        k: as_int(p[k], k, minimum=0)
        for k in ("refund_amount", "credit_amount", "out_of_band_amount")
        if k in p
    }
    if inv["status"] == "open":
        if split:
            raise invalid(
                "refund_amount, credit_amount and out_of_band_amount apply to paid invoices only.",
                param=next(iter(split)),
            )
        if total > inv["amount_remaining"]:
            raise invalid(
                f"The credit note total ({total}) exceeds the invoice's amount remaining ({inv['amount_remaining']}).",
                param="amount",
            )
    else:
        creditable = int(inv["amount_paid"]) - int(inv["post_payment_credit_notes_amount"])
        if total > creditable:
            raise invalid(
                f"The credit note total ({total}) exceeds what is left to credit on this invoice ({creditable}).",
                param="amount",
            )
        if not split:
            split = {"credit_amount": total}
        if sum(split.values()) != total:
            raise invalid(
                f"refund_amount + credit_amount + out_of_band_amount ({sum(split.values())}) must equal the "
                f"credit note total ({total}).",
                param="refund_amount",
            )
        pi = invoice_pi(acct, inv)
        if split.get("refund_amount") and (pi is None or not pi.get("latest_charge")):
            raise invalid(
                "This invoice was not paid through Stripe, so nothing can be refunded.", param="refund_amount"
            )
    cn = new_object("credit_note")
    count = sum(1 for c in acct.of_type("credit_note") if c["invoice"] == inv["id"])
    cn.update(
        amount=total,
        amount_shipping=0,
        currency=inv["currency"],
        customer=inv["customer"],
        discount_amount=0,
        discount_amounts=[],
        effective_at=now(),
        invoice=inv["id"],
        lines={
            "object": "list",
            "data": lines,
            "has_more": False,
            "url": f"/v1/credit_notes/{cn['id']}/lines",
        },
        memo=as_str(p["memo"], "memo") if "memo" in p else None,
        metadata=apply_metadata({}, p.get("metadata", {})),
        number=f"{inv.get('number') or inv['id']}-CN-{count + 1:02d}",
        out_of_band_amount=split.get("out_of_band_amount"),
        pdf=f"{ctx.base_url}/credit_notes/{cn['id']}/pdf",
        post_payment_amount=total if inv["status"] == "paid" else 0,
        pre_payment_amount=total if inv["status"] == "open" else 0,
        pretax_credit_amounts=[],
        reason=as_str(p["reason"], "reason") if "reason" in p else None,
        refunds=[],
        status="issued",
        subtotal=total,
        subtotal_excluding_tax=total,
        total=total,
        total_excluding_tax=total,
        total_taxes=[],
        type="post_payment" if inv["status"] == "paid" else "pre_payment",
    )
    for line in lines:
        line["livemode"] = False
    return cn, inv, split


def create(ctx: Ctx) -> JSON:
    acct = ctx.acct
    cn, inv, split = build(ctx, ctx.params)
    before = snapshot(inv)
    acct.add(cn)
    for line in cn["lines"]["data"]:
        acct.add(line)
    if cn["type"] == "pre_payment":
        inv["pre_payment_credit_notes_amount"] += cn["amount"]
        _sync(acct, inv)
    else:
        inv["post_payment_credit_notes_amount"] += cn["amount"]
        if split.get("refund_amount"):
            pi = invoice_pi(acct, inv)
            assert pi is not None
            refund_params = {"charge": pi["latest_charge"], "amount": str(split["refund_amount"])}
            refund = refunds.create_refund(ctx.derive(refund_params))
            cn["refunds"] = [
                {
                    "amount_refunded": refund["amount"],
                    "payment_record_refund": None,
                    "refund": refund["id"],
                    "type": "refund",
                }
            ]
        if split.get("credit_amount"):
            cn["customer_balance_transaction"] = _credit_balance(acct, cn, split["credit_amount"])
    acct.emit("credit_note.created", cn)
    acct.emit("invoice.updated", inv, changed(before, inv))
    if cn["type"] == "pre_payment" and inv["amount_remaining"] == 0 and inv["status"] == "open":
        pi = invoice_pi(acct, inv)
        if pi is not None and pi["status"] not in ("succeeded", "canceled"):
            pi["status"] = "canceled"
            pi["canceled_at"] = now()
        mark_paid(ctx, inv, None)
    return cn


def _sync(acct: Account, inv: JSON) -> None:
    """Recompute the invoice and ask its open PaymentIntent for what is now due."""
    invoice_totals.recompute(acct, inv)
    pi = invoice_pi(acct, inv)
    if pi is not None and pi["status"] in (
        "requires_payment_method",
        "requires_confirmation",
        "requires_action",
    ):
        pi["amount"] = inv["amount_remaining"] or pi["amount"]
    for payment in inv["payments"]["data"]:
        if payment["status"] == "open":
            payment["amount_requested"] = inv["amount_remaining"] or payment["amount_requested"]


def _credit_balance(acct: Account, cn: JSON, amount: int) -> str:
    """The credit goes to the customer's balance in the invoice's currency, for the next invoices."""
    cust = acct.get("customer", cn["customer"])
    txn = customer_balance.record(
        acct, cust, -amount, "credit_note", cn["currency"], credit_note=cn["id"], invoice=cn["invoice"]
    )
    return str(txn["id"])


def preview(ctx: Ctx) -> JSON:
    cn, _, _ = build(ctx, ctx.params)
    return cn


def preview_lines(ctx: Ctx) -> JSON:
    cn, _, _ = build(ctx, ctx.params)
    return {**cn["lines"], "url": "/v1/credit_notes/preview/lines"}


def lines(ctx: Ctx) -> JSON:
    cn = ctx.acct.get("credit_note", ctx.path_params["credit_note"], param="credit_note")
    ids = [line["id"] for line in cn["lines"]["data"]]
    return paginate(ctx.acct, "credit_note_line_item", ctx.params, cn["lines"]["url"], ids=ids)


def void(ctx: Ctx) -> JSON:
    acct = ctx.acct
    cn = acct.get("credit_note", ctx.path_params["id"], param="id")
    if cn["status"] != "issued":
        raise invalid("This credit note is already voided.", param="id")
    if cn["type"] != "pre_payment":
        raise invalid("You can only void a credit note issued before the invoice was paid.", param="id")
    inv = acct.get("invoice", cn["invoice"])
    if inv["status"] != "open":
        raise invalid(
            f"You can only void this credit note while its invoice is open; it is {inv['status']}.",
            param="id",
        )
    before, inv_before = snapshot(cn), snapshot(inv)
    cn["status"] = "void"
    cn["voided_at"] = now()
    inv["pre_payment_credit_notes_amount"] -= cn["amount"]
    _sync(acct, inv)
    acct.emit("credit_note.voided", cn, changed(before, cn))
    acct.emit("invoice.updated", inv, changed(inv_before, inv))
    return cn


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/credit_notes",
        create,
        consumes=(
            "amount",
            "credit_amount",
            "invoice",
            "lines",
            "memo",
            "metadata",
            "out_of_band_amount",
            "reason",
            "refund_amount",
            "refunds",
        ),
    )
    router.add("GET", "/v1/credit_notes/preview", preview)
    router.add("GET", "/v1/credit_notes/preview/lines", preview_lines)
    router.add("GET", "/v1/credit_notes/{credit_note}/lines", lines)
    router.add("POST", "/v1/credit_notes/{id}/void", void, consumes=())
