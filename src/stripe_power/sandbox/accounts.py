"""Account-level reads: ``GET /v1/balance`` and ``GET /v1/account``."""

from __future__ import annotations

from .router import Ctx, Router
from .store import JSON, skeleton


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


def account(ctx: Ctx) -> JSON:
    acct: JSON = skeleton("account")
    acct.update(
        id=ctx.acct.id,
        object="account",
        business_profile={
            "annual_revenue": None,
            "estimated_worker_count": None,
            "mcc": None,
            "minority_owned_business_designation": None,
            "name": "stripe-power sandbox",
            "support_address": None,
            "support_email": None,
            "support_phone": None,
            "support_url": None,
            "url": None,
        },
        business_type=None,
        charges_enabled=True,
        country="US",
        created=1700000000,
        default_currency="usd",
        details_submitted=True,
        email="sandbox@example.com",
        payouts_enabled=True,
        type="standard",
    )
    return acct


def register(router: Router) -> None:
    router.add("GET", "/v1/balance", balance)
    router.add("GET", "/v1/account", account)
