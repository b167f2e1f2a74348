"""Application fees: what a platform earns on its connected accounts' charges, and their refunds.

A charge with ``application_fee_amount`` collects that amount, capped at what was captured, from the
connected account into the platform's balance (an ``application_fee`` balance transaction); the
fee object lives on the platform and names the account and the charge it came from (for a
destination charge, the payment on the connected account, with ``originating_transaction`` the
platform's charge). Refunds (``fr_``) give some or all of it back to the connected account
(docs.stripe.com/connect/direct-charges#collect-fees, /api/fee_refunds).
"""

from __future__ import annotations

from typing import Any

from ...money import format_amount as fmt_money
from ..core import nested
from ..core.ids import new_id
from ..core.router import Ctx, Router
from ..core.store import (
    JSON,
    apply_metadata,
    as_int,
    changed,
    fields_match,
    now,
    paginate,
    skeleton,
    snapshot,
)
from ..payments import balance_transactions


def collect(
    ctx: Ctx, account: str, amount: int, currency: str, charge: JSON, originating: bool = False
) -> JSON:
    """Book an application fee of ``amount`` from connected ``account`` on ``charge``; with
    ``originating``, ``charge`` is the platform's destination charge (the caller then names the
    payment on the connected account as the fee's ``charge``)."""
    home = ctx.acct.home
    fee: JSON = skeleton("application_fee")
    fid = new_id("fee", 24)
    fee.update(
        id=fid,
        object="application_fee",
        account=account,
        amount=amount,
        amount_refunded=0,
        application=home.application,
        charge="" if originating else charge["id"],
        created=now(),
        currency=currency,
        fee_source=None if originating else {"charge": charge["id"], "type": "charge"},
        livemode=False,
        originating_transaction=charge["id"] if originating else None,
        refunded=False,
        refunds=nested.embedded(f"/v1/application_fees/{fid}/refunds"),
    )
    home.add(fee)
    fee["balance_transaction"] = balance_transactions.record(home, fee, amount, "application_fee")["id"]
    home.emit("application_fee.created", fee)
    return fee


def refund(ctx: Ctx, fee: JSON, amount: int | None = None, metadata: Any = None) -> JSON:
    """Give ``amount`` (default: what is left) of ``fee`` back to the connected account."""
    home = ctx.acct.home
    left = fee["amount"] - fee["amount_refunded"]
    amount = nested.take(
        amount,
        left,
        f"Application fee {fee['id']} has already been refunded.",
        f"Refund amount ({fmt_money(amount, fee['currency'])}) is greater than unrefunded amount on fee "
        f"({fmt_money(left, fee['currency'])})",
    )
    fr: JSON = skeleton("fee_refund")
    fr.update(
        id=new_id("fr", 24),
        object="fee_refund",
        amount=amount,
        created=now(),
        currency=fee["currency"],
        fee=fee["id"],
        metadata=apply_metadata({}, metadata or {}),
    )
    home.add(fr)
    fr["balance_transaction"] = balance_transactions.record(home, fr, -amount, "application_fee_refund")["id"]
    store = home.connected.get(fee["account"])
    if store is not None:
        balance_transactions.record(store, fr, amount, "application_fee_refund")
    before = snapshot(fee)
    fee["amount_refunded"] += amount
    fee["refunded"] = fee["amount_refunded"] >= fee["amount"]
    nested.push(fee["refunds"], fr)
    home.emit("application_fee.refunded", fee, changed(before, fee))
    return fr


def _fee(ctx: Ctx, name: str = "id") -> JSON:
    return ctx.acct.get("application_fee", ctx.path_params[name], param=name)


def list_fees(ctx: Ctx) -> JSON:
    return paginate(
        ctx.acct, "application_fee", ctx.params, "/v1/application_fees", fields_match(ctx.params, "charge")
    )


def retrieve_fee(ctx: Ctx) -> JSON:
    return _fee(ctx)


def _amount(ctx: Ctx) -> int | None:
    return as_int(ctx.params["amount"], "amount", minimum=1) if "amount" in ctx.params else None


def create_refund(ctx: Ctx) -> JSON:
    return refund(ctx, _fee(ctx), _amount(ctx), ctx.params.get("metadata"))


def refund_fee(ctx: Ctx) -> JSON:
    """The older ``POST /v1/application_fees/{id}/refund``: the same refund, answering the fee."""
    fee = _fee(ctx)
    refund(ctx, fee, _amount(ctx))
    return fee


def list_refunds(ctx: Ctx) -> JSON:
    fee = _fee(ctx)
    return nested.children(ctx, "fee_refund", f"/v1/application_fees/{fee['id']}/refunds", "fee", fee)


def retrieve_refund(ctx: Ctx) -> JSON:
    return nested.child(ctx, "fee_refund", ctx.path_params["id"], "fee", _fee(ctx, "fee"))


def update_refund(ctx: Ctx) -> JSON:
    fr = nested.child(ctx, "fee_refund", ctx.path_params["id"], "fee", _fee(ctx, "fee"))
    return nested.update(ctx, fr, "application_fee.refund.updated")


def register(router: Router) -> None:
    router.add("GET", "/v1/application_fees", list_fees)
    router.add("GET", "/v1/application_fees/{id}", retrieve_fee)
    # The older refund's `directive` has no documented meaning: refused as a sandbox limit.
    router.add("POST", "/v1/application_fees/{id}/refund", refund_fee, consumes=("amount",))
    router.add("POST", "/v1/application_fees/{id}/refunds", create_refund, consumes=("amount", "metadata"))
    router.add("GET", "/v1/application_fees/{id}/refunds", list_refunds)
    router.add("GET", "/v1/application_fees/{fee}/refunds/{id}", retrieve_refund)
    router.add("POST", "/v1/application_fees/{fee}/refunds/{id}", update_refund, consumes=("metadata",))
