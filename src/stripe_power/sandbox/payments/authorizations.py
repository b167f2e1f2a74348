"""Incremental authorization: ``POST /v1/payment_intents/{intent}/increment_authorization``.

Stripe allows it on a card PaymentIntent in ``requires_capture`` whose confirmation asked for
``payment_method_options[card][request_incremental_authorization]=if_available`` (the charge's
``payment_method_details.card.incremental_authorization.status`` is then ``available``), to a
total greater than the current authorization.
"""

from __future__ import annotations

from typing import Any

from ..core.errors import StripeError, invalid, unexpected_state
from ..core.router import Ctx, Router
from ..core.store import JSON, apply_metadata, as_int, as_str, changed, snapshot


def note_card_options(pi: JSON, params: dict[str, Any]) -> None:
    """Keep the card options a create or confirm asked for that change what a charge allows."""
    options = params.get("payment_method_options")
    card = options.get("card") if isinstance(options, dict) else None
    wanted = card.get("request_incremental_authorization") if isinstance(card, dict) else None
    if wanted in ("if_available", "never"):
        pi["payment_method_options"]["card"]["request_incremental_authorization"] = wanted


def incremental_status(pi: JSON) -> str:
    """The charge's incremental_authorization.status for ``pi``."""
    asked = (pi.get("payment_method_options") or {}).get("card", {}).get("request_incremental_authorization")
    return "available" if asked == "if_available" and pi.get("capture_method") == "manual" else "unavailable"


def increment_authorization(ctx: Ctx) -> JSON:
    acct = ctx.acct
    pi = acct.get("payment_intent", ctx.path_params["intent"], param="intent")
    if pi["status"] != "requires_capture":
        raise unexpected_state(
            f"This PaymentIntent's amount could not be updated because it has a status of {pi['status']}. "
            "You may only increment the authorization of a PaymentIntent with status requires_capture."
        )
    charge = acct.get("charge", pi["latest_charge"])
    card = charge["payment_method_details"]["card"]
    if card["incremental_authorization"]["status"] != "available":
        raise StripeError(
            400,
            "This PaymentIntent does not support incremental authorizations. Confirm it with "
            "`payment_method_options[card][request_incremental_authorization]=if_available` and "
            "`capture_method=manual`.",
            code="payment_intent_incompatible_payment_method",
        )
    amount = as_int(ctx.params["amount"], "amount")
    if amount <= pi["amount"]:
        raise invalid(
            f"The amount ({amount}) must be greater than the currently authorized amount ({pi['amount']}).",
            param="amount",
        )
    before, charge_before = snapshot(pi), snapshot(charge)
    pi["amount"] = pi["amount_capturable"] = amount
    if "description" in ctx.params:
        pi["description"] = as_str(ctx.params["description"], "description") or None
    if "metadata" in ctx.params:
        pi["metadata"] = apply_metadata(pi["metadata"], ctx.params["metadata"])
    charge["amount"] = amount
    card["amount_authorized"] = amount
    card["overcapture"]["maximum_amount_capturable"] = amount
    acct.emit("payment_intent.amount_capturable_updated", pi, changed(before, pi))
    acct.emit("charge.updated", charge, changed(charge_before, charge))
    return pi


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/payment_intents/{intent}/increment_authorization",
        increment_authorization,
        consumes=("amount", "description", "metadata"),
    )
