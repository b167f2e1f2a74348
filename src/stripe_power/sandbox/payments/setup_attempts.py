"""SetupAttempts: one per SetupIntent confirmation, with its outcome (``succeeded``, ``failed``
with the ``setup_error``, ``requires_action`` until 3-D Secure is done). Listed by
``GET /v1/setup_attempts?setup_intent=seti_...`` (the generic layer's list, filtered on that field)."""

from __future__ import annotations

from ..core.schema_objects import new_object
from ..core.store import JSON, Account, snapshot


def record(acct: Account, si: JSON, pm: JSON, status: str, error: JSON | None = None) -> None:
    attempt = new_object("setup_attempt")
    card = pm.get("card") or {}
    attempt.update(
        attach_to_self=False,
        customer=si.get("customer"),
        flow_directions=None,
        payment_method=pm["id"],
        payment_method_details={
            "card": {
                "brand": card.get("brand"),
                "checks": card.get("checks"),
                "country": card.get("country"),
                "exp_month": card.get("exp_month"),
                "exp_year": card.get("exp_year"),
                "fingerprint": card.get("fingerprint"),
                "funding": card.get("funding"),
                "last4": card.get("last4"),
                "network": card.get("brand"),
                "three_d_secure": None,
                "wallet": None,
            },
            "type": "card",
        },
        setup_error=snapshot(error) if error else None,
        setup_intent=si["id"],
        status=status,
        usage=si.get("usage") or "off_session",
    )
    acct.add(attempt)
    si["latest_attempt"] = attempt["id"]


def settle(acct: Account, si: JSON, status: str) -> None:
    """The outcome of an attempt that was waiting for the customer (3-D Secure)."""
    attempt = acct.find("setup_attempt", si.get("latest_attempt"))
    if attempt is not None and attempt["status"] == "requires_action":
        attempt["status"] = status
