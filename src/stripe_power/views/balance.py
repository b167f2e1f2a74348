"""Views of where money sits and moves: the balance and its transactions, transfers, application fees,
payouts, and accounts (the platform's own and connected ones)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._base import Summary, money, ref


class Funds(Summary):
    currency: str
    amount: int
    display: str | None = None


def funds(entries: Any) -> list[Funds]:
    rows = entries if isinstance(entries, list) else []
    return [
        Funds(currency=e["currency"], amount=e["amount"], display=money(e["amount"], e["currency"]))
        for e in rows
        if isinstance(e, Mapping)
    ]


class Balance(Summary):
    available: list[Funds]
    pending: list[Funds]

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> Balance:
        return cls(available=funds(obj.get("available")), pending=funds(obj.get("pending")))


class BalanceTransactionSummary(Summary):
    id: str
    type: str | None = None
    status: str | None = None
    amount: int
    amount_display: str | None = None
    fee_display: str | None = None
    net_display: str | None = None
    currency: str
    source: str | None = None
    reporting_category: str | None = None
    available_on: int | None = None
    description: str | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> BalanceTransactionSummary:
        cur = str(obj["currency"])
        return cls(
            id=obj["id"],
            type=obj.get("type"),
            status=obj.get("status"),
            amount=obj["amount"],
            amount_display=money(obj["amount"], cur),
            fee_display=money(obj.get("fee"), cur) if obj.get("fee") else None,
            net_display=money(obj.get("net"), cur),
            currency=cur,
            source=ref(obj.get("source")),
            reporting_category=obj.get("reporting_category"),
            available_on=obj.get("available_on") if obj.get("status") == "pending" else None,
            description=obj.get("description"),
        )


class TransferSummary(Summary):
    id: str
    amount: int
    amount_display: str | None = None
    amount_reversed_display: str | None = None
    currency: str
    destination: str | None = None
    destination_payment: str | None = None
    source_transaction: str | None = None
    transfer_group: str | None = None
    reversed: bool | None = None
    description: str | None = None
    metadata: dict[str, str] | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> TransferSummary:
        cur = str(obj["currency"])
        reversed_amount = int(obj.get("amount_reversed") or 0)
        return cls(
            id=obj["id"],
            amount=obj["amount"],
            amount_display=money(obj["amount"], cur),
            amount_reversed_display=money(reversed_amount, cur) if reversed_amount else None,
            currency=cur,
            destination=ref(obj.get("destination")),
            destination_payment=ref(obj.get("destination_payment")),
            source_transaction=ref(obj.get("source_transaction")),
            transfer_group=obj.get("transfer_group"),
            reversed=True if obj.get("reversed") else None,
            description=obj.get("description"),
            metadata=obj.get("metadata") or None,
        )


class ApplicationFeeSummary(Summary):
    id: str
    amount: int
    amount_display: str | None = None
    amount_refunded_display: str | None = None
    currency: str
    account: str | None = None
    charge: str | None = None
    originating_transaction: str | None = None
    refunded: bool | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> ApplicationFeeSummary:
        cur = str(obj["currency"])
        refunded = int(obj.get("amount_refunded") or 0)
        return cls(
            id=obj["id"],
            amount=obj["amount"],
            amount_display=money(obj["amount"], cur),
            amount_refunded_display=money(refunded, cur) if refunded else None,
            currency=cur,
            account=ref(obj.get("account")),
            charge=ref(obj.get("charge")),
            originating_transaction=ref(obj.get("originating_transaction")),
            refunded=True if obj.get("refunded") else None,
        )


class PayoutSummary(Summary):
    id: str
    status: str | None = None
    amount: int
    amount_display: str | None = None
    currency: str
    arrival_date: int | None = None
    method: str | None = None
    type: str | None = None
    destination: str | None = None
    failure: str | None = None
    description: str | None = None
    metadata: dict[str, str] | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> PayoutSummary:
        cur = str(obj["currency"])
        code = obj.get("failure_code")
        return cls(
            id=obj["id"],
            status=obj.get("status"),
            amount=obj["amount"],
            amount_display=money(obj["amount"], cur),
            currency=cur,
            arrival_date=obj.get("arrival_date"),
            method=obj.get("method"),
            type=obj.get("type"),
            destination=ref(obj.get("destination")),
            failure=f"{code}: {obj.get('failure_message') or ''}".rstrip(": ") if code else None,
            description=obj.get("description"),
            metadata=obj.get("metadata") or None,
        )


class AccountSummary(Summary):
    id: str | None = None
    type: str | None = None
    display_name: str | None = None
    email: str | None = None
    country: str | None = None
    default_currency: str | None = None
    charges_enabled: bool | None = None
    payouts_enabled: bool | None = None
    details_submitted: bool | None = None
    currently_due: list[str] | None = None
    metadata: dict[str, str] | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> AccountSummary:
        profile = obj.get("business_profile") or {}
        dashboard = (obj.get("settings") or {}).get("dashboard") or {}
        due = (obj.get("requirements") or {}).get("currently_due") or []
        return cls(
            id=obj.get("id"),
            type=obj.get("type"),
            display_name=dashboard.get("display_name") or profile.get("name"),
            email=obj.get("email"),
            country=obj.get("country"),
            default_currency=obj.get("default_currency"),
            charges_enabled=obj.get("charges_enabled"),
            payouts_enabled=obj.get("payouts_enabled"),
            details_submitted=obj.get("details_submitted"),
            currently_due=list(due)[:10] or None,
            metadata=obj.get("metadata") or None,
        )
