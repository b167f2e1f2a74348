"""Billing credits: credit grants, their ledger of credit balance transactions, and the balance summary.

Stripe (docs.stripe.com/billing/subscriptions/usage-based/billing-credits; spec3.json): a grant
gives a customer ``amount`` of monetary credits, effective from ``effective_at`` (default now)
until ``expires_at`` (default never), with ``priority`` 0 (highest) to 100, "the default value of
50", and ``category`` ``paid`` by default. Its ledger starts with a ``credit`` of type
``credits_granted``; voiding or expiring it books a ``debit`` (``credits_voided``,
``credits_expired``) of what is left, and so does reaching ``expires_at`` (on a test clock too).
The summary gives, per currency, what the customer's grants matching a filter still hold.

Credits "only apply to subscription line items that link to a meter price"
(.../billing-credits/implementation-guide). The sandbox bills no meter usage: prices with
``recurring[usage_type]=metered`` or ``recurring[meter]`` answer ``sandbox_limit`` (catalog.py),
so no invoice has a line a grant could apply to, and no ``credits_applied`` debit is ever booked.
"""

from __future__ import annotations

from typing import Any

from ... import clock
from ..core.errors import invalid, missing_param, no_such
from ..core.ids import new_id
from ..core.router import Ctx, Router
from ..core.schema_objects import new_object
from ..core.store import (
    JSON,
    Account,
    apply_metadata,
    as_dict,
    as_enum,
    as_int,
    as_list,
    as_str,
    changed,
    now,
    paginate,
    snapshot,
)

GRANT = "billing.credit_grant"
TXN = "billing.credit_balance_transaction"
DEFAULT_PRIORITY = 50


def _monetary(currency: str, value: int) -> JSON:
    return {"monetary": {"currency": currency, "value": value}, "type": "monetary"}


def _amount(raw: Any) -> tuple[str, int]:
    amount = as_dict(raw, "amount")
    as_enum(amount.get("type", ""), "amount[type]", ("monetary",))
    if "monetary" not in amount:
        raise missing_param("amount[monetary]")
    monetary = as_dict(amount["monetary"], "amount[monetary]")
    value = as_int(monetary["value"], "amount[monetary][value]")
    if value <= 0:
        raise invalid("The amount must be a positive integer.", param="amount[monetary][value]")
    return as_str(monetary["currency"], "amount[monetary][currency]").lower(), value


def _scope(ctx: Ctx, raw: Any) -> JSON:
    scope = as_dict(as_dict(raw, "applicability_config").get("scope", {}), "applicability_config[scope]")
    if ("price_type" in scope) == ("prices" in scope):
        raise invalid(
            "Specify exactly one of `price_type` or `prices` in the scope.",
            param="applicability_config[scope][price_type]",
        )
    if "price_type" in scope:
        return {"price_type": as_str(scope["price_type"], "applicability_config[scope][price_type]")}
    prices = []
    for i, entry in enumerate(as_list(scope["prices"], "applicability_config[scope][prices]")):
        param = f"applicability_config[scope][prices][{i}][id]"
        price_id = as_str(as_dict(entry, param).get("id", ""), param)
        if ctx.acct.find("price", price_id) is None:
            raise no_such("price", price_id, param=param, status=400)
        prices.append({"id": price_id})
    return {"prices": prices}


def _ledger(acct: Account, grant: JSON) -> list[JSON]:
    return [t for t in acct.of_type(TXN) if t["credit_grant"] == grant["id"]]


def remaining(acct: Account, grant: JSON) -> int:
    """What the grant still holds: credited less debited."""
    total = 0
    for txn in _ledger(acct, grant):
        side = txn.get("credit") or txn.get("debit") or {}
        value = int(side.get("amount", {}).get("monetary", {}).get("value") or 0)
        total += value if txn["type"] == "credit" else -value
    return total


def _book(acct: Account, grant: JSON, kind: str, detail: str, value: int, at: int) -> JSON:
    txn = new_object(TXN)
    txn.update(
        id=new_id("cbtxn", 24),
        created=now(),
        credit_grant=grant["id"],
        effective_at=at,
        test_clock=grant.get("test_clock"),
        type=kind,
    )
    txn[kind] = {"amount": _monetary(grant["amount"]["monetary"]["currency"], value), "type": detail}
    if kind == "credit":
        txn["credit"]["credits_application_invoice_voided"] = None
    else:
        txn["debit"]["credits_applied"] = None
    acct.add(txn)
    acct.emit("billing.credit_balance_transaction.created", txn)
    return txn


def _time(acct: Account, grant: JSON) -> int:
    """The grant's time: its customer's test clock, else the real time."""
    test_clock = acct.find("test_helpers.test_clock", grant.get("test_clock"))
    return int(test_clock["frozen_time"]) if test_clock is not None else int(clock.now())


def _settle(acct: Account) -> None:
    """Grants whose ``expires_at`` has passed book their ``credits_expired`` debit (Stripe does it
    when the time comes; the sandbox when the grant or its ledger is next looked at)."""
    for grant in acct.of_type(GRANT):
        expires = grant.get("expires_at")
        if expires is None or grant.get("voided_at") or acct.priv(grant).get("closed"):
            continue
        if expires > _time(acct, grant):
            continue
        _close(acct, grant, "credits_expired", int(expires))


def _close(acct: Account, grant: JSON, detail: str, at: int) -> None:
    acct.priv(grant)["closed"] = detail
    left = remaining(acct, grant)
    if left > 0:
        _book(acct, grant, "debit", detail, left, at)


def _active(acct: Account, grant: JSON) -> bool:
    ts = _time(acct, grant)
    return (
        not grant.get("voided_at")
        and (grant.get("effective_at") or 0) <= ts
        and (grant.get("expires_at") is None or grant["expires_at"] > ts)
    )


def create(ctx: Ctx) -> JSON:
    p = ctx.params
    if "customer" not in p:  # the spec allows `customer_account` instead (Accounts v2): not modelled
        raise missing_param("customer")
    cust = ctx.acct.get("customer", as_str(p["customer"], "customer"), param="customer", status=400)
    if "amount" not in p:
        raise missing_param("amount")
    currency, value = _amount(p["amount"])
    if "applicability_config" not in p:
        raise missing_param("applicability_config")
    scope = _scope(ctx, p["applicability_config"])
    priority = as_int(p.get("priority", DEFAULT_PRIORITY), "priority")
    if not 0 <= priority <= 100:
        raise invalid("The priority must be between 0 and 100.", param="priority")
    ts = now()
    effective = as_int(p["effective_at"], "effective_at") if "effective_at" in p else ts
    expires = as_int(p["expires_at"], "expires_at") if "expires_at" in p else None
    if expires is not None and expires <= max(effective, ts):
        raise invalid("expires_at must be after effective_at and in the future.", param="expires_at")
    grant = new_object(GRANT)
    grant.update(
        id=new_id("credgr", 24),
        amount=_monetary(currency, value),
        applicability_config={"scope": scope},
        category=as_enum(p.get("category", "paid"), "category", ("paid", "promotional")),
        customer=cust["id"],
        effective_at=effective,
        expires_at=expires,
        metadata=apply_metadata({}, p.get("metadata", {})),
        name=as_str(p["name"], "name") if "name" in p else None,
        priority=priority,
        test_clock=cust.get("test_clock"),
        updated=ts,
        voided_at=None,
    )
    ctx.store_rest(grant)
    ctx.acct.add(grant)
    ctx.acct.emit("billing.credit_grant.created", grant)
    _book(ctx.acct, grant, "credit", "credits_granted", value, effective)
    return grant


def _grant(ctx: Ctx) -> JSON:
    _settle(ctx.acct)
    return ctx.acct.get(GRANT, ctx.path_params["id"], param="id")


def retrieve(ctx: Ctx) -> JSON:
    return _grant(ctx)


def _open(ctx: Ctx, doing: str) -> JSON:
    grant = _grant(ctx)
    if grant.get("voided_at"):
        raise invalid(f"You cannot {doing} a credit grant that has been voided.", param="id")
    closed = ctx.acct.priv(grant).get("closed")
    if closed == "credits_expired":
        raise invalid(f"You cannot {doing} a credit grant that has expired.", param="id")
    return grant


def update(ctx: Ctx) -> JSON:
    grant = _open(ctx, "update")
    before = snapshot(grant)
    p = ctx.params
    if "expires_at" in p:
        expires = None if p["expires_at"] == "" else as_int(p["expires_at"], "expires_at")
        if expires is not None and expires <= max(int(grant["effective_at"] or 0), now()):
            raise invalid("expires_at must be after effective_at and in the future.", param="expires_at")
        grant["expires_at"] = expires
    if "metadata" in p:
        grant["metadata"] = apply_metadata(grant["metadata"], p["metadata"])
    previous = changed(before, grant)
    if previous:
        grant["updated"] = now()
        ctx.acct.emit("billing.credit_grant.updated", grant, previous)
    return grant


def _end(ctx: Ctx, doing: str, field: str, detail: str) -> JSON:
    """End a grant now (``field`` set to the time) and debit what is left as ``detail``."""
    grant = _open(ctx, doing)
    before = snapshot(grant)
    ts = now()
    grant[field] = grant["updated"] = ts
    _close(ctx.acct, grant, detail, ts)
    ctx.acct.emit("billing.credit_grant.updated", grant, changed(before, grant))
    return grant


def expire(ctx: Ctx) -> JSON:
    """ "Expires a credit grant": it ends now, and what is left is debited (``credits_expired``)."""
    return _end(ctx, "expire", "expires_at", "credits_expired")


def void(ctx: Ctx) -> JSON:
    """ "Voids a credit grant": ``voided_at`` is set, and what is left is debited (``credits_voided``)."""
    return _end(ctx, "void", "voided_at", "credits_voided")


def list_grants(ctx: Ctx) -> JSON:
    _settle(ctx.acct)
    customer = ctx.params.get("customer")
    return paginate(
        ctx.acct,
        GRANT,
        ctx.params,
        "/v1/billing/credit_grants",
        lambda g: customer is None or g["customer"] == customer,
    )


def _customer_param(ctx: Ctx) -> str:
    if "customer" not in ctx.params:  # or `customer_account` (Accounts v2): not modelled
        raise missing_param("customer")
    return str(ctx.acct.get("customer", as_str(ctx.params["customer"], "customer"), param="customer")["id"])


def list_transactions(ctx: Ctx) -> JSON:
    _settle(ctx.acct)
    customer = _customer_param(ctx)
    grant_id = ctx.params.get("credit_grant")
    grants = {g["id"] for g in ctx.acct.of_type(GRANT) if g["customer"] == customer}

    def pred(t: JSON) -> bool:
        return t["credit_grant"] in grants and (grant_id is None or t["credit_grant"] == grant_id)

    return paginate(ctx.acct, TXN, ctx.params, "/v1/billing/credit_balance_transactions", pred)


def retrieve_transaction(ctx: Ctx) -> JSON:
    _settle(ctx.acct)
    return ctx.acct.get(TXN, ctx.path_params["id"], param="id")


def _matches(grant: JSON, filt: JSON) -> bool:
    """Whether ``grant`` is one the summary's ``filter`` asks about."""
    if filt["type"] == "credit_grant":
        return bool(grant["id"] == filt.get("credit_grant"))
    scope = grant["applicability_config"]["scope"]
    wanted = as_dict(filt.get("applicability_scope", {}), "filter[applicability_scope]")
    if "price_type" in wanted:
        return bool(scope.get("price_type") == wanted["price_type"])
    ids = {
        as_dict(p, "filter[applicability_scope][prices]").get("id")
        for p in as_list(wanted.get("prices", []), "filter[applicability_scope][prices]")
    }
    # A grant for every metered price covers the prices asked about; one for named prices, those.
    return scope.get("price_type") == "metered" or bool(ids & {p["id"] for p in scope.get("prices", [])})


def balance_summary(ctx: Ctx) -> JSON:
    """`GET /v1/billing/credit_balance_summary`: per currency, what the matching grants in effect
    hold now. No credits are ever pending on a draft invoice here, so the ledger and available
    balances are equal."""
    _settle(ctx.acct)
    customer = _customer_param(ctx)
    if "filter" not in ctx.params:
        raise missing_param("filter")
    filt = as_dict(ctx.params["filter"], "filter")
    kind = as_enum(filt.get("type", ""), "filter[type]", ("applicability_scope", "credit_grant"))
    if kind == "credit_grant":
        if "credit_grant" not in filt:
            raise missing_param("filter[credit_grant]")
        ctx.acct.get(
            GRANT,
            as_str(filt["credit_grant"], "filter[credit_grant]"),
            param="filter[credit_grant]",
            status=400,
        )
    elif "applicability_scope" not in filt:
        raise missing_param("filter[applicability_scope]")
    totals: dict[str, int] = {}
    for grant in ctx.acct.of_type(GRANT):
        if grant["customer"] != customer or not _matches(grant, filt):
            continue
        currency = grant["amount"]["monetary"]["currency"]
        held = remaining(ctx.acct, grant) if _active(ctx.acct, grant) else 0
        totals[currency] = totals.get(currency, 0) + held
    return {
        "object": "billing.credit_balance_summary",
        "balances": [
            {"available_balance": _monetary(cur, value), "ledger_balance": _monetary(cur, value)}
            for cur, value in totals.items()
        ],
        "customer": customer,
        "customer_account": None,
        "livemode": False,
    }


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/billing/credit_grants",
        create,
        consumes=(
            "amount",
            "applicability_config",
            "category",
            "customer",
            "effective_at",
            "expires_at",
            "metadata",
            "name",
            "priority",
        ),
    )
    router.add("GET", "/v1/billing/credit_grants", list_grants)
    router.add("GET", "/v1/billing/credit_grants/{id}", retrieve)
    router.add("POST", "/v1/billing/credit_grants/{id}", update, consumes=("expires_at", "metadata"))
    router.add("POST", "/v1/billing/credit_grants/{id}/expire", expire, consumes=())
    router.add("POST", "/v1/billing/credit_grants/{id}/void", void, consumes=())
    router.add("GET", "/v1/billing/credit_balance_summary", balance_summary)
    router.add("GET", "/v1/billing/credit_balance_transactions", list_transactions)
    router.add("GET", "/v1/billing/credit_balance_transactions/{id}", retrieve_transaction)
