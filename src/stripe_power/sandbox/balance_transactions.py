"""Balance transactions: one per captured charge, so `expand=latest_charge.balance_transaction`
shows the amount, Stripe's fee and the net, as in Stripe."""

from __future__ import annotations

import math

from .ids import new_id
from .router import Ctx, Router
from .store import JSON, Account, now, paginate, skeleton

# Stripe's standard US card pricing (stripe.com/pricing): 2.9% + 30 cents per successful charge.
_FEE_PERCENT = 0.029
_FEE_FIXED = 30


def record_charge(acct: Account, charge: JSON, amount: int) -> JSON:
    """The `charge` balance transaction for `amount` of `charge` (captured); returns it."""
    fee = min(amount, math.floor(amount * _FEE_PERCENT + 0.5) + _FEE_FIXED)
    created = now()
    txn: JSON = skeleton("balance_transaction")
    txn.update(
        id=new_id("txn", 24),
        object="balance_transaction",
        amount=amount,
        available_on=created + 2 * 86400,
        balance_type="payments",
        created=created,
        currency=charge["currency"],
        description=charge.get("description"),
        fee=fee,
        fee_details=[
            {
                "amount": fee,
                "application": None,
                "currency": charge["currency"],
                "description": "Stripe processing fees",
                "type": "stripe_fee",
            }
        ],
        net=amount - fee,
        reporting_category="charge",
        source=charge["id"],
        status="pending",
        type="charge",
    )
    acct.add(txn)
    acct.balance[charge["currency"]] = acct.balance.get(charge["currency"], 0) + amount - fee
    charge["balance_transaction"] = txn["id"]
    return txn


def retrieve(ctx: Ctx) -> JSON:
    return ctx.acct.get("balance_transaction", ctx.path_params["id"], param="id")


def list_all(ctx: Ctx) -> JSON:
    source = ctx.params.get("source")
    return paginate(
        ctx.acct,
        "balance_transaction",
        ctx.params,
        "/v1/balance_transactions",
        lambda o: source is None or o["source"] == source,
    )


def register(router: Router) -> None:
    router.add("GET", "/v1/balance_transactions", list_all)
    router.add("GET", "/v1/balance_transactions/{id}", retrieve)
