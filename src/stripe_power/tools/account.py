"""Toolset `account`: which account and mode this server acts on, and its balance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._models import Summary, money
from ._params import Ctx, gateway
from ._registry import Toolset

toolset = Toolset("account", "The account, its mode and balance")


class AccountInfo(Summary):
    id: str | None = None
    display_name: str | None = None
    country: str | None = None
    default_currency: str | None = None
    mode: str
    key_kind: str
    key: str
    api_version: str
    charges_enabled: bool | None = None
    payouts_enabled: bool | None = None


class Funds(Summary):
    currency: str
    amount: int
    display: str | None = None


class Balance(Summary):
    available: list[Funds]
    pending: list[Funds]


def _funds(entries: Any) -> list[Funds]:
    rows = entries if isinstance(entries, list) else []
    return [
        Funds(currency=e["currency"], amount=e["amount"], display=money(e["amount"], e["currency"]))
        for e in rows
        if isinstance(e, Mapping)
    ]


@toolset.tool("Get account info", kind="read")
async def get_account_info(ctx: Ctx) -> AccountInfo:
    """The account, test or live mode, key kind (never the key) and API version."""
    door = gateway(ctx)
    account = await door.request("GET", "/v1/account")
    profile = account.get("business_profile") or {}
    settings = account.get("settings") or {}
    dashboard = settings.get("dashboard") or {}
    return AccountInfo(
        id=account.get("id"),
        display_name=dashboard.get("display_name") or profile.get("name"),
        country=account.get("country"),
        default_currency=account.get("default_currency"),
        mode=door.key_info.mode,
        key_kind=door.key_info.kind,
        key=door.key_info.masked,
        api_version=door.api_version,
        charges_enabled=account.get("charges_enabled"),
        payouts_enabled=account.get("payouts_enabled"),
    )


@toolset.tool("Retrieve the balance", kind="read")
async def retrieve_balance(ctx: Ctx) -> Balance:
    """Available and pending funds per currency."""
    balance = await gateway(ctx).request("GET", "/v1/balance")
    return Balance(available=_funds(balance.get("available")), pending=_funds(balance.get("pending")))
