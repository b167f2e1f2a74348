"""Which account a request reaches: the ``Stripe-Account`` header, and a platform's connected
accounts (docs.stripe.com/connect/authentication).

Each connected account keeps its objects in a store of its own (``Account.connected``): a request
with ``Stripe-Account: acct_...`` runs against that store, so a connected account's customer is
invisible on the platform and the platform's on the account.
"""

from __future__ import annotations

from typing import Any

from ..core.errors import StripeError, no_such
from ..core.router import Ctx
from ..core.store import JSON, Account


def scope(platform: Account, header: str | None, shown_key: str) -> Account:
    """The store a request runs against: the platform's, or a connected account's named by the
    ``Stripe-Account`` header (Stripe's 403 for an account the key cannot reach)."""
    if header is None or header == platform.id:
        return platform
    store = platform.connected.get(header)
    account = platform.find("account", header)
    if store is None or account is None:
        raise StripeError(
            403,
            f"The provided key '{shown_key}' does not have access to account '{header}' (or that account "
            "does not exist). Application access may have been revoked.",
            code="account_invalid",
        )
    return store


def connected(ctx: Ctx, account_id: Any, param: str) -> tuple[JSON, Account]:
    """A connected account of the request's account (its object and its store), or Stripe's 400;
    a connected account has none of its own."""
    home = ctx.acct
    account = home.find("account", account_id) if isinstance(account_id, str) else None
    if account is None or account_id not in home.connected:
        raise no_such("account", str(account_id), param=param, status=400)
    return account, home.connected[account_id]
