"""Payouts: from the balance of the platform, or with ``Stripe-Account`` of a connected account,
to its bank account (docs.stripe.com/payouts, /connect/payouts-connected-accounts).

A payout needs the available balance (Stripe's ``balance_insufficient`` otherwise) and a bank
account in its currency: a connected account's external account (``external_account`` when it is
created or updated, or ``/v1/accounts/{account}/external_accounts``), or the sandbox platform's own
test bank account. It books a ``payout`` balance transaction and stays ``pending``: the sandbox has
no banks to pay it, so it can be canceled (the funds come back, ``payout_cancel``) but not reversed.
"""

from __future__ import annotations

from ..core import nested
from ..core.errors import StripeError, invalid, no_such
from ..core.ids import new_id
from ..core.router import Ctx, Router
from ..core.schema_objects import new_object
from ..core.store import (
    JSON,
    Account,
    apply_metadata,
    as_enum,
    as_int,
    as_str,
    changed,
    created_filter,
    fields_match,
    now,
    paginate,
    skeleton,
    snapshot,
)
from ..payments import balance_transactions
from .external_accounts import default as default_external_account

_STANDARD_DAYS = 2  # a standard payout arrives in about two business days


def _insufficient(source_type: str) -> StripeError:
    return StripeError(
        400,
        f"You have insufficient funds in your Stripe account for this transfer. Your {source_type} balance is too "
        "low.  You can use the /v1/balance endpoint to view your Stripe balance (for more details, see "
        "stripe.com/docs/api#balance).",
        code="balance_insufficient",
    )


def _platform_bank(acct: Account, currency: str) -> JSON:
    """The sandbox platform's test bank account for ``currency`` (made on first use)."""
    found = default_external_account(acct, acct.id, currency)
    if found is not None:
        return found
    ba = new_object("bank_account")
    ba.update(
        account=acct.id,
        bank_name="STRIPE TEST BANK",
        country="US",
        currency=currency,
        default_for_currency=True,
        fingerprint=new_id("x", 16)[2:],
        last4="6789",
        routing_number="110000000",
        status="new",
    )
    acct.add(ba)
    return ba


def _destination(ctx: Ctx, currency: str) -> JSON:
    acct = ctx.acct
    if "destination" in ctx.params:
        oid = as_str(ctx.params["destination"], "destination")
        found = acct.home.find("bank_account", oid) or acct.home.find("card", oid)
        if found is None or found.get("account") != acct.id:
            raise no_such("external account", oid, param="destination", status=400)
        return found
    if acct.platform is None:
        return _platform_bank(acct, currency)
    found = default_external_account(acct.home, acct.id, currency)
    if found is None:
        raise invalid(
            f"Sorry, you don't have any external accounts in that currency ({currency}).", param="currency"
        )
    return found


def create_payout(ctx: Ctx) -> JSON:
    p = ctx.params
    if "payout_method" in p:
        raise StripeError(
            400,
            "The offline sandbox does not emulate `payout_method` (payouts to v2 FinancialAccounts). This is a "
            "limit of the sandbox, not of Stripe: pay out to a bank account (`destination`) instead, or try it "
            "against Stripe in test mode.",
            code="sandbox_limit",
            param="payout_method",
        )
    amount = as_int(p["amount"], "amount", minimum=1)
    currency = as_str(p["currency"], "currency").lower()
    source_type = as_enum(p.get("source_type", "card"), "source_type", ("bank_account", "card", "fpx"))
    available = ctx.acct.balance.get(currency, 0) if source_type == "card" else 0
    if available < amount:
        raise _insufficient(source_type)
    destination = _destination(ctx, currency)
    method = as_enum(p.get("method", "standard"), "method", ("instant", "standard"))
    created = now()
    po: JSON = skeleton("payout")
    po.update(
        id=new_id("po", 24),
        object="payout",
        amount=amount,
        arrival_date=created + (0 if method == "instant" else _STANDARD_DAYS * 86400),
        automatic=False,
        created=created,
        currency=currency,
        description=as_str(p["description"], "description") if "description" in p else None,
        destination=destination["id"],
        livemode=False,
        metadata=apply_metadata({}, p.get("metadata", {})),
        method=method,
        reconciliation_status="not_applicable",
        source_type=source_type,
        statement_descriptor=as_str(p["statement_descriptor"], "statement_descriptor")
        if "statement_descriptor" in p
        else None,
        status="pending",
        type="card" if destination["object"] == "card" else "bank_account",
    )
    ctx.acct.add(po)
    po["balance_transaction"] = balance_transactions.record(ctx.acct, po, -amount, "payout")["id"]
    ctx.acct.emit("payout.created", po)
    return po


def _payout(ctx: Ctx) -> JSON:
    return ctx.acct.get("payout", ctx.path_params["payout"], param="payout")


def retrieve_payout(ctx: Ctx) -> JSON:
    return _payout(ctx)


def update_payout(ctx: Ctx) -> JSON:
    return nested.update(ctx, _payout(ctx), "payout.updated")


def cancel_payout(ctx: Ctx) -> JSON:
    po = _payout(ctx)
    if po["status"] != "pending":
        # The operation's description in the spec.
        raise invalid(
            f"You can only cancel a payout whose status is pending; {po['id']} is {po['status']}.",
            param="payout",
        )
    before = snapshot(po)
    po["status"] = "canceled"
    txn = balance_transactions.record(ctx.acct, po, po["amount"], "payout_cancel")
    po["failure_balance_transaction"] = txn["id"]
    ctx.acct.emit("payout.canceled", po, changed(before, po))
    return po


def reverse_payout(ctx: Ctx) -> JSON:
    po = _payout(ctx)
    # The operation's description in the spec: a pending manual payout is canceled, not reversed.
    raise invalid(
        f"Payout {po['id']} is {po['status']}: only a paid payout can be reversed. If the payout is manual and in the "
        "pending status, use /v1/payouts/:id/cancel instead.",
        param="payout",
    )


def list_payouts(ctx: Ctx) -> JSON:
    p = ctx.params
    same = fields_match(p, "destination", "status")
    arrival = created_filter({"created": p["arrival_date"]}) if "arrival_date" in p else None

    def keep(po: JSON) -> bool:
        return same(po) and (arrival is None or arrival({"created": po["arrival_date"]}))

    return paginate(ctx.acct, "payout", p, "/v1/payouts", keep)


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/payouts",
        create_payout,
        consumes=(
            "amount",
            "currency",
            "description",
            "destination",
            "metadata",
            "method",
            "payout_method",  # refused by the handler: a sandbox limit that says why
            "source_type",
            "statement_descriptor",
        ),
    )
    router.add("GET", "/v1/payouts", list_payouts)
    router.add("GET", "/v1/payouts/{payout}", retrieve_payout)
    router.add("POST", "/v1/payouts/{payout}", update_payout, consumes=("metadata",))
    router.add("POST", "/v1/payouts/{payout}/cancel", cancel_payout, consumes=())
    router.add("POST", "/v1/payouts/{payout}/reverse", reverse_payout, consumes=("metadata",))
