"""Toolset `account`: which account and mode this server acts on, and its balance."""

from __future__ import annotations

from ..views.balance import AccountSummary, Balance
from ._params import Ctx, gateway
from ._registry import Toolset

toolset = Toolset("account", "The account, its mode and balance")


# The account's view, and how this server reaches it: mode, key kind (never the key), API version.
class AccountInfo(AccountSummary):
    mode: str
    key_kind: str
    key: str
    api_version: str


@toolset.tool("Get account info", kind="read")
async def get_account_info(ctx: Ctx) -> AccountInfo:
    """The account, its mode, key kind (never the key), API version."""
    door = gateway(ctx)
    account = AccountSummary.of(await door.request("GET", "/v1/account"))
    return AccountInfo(
        **account.model_dump(exclude_none=True),
        mode=door.key_info.mode,
        key_kind=door.key_info.kind,
        key=door.key_info.masked,
        api_version=door.api_version,
    )


@toolset.tool("Retrieve the balance", kind="read")
async def retrieve_balance(ctx: Ctx) -> Balance:
    """Available and pending funds per currency."""
    return Balance.of(await gateway(ctx).request("GET", "/v1/balance"))
