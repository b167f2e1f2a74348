"""Connect on payments (docs.stripe.com/connect/charges): the fields a PaymentIntent or a legacy
charge takes for connected accounts, and the money each kind of charge moves when captured.

- Direct charge: made with ``Stripe-Account`` on the connected account; ``application_fee_amount``
  (capped at the amount captured) goes to the platform as an application fee. Stripe's processing
  fee is the connected account's unless its ``controller.fees.payer`` is ``application``, when the
  platform pays it (a ``stripe_fee`` balance transaction on the platform).
- Destination charge: made on the platform with ``transfer_data[destination]``; each capture
  transfers ``transfer_data[amount]`` (default: everything captured) to the account, with
  ``transfer_group`` (default ``group_<PaymentIntent id>``) copied to the charge and the transfer, and
  the application fee comes back from the connected account's payment.
- An application fee with neither is refused, with Stripe's message.
Refunds undo them on request: ``reverse_transfer`` reverses the transfer and
``refund_application_fee`` refunds the fee, each in proportion to the amount refunded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ... import spec
from ..core import accepted
from ..core.errors import StripeError, invalid, no_such
from ..core.router import Ctx
from ..core.store import JSON, as_bool, as_dict, as_int, as_str
from ..payments import balance_transactions
from . import application_fees, transfers
from .connect_accounts import fee_payer
from .connect_scope import connected

# The parameters these behaviours consume, per route (router.add(consumes=...)).
FIELDS = ("application_fee_amount", "on_behalf_of", "transfer_data", "transfer_group")  # create
UPDATABLE = ("application_fee_amount", "transfer_data", "transfer_group")  # update a PaymentIntent
AT_CAPTURE = ("application_fee_amount", "transfer_data")
CHARGE_FIELDS = (*FIELDS, "application_fee", "destination")  # the Charges API's older names too
REFUND_FIELDS = ("refund_application_fee", "reverse_transfer")
# What a subscription's invoices would move (a transfer and a fee with each): not modelled, so refused.
SUBSCRIPTION_FIELDS = ("application_fee_percent", "transfer_data")
_FEE_WITHOUT_ACCOUNT = {
    "payment_intent": "Can only apply an application_fee_amount when the PaymentIntent is attempting a direct "
    "payment (using an OAuth key or Stripe-Account header) or destination payment (using "
    "`transfer_data[destination]`).",
    "charge": "Can only apply an application_fee when the request is made on behalf of another account (using an "
    "OAuth key, the Stripe-Account header, or the destination parameter).",
}


def _destination(ctx: Ctx, value: Any, param: str) -> str:
    destination = as_str(value, param)
    try:
        account, _ = connected(ctx, destination, param)
    except StripeError:
        raise no_such("destination", destination, param=param, status=400) from None
    transfers.require_transfers(ctx.acct, account, param)
    return destination


@dataclass(frozen=True)
class Terms:
    """The Connect fields a request sets, checked, before anything is stored."""

    fields: dict[str, Any]
    extra: dict[str, Any]  # transfer_data[description], [metadata], [payment_data]: the transfer's


def read(ctx: Ctx, p: dict[str, Any], current: JSON | None = None, kind: str = "payment_intent") -> Terms:
    """Check the Connect fields of a request: a PaymentIntent's (``current`` on update, where
    Stripe allows only some of them) or a legacy charge's (``kind="charge"``)."""
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    if "on_behalf_of" in p:
        fields["on_behalf_of"] = as_str(p["on_behalf_of"], "on_behalf_of")
        connected(ctx, fields["on_behalf_of"], "on_behalf_of")
    if "destination" in p:  # the Charges API's older form of transfer_data
        value = p["destination"]
        given = {"destination": value} if isinstance(value, str) else as_dict(value, "destination")
        p = {**p, "transfer_data": {"destination": given.get("account", given.get("destination")), **given}}
    if "transfer_data" in p:
        data = as_dict(p["transfer_data"], "transfer_data")
        if current is None:
            target = _destination(ctx, data.get("destination"), "transfer_data[destination]")
            transfer: dict[str, Any] = {"amount": None, "destination": target}
        elif current.get("transfer_data"):
            transfer = dict(current["transfer_data"])
        else:
            raise invalid(
                "transfer_data[amount] can only be updated on a PaymentIntent created with "
                "transfer_data[destination].",
                param="transfer_data[amount]",
            )
        if "amount" in data:
            transfer["amount"] = as_int(data["amount"], "transfer_data[amount]", minimum=1)
        fields["transfer_data"] = transfer
        extra = {k: data[k] for k in ("description", "metadata", "payment_data") if k in data}
    for name in ("application_fee_amount", "application_fee"):
        if name in p:
            fields["application_fee_amount"] = None if p[name] == "" else as_int(p[name], name, minimum=0)
    if "transfer_group" in p:
        fields["transfer_group"] = as_str(p["transfer_group"], "transfer_group") or None
    merged = {**(current or {}), **fields}
    if (
        merged.get("application_fee_amount") is not None
        and ctx.acct.platform is None
        and not merged.get("transfer_data")
    ):
        raise invalid(_FEE_WITHOUT_ACCOUNT[kind], param="application_fee_amount")
    return Terms(fields, extra)


def apply(ctx: Ctx, holder: JSON, terms: Terms) -> None:
    """Set checked Connect fields on ``holder`` (a PaymentIntent, or a legacy charge request)."""
    holder.update(terms.fields)
    if terms.extra:
        store = ctx.acct.priv(holder) if "id" in holder else holder
        store.setdefault("transfer_extra", {}).update(terms.extra)


def intent_data(ctx: Ctx, data: Any, prefix: str = "payment_intent_data") -> Terms:
    """The Connect fields of a Checkout Session's (or Payment Link's) ``payment_intent_data``,
    checked when the session is created as a PaymentIntent's would be, applied to the one it makes."""
    given = data if isinstance(data, dict) else {}
    try:
        return read(ctx, {k: given[k] for k in FIELDS if k in given})
    except StripeError as err:
        if err.param:  # named as nested: payment_intent_data[transfer_data][destination]
            head, _, tail = err.param.partition("[")
            err.param = f"{prefix}[{head}]" + (f"[{tail}" if tail else "")
        raise


def refuse(ctx: Ctx, *paths: tuple[str, ...]) -> None:
    """Refuse (``sandbox_limit``) the Connect fields of what the sandbox cannot carry out: a
    subscription's transfer and application fee on each invoice. Never stored unapplied."""
    op = spec.resolve(ctx.method, ctx.path) if ctx.path else None
    for path in paths:
        node: Any = ctx.params
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if node is not None and op is not None:
            raise accepted.not_applied(op.method, op.path, path)


def at_capture(ctx: Ctx, pi: JSON, p: dict[str, Any]) -> Terms:
    """Check ``application_fee_amount`` and ``transfer_data[amount]`` given when capturing: they
    replace the PaymentIntent's for this capture (``apply`` then ``stamp`` them)."""
    return read(ctx, {k: p[k] for k in ("application_fee_amount", "transfer_data") if k in p}, pi)


def stamp(ctx: Ctx, holder: JSON, charge: JSON) -> None:
    """Copy the Connect fields of a PaymentIntent (or charge request) onto its charge."""
    charge["application_fee_amount"] = holder.get("application_fee_amount")
    charge["on_behalf_of"] = holder.get("on_behalf_of")
    charge["transfer_group"] = holder.get("transfer_group")
    data = holder.get("transfer_data")
    charge["transfer_data"] = (
        {"amount": data.get("amount"), "destination": data["destination"]} if data else None
    )
    if data and not charge["transfer_group"] and holder.get("object") == "payment_intent":
        charge["transfer_group"] = f"group_{holder['id']}"
    if ctx.acct.platform is not None and holder.get("application_fee_amount") is not None:
        charge["application"] = ctx.acct.home.application
    extra = (ctx.acct.priv(holder) if "id" in holder else holder).get("transfer_extra")
    ctx.acct.priv(charge)["transfer_extra"] = extra or {}


def settle(ctx: Ctx, charge: JSON, amount: int) -> None:
    """Book ``amount`` captured on ``charge``: its balance transaction, and for a Connect charge
    the application fee and the transfer."""
    acct = ctx.acct
    currency = charge["currency"]
    wanted = charge.get("application_fee_amount")
    fee = min(int(wanted), amount) if wanted else 0
    if acct.platform is not None:  # a direct charge, on the connected account
        account = acct.home.get("account", acct.id)
        processing = balance_transactions.stripe_fee(amount)
        details = []
        if fee_payer(account) == "application":
            note = f"Stripe processing fees for {charge['id']} on {acct.id}"
            balance_transactions.record(acct.home, charge, -processing, "stripe_fee", description=note)
        else:
            details.append(balance_transactions.fee_detail(processing, currency))
        if fee:
            charge["application_fee"] = application_fees.collect(ctx, acct.id, fee, currency, charge)["id"]
            details.append(balance_transactions.fee_detail(fee, currency, application=acct.home.application))
        balance_transactions.record_charge(acct, charge, amount, details)
        return
    balance_transactions.record_charge(acct, charge, amount)
    data = charge.get("transfer_data")
    if not data:
        return
    extra: dict[str, Any] = acct.priv(charge).get("transfer_extra", {})
    tr = transfers.send(
        ctx,
        data["destination"],
        min(int(data.get("amount") or amount), amount),
        currency,
        param="transfer_data[destination]",
        source_transaction=charge,
        transfer_group=charge.get("transfer_group"),
        description=extra.get("description"),
        metadata=extra.get("metadata"),
        payment_data=extra.get("payment_data"),
        application_fee=fee,
    )
    charge["transfer"] = tr["id"]
    if fee:
        charge["application_fee"] = acct.priv(tr)["fee"]


def _share(total: int, left: int, refunded: int, captured: int, full: bool) -> int:
    """What a refund of ``refunded`` of ``captured`` takes back of ``total`` (``left`` remaining):
    all of it on a full refund, else in proportion."""
    return left if full else min(left, round(total * refunded / captured)) if captured else 0


def on_refund(ctx: Ctx, charge: JSON, refund: JSON, p: dict[str, Any]) -> None:
    """``reverse_transfer`` and ``refund_application_fee`` of ``POST /v1/refunds``."""
    reverse = as_bool(p.get("reverse_transfer", False), "reverse_transfer")
    refund_fee = as_bool(p.get("refund_application_fee", False), "refund_application_fee")
    captured = int(charge.get("amount_captured") or charge["amount"])
    full = charge["amount_refunded"] >= captured
    tr = ctx.acct.find("transfer", charge.get("transfer"))
    if reverse and tr is not None:
        left = tr["amount"] - tr["amount_reversed"]
        share = _share(tr["amount"], left, refund["amount"], captured, full)
        if share > 0:
            trr = transfers.reverse(
                ctx, tr, share, refund_application_fee=refund_fee, source_refund=refund["id"]
            )
            refund["transfer_reversal"] = trr["id"]
        return
    fee = ctx.acct.home.find("application_fee", charge.get("application_fee"))
    if refund_fee and fee is not None:
        left = fee["amount"] - fee["amount_refunded"]
        share = _share(fee["amount"], left, refund["amount"], captured, full)
        if share > 0:
            application_fees.refund(ctx, fee, share)
