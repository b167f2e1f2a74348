"""The Stripe-Account header scopes every object (docs.stripe.com/connect/authentication): what a
connected account makes is invisible to the platform and to its sibling accounts, and the
platform's objects are invisible from the connected account.

Generated, not listed: objects of every kind are made on one side (the hand-written resources with
a few calls, and every generic resource the spec lets the sandbox store), then every object the
sandbox's store holds for that side, whatever its type, is read back on each side through the
spec's retrieve operation for its type, and every list operation is compared.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import stripe

from stripe_power import spec
from stripe_power.sandbox import SandboxServer

from .connect_setup import custom_account, paid
from .test_generic import STORAGE, sample

Call = Callable[..., Any]


def _retrieve_paths() -> dict[str, str]:
    """Object type -> the spec's ``GET /v1/.../{id}`` that retrieves it by id alone."""
    found: dict[str, str] = {}
    for op in spec.operations():
        if op.method == "GET" and op.returns and op.path.count("{") == 1 and op.path.endswith("}"):
            found.setdefault(op.returns, op.path)
    return found


def _list_paths() -> dict[str, str]:
    found: dict[str, str] = {}
    for op in spec.operations():
        returns = op.returns or ""
        if (
            op.method == "GET"
            and returns.startswith("list of ")
            and "{" not in op.path
            and not op.path.endswith("/search")
        ):
            required = (op.params or {}).get("required") or []
            if not required:
                found.setdefault(returns.removeprefix("list of "), op.path)
    return found


def populate(client: stripe.StripeClient, account: str | None) -> None:
    """Objects of many kinds on ``account`` (None: the platform), through the API."""
    options: dict[str, Any] = {"stripe_account": account} if account else {}

    def post(path: str, **params: Any) -> dict[str, Any]:
        return dict(client.raw_request("post", path, **options, **params).data)

    customer = post("/v1/customers", email="scope@example.com")
    product = post("/v1/products", name="Scoped")
    price = post("/v1/prices", product=product["id"], unit_amount=1500, currency="usd")
    post(
        "/v1/prices", product=product["id"], unit_amount=900, currency="usd", recurring={"interval": "month"}
    )
    intent = paid(client, 2500, account)
    post("/v1/refunds", payment_intent=intent.id, amount=500)
    post("/v1/invoiceitems", customer=customer["id"], pricing={"price": price["id"]})
    post("/v1/invoices", customer=customer["id"])
    post("/v1/setup_intents", customer=customer["id"])
    post("/v1/coupons", percent_off=10, duration="once")
    post("/v1/webhook_endpoints", url="http://127.0.0.1:9/hook", enabled_events=["*"])
    post("/v1/test_helpers/test_clocks", frozen_time=1_700_000_000)
    post(
        "/v1/checkout/sessions",
        mode="payment",
        success_url="http://127.0.0.1:9/ok",
        line_items=[{"price": price["id"], "quantity": 1}],
    )
    post("/v1/payment_links", line_items=[{"price": price["id"], "quantity": 1}])
    for op in STORAGE:  # every resource the generic layer stores, with the least the spec requires
        try:
            post(op.path, **sample(op.params))
        except stripe.StripeError:
            continue  # refused as Stripe would (e.g. needs an object of the platform): nothing made


def _stored(sandbox: SandboxServer, key: str, account: str | None) -> dict[str, list[str]]:
    """Object type -> ids, as the sandbox's store holds them for the platform or an account."""
    with sandbox.sandbox.state.lock:
        store = sandbox.sandbox.state.accounts[key]
        if account is not None:
            store = store.connected[account]
        out: dict[str, list[str]] = {}
        for oid, obj in store.objects.items():
            if not obj.get("deleted") and isinstance(obj.get("object"), str):
                out.setdefault(obj["object"], []).append(oid)
        return out


def _status(client: stripe.StripeClient, path: str, account: str | None) -> int:
    options: dict[str, Any] = {"stripe_account": account} if account else {}
    try:
        client.raw_request("get", path, **options)
    except stripe.StripeError as err:
        return int(err.http_status or 0)
    return 200


@pytest.mark.parametrize("side", ["connected", "platform"])
def test_objects_are_seen_only_by_the_account_that_made_them(
    sandbox: SandboxServer, client: stripe.StripeClient, api_key: str, side: str
) -> None:
    account = custom_account(client).id
    sibling = custom_account(client).id
    owner, others = (account, [None, sibling]) if side == "connected" else (None, [account, sibling])
    populate(client, owner)
    made = _stored(sandbox, api_key, owner)
    retrieve = _retrieve_paths()
    checked: list[str] = []
    for typ, ids in sorted(made.items()):
        if typ not in retrieve or typ == "account":
            continue
        for oid in ids[:3]:
            path = re.sub(r"\{\w+\}", oid, retrieve[typ])
            assert _status(client, path, owner) == 200, f"{typ} {oid} on its own account"
            for other in others:
                assert _status(client, path, other) == 404, f"{typ} {oid} seen from {other or 'the platform'}"
        checked.append(typ)
    # Many kinds, hand-written and generic: customers, charges, events, balance transactions, ...
    assert len(checked) >= 50, checked
    assert {
        "customer",
        "charge",
        "payment_intent",
        "refund",
        "event",
        "balance_transaction",
        "invoice",
    } <= set(checked)
    lists = _list_paths()
    for typ, path in sorted(lists.items()):
        if typ not in made or typ == "account":
            continue
        for other in others:
            options: dict[str, Any] = {"stripe_account": other} if other else {}
            seen = client.raw_request("get", path, **options, limit=100).data
            assert not {o["id"] for o in seen["data"]} & set(made[typ]), (
                f"{path} from {other or 'the platform'}"
            )
