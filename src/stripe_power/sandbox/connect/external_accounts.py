"""A connected account's external accounts (bank accounts its payouts go to): from a test token
(``btok_us_verified``) or bank details, on the account (``external_account`` when it is created or
updated) or under ``/v1/accounts/{account}/external_accounts``; the first in a currency is its
default for that currency (docs.stripe.com/connect/payouts-bank-accounts)."""

from __future__ import annotations

from typing import Any

from ... import spec
from ..core import accepted, nested
from ..core.errors import invalid, no_such
from ..core.ids import new_id
from ..core.router import Ctx, Router
from ..core.schema_objects import new_object
from ..core.store import JSON, Account, as_bool, as_dict, as_str
from .connect_scope import connected


def add(ctx: Ctx, account: JSON, value: Any, param: str = "external_account") -> JSON:
    """A bank account from a test token (``btok_us_verified``) or a ``bank_account`` hash, stored
    where ``/v1/accounts/{account}/external_accounts`` serves it."""
    home = ctx.acct.home
    if isinstance(value, str):
        if not value.startswith("btok_"):
            raise no_such("token", value, param=param, status=400)
        details: JSON = {"country": account["country"], "currency": account["default_currency"]}
        last4 = "6789"
    else:
        details = as_dict(value, param)
        if "documents" in details:  # ownership verification files: the sandbox has no files
            op = spec.resolve(ctx.method, ctx.path)
            if op is not None:
                raise accepted.not_applied(op.method, op.path, (param, "documents"))
        number = as_str(details.get("account_number", ""), f"{param}[account_number]")
        if not number:
            raise invalid("Missing required param: account_number.", param=f"{param}[account_number]")
        last4 = number[-4:]
    ba = new_object("bank_account")
    currency = str(details.get("currency") or account["default_currency"]).lower()
    existing = [b for b in home.of_type("bank_account") if b.get("account") == account["id"]]
    ba.update(
        account=account["id"],
        account_holder_name=details.get("account_holder_name"),
        account_holder_type=details.get("account_holder_type"),
        account_type=details.get("account_type"),
        bank_name="STRIPE TEST BANK",
        country=str(details.get("country") or account["country"]).upper(),
        currency=currency,
        default_for_currency=not any(b["currency"] == currency for b in existing),
        fingerprint=new_id("x", 16)[2:],
        last4=last4,
        routing_number=details.get("routing_number") or "110000000",
        status="new",
    )
    home.add(ba)
    home.priv(ba)["parent"] = ("account", account["id"])
    nested.push(account["external_accounts"], ba)
    return ba


def default(home: Account, account_id: str, currency: str) -> JSON | None:
    """The account's default bank account for ``currency`` (else its first in that currency)."""
    found = [
        b
        for b in home.of_type("bank_account")
        if b.get("account") == account_id and b["currency"] == currency
    ]
    return next((b for b in found if b.get("default_for_currency")), found[0] if found else None)


def create(ctx: Ctx) -> JSON:
    """``POST /v1/accounts/{account}/external_accounts`` (and the older ``/bank_accounts``)."""
    account, store = connected(ctx, ctx.path_params["account"], "account")
    if "external_account" in ctx.params and "bank_account" in ctx.params:
        raise invalid(
            "Pass the bank account once: `external_account` (a token) or `bank_account` (its details).",
            param="bank_account",
        )
    name = "external_account" if "external_account" in ctx.params else "bank_account"
    ba = add(ctx, account, ctx.params[name], name)
    if as_bool(ctx.params.get("default_for_currency", False), "default_for_currency"):
        for other in ctx.acct.of_type("bank_account"):
            if other.get("account") == account["id"] and other["currency"] == ba["currency"]:
                other["default_for_currency"] = other is ba
    ctx.store_rest(ba, "bank_account")
    store.emit("account.external_account.created", ba)
    return ba


def register(router: Router) -> None:
    consumed = ("bank_account", "default_for_currency", "external_account")
    router.add("POST", "/v1/accounts/{account}/external_accounts", create, consumes=consumed)
    router.add("POST", "/v1/accounts/{account}/bank_accounts", create, consumes=consumed)
