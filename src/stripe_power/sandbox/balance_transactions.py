"""Balance transactions: the money trail of charges, refunds and disputes, with Stripe's fees.

Fees follow Stripe's standard US card pricing (stripe.com/pricing), which test mode applies too:
2.9% + 30 cents per successful charge, nothing given back on refunds, 15.00 per dispute. The
account's balance moves by each transaction's ``net``; ``expand=latest_charge.balance_transaction``
(and a refund's or dispute's) shows amount, fee and net as Stripe does.
"""

from __future__ import annotations

import math

from .ids import new_id
from .router import Ctx, Router
from .store import JSON, Account, fields_match, now, paginate, skeleton

_FEE_PERCENT = 0.029
_FEE_FIXED = 30
DISPUTE_FEE = 1500
_CATEGORY = {"charge": "charge", "refund": "refund", "adjustment": "dispute"}


def record(
    acct: Account, source: JSON, amount: int, kind: str, fee: int = 0, description: str | None = None
) -> JSON:
    """Book ``amount`` (negative for money out) from ``source`` less ``fee``; returns the transaction."""
    created = now()
    txn: JSON = skeleton("balance_transaction")
    txn.update(
        id=new_id("txn", 24),
        object="balance_transaction",
        amount=amount,
        available_on=created + 2 * 86400,
        balance_type="payments",
        created=created,
        currency=source["currency"],
        description=description,
        fee=fee,
        fee_details=[
            {
                "amount": fee,
                "application": None,
                "currency": source["currency"],
                "description": "Dispute fee" if kind == "adjustment" else "Stripe processing fees",
                "type": "stripe_fee",
            }
        ]
        if fee
        else [],
        net=amount - fee,
        reporting_category=_CATEGORY[kind],
        source=source["id"],
        status="pending",
        type=kind,
    )
    acct.add(txn)
    acct.balance[txn["currency"]] = acct.balance.get(txn["currency"], 0) + txn["net"]
    return txn


def record_charge(acct: Account, charge: JSON, amount: int) -> JSON:
    """The `charge` balance transaction for `amount` of `charge` (captured); returns it."""
    fee = min(amount, math.floor(amount * _FEE_PERCENT + 0.5) + _FEE_FIXED)
    txn = record(acct, charge, amount, "charge", fee, charge.get("description"))
    charge["balance_transaction"] = txn["id"]
    return txn


def retrieve(ctx: Ctx) -> JSON:
    return ctx.acct.get("balance_transaction", ctx.path_params["id"], param="id")


def list_all(ctx: Ctx) -> JSON:
    pred = fields_match(ctx.params, "source", "type")
    return paginate(ctx.acct, "balance_transaction", ctx.params, "/v1/balance_transactions", pred)


def register(router: Router) -> None:
    router.add("GET", "/v1/balance_transactions", list_all)
    router.add("GET", "/v1/balance_transactions/{id}", retrieve)
