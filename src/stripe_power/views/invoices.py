"""Views of invoicing: invoices (with what proves a credit or a balance was applied), invoice items, credit notes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..hints import call
from ._base import Summary, money, only, ref


def invoice_next_step(obj: Mapping[str, Any]) -> str | None:
    status, invoice = obj.get("status"), obj["id"]
    pay = call("pay_invoice", invoice=invoice)
    void = call("void_invoice", invoice=invoice)
    if status == "draft":
        item = call(
            "create_invoice_item",
            invoice=invoice,
            customer=ref(obj.get("customer")),
            pricing={"price": "price_..."},
        )
        return f"Add items ({item}), then {call('finalize_invoice', invoice=invoice)}."
    if status == "open" and obj.get("collection_method") == "send_invoice":
        send = call("send_invoice", invoice=invoice)
        return f"{send} emails it; or share hosted_invoice_url. {void} if issued by mistake."
    if status == "open":
        return f"{pay} (a saved payment method), or share hosted_invoice_url."
    if status == "uncollectible":
        return f"{pay} if the customer pays later, or {void}."
    return None


class CreditNoteSummary(Summary):
    id: str
    number: str | None = None
    status: str | None = None
    type: str | None = None
    invoice: str | None = None
    customer: str | None = None
    amount: int | None = None
    amount_display: str | None = None
    currency: str | None = None
    refunded_display: str | None = None
    credited_to_balance_display: str | None = None
    out_of_band_display: str | None = None
    refunds: list[str] | None = None
    customer_balance_transaction: str | None = None
    reason: str | None = None
    memo: str | None = None
    metadata: dict[str, str] | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> CreditNoteSummary:
        cur = obj.get("currency")
        refunds = [r for r in obj.get("refunds") or [] if isinstance(r, Mapping)]
        refunded = sum(int(r.get("amount_refunded") or 0) for r in refunds)
        # Where a post-payment credit went: refunded, to the customer's balance, or outside Stripe.
        out_of_band = int(obj.get("out_of_band_amount") or 0)
        to_balance = (
            int(obj.get("amount") or 0) - refunded - out_of_band
            if obj.get("customer_balance_transaction")
            else 0
        )
        return cls(
            id=obj["id"],
            number=obj.get("number"),
            status=obj.get("status"),
            type=obj.get("type"),
            invoice=ref(obj.get("invoice")),
            customer=ref(obj.get("customer")),
            amount=obj.get("amount"),
            amount_display=money(obj.get("amount"), cur),
            currency=cur,
            refunded_display=money(refunded, cur) if refunded else None,
            credited_to_balance_display=money(to_balance, cur) if to_balance > 0 else None,
            out_of_band_display=money(out_of_band, cur) if out_of_band else None,
            refunds=[str(ref(r.get("refund"))) for r in refunds if ref(r.get("refund"))] or None,
            customer_balance_transaction=ref(obj.get("customer_balance_transaction")),
            reason=obj.get("reason"),
            memo=obj.get("memo"),
            metadata=obj.get("metadata") or None,
        )

    @classmethod
    def row(cls, obj: Mapping[str, Any]) -> CreditNoteSummary:
        return only(cls.of(obj), CREDIT_NOTE_ROW)


CREDIT_NOTE_ROW = frozenset({"id", "number", "status", "type", "amount_display", "reason"})


class InvoiceSummary(Summary):
    id: str
    status: str | None = None
    customer: str | None = None
    subscription: str | None = None
    number: str | None = None
    billing_reason: str | None = None
    description: str | None = None
    collection_method: str | None = None
    currency: str | None = None
    total: int | None = None
    total_display: str | None = None
    amount_due: int | None = None
    amount_due_display: str | None = None
    amount_paid: int | None = None
    amount_paid_display: str | None = None
    amount_remaining: int | None = None
    amount_remaining_display: str | None = None
    # The customer's balance before and after this invoice (negative: credit); shown once it moved.
    starting_balance: int | None = None
    starting_balance_display: str | None = None
    ending_balance: int | None = None
    ending_balance_display: str | None = None
    credit_notes_display: str | None = None
    credit_notes: list[CreditNoteSummary] | None = None
    discounts: list[str] | None = None
    due_date: int | None = None
    created: int | None = None
    hosted_invoice_url: str | None = None
    metadata: dict[str, str] | None = None
    next_step: str | None = None

    @classmethod
    def of(
        cls, obj: Mapping[str, Any], credit_notes: list[Mapping[str, Any]] | None = None
    ) -> InvoiceSummary:
        """`credit_notes`: the invoice's credit notes, read by `related` when it has any."""
        parent = obj.get("parent") or {}
        details = parent.get("subscription_details") or {}
        currency = obj.get("currency")
        starting, ending = obj.get("starting_balance") or 0, obj.get("ending_balance") or 0
        balance_moved = bool(starting or ending)
        credited = int(obj.get("pre_payment_credit_notes_amount") or 0) + int(
            obj.get("post_payment_credit_notes_amount") or 0
        )
        return cls(
            id=obj["id"],
            status=obj.get("status"),
            customer=ref(obj.get("customer")),
            subscription=ref(details.get("subscription")) or ref(obj.get("subscription")),
            number=obj.get("number"),
            billing_reason=None if obj.get("billing_reason") == "manual" else obj.get("billing_reason"),
            description=obj.get("description"),
            collection_method=obj.get("collection_method")
            if obj.get("collection_method") == "send_invoice"
            else None,
            currency=currency,
            total=obj.get("total"),
            total_display=money(obj.get("total"), currency),
            amount_due=obj.get("amount_due"),
            amount_due_display=money(obj.get("amount_due"), currency),
            amount_paid=obj.get("amount_paid") or None,
            amount_paid_display=money(obj.get("amount_paid") or None, currency),
            amount_remaining=obj.get("amount_remaining"),
            amount_remaining_display=money(obj.get("amount_remaining"), currency),
            starting_balance=starting if balance_moved else None,
            starting_balance_display=money(starting, currency) if balance_moved else None,
            ending_balance=ending if balance_moved else None,
            ending_balance_display=money(ending, currency) if balance_moved else None,
            credit_notes_display=money(credited, currency) if credited else None,
            credit_notes=[CreditNoteSummary.row(cn) for cn in credit_notes] if credit_notes else None,
            discounts=[str(ref(d)) for d in obj.get("discounts") or [] if ref(d)] or None,
            due_date=obj.get("due_date"),
            hosted_invoice_url=obj.get("hosted_invoice_url"),
            metadata=obj.get("metadata") or None,
            next_step=invoice_next_step(obj),
        )

    @classmethod
    def row(cls, obj: Mapping[str, Any]) -> InvoiceSummary:
        summary = only(cls.of(obj), INVOICE_ROW)
        summary.created = obj.get("created")
        if obj.get("status") in ("paid", "void"):  # nothing remains on either
            summary.amount_remaining_display = None
        return summary


INVOICE_ROW = frozenset(
    {"id", "status", "customer", "number", "billing_reason", "total_display", "amount_remaining_display"}
)


def credit_notes_of(obj: Mapping[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The read that lists an invoice's credit notes, when it has any (the invoice only sums them)."""
    credited = int(obj.get("pre_payment_credit_notes_amount") or 0) + int(
        obj.get("post_payment_credit_notes_amount") or 0
    )
    return ("/v1/credit_notes", {"invoice": obj["id"], "limit": 10}) if credited else None


class InvoiceItemSummary(Summary):
    id: str
    invoice: str | None = None
    customer: str | None = None
    price: str | None = None
    quantity: int | None = None
    amount: int | None = None
    currency: str | None = None
    amount_display: str | None = None
    description: str | None = None
    metadata: dict[str, str] | None = None
    next_step: str | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> InvoiceItemSummary:
        pricing = obj.get("pricing") or {}
        details = pricing.get("price_details") or {}
        invoice = ref(obj.get("invoice"))
        return cls(
            id=obj["id"],
            invoice=invoice,
            customer=ref(obj.get("customer")),
            price=ref(details.get("price")) or ref(obj.get("price")),
            quantity=obj.get("quantity"),
            amount=obj.get("amount"),
            currency=obj.get("currency"),
            amount_display=money(obj.get("amount"), obj.get("currency")),
            description=obj.get("description"),
            metadata=obj.get("metadata") or None,
            next_step=None
            if invoice
            else "Pending: billed on the customer's next invoice or subscription "
            "renewal; pass invoice= to add it to a draft invoice instead.",
        )
