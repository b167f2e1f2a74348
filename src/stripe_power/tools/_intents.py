"""What PaymentIntents and SetupIntents share: the client secret, errors and the next step per status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from ..errors import DECLINE_MEANINGS
from ..hints import call

# Statuses in which the client (Payment Element, Stripe.js) continues with the client_secret.
CLIENT_CONTINUES = frozenset({"requires_payment_method", "requires_confirmation", "requires_action"})

IntentKind = Literal["payment", "setup"]


def error_note(error: Mapping[str, Any] | None) -> str | None:
    """`insufficient_funds: <plain meaning>` from a last_payment_error / last_setup_error."""
    if not error:
        return None
    code = error.get("decline_code") or error.get("code") or error.get("type") or "error"
    meaning = DECLINE_MEANINGS.get(str(code)) or str(error.get("message") or "the attempt failed")
    return f"{code}: {meaning}"


def redirect_url(obj: Mapping[str, Any]) -> str | None:
    action = obj.get("next_action") or {}
    url = (action.get("redirect_to_url") or {}).get("url")
    return str(url) if url else None


def client_secret(obj: Mapping[str, Any], with_secret: bool) -> str | None:
    """The client_secret, only from the call that created the intent and only while the client needs it."""
    secret = with_secret and obj.get("status") in CLIENT_CONTINUES and obj.get("client_secret")
    return str(secret) if secret else None


def intent_next_step(obj: Mapping[str, Any], has_secret: bool, kind: IntentKind) -> str | None:
    """The next step for the statuses both intents share; None for the others."""
    status, noun = obj["status"], f"{kind}_intent"
    secret = "client_secret (for the client only; never log it)" if has_secret else "the client_secret"
    retrieve = call(f"retrieve_{noun}", **{noun: obj["id"]})
    if status == "requires_payment_method":
        failed = error_note(obj.get(f"last_{kind}_error"))
        if failed:
            return (
                f"{kind.capitalize()} failed ({failed}). Retry with another payment method: "
                + _confirm(obj, kind, "pm_...")
                + (", or let the customer pick one on the client." if kind == "payment" else ".")
            )
        return (
            f"Add a payment method: the client collects one with {secret} (Payment Element), "
            f"or confirm it here (test card pm_card_visa): {_confirm(obj, kind, 'pm_card_visa')}."
        )
    if status == "requires_confirmation":
        return f"Confirm it: {_confirm(obj, kind, None)}."
    if status == "requires_action":
        return (
            "The customer must authenticate (3D Secure). On the client, call "
            f"stripe.handleNextAction({{clientSecret}}) with {secret}"
            + (" or send them to next_action_url" if redirect_url(obj) else "")
            + f"; then {retrieve}."
        )
    if status == "processing":
        return f"Processing: {retrieve} later or wait for {noun}.succeeded."
    return None


def _confirm(obj: Mapping[str, Any], kind: IntentKind, payment_method: str | None) -> str:
    """The confirm call, with the return_url Stripe needs when redirect-based methods are on
    (a 400 without it)."""
    automatic = obj.get("automatic_payment_methods") or {}
    redirects = automatic.get("enabled") and automatic.get("allow_redirects", "always") == "always"
    return call(
        f"confirm_{kind}_intent",
        **{f"{kind}_intent": obj["id"]},
        payment_method=payment_method,
        return_url="https://example.com/return" if redirects else None,
    )
