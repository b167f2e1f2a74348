"""Refunds of captured charges."""

from __future__ import annotations

from ..connect import connect_charges
from ..core.errors import invalid
from ..core.ids import new_id
from ..core.router import Ctx, Router
from ..core.store import (
    JSON,
    apply_metadata,
    as_enum,
    as_int,
    as_str,
    changed,
    fields_match,
    now,
    paginate,
    skeleton,
    snapshot,
)
from . import balance_transactions
from .charges import fmt_money


def create_refund(ctx: Ctx) -> JSON:
    p = ctx.params
    acct = ctx.acct
    if "payment_intent" in p:
        pi = acct.get(
            "payment_intent",
            as_str(p["payment_intent"], "payment_intent"),
            param="payment_intent",
            status=400,
        )
        if pi["status"] != "succeeded" or not pi.get("latest_charge"):
            raise invalid(
                f"This PaymentIntent ({pi['id']}) does not have a successful charge to refund.",
                param="payment_intent",
            )
        ch = acct.get("charge", pi["latest_charge"])
        if "charge" in p and p["charge"] != ch["id"]:
            raise invalid("The charge does not belong to this PaymentIntent.", param="charge")
    elif "charge" in p:
        ch = acct.get("charge", as_str(p["charge"], "charge"), param="charge", status=400)
    else:
        raise invalid(
            "One of the following params should be provided for this request: payment_intent or charge.",
            param="payment_intent",
        )
    if not ch["captured"] or ch["status"] != "succeeded":
        raise invalid(f"Charge {ch['id']} has not been captured and cannot be refunded.", param="charge")
    remaining = ch["amount"] - ch["amount_refunded"]
    if remaining <= 0:
        raise invalid(f"Charge {ch['id']} has already been refunded.", code="charge_already_refunded")
    amount = remaining
    if "amount" in p:
        amount = as_int(p["amount"], "amount", minimum=1)
        if amount > remaining:
            raise invalid(
                f"Refund amount ({fmt_money(amount, ch['currency'])}) is greater than unrefunded amount on charge "
                f"({fmt_money(remaining, ch['currency'])})",
                param="amount",
                code="amount_too_large",
            )
    reason = None
    if "reason" in p:
        reason = as_enum(p["reason"], "reason", ("duplicate", "fraudulent", "requested_by_customer"))
    re: JSON = skeleton("refund")
    re.update(
        id=new_id("re", 24),
        object="refund",
        amount=amount,
        balance_transaction=None,
        charge=ch["id"],
        created=now(),
        currency=ch["currency"],
        destination_details={
            "card": {
                "reference": "sandbox" + ch["id"][-12:],
                "reference_status": "available",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        },
        metadata=apply_metadata({}, p.get("metadata", {})),
        payment_intent=ch.get("payment_intent"),
        reason=reason,
        status="succeeded",
    )
    acct.add(re)
    ch_before = snapshot(ch)
    ch["amount_refunded"] += amount
    ch["refunded"] = ch["amount_refunded"] >= ch["amount"]
    re["balance_transaction"] = balance_transactions.record(acct, re, -amount, "refund")["id"]
    connect_charges.on_refund(ctx, ch, re, p)
    acct.emit("refund.created", re)
    acct.emit("charge.refunded", ch, changed(ch_before, ch))
    return re


def retrieve_refund(ctx: Ctx) -> JSON:
    return ctx.acct.get("refund", ctx.path_params["refund"], param="refund")


def update_refund(ctx: Ctx) -> JSON:
    re = ctx.acct.get("refund", ctx.path_params["refund"], param="refund")
    before = snapshot(re)
    if "metadata" in ctx.params:
        re["metadata"] = apply_metadata(re["metadata"], ctx.params["metadata"])
    ctx.acct.emit("refund.updated", re, changed(before, re))
    return re


def cancel_refund(ctx: Ctx) -> JSON:
    re = ctx.acct.get("refund", ctx.path_params["refund"], param="refund")
    raise invalid(
        f"Refund {re['id']} cannot be canceled because it has a status of {re['status']}. Only refunds with a "
        "status of `requires_action` can be canceled.",
        param="refund",
    )


def list_refunds(ctx: Ctx) -> JSON:
    pred = fields_match(ctx.params, "payment_intent", "charge")
    return paginate(ctx.acct, "refund", ctx.params, "/v1/refunds", pred)


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/refunds",
        create_refund,
        consumes=(
            "amount",
            "charge",
            "currency",
            "metadata",
            "payment_intent",
            "reason",
            *connect_charges.REFUND_FIELDS,
        ),
    )
    router.add("GET", "/v1/refunds", list_refunds)
    router.add("GET", "/v1/refunds/{refund}", retrieve_refund)
    router.add("POST", "/v1/refunds/{refund}", update_refund, consumes=("metadata",))
    router.add("POST", "/v1/refunds/{refund}/cancel", cancel_refund, consumes=())
