"""Connected accounts for the Connect tests: made through the API, onboarded through the hosted page."""

from __future__ import annotations

import re
from typing import Any

import httpx
import stripe

TOS = {"date": 1700000000, "ip": "127.0.0.1"}
NO_REDIRECTS = {"enabled": True, "allow_redirects": "never"}


def custom_account(client: stripe.StripeClient, **extra: Any) -> stripe.Account:
    """A Custom account whose platform has recorded the ToS acceptance: its capabilities are active."""
    params: dict[str, Any] = {
        "type": "custom",
        "country": "US",
        "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
        "tos_acceptance": TOS,
        **extra,
    }
    return client.v1.accounts.create(params)  # type: ignore[arg-type]


def onboard(client: stripe.StripeClient, account: str, submit: bool = True) -> httpx.Response:
    """Go through an account link's hosted onboarding page as the account holder would."""
    link = client.v1.account_links.create(
        {
            "account": account,
            "type": "account_onboarding",
            "refresh_url": "http://127.0.0.1:9/refresh",
            "return_url": "http://127.0.0.1:9/return",
        }
    )
    with httpx.Client(trust_env=False) as http:
        page = http.get(link.url)
        assert page.status_code == 200, page.text
        found = re.search(r"name=visit value='(\w+)'", page.text)
        assert found is not None
        return http.post(link.url, data={"visit": found.group(1), "action": "submit" if submit else "leave"})


def paid(
    client: stripe.StripeClient, amount: int, stripe_account: str | None = None, **extra: Any
) -> stripe.PaymentIntent:
    """A card payment confirmed at once (on the connected account with ``stripe_account``)."""
    params: dict[str, Any] = {
        "amount": amount,
        "currency": "usd",
        "payment_method": "pm_card_visa",
        "confirm": True,
        "automatic_payment_methods": NO_REDIRECTS,
        **extra,
    }
    options: dict[str, Any] = {"stripe_account": stripe_account} if stripe_account else {}
    return client.v1.payment_intents.create(params, options)  # type: ignore[arg-type]


def txn(
    client: stripe.StripeClient, txn_id: Any, stripe_account: str | None = None
) -> stripe.BalanceTransaction:
    options: dict[str, Any] = {"stripe_account": stripe_account} if stripe_account else {}
    return client.v1.balance_transactions.retrieve(str(txn_id), options=options)  # type: ignore[arg-type]
