"""``GET /v1/balance``: the funds of the account the request runs against (the platform, or
with ``Stripe-Account`` a connected account); ``GET /v1/account`` is in connect_accounts.py."""

from __future__ import annotations

from ..core.router import Ctx, Router
from ..core.store import JSON


def balance(ctx: Ctx) -> JSON:
    funds = ctx.acct.balance or {"usd": 0}
    return {
        "object": "balance",
        "available": [
            {"amount": amount, "currency": cur, "source_types": {"card": amount}}
            for cur, amount in sorted(funds.items())
        ],
        "livemode": False,
        "pending": [{"amount": 0, "currency": cur, "source_types": {"card": 0}} for cur in sorted(funds)],
    }


def register(router: Router) -> None:
    router.add("GET", "/v1/balance", balance)
