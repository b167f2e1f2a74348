"""Views of customers and their balance (credit shows as a negative balance, as Stripe keeps it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._base import Summary, money, ref


def balance_words(amount: int, currency: str | None) -> str | None:
    """`-500 usd` -> `$5.00 credit`, `500` -> `$5.00 owed`: the sign of a customer balance, in words."""
    if not amount or not currency:
        return None
    return f"{money(abs(amount), currency)} {'credit' if amount < 0 else 'owed'}"


class CustomerSummary(Summary):
    id: str
    email: str | None = None
    name: str | None = None
    phone: str | None = None
    description: str | None = None
    default_payment_method: str | None = None
    balance: int | None = None
    balance_display: str | None = None
    currency: str | None = None
    test_clock: str | None = None
    metadata: dict[str, str] | None = None
    created: int | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> CustomerSummary:
        settings = obj.get("invoice_settings") or {}
        balance = int(obj.get("balance") or 0)
        return cls(
            id=obj["id"],
            email=obj.get("email"),
            name=obj.get("name"),
            phone=obj.get("phone"),
            description=obj.get("description"),
            default_payment_method=ref(settings.get("default_payment_method")),
            balance=balance if balance else None,
            balance_display=balance_words(balance, obj.get("currency")),
            currency=obj.get("currency"),
            test_clock=ref(obj.get("test_clock")),
            metadata=obj.get("metadata") or None,
            created=obj.get("created"),
        )


# A customer balance transaction (`customer_balance_transaction`): a credit or debit and what it left.
class CustomerBalanceTransactionSummary(Summary):
    id: str
    type: str | None = None
    customer: str | None = None
    amount: int
    amount_display: str | None = None
    currency: str
    ending_balance: int | None = None
    ending_balance_display: str | None = None
    invoice: str | None = None
    credit_note: str | None = None
    description: str | None = None
    metadata: dict[str, str] | None = None
    next_step: str | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> CustomerBalanceTransactionSummary:
        cur, amount = str(obj["currency"]), int(obj["amount"])
        ending = obj.get("ending_balance")
        return cls(
            id=obj["id"],
            type=obj.get("type"),
            customer=ref(obj.get("customer")),
            amount=amount,
            amount_display=balance_words(amount, cur),
            currency=cur,
            ending_balance=ending,
            ending_balance_display=balance_words(int(ending or 0), cur) or money(0, cur),
            invoice=ref(obj.get("invoice")),
            credit_note=ref(obj.get("credit_note")),
            description=obj.get("description"),
            metadata=obj.get("metadata") or None,
            next_step="Applied to the customer's next finalized invoices (see their starting_balance)."
            if obj.get("type") == "adjustment"
            else None,
        )
