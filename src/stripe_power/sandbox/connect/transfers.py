"""Transfers to connected accounts and their reversals (docs.stripe.com/connect/separate-charges-and-transfers).

A transfer moves funds from the platform's balance (a ``transfer`` balance transaction) to a
connected account, where it arrives as a payment: a ``py_`` charge (``destination_payment``,
``source_transfer``) with a ``payment`` balance transaction. Destination charges make one for each
capture (connect_charges.py). A reversal is an object of its own (``trr_``) listed under its
transfer's ``reversals``: it takes the amount back from the connected account (a ``pyr_`` refund of
the destination payment, ``payment_refund``) into the platform's balance (``transfer_refund``), and
with ``refund_application_fee`` refunds the charge's application fee in proportion.
"""

from __future__ import annotations

from typing import Any

from ...money import format_amount as fmt_money
from ..core import nested
from ..core.errors import StripeError, invalid, missing_param, no_such
from ..core.ids import new_id
from ..core.router import Ctx, Router
from ..core.store import (
    JSON,
    Account,
    apply_metadata,
    as_bool,
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
from ..payments import balance_transactions
from . import application_fees
from .connect_accounts import capability_status
from .connect_scope import connected

INSUFFICIENT_FUNDS = (
    "You have insufficient available funds in your Stripe account. Try adding funds directly to your available "
    "balance by creating Charges using the 4000000000000077 test card. See: "
    "https://stripe.com/docs/testing#available-balance"
)


def require_transfers(home: Account, account: JSON, param: str) -> None:
    """Funds reach a connected account only once its `transfers` capability is active (Stripe's 400)."""
    if capability_status(home, account, "transfers") != "active":
        raise invalid(
            "Your destination account needs to have at least one of the following capabilities enabled: "
            "transfers, crypto_transfers, legacy_payments",
            param=param,
        )


def _destination_payment(
    ctx: Ctx, store: Account, tr: JSON, fee: JSON | None, payment_data: dict[str, Any]
) -> JSON:
    """The payment a transfer makes on the connected account (a ``py_`` charge)."""
    py: JSON = skeleton("charge")
    home = ctx.acct
    py.update(
        id=new_id("py", 24),
        object="charge",
        amount=tr["amount"],
        amount_captured=tr["amount"],
        amount_refunded=0,
        application=home.application,
        billing_details=skeleton("billing_details"),
        captured=True,
        created=tr["created"],
        currency=tr["currency"],
        description=payment_data.get("description"),
        disputed=False,
        fraud_details={},
        livemode=False,
        metadata=apply_metadata(
            {}, payment_data.get("metadata", {}), "transfer_data[payment_data][metadata]"
        ),
        paid=True,
        payment_method_details={"stripe_account": {}, "type": "stripe_account"},
        refunded=False,
        source_transfer=tr["id"],
        status="succeeded",
        transfer_group=tr.get("transfer_group"),
    )
    store.add(py)
    details = []
    if fee is not None:
        py.update(application_fee=fee["id"], application_fee_amount=fee["amount"])
        details = [
            balance_transactions.fee_detail(fee["amount"], fee["currency"], application=home.application)
        ]
    txn = balance_transactions.record(store, py, py["amount"], "payment", fee_details=details)
    py["balance_transaction"] = txn["id"]
    return py


def send(
    ctx: Ctx,
    destination: str,
    amount: int,
    currency: str,
    *,
    param: str = "destination",
    source_transaction: JSON | None = None,
    source_type: str = "card",
    transfer_group: str | None = None,
    description: str | None = None,
    metadata: Any = None,
    payment_data: dict[str, Any] | None = None,
    application_fee: int = 0,
) -> JSON:
    """Transfer ``amount`` from the platform to ``destination``; with ``application_fee`` (a
    destination charge's), that much comes back to the platform as an application fee."""
    home = ctx.acct
    try:
        account, store = connected(ctx, destination, param)
    except StripeError:
        raise no_such("destination", str(destination), param=param, status=400) from None
    require_transfers(home, account, param)
    tr: JSON = skeleton("transfer")
    tr.update(
        id=new_id("tr", 24),
        object="transfer",
        amount=amount,
        amount_reversed=0,
        created=now(),
        currency=currency,
        description=description,
        destination=account["id"],
        livemode=False,
        metadata=apply_metadata({}, metadata or {}),
        reversed=False,
        source_transaction=source_transaction["id"] if source_transaction else None,
        source_type=source_type,
        transfer_group=transfer_group,
    )
    tr["reversals"] = nested.embedded(f"/v1/transfers/{tr['id']}/reversals")
    home.add(tr)
    tr["balance_transaction"] = balance_transactions.record(home, tr, -amount, "transfer")["id"]
    fee = None
    if application_fee and source_transaction is not None:
        fee = application_fees.collect(
            ctx, account["id"], application_fee, currency, source_transaction, True
        )
    py = _destination_payment(ctx, store, tr, fee, payment_data or {})
    tr["destination_payment"] = py["id"]
    if fee is not None:
        fee["charge"] = py["id"]
        fee["fee_source"] = {"charge": py["id"], "type": "charge"}
        home.priv(tr)["fee"] = fee["id"]
    home.emit("transfer.created", tr)
    return tr


def create_transfer(ctx: Ctx) -> JSON:
    p = ctx.params
    home = ctx.acct
    if "amount" not in p:
        raise missing_param("amount")
    amount = as_int(p["amount"], "amount", minimum=1)
    currency = as_str(p["currency"], "currency").lower()
    source = None
    if "source_transaction" in p:
        source = home.get(
            "charge", as_str(p["source_transaction"], "source_transaction"), "source_transaction", 400
        )
        if source["currency"] != currency:
            raise invalid(
                f"The currency of source_transaction's balance transaction ({source['currency']}) must be the same "
                f"as the transfer currency ({currency}).",
                param="currency",
            )
        funded = sum(
            t["amount"] for t in home.of_type("transfer") if t.get("source_transaction") == source["id"]
        )
        if not source["captured"] or amount + funded > source["amount_captured"] - source["amount_refunded"]:
            raise invalid(
                f"The transfer amount ({fmt_money(amount, currency)}) exceeds what is left of the source charge "
                f"{source['id']} ({fmt_money(max(0, source['amount_captured'] - source['amount_refunded'] - funded), currency)}).",
                param="amount",
            )
    else:
        # The sandbox's balance is all card funds: bank_account and fpx balances are empty.
        kind = as_enum(p.get("source_type", "card"), "source_type", ("bank_account", "card", "fpx"))
        if (home.balance.get(currency, 0) if kind == "card" else 0) < amount:
            raise StripeError(400, INSUFFICIENT_FUNDS, code="balance_insufficient")
    return send(
        ctx,
        p["destination"],
        amount,
        currency,
        source_transaction=source,
        source_type=str(p.get("source_type", "card")),
        transfer_group=as_str(p["transfer_group"], "transfer_group") if "transfer_group" in p else None,
        description=as_str(p["description"], "description") if "description" in p else None,
        metadata=p.get("metadata"),
    )


def _transfer(ctx: Ctx, name: str = "transfer") -> JSON:
    """A transfer the request's account sent (a connected account's store has none of the platform's)."""
    return ctx.acct.get("transfer", ctx.path_params[name], param=name)


def retrieve_transfer(ctx: Ctx) -> JSON:
    return _transfer(ctx)


def update_transfer(ctx: Ctx) -> JSON:
    return nested.update(ctx, _transfer(ctx), "transfer.updated", ("description",))


def list_transfers(ctx: Ctx) -> JSON:
    return paginate(
        ctx.acct,
        "transfer",
        ctx.params,
        "/v1/transfers",
        fields_match(ctx.params, "destination", "transfer_group"),
    )


# -- reversals ------------------------------------------------------------------------------------


def reverse(
    ctx: Ctx,
    tr: JSON,
    amount: int | None,
    *,
    refund_application_fee: bool = False,
    source_refund: str | None = None,
    description: str | None = None,
    metadata: Any = None,
) -> JSON:
    """Reverse ``amount`` (default: what is left) of ``tr``; returns the ``trr_`` reversal."""
    home = ctx.acct
    left = tr["amount"] - tr["amount_reversed"]
    amount = nested.take(
        amount,
        left,
        f"Transfer {tr['id']} has already been fully reversed.",
        f"You cannot reverse {fmt_money(amount, tr['currency'])}: only {fmt_money(left, tr['currency'])} of "
        f"transfer {tr['id']} is left to reverse.",
    )
    store = home.connected.get(tr["destination"])
    trr: JSON = skeleton("transfer_reversal")
    trr.update(
        id=new_id("trr", 24),
        object="transfer_reversal",
        amount=amount,
        created=now(),
        currency=tr["currency"],
        metadata=apply_metadata({}, metadata or {}),
        source_refund=source_refund,
        transfer=tr["id"],
    )
    home.add(trr)
    home.priv(trr)["description"] = description
    trr["balance_transaction"] = balance_transactions.record(home, trr, amount, "transfer_refund")["id"]
    if store is not None and tr.get("destination_payment"):
        trr["destination_payment_refund"] = _refund_payment(store, tr["destination_payment"], amount)["id"]
    before = snapshot(tr)
    tr["amount_reversed"] += amount
    tr["reversed"] = tr["amount_reversed"] >= tr["amount"]
    nested.push(tr["reversals"], trr)
    fee = home.find("application_fee", home.priv(tr).get("fee"))
    if refund_application_fee and fee is not None:
        share = (
            fee["amount"] - fee["amount_refunded"]
            if tr["reversed"]
            else round(fee["amount"] * amount / tr["amount"])
        )
        if share > 0:
            application_fees.refund(ctx, fee, min(share, fee["amount"] - fee["amount_refunded"]))
    home.emit("transfer.reversed", tr, changed(before, tr))
    return trr


def _refund_payment(store: Account, payment_id: str, amount: int) -> JSON:
    """Take ``amount`` back from the destination payment: a ``pyr_`` refund on the connected account."""
    py = store.get("charge", payment_id)
    pyr: JSON = skeleton("refund")
    pyr.update(
        id=new_id("pyr", 24),
        object="refund",
        amount=amount,
        charge=py["id"],
        created=now(),
        currency=py["currency"],
        metadata={},
        status="succeeded",
    )
    store.add(pyr)
    pyr["balance_transaction"] = balance_transactions.record(store, pyr, -amount, "payment_refund")["id"]
    py["amount_refunded"] += amount
    py["refunded"] = py["amount_refunded"] >= py["amount"]
    return pyr


def create_reversal(ctx: Ctx) -> JSON:
    tr = _transfer(ctx, "id")
    p = ctx.params
    return reverse(
        ctx,
        tr,
        as_int(p["amount"], "amount", minimum=1) if "amount" in p else None,
        refund_application_fee=as_bool(p.get("refund_application_fee", False), "refund_application_fee"),
        description=as_str(p["description"], "description") if "description" in p else None,
        metadata=p.get("metadata"),
    )


def list_reversals(ctx: Ctx) -> JSON:
    tr = _transfer(ctx, "id")
    return nested.children(ctx, "transfer_reversal", f"/v1/transfers/{tr['id']}/reversals", "transfer", tr)


def retrieve_reversal(ctx: Ctx) -> JSON:
    return nested.child(ctx, "transfer_reversal", ctx.path_params["id"], "transfer", _transfer(ctx))


def update_reversal(ctx: Ctx) -> JSON:
    trr = nested.child(ctx, "transfer_reversal", ctx.path_params["id"], "transfer", _transfer(ctx))
    return nested.update(ctx, trr, None)


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/transfers",
        create_transfer,
        consumes=(
            "amount",
            "currency",
            "description",
            "destination",
            "metadata",
            "source_transaction",
            "source_type",
            "transfer_group",
        ),
    )
    router.add("GET", "/v1/transfers", list_transfers)
    router.add("GET", "/v1/transfers/{transfer}", retrieve_transfer)
    router.add("POST", "/v1/transfers/{transfer}", update_transfer, consumes=("description", "metadata"))
    router.add(
        "POST",
        "/v1/transfers/{id}/reversals",
        create_reversal,
        consumes=("amount", "description", "metadata", "refund_application_fee"),
    )
    router.add("GET", "/v1/transfers/{id}/reversals", list_reversals)
    router.add("GET", "/v1/transfers/{transfer}/reversals/{id}", retrieve_reversal)
    router.add("POST", "/v1/transfers/{transfer}/reversals/{id}", update_reversal, consumes=("metadata",))
