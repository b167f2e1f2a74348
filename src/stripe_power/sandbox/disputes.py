"""Disputes opened by the dispute test cards (docs.stripe.com/testing#disputes): the charge
succeeds, then the cardholder disputes it."""

from __future__ import annotations

from .cards import TestPaymentMethod
from .ids import new_id
from .router import Ctx, Router
from .store import JSON, now, paginate, skeleton


def open_dispute(ctx: Ctx, charge: JSON, card: TestPaymentMethod) -> JSON:
    created = now()
    dispute: JSON = skeleton("dispute")
    dispute.update(
        id=new_id("dp", 24),
        object="dispute",
        amount=charge["amount"],
        balance_transactions=[],
        charge=charge["id"],
        created=created,
        currency=charge["currency"],
        enhanced_eligibility_types=[],
        evidence={**skeleton("dispute_evidence"), "enhanced_evidence": {}},
        evidence_details={
            "due_by": created + 21 * 86400,
            "enhanced_eligibility": {},
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        is_charge_refundable=card.inquiry,
        livemode=False,
        metadata={},
        payment_intent=charge.get("payment_intent"),
        payment_method_details={
            "card": {
                "brand": card.brand,
                "case_type": "inquiry" if card.inquiry else "chargeback",
                "network": card.brand,
                "network_reason_code": None,
            },
            "type": "card",
        },
        reason=card.dispute,
        status="warning_needs_response" if card.inquiry else "needs_response",
    )
    ctx.acct.add(dispute)
    charge["disputed"] = True
    ctx.acct.emit("charge.dispute.created", dispute)
    return dispute


def retrieve(ctx: Ctx) -> JSON:
    return ctx.acct.get("dispute", ctx.path_params["dispute"], param="dispute")


def list_all(ctx: Ctx) -> JSON:
    charge, pi = ctx.params.get("charge"), ctx.params.get("payment_intent")
    return paginate(
        ctx.acct,
        "dispute",
        ctx.params,
        "/v1/disputes",
        lambda o: (charge is None or o["charge"] == charge) and (pi is None or o["payment_intent"] == pi),
    )


def register(router: Router) -> None:
    router.add("GET", "/v1/disputes", list_all)
    router.add("GET", "/v1/disputes/{dispute}", retrieve)
