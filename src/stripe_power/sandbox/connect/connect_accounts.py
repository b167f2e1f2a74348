"""Connect accounts: connected accounts of a platform, their controller properties, capabilities
and requirements. The ``account`` objects live on the platform, where ``/v1/accounts`` lists them;
each has a store of its own that the ``Stripe-Account`` header reaches (connect_scope.py), and bank
accounts for its payouts (external_accounts.py).

Verification is instant in the sandbox: requested capabilities turn ``active`` once the account's
requirements are met. Where Stripe collects them (Standard and Express: ``controller.requirement_collection
= stripe``) that is when onboarding through an account link is completed (account_links.py); where
the platform collects them (Custom) it is when the platform has recorded the Stripe Services
Agreement acceptance (``tos_acceptance[date]`` and ``[ip]``). Until then they are ``inactive`` and
``requirements.currently_due`` says what is missing, as a new account in test mode does.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from ... import spec
from ..core import nested
from ..core.errors import invalid, no_such
from ..core.ids import new_id
from ..core.router import Ctx, Router
from ..core.schema_objects import new_object
from ..core.store import (
    JSON,
    Account,
    apply_metadata,
    as_bool,
    as_dict,
    as_enum,
    as_str,
    changed,
    now,
    paginate,
    snapshot,
)
from . import external_accounts
from .connect_scope import connected

# Each account type as controller properties (docs.stripe.com/connect/migrate-to-controller-properties).
TYPE_CONTROLLERS: dict[str, JSON] = {
    "standard": {
        "fees": "account",
        "losses": "stripe",
        "requirement_collection": "stripe",
        "dashboard": "full",
    },
    "express": {
        "fees": "application_express",
        "losses": "application",
        "requirement_collection": "stripe",
        "dashboard": "express",
    },
    "custom": {
        "fees": "application_custom",
        "losses": "application",
        "requirement_collection": "application",
        "dashboard": "none",
    },
}
# What `controller` defaults to, per property (the `controller` parameter's descriptions in the API reference).
_CONTROLLER_DEFAULTS = {
    "fees": "account",
    "losses": "stripe",
    "requirement_collection": "stripe",
    "dashboard": "full",
}
# What onboarding collects on a new account (Stripe's example account in fixtures3.json).
ONBOARDING_DUE = (
    "business_profile.product_description",
    "business_profile.support_phone",
    "business_profile.url",
    "external_account",
    "tos_acceptance.date",
    "tos_acceptance.ip",
)
# Capabilities Stripe requests for an account with a Stripe-hosted Dashboard when none are given.
_DEFAULT_CAPABILITIES = ("card_payments", "transfers")
_CURRENCY = {
    "US": "usd", "CA": "cad", "GB": "gbp", "AU": "aud", "NZ": "nzd", "JP": "jpy", "SG": "sgd", "HK": "hkd",
    "IN": "inr", "MX": "mxn", "BR": "brl", "CH": "chf", "DK": "dkk", "SE": "sek", "NO": "nok", "PL": "pln",
    "CZ": "czk", "HU": "huf", "RO": "ron", "BG": "bgn", "MY": "myr", "TH": "thb", "AE": "aed",
}  # fmt: skip
_EURO = frozenset(
    [
        "AT",
        "BE",
        "CY",
        "DE",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PT",
        "SI",
        "SK",
    ]
)


def collects(account: JSON) -> str:
    """Who collects requirements: ``stripe`` (Standard, Express) or ``application`` (Custom)."""
    return str(account["controller"].get("requirement_collection") or "stripe")


def dashboard(account: JSON) -> str:
    return str((account["controller"].get("stripe_dashboard") or {}).get("type") or "full")


def fee_payer(account: JSON) -> str:
    return str((account["controller"].get("fees") or {}).get("payer") or "account")


# -- controller properties ----------------------------------------------------------------------


def _controller(p: dict[str, Any]) -> tuple[JSON, str]:
    """The account's ``controller`` and ``type`` from the request's ``type`` or ``controller``."""
    if "type" in p and "controller" in p:
        raise invalid(
            "You can't pass both `type` and `controller`: `type` is deprecated and maps to a set of controller "
            "properties. Pass `controller` alone.",
            param="type",
        )
    if "type" in p:
        typ = as_enum(p["type"], "type", tuple(TYPE_CONTROLLERS))
        props = dict(TYPE_CONTROLLERS[typ])
    else:
        given = as_dict(p.get("controller", {}), "controller")
        props = dict(_CONTROLLER_DEFAULTS)
        props["fees"] = (given.get("fees") or {}).get("payer", props["fees"])
        props["losses"] = (given.get("losses") or {}).get("payments", props["losses"])
        props["requirement_collection"] = given.get("requirement_collection", props["requirement_collection"])
        props["dashboard"] = (given.get("stripe_dashboard") or {}).get("type", props["dashboard"])
        if props["losses"] == "application" and props["fees"] != "application":
            # The description of controller.fees.payer (API reference, stripe-python's params).
            raise invalid(
                "Setting `controller.losses.payments=application` requires `controller.fees.payer=application`.",
                param="controller[fees][payer]",
            )
        # An account whose properties are exactly those of a type answers with that type; others: `none`.
        typ = next((t for t, c in TYPE_CONTROLLERS.items() if c == props), "none")
    controller: JSON = {
        "fees": {"payer": props["fees"]},
        "is_controller": True,
        "losses": {"payments": props["losses"]},
        "requirement_collection": props["requirement_collection"],
        "stripe_dashboard": {"type": props["dashboard"]},
        "type": "application",
    }
    return controller, typ


# -- capabilities and requirements ----------------------------------------------------------------


@functools.cache
def _capability_names() -> tuple[str, ...]:
    op = spec.operation("POST", "/v1/accounts")
    assert op is not None
    return tuple(spec.deref(op.params["properties"]["capabilities"]).get("properties", {}))


def _requested(home: Account, account: JSON) -> dict[str, JSON]:
    found: dict[str, JSON] = home.priv(account).setdefault("capabilities", {})
    return found


def _request_capabilities(home: Account, account: JSON, value: Any, param: str = "capabilities") -> None:
    caps = _requested(home, account)
    for name, setting in as_dict(value, param).items():
        wanted = as_bool(
            as_dict(setting, f"{param}[{name}]").get("requested", True), f"{param}[{name}][requested]"
        )
        _set_requested(caps, name, wanted)


def _set_requested(caps: dict[str, JSON], name: str, wanted: bool) -> None:
    entry = caps.get(name)
    if wanted and (entry is None or not entry["requested"]):
        caps[name] = {"requested": True, "requested_at": now()}
    elif not wanted and entry is not None:
        entry.update(requested=False, requested_at=None)


def due(home: Account, account: JSON) -> list[str]:
    """What the account still has to provide before its capabilities are active."""
    if home.priv(account).get("rejected"):
        return []
    if collects(account) == "stripe":
        return [] if home.priv(account).get("onboarded") else list(ONBOARDING_DUE)
    tos = account.get("tos_acceptance") or {}
    return [f"tos_acceptance.{k}" for k in ("date", "ip") if not tos.get(k)]


def capability_status(home: Account, account: JSON, name: str) -> str:
    entry = _requested(home, account).get(name)
    if entry is None or not entry["requested"]:
        return "unrequested"
    if home.priv(account).get("rejected"):
        return "inactive"
    return "inactive" if due(home, account) else "active"


def _requirements(missing: list[str], disabled: str | None) -> JSON:
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": list(missing),
        "disabled_reason": disabled,
        "errors": [],
        "eventually_due": list(missing),
        "past_due": list(missing),
        "pending_verification": [],
    }


def refresh(ctx: Ctx, account: JSON, before: JSON | None = None) -> None:
    """Recompute what follows from requirements and capabilities; emit `account.updated` and
    `capability.updated` for what changed since ``before``."""
    home = ctx.acct.home
    missing = due(home, account)
    rejected = home.priv(account).get("rejected")
    statuses = {
        name: capability_status(home, account, name)
        for name, entry in sorted(_requested(home, account).items())
        if entry["requested"]
    }
    account["capabilities"] = statuses
    account["requirements"] = _requirements(
        missing, f"rejected.{rejected}" if rejected else ("requirements.past_due" if missing else None)
    )
    account["charges_enabled"] = any(s == "active" for n, s in statuses.items() if n.endswith("_payments"))
    paused = rejected and home.priv(account).get("payouts_paused", True)
    account["payouts_enabled"] = (
        not missing and not paused and (bool(rejected) or any(s == "active" for s in statuses.values()))
    )
    account["details_submitted"] = not missing and not home.priv(account).get("rejected")
    if before is None:
        return
    store = home.connected[account["id"]]
    previous = changed(before, account)
    if previous:
        store.emit("account.updated", account, previous)
    old = before.get("capabilities") or {}
    for name in sorted(set(old) | set(statuses)):
        if old.get(name) != statuses.get(name):
            store.emit("capability.updated", capability(home, account, name))


def capability(home: Account, account: JSON, name: str) -> JSON:
    entry = _requested(home, account).get(name) or {"requested": False, "requested_at": None}
    missing = due(home, account) if entry["requested"] else []
    status = capability_status(home, account, name)
    reqs = _requirements(missing, "requirements.past_due" if missing else None)
    return {
        "id": name,
        "object": "capability",
        "account": account["id"],
        "future_requirements": _requirements([], None),
        "requested": entry["requested"],
        "requested_at": entry["requested_at"],
        "requirements": reqs,
        "status": status,
    }


# -- handlers -------------------------------------------------------------------------------------


# Parameters applied by hand below; the others are stored on the account by name (accepted.py).
_UPDATES = ("capabilities", "external_account", "metadata", "tos_acceptance")
_CREATES = (*_UPDATES, "bank_account", "controller", "country", "type")


def _store_fields(ctx: Ctx, account: JSON, p: dict[str, Any]) -> None:
    if "tos_acceptance" in p:
        if collects(account) != "application":
            # The description of `tos_acceptance` (API reference).
            raise invalid(
                "`tos_acceptance` can only be updated for accounts where `controller.requirement_collection` "
                "is `application`, which includes Custom accounts. Stripe collects the acceptance during "
                "onboarding (an account link) for the others.",
                param="tos_acceptance",
            )
        tos = as_dict(p["tos_acceptance"], "tos_acceptance")
        current = account.get("tos_acceptance") or {}
        account["tos_acceptance"] = {
            **{"date": None, "ip": None, "service_agreement": "full", "user_agent": None},
            **current,
            **{k: (int(v) if k == "date" else v) for k, v in tos.items()},
        }
    ctx.store_rest(account, "account")  # before the capabilities are worked out and events sent
    if "metadata" in p:
        account["metadata"] = apply_metadata(account.get("metadata"), p["metadata"])
    if "capabilities" in p:
        _request_capabilities(ctx.acct.home, account, p["capabilities"])
    for name in ("external_account", "bank_account"):
        if name in p:
            external_accounts.add(ctx, account, p[name], name)


def create_account(ctx: Ctx) -> JSON:
    home = ctx.acct.home
    if ctx.acct is not home:
        raise invalid(
            "A connected account cannot create accounts of its own: drop the Stripe-Account header."
        )
    p = ctx.params
    controller, typ = _controller(p)
    account = new_object("account")
    account["id"] = new_id("acct", 16)  # Stripe's account ids are shorter than its object ids
    country = as_str(p.get("country", "US"), "country").upper()
    account.update(
        business_profile=copy.deepcopy(spec.fixtures()["account"]["business_profile"]),
        capabilities={},
        controller=controller,
        country=country,
        default_currency=_CURRENCY.get(country, "eur" if country in _EURO else "usd"),
        email=None,
        external_accounts=nested.embedded(f"/v1/accounts/{account['id']}/external_accounts"),
        future_requirements=_requirements([], None),
        settings=copy.deepcopy(spec.fixtures()["account"]["settings"]),
        tos_acceptance={"date": None, "ip": None, "service_agreement": "full", "user_agent": None},
        type=typ,
    )
    if dashboard(account) == "none" and "capabilities" not in p:
        # The description of `capabilities` (API reference).
        raise invalid(
            "`capabilities` is required when `controller.stripe_dashboard.type` is `none`, which includes Custom "
            "accounts: request at least one, e.g. `capabilities[transfers][requested]=true`.",
            param="capabilities",
        )
    if dashboard(account) != "none" and "capabilities" not in p:
        for name in _DEFAULT_CAPABILITIES:
            _set_requested(_requested(home, account), name, True)
    _store_fields(ctx, account, p)  # checks first: a refused request stores nothing
    home.add(account)
    home.connected[account["id"]] = Account(home.api_key, platform=home, account_id=account["id"])
    refresh(ctx, account)
    return account


def _account(ctx: Ctx) -> JSON:
    account, _ = connected(ctx, ctx.path_params["account"], "account")
    return account


def retrieve_account(ctx: Ctx) -> JSON:
    """An account of the platform, or the request's own account (the platform's, or with
    Stripe-Account the connected one's)."""
    account_id = ctx.path_params["account"]
    if account_id == ctx.acct.id:
        return own_account(ctx)
    home = ctx.acct.home
    if ctx.acct is not home or account_id not in home.connected:
        raise no_such("account", account_id, param="account")
    return home.get("account", account_id, param="account")


def update_account(ctx: Ctx) -> JSON:
    account = _account(ctx)
    before = snapshot(account)
    _store_fields(ctx, account, ctx.params)
    refresh(ctx, account, before)
    return account


def list_accounts(ctx: Ctx) -> JSON:
    # The platform's store holds its accounts; a connected account's has none.
    return paginate(ctx.acct, "account", ctx.params, "/v1/accounts")


def delete_account(ctx: Ctx) -> JSON:
    account = _account(ctx)
    home = ctx.acct.home
    home.objects[account["id"]] = {"id": account["id"], "object": "account", "deleted": True}
    return home.objects[account["id"]]


def reject_account(ctx: Ctx) -> JSON:
    account = _account(ctx)
    if account["controller"]["losses"]["payments"] != "application":
        # The operation's description in the spec.
        raise invalid(
            "Only accounts where your platform is liable for negative account balances, which includes Custom "
            "and Express accounts, can be rejected.",
            param="account",
        )
    reason = as_enum(ctx.params["reason"], "reason", ("fraud", "terms_of_service", "other"))
    before = snapshot(account)
    ctx.acct.home.priv(account)["rejected"] = reason
    # `payouts_action`: "Defaults to `pause`. Use `none` to leave payouts enabled." (the spec)
    action = as_enum(ctx.params.get("payouts_action", "pause"), "payouts_action", ("none", "pause"))
    ctx.acct.home.priv(account)["payouts_paused"] = action == "pause"
    refresh(ctx, account, before)
    return account


def unreject_account(ctx: Ctx) -> JSON:
    account = _account(ctx)
    before = snapshot(account)
    ctx.acct.home.priv(account).pop("rejected", None)
    ctx.acct.home.priv(account).pop("payouts_paused", None)
    refresh(ctx, account, before)
    return account


def list_capabilities(ctx: Ctx) -> JSON:
    account = _account(ctx)
    home = ctx.acct.home
    data = [capability(home, account, name) for name in sorted(_requested(home, account))]
    return {
        "object": "list",
        "data": data,
        "has_more": False,
        "url": f"/v1/accounts/{account['id']}/capabilities",
    }


def _capability_name(ctx: Ctx) -> str:
    name = ctx.path_params["capability"]
    if name not in _capability_names():
        raise no_such("capability", name, param="capability")
    return name


def retrieve_capability(ctx: Ctx) -> JSON:
    account = _account(ctx)
    return capability(ctx.acct.home, account, _capability_name(ctx))


def update_capability(ctx: Ctx) -> JSON:
    account = _account(ctx)
    name = _capability_name(ctx)
    before = snapshot(account)
    if "requested" in ctx.params:
        _set_requested(
            _requested(ctx.acct.home, account), name, as_bool(ctx.params["requested"], "requested")
        )
    refresh(ctx, account, before)
    return capability(ctx.acct.home, account, name)


def own_account(ctx: Ctx) -> JSON:
    """``GET /v1/account``: the platform's own account, or with ``Stripe-Account`` the connected one."""
    if ctx.acct.platform is not None:
        return ctx.acct.home.get("account", ctx.acct.id)
    acct: JSON = new_object("account")
    acct.update(
        id=ctx.acct.id,
        business_profile={**spec.fixtures()["account"]["business_profile"], "name": "stripe-power sandbox"},
        business_type=None,
        capabilities={"card_payments": "active", "transfers": "active"},
        charges_enabled=True,
        controller={"type": "account"},
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
    router.add("GET", "/v1/account", own_account)
    router.add("POST", "/v1/accounts", create_account, consumes=_CREATES)
    router.add("GET", "/v1/accounts", list_accounts)
    router.add("GET", "/v1/accounts/{account}", retrieve_account)
    router.add("POST", "/v1/accounts/{account}", update_account, consumes=_UPDATES)
    router.add("DELETE", "/v1/accounts/{account}", delete_account)
    router.add("POST", "/v1/accounts/{account}/reject", reject_account, consumes=("payouts_action", "reason"))
    router.add("POST", "/v1/accounts/{account}/unreject", unreject_account, consumes=())
    router.add("GET", "/v1/accounts/{account}/capabilities", list_capabilities)
    router.add("GET", "/v1/accounts/{account}/capabilities/{capability}", retrieve_capability)
    router.add(
        "POST", "/v1/accounts/{account}/capabilities/{capability}", update_capability, consumes=("requested",)
    )
