"""Views of payments: PaymentIntents, SetupIntents, payment methods, charges, refunds, disputes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..hints import api_call, call
from ._base import Summary, money, only, ref
from ._intents import client_secret, error_note, intent_next_step, redirect_url
from ._refundable import refundable

# What the PaymentIntent view reads expanded on a retrieve: a payment's refunds and dispute sit on its charge.
PI_EXPAND = ("latest_charge",)


class PaymentIntentSummary(Summary):
    id: str
    status: str
    amount: int
    amount_display: str | None = None
    currency: str
    amount_received: int | None = None
    amount_received_display: str | None = None
    amount_capturable: int | None = None
    amount_capturable_display: str | None = None
    capture_method: str | None = None
    customer: str | None = None
    payment_method: str | None = None
    latest_charge: str | None = None
    amount_refunded: int | None = None
    amount_refunded_display: str | None = None
    remaining_refundable: int | None = None
    remaining_refundable_display: str | None = None
    disputed: bool | None = None
    description: str | None = None
    setup_future_usage: str | None = None
    cancellation_reason: str | None = None
    last_payment_error: str | None = None
    next_action_url: str | None = None
    client_secret: str | None = None
    metadata: dict[str, str] | None = None
    created: int | None = None
    next_step: str | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any], *, with_secret: bool = False) -> PaymentIntentSummary:
        status, cur = str(obj["status"]), str(obj["currency"])
        received, capturable = obj.get("amount_received") or None, obj.get("amount_capturable") or None
        secret = client_secret(obj, with_secret)
        charge = obj.get("latest_charge")
        paid = charge if isinstance(charge, Mapping) and charge.get("captured") else None
        refunded = int(paid.get("amount_refunded") or 0) if paid else None
        remaining = refundable(paid) if paid else None
        return cls(
            id=obj["id"],
            status=status,
            amount=obj["amount"],
            amount_display=money(obj["amount"], cur),
            currency=cur,
            amount_received=received,
            amount_received_display=money(received, cur),
            amount_capturable=capturable,
            amount_capturable_display=money(capturable, cur),
            capture_method=obj.get("capture_method") if obj.get("capture_method") == "manual" else None,
            customer=ref(obj.get("customer")),
            payment_method=ref(obj.get("payment_method")),
            latest_charge=ref(charge),
            amount_refunded=refunded,
            amount_refunded_display=money(refunded, cur),
            remaining_refundable=remaining,
            remaining_refundable_display=money(remaining, cur),
            disputed=True if paid and paid.get("disputed") else None,
            description=obj.get("description"),
            setup_future_usage=obj.get("setup_future_usage"),
            cancellation_reason=obj.get("cancellation_reason"),
            last_payment_error=error_note(obj.get("last_payment_error")),
            next_action_url=redirect_url(obj),
            client_secret=secret,
            metadata=obj.get("metadata") or None,
            created=obj.get("created"),
            next_step=pi_next_step(obj, bool(secret)),
        )

    @classmethod
    def row(cls, obj: Mapping[str, Any]) -> PaymentIntentSummary:
        return only(cls.of(obj), PI_ROW)


PI_ROW = frozenset(
    {"id", "status", "amount", "amount_display", "currency", "amount_refunded", "amount_refunded_display",
     "remaining_refundable", "remaining_refundable_display", "disputed", "customer", "last_payment_error",
     "created"}
)  # fmt: skip


def pi_next_step(obj: Mapping[str, Any], has_secret: bool) -> str | None:
    charge = obj.get("latest_charge")
    if obj["status"] == "succeeded" and isinstance(charge, Mapping):
        return _after_payment(obj, charge)
    if obj["status"] == "requires_capture":
        held = money(obj.get("amount_capturable"), obj.get("currency"))
        capture = call("capture_payment_intent", payment_intent=obj["id"])
        cancel = call("cancel_payment_intent", payment_intent=obj["id"])
        return f"{held} is authorized: capture it within 7 days ({capture}), or release it ({cancel})."
    return intent_next_step(obj, has_secret, "payment")


def _after_payment(obj: Mapping[str, Any], charge: Mapping[str, Any]) -> str | None:
    """What happened to a paid PaymentIntent since: refunds and disputes."""
    cur, remaining = obj.get("currency"), refundable(charge)
    notes = []
    if charge.get("disputed"):
        disputes = api_call("GET", "/v1/disputes", {"payment_intent": obj["id"]})
        notes.append(f"Disputed: see {disputes}; respond before the evidence due date.")
    if charge.get("amount_refunded"):
        done = "Fully refunded" if remaining == 0 else f"Refunded {money(charge['amount_refunded'], cur)}"
        notes.append(f"{done} ({call('list_refunds', payment_intent=obj['id'])}).")
    return " ".join(notes) or None


class SetupIntentSummary(Summary):
    id: str
    status: str
    customer: str | None = None
    payment_method: str | None = None
    usage: str | None = None
    last_setup_error: str | None = None
    next_action_url: str | None = None
    client_secret: str | None = None
    metadata: dict[str, str] | None = None
    created: int | None = None
    next_step: str | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any], *, with_secret: bool = False) -> SetupIntentSummary:
        secret = client_secret(obj, with_secret)
        return cls(
            id=obj["id"],
            status=obj["status"],
            customer=ref(obj.get("customer")),
            payment_method=ref(obj.get("payment_method")),
            usage=obj.get("usage"),
            last_setup_error=error_note(obj.get("last_setup_error")),
            next_action_url=redirect_url(obj),
            client_secret=secret,
            metadata=obj.get("metadata") or None,
            created=obj.get("created"),
            next_step=si_next_step(obj, bool(secret)),
        )


def si_next_step(obj: Mapping[str, Any], has_secret: bool) -> str | None:
    if obj["status"] == "succeeded" and obj.get("customer") and obj.get("usage") == "off_session":
        charge = call(
            "create_payment_intent",
            amount=2000,
            currency="usd",
            customer=ref(obj.get("customer")),
            payment_method=ref(obj.get("payment_method")),
            confirm=True,
            off_session=True,
        )
        return (
            f"Saved {ref(obj.get('payment_method'))} for {ref(obj.get('customer'))}: charge it later "
            f"(your amount and currency; e.g. $20.00) with {charge}."
        )
    return intent_next_step(obj, has_secret, "setup")


class PaymentMethodSummary(Summary):
    id: str
    type: str
    brand: str | None = None
    last4: str | None = None
    exp_month: int | None = None
    exp_year: int | None = None
    customer: str | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> PaymentMethodSummary:
        kind = str(obj.get("type") or "")
        found = obj.get(kind)
        details: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
        return cls(
            id=obj["id"],
            type=kind,
            brand=details.get("brand") or details.get("bank_name"),
            last4=details.get("last4"),
            exp_month=details.get("exp_month"),
            exp_year=details.get("exp_year"),
            customer=ref(obj.get("customer")),
        )


def refund_next_step(status: str, refund: str) -> str | None:
    if status == "pending":
        return f"Pending: {call('retrieve_refund', refund=refund)} later, or wait for refund.updated."
    if status == "requires_action":
        return f"The customer must provide refund details; {call('cancel_refund', refund=refund)} stops it."
    if status == "failed":
        return "Refund failed (see failure_reason); the money stays with you."
    return None


class RefundSummary(Summary):
    id: str
    status: str | None = None
    amount: int
    amount_display: str | None = None
    currency: str
    payment_intent: str | None = None
    charge: str | None = None
    reason: str | None = None
    failure_reason: str | None = None
    remaining_refundable: int | None = None
    remaining_refundable_display: str | None = None
    metadata: dict[str, str] | None = None
    created: int | None = None
    next_step: str | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any], remaining: int | None = None) -> RefundSummary:
        status, cur = obj.get("status"), str(obj["currency"])
        return cls(
            id=obj["id"],
            status=status,
            amount=obj["amount"],
            amount_display=money(obj["amount"], cur),
            currency=cur,
            payment_intent=ref(obj.get("payment_intent")),
            charge=ref(obj.get("charge")),
            reason=obj.get("reason"),
            failure_reason=obj.get("failure_reason"),
            remaining_refundable=remaining,
            remaining_refundable_display=money(remaining, cur),
            metadata=obj.get("metadata") or None,
            created=obj.get("created"),
            next_step=refund_next_step(str(status), obj["id"]),
        )


class ChargeSummary(Summary):
    id: str
    status: str | None = None
    amount: int
    amount_display: str | None = None
    currency: str
    captured: bool | None = None
    amount_refunded_display: str | None = None
    remaining_refundable_display: str | None = None
    disputed: bool | None = None
    payment_intent: str | None = None
    customer: str | None = None
    payment_method: str | None = None
    failure: str | None = None
    receipt_url: str | None = None
    created: int | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> ChargeSummary:
        cur = str(obj["currency"])
        refunded = int(obj.get("amount_refunded") or 0)
        failed = obj.get("failure_code")
        return cls(
            id=obj["id"],
            status=obj.get("status"),
            amount=obj["amount"],
            amount_display=money(obj["amount"], cur),
            currency=cur,
            captured=obj.get("captured"),
            amount_refunded_display=money(refunded, cur) if refunded else None,
            remaining_refundable_display=money(refundable(obj), cur) if obj.get("captured") else None,
            disputed=True if obj.get("disputed") else None,
            payment_intent=ref(obj.get("payment_intent")),
            customer=ref(obj.get("customer")),
            payment_method=ref(obj.get("payment_method")),
            failure=error_note({"code": failed, "message": obj.get("failure_message")}) if failed else None,
            receipt_url=obj.get("receipt_url"),
            created=obj.get("created"),
        )


class DisputeSummary(Summary):
    id: str
    status: str | None = None
    reason: str | None = None
    amount: int
    amount_display: str | None = None
    currency: str
    charge: str | None = None
    payment_intent: str | None = None
    evidence_due_by: int | None = None
    is_charge_refundable: bool | None = None
    next_step: str | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> DisputeSummary:
        cur, status = str(obj["currency"]), obj.get("status")
        details = obj.get("evidence_details") or {}
        respond = status in ("needs_response", "warning_needs_response")
        return cls(
            id=obj["id"],
            status=status,
            reason=obj.get("reason"),
            amount=obj["amount"],
            amount_display=money(obj["amount"], cur),
            currency=cur,
            charge=ref(obj.get("charge")),
            payment_intent=ref(obj.get("payment_intent")),
            evidence_due_by=details.get("due_by") if respond else None,
            is_charge_refundable=obj.get("is_charge_refundable"),
            next_step="Submit evidence before evidence_due_by: "
            + api_call("POST", f"/v1/disputes/{obj['id']}", {"evidence": {"...": "..."}, "submit": True})
            + "; or accept it: "
            + api_call("POST", f"/v1/disputes/{obj['id']}/close")
            + "."
            if respond
            else None,
        )
