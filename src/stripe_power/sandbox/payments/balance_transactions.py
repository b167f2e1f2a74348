"""Balance transactions: the money trail of charges, refunds and disputes, with Stripe's fees.

Fees follow Stripe's standard US card pricing (stripe.com/pricing), which test mode applies too:
2.9% + 30 cents per successful charge, nothing given back on refunds, 15.00 per dispute. The
account's balance moves by each transaction's ``net``; ``expand=latest_charge.balance_transaction``
(and a refund's or dispute's) shows amount, fee and net as Stripe does.
"""

from __future__ import annotations

import math

from ..core.ids import new_id
from ..core.router import Ctx, Router
from ..core.store import JSON, Account, fields_match, now, paginate, skeleton

_FEE_PERCENT = 0.029
_FEE_FIXED = 30
DISPUTE_FEE = 1500
# Each type's reporting category (docs.stripe.com/reports/reporting-categories).
_CATEGORY = {
    "charge": "charge",
    "refund": "refund",
    "adjustment": "dispute",
    "application_fee": "platform_earning",
    "application_fee_refund": "platform_earning_refund",
    "transfer": "transfer",
    "transfer_refund": "transfer_reversal",
    "payment": "charge",
    "payment_refund": "refund",
    "payout": "payout",
    "payout_cancel": "payout_reversal",
    "stripe_fee": "fee",
}


def record(
    acct: Account,
    source: JSON,
    amount: int,
    kind: str,
    fee: int = 0,
    description: str | None = None,
    fee_details: list[JSON] | None = None,
) -> JSON:
    """Book ``amount`` (negative for money out) from ``source`` less ``fee`` (or the sum of
    ``fee_details``: Stripe's fee and an application fee); returns the transaction."""
    created = now()
    if fee_details is not None:
        fee = sum(int(d["amount"]) for d in fee_details)
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
        fee_details=fee_details
        if fee_details is not None
        else [fee_detail(fee, source["currency"], "Dispute fee" if kind == "adjustment" else None)]
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


def fee_detail(
    amount: int, currency: str, description: str | None = None, application: str | None = None
) -> JSON:
    """One entry of ``fee_details``: Stripe's processing fee, or a Connect application's fee."""
    return {
        "amount": amount,
        "application": application,
        "currency": currency,
        "description": description or ("Application fee" if application else "Stripe processing fees"),
        "type": "application_fee" if application else "stripe_fee",
    }


def stripe_fee(amount: int) -> int:
    return min(amount, math.floor(amount * _FEE_PERCENT + 0.5) + _FEE_FIXED)


def record_charge(acct: Account, charge: JSON, amount: int, fee_details: list[JSON] | None = None) -> JSON:
    """The `charge` balance transaction for `amount` of `charge` (captured); returns it. Without
    ``fee_details``, Stripe's processing fee."""
    if fee_details is None:
        fee_details = [fee_detail(stripe_fee(amount), charge["currency"])]
    txn = record(
        acct, charge, amount, "charge", description=charge.get("description"), fee_details=fee_details
    )
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
