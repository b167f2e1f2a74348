"""Disputes opened by the dispute test cards (docs.stripe.com/testing#disputes): the charge
succeeds, then the cardholder disputes it.

A dispute (``needs_response``; ``warning_needs_response`` for an inquiry) withdraws the disputed
amount and Stripe's 15.00 dispute fee (a balance transaction; an inquiry moves no money), with
``charge.dispute.created`` and ``charge.dispute.funds_withdrawn``. Updating with ``evidence``
stages it; ``submit`` (default true) sends it: ``under_review``, or at once ``won`` / ``lost`` when
``evidence[uncategorized_text]`` is ``winning_evidence`` / ``losing_evidence`` (Stripe's test
values). Closing accepts the dispute (``lost``; an inquiry becomes ``warning_closed``). A won
dispute gives the amount back, not the fee.
"""

from __future__ import annotations

from ... import spec
from ..core.errors import invalid
from ..core.ids import new_id
from ..core.router import Ctx, Router
from ..core.schema_objects import apply_fields
from ..core.store import (
    JSON,
    Account,
    apply_metadata,
    as_bool,
    as_dict,
    changed,
    fields_match,
    now,
    paginate,
    skeleton,
    snapshot,
)
from . import balance_transactions
from .cards import TestPaymentMethod

_OPEN = ("needs_response", "warning_needs_response", "under_review", "warning_under_review")


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
    if not card.inquiry:
        txn = balance_transactions.record(
            ctx.acct,
            dispute,
            -dispute["amount"],
            "adjustment",
            balance_transactions.DISPUTE_FEE,
            "Chargeback withdrawal",
        )
        dispute["balance_transactions"] = [txn]
        ctx.acct.emit("charge.dispute.funds_withdrawn", dispute)
    return dispute


def retrieve(ctx: Ctx) -> JSON:
    return ctx.acct.get("dispute", ctx.path_params["dispute"], param="dispute")


def list_all(ctx: Ctx) -> JSON:
    pred = fields_match(ctx.params, "charge", "payment_intent")
    return paginate(ctx.acct, "dispute", ctx.params, "/v1/disputes", pred)


def _close(acct: Account, dispute: JSON, status: str) -> None:
    dispute["status"] = status
    if status == "won" and dispute["balance_transactions"]:
        txn = balance_transactions.record(
            acct, dispute, dispute["amount"], "adjustment", 0, "Chargeback reversal"
        )
        dispute["balance_transactions"].append(txn)
        acct.emit("charge.dispute.funds_reinstated", dispute)
    acct.emit("charge.dispute.closed", dispute)


def _open(ctx: Ctx, dispute_id: str) -> JSON:
    dispute = ctx.acct.get("dispute", dispute_id, param="dispute")
    if dispute["status"] not in _OPEN:
        raise invalid(f"This dispute is already closed ({dispute['status']}).", param="dispute")
    return dispute


def update(ctx: Ctx) -> JSON:
    acct = ctx.acct
    dispute = _open(ctx, ctx.path_params["dispute"])
    p = ctx.params
    before = snapshot(dispute)
    if "evidence" in p:
        props = spec.deref(spec.schemas()["dispute"]["properties"]["evidence"]).get("properties", {})
        apply_fields(props, dispute["evidence"], as_dict(p["evidence"], "evidence"))
        dispute["evidence_details"]["has_evidence"] = True
    if "metadata" in p:
        dispute["metadata"] = apply_metadata(dispute["metadata"], p["metadata"])
    submit = as_bool(p.get("submit", True), "submit")
    if submit and "evidence" in p:
        dispute["evidence_details"]["submission_count"] += 1
        dispute["status"] = (
            "warning_under_review" if dispute["status"].startswith("warning") else "under_review"
        )
    acct.emit("charge.dispute.updated", dispute, changed(before, dispute))
    verdict = {"winning_evidence": "won", "losing_evidence": "lost"}.get(
        str(dispute["evidence"].get("uncategorized_text") or "")
    )
    if submit and verdict and not dispute["status"].startswith("warning"):
        _close(acct, dispute, verdict)
    return dispute


def close(ctx: Ctx) -> JSON:
    dispute = _open(ctx, ctx.path_params["dispute"])
    _close(ctx.acct, dispute, "warning_closed" if dispute["status"].startswith("warning") else "lost")
    return dispute


def close_on_charge(ctx: Ctx) -> JSON:
    """``POST /v1/charges/{charge}/dispute/close``: the same, found from the charge."""
    charge = ctx.acct.get("charge", ctx.path_params["charge"], param="charge")
    found = next((d for d in ctx.acct.of_type("dispute") if d["charge"] == charge["id"]), None)
    if found is None:
        raise invalid(f"Charge {charge['id']} has no dispute.", param="charge")
    ctx.path_params["dispute"] = found["id"]
    return close(ctx)


def register(router: Router) -> None:
    router.add("GET", "/v1/disputes", list_all)
    router.add("GET", "/v1/disputes/{dispute}", retrieve)
    router.add("POST", "/v1/disputes/{dispute}", update, consumes=("evidence", "metadata", "submit"))
    router.add("POST", "/v1/disputes/{dispute}/close", close, consumes=())
    router.add("POST", "/v1/charges/{charge}/dispute/close", close_on_charge, consumes=())
