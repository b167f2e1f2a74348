"""Disputes, as Stripe's test cards and test evidence drive them.

A payment with a dispute test card (``pm_card_createDispute``, ``...ProductNotReceived``,
``...Inquiry``) succeeds and is then disputed: a ``dispute`` (``needs_response``, or
``warning_needs_response`` for an inquiry), the disputed amount and Stripe's 15.00 dispute fee
withdrawn (balance transaction), ``charge.dispute.created`` and ``charge.dispute.funds_withdrawn``.
Updating with ``evidence`` stages it; ``submit`` (default true) sends it: ``under_review``, or
at once ``won`` / ``lost`` when ``evidence[uncategorized_text]`` is ``winning_evidence`` /
``losing_evidence`` (Stripe's test values). Closing accepts the dispute (``lost``). Won disputes
reinstate the amount (not the fee). List and retrieve are the generic layer's.
"""

from __future__ import annotations

from .. import spec
from . import balance, payment_intents
from .errors import invalid
from .router import Ctx, Router
from .schema_objects import apply_fields, defaults, new_object
from .store import JSON, Account, apply_metadata, as_bool, as_dict, changed, now, snapshot

# test card -> (reason, opening status)
DISPUTE_CARDS = {
    "pm_card_createDispute": ("fraudulent", "needs_response"),
    "pm_card_createDisputeProductNotReceived": ("product_not_received", "needs_response"),
    "pm_card_createDisputeInquiry": ("fraudulent", "warning_needs_response"),
}
_RESPONSE_DAYS = 7
_OPEN = ("needs_response", "warning_needs_response", "under_review", "warning_under_review")


def _on_payment(ctx: Ctx, pi: JSON) -> None:
    acct = ctx.acct
    charge = acct.find("charge", pi.get("latest_charge"))
    card = acct.cards.get(charge["payment_method"]) if charge else None
    if charge is None or card is None or card.id not in DISPUTE_CARDS or charge.get("disputed"):
        return
    reason, status = DISPUTE_CARDS[card.id]
    dispute = new_object("dispute")
    evidence_schema = spec.schemas()["dispute"]["properties"]["evidence"]
    dispute.update(
        amount=charge["amount_captured"] or charge["amount"],
        charge=charge["id"],
        currency=charge["currency"],
        enhanced_eligibility_types=[],
        evidence=defaults(evidence_schema),
        evidence_details={
            "due_by": now() + 86400 * _RESPONSE_DAYS,
            "enhanced_eligibility": {},
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        is_charge_refundable=status.startswith("warning"),
        payment_intent=pi["id"],
        reason=reason,
        status=status,
        balance_transactions=[],
    )
    acct.add(dispute)
    before = snapshot(charge)
    charge["disputed"] = True
    acct.emit("charge.dispute.created", dispute)
    if status == "needs_response":  # an inquiry moves no money
        txn = balance.record(
            acct, dispute, -dispute["amount"], "adjustment", balance.DISPUTE_FEE, "Chargeback withdrawal"
        )
        dispute["balance_transactions"] = [acct.objects[txn]]
        acct.emit("charge.dispute.funds_withdrawn", dispute)
    acct.emit("charge.updated", charge, changed(before, charge))


payment_intents.PI_SUCCESS_HOOKS.append(_on_payment)


def _close(acct: Account, dispute: JSON, status: str) -> None:
    dispute["status"] = status
    if status == "won" and dispute["balance_transactions"]:
        txn = balance.record(acct, dispute, dispute["amount"], "adjustment", 0, "Chargeback reversal")
        dispute["balance_transactions"].append(acct.objects[txn])
        acct.emit("charge.dispute.funds_reinstated", dispute)
    acct.emit("charge.dispute.closed", dispute)


def _open_dispute(ctx: Ctx, dispute_id: str) -> JSON:
    dispute = ctx.acct.get("dispute", dispute_id, param="dispute")
    if dispute["status"] not in _OPEN:
        raise invalid(f"This dispute is already closed ({dispute['status']}).", param="dispute")
    return dispute


def update(ctx: Ctx) -> JSON:
    acct = ctx.acct
    dispute = _open_dispute(ctx, ctx.path_params["dispute"])
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
    dispute = _open_dispute(ctx, ctx.path_params["dispute"])
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
    router.add("POST", "/v1/disputes/{dispute}", update)
    router.add("POST", "/v1/disputes/{dispute}/close", close)
    router.add("POST", "/v1/charges/{charge}/dispute/close", close_on_charge)
