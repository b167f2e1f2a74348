"""Balance transactions: the money trail of charges, refunds and disputes, with Stripe's fees.

Fees follow Stripe's standard card pricing, which test mode applies too: 2.9% + 30 (minor units)
per successful card charge, nothing returned on refunds, 15.00 per dispute. ``acct.balance``
moves by each transaction's ``net``. List and retrieve are the generic layer's
(``GET /v1/balance_transactions`` filters by ``type``, ``source``, ``currency``).
"""

from __future__ import annotations

from .ids import new_id
from .store import JSON, Account, now

CARD_PERCENT = 0.029
CARD_FIXED = 30
DISPUTE_FEE = 1500
_SETTLE_DAYS = 2


def card_fee(amount: int) -> int:
    return round(amount * CARD_PERCENT) + CARD_FIXED


def record(
    acct: Account, source: JSON, amount: int, kind: str, fee: int = 0, description: str | None = None
) -> str:
    """Book ``amount`` (negative for money out) from ``source``; returns the transaction id."""
    ts = now()
    category = {"charge": "charge", "refund": "refund", "adjustment": "dispute"}[kind]
    txn: JSON = {
        "id": new_id("txn", 24),
        "object": "balance_transaction",
        "amount": amount,
        "available_on": ts + 86400 * _SETTLE_DAYS,
        "balance_type": "payments",
        "created": ts,
        "currency": source["currency"],
        "description": description,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": (
            [
                {
                    "amount": fee,
                    "application": None,
                    "currency": source["currency"],
                    "description": "Dispute fee" if kind == "adjustment" else "Stripe processing fees",
                    "type": "stripe_fee",
                }
            ]
            if fee
            else []
        ),
        "net": amount - fee,
        "reporting_category": category,
        "source": source["id"],
        "status": "pending",
        "type": kind,
    }
    acct.add(txn)
    acct.balance[txn["currency"]] = acct.balance.get(txn["currency"], 0) + txn["net"]
    return str(txn["id"])


def charge_captured(acct: Account, charge: JSON, amount: int) -> None:
    """A card charge's money lands: gross ``amount`` less Stripe's fee."""
    charge["balance_transaction"] = record(
        acct, charge, amount, "charge", card_fee(amount), charge.get("description")
    )
