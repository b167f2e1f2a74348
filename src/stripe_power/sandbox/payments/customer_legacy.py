"""The older endpoints nested under a customer: card sources and `/v1/customers/{customer}/subscriptions`.

- ``POST /v1/customers/{customer}/sources`` with ``source=tok_visa`` (a test card token) attaches a
  ``card`` to the customer (Stripe's Sources API, docs.stripe.com/api/cards/create): its brand,
  last4 and funding are the token's test card, it is listed, retrieved, updated and deleted under
  the customer, and the first card becomes the customer's ``default_source``. The sandbox does not
  charge saved cards (docs/sandbox.md): PaymentMethods are the way to pay.
- The customer's subscriptions endpoints are the same operations as ``/v1/subscriptions`` with the
  customer taken from the path (Stripe documents both; the nested ones are the older form): each
  is served by the ``/v1/subscriptions`` handler and declares what that handler consumes, so
  ``items`` and every other parameter are applied exactly as there.
"""

from __future__ import annotations

import time

from ... import clock, spec
from ..core.errors import invalid, missing_param, no_such
from ..core.ids import new_id
from ..core.router import Ctx, Handler, Router
from ..core.schema_objects import new_object
from ..core.store import JSON, as_str, changed, paginate, snapshot
from .cards import card_for_token

# The legacy card object spells brands as Stripe's Dashboard does (`Visa`, `American Express`).
_BRANDS = {
    "visa": "Visa",
    "mastercard": "MasterCard",
    "amex": "American Express",
    "discover": "Discover",
    "diners": "Diners Club",
    "jcb": "JCB",
    "unionpay": "UnionPay",
}
_SOURCES = "/v1/customers/{customer}/sources"
_LEGACY = "/v1/customers/{customer}/subscriptions"
_MODERN = "/v1/subscriptions"


def _customer(ctx: Ctx) -> JSON:
    return ctx.acct.get("customer", ctx.path_params["customer"], param="customer")


def _card(ctx: Ctx, cust: JSON) -> JSON:
    card = ctx.acct.find("card", ctx.path_params["id"])
    if card is None or card.get("customer") != cust["id"]:
        raise no_such("source", ctx.path_params["id"], param="id")
    return card


def create_source(ctx: Ctx) -> JSON:
    cust = _customer(ctx)
    if "source" not in ctx.params:
        raise missing_param("source")
    token = as_str(ctx.params["source"], "source")
    test_card = card_for_token(token)
    if test_card is None:
        raise invalid(f"No such token: '{token}'", param="source", code="resource_missing")
    card = new_object("card")
    card.update(
        id=new_id("card", 24),
        brand=_BRANDS.get(test_card.brand, "Unknown"),
        country=test_card.country,
        customer=cust["id"],
        cvc_check="pass",
        exp_month=12,
        exp_year=time.gmtime(clock.now()).tm_year + 3,  # as the test PaymentMethods
        fingerprint="fp" + test_card.number[-8:] + test_card.brand[:4],
        funding=test_card.funding,
        last4=test_card.last4,
    )
    ctx.store_rest(card)
    ctx.acct.add(card)
    ctx.acct.priv(card)["parent"] = ("customer", cust["id"])
    ctx.acct.cards[card["id"]] = test_card
    ctx.acct.emit("customer.source.created", card)
    if cust.get("default_source") is None:
        before = snapshot(cust)
        cust["default_source"] = card["id"]
        ctx.acct.emit("customer.updated", cust, changed(before, cust))
    return card


def list_sources(ctx: Ctx) -> JSON:
    cust = _customer(ctx)
    wanted = ctx.params.get("object")
    if wanted not in (None, "card"):  # the sandbox attaches cards only: no bank accounts or sources
        return {"object": "list", "data": [], "has_more": False, "url": f"/v1/customers/{cust['id']}/sources"}
    return paginate(
        ctx.acct,
        "card",
        ctx.params,
        f"/v1/customers/{cust['id']}/sources",
        lambda c: c["customer"] == cust["id"],
    )


def retrieve_source(ctx: Ctx) -> JSON:
    return _card(ctx, _customer(ctx))


def update_source(ctx: Ctx) -> JSON:
    card = _card(ctx, _customer(ctx))
    before = snapshot(card)
    ctx.store_rest(card)
    previous = changed(before, card)
    if previous:
        ctx.acct.emit("customer.source.updated", card, previous)
    return card


def delete_source(ctx: Ctx) -> JSON:
    cust = _customer(ctx)
    card = _card(ctx, cust)
    ctx.acct.objects[card["id"]] = {"id": card["id"], "object": "card", "deleted": True}
    ctx.acct.emit("customer.source.deleted", card)
    if cust.get("default_source") == card["id"]:
        before = snapshot(cust)
        left = [c["id"] for c in ctx.acct.of_type("card") if c.get("customer") == cust["id"]]
        cust["default_source"] = left[-1] if left else None
        ctx.acct.emit("customer.updated", cust, changed(before, cust))
    return {"id": card["id"], "object": "card", "deleted": True}


def _alias(router: Router, method: str, template: str) -> None:
    """Serve ``method template`` (under a customer) with the ``/v1/subscriptions`` handler."""
    modern = router.route(method, template.replace(_LEGACY, _MODERN))
    op = spec.operation(method, template)
    assert modern is not None and op is not None, template
    serve: Handler = modern.handler

    def handler(ctx: Ctx) -> JSON:
        cust = _customer(ctx)
        params = dict(ctx.params)
        path_params = dict(ctx.path_params)
        sub_id = path_params.get("subscription_exposed_id")
        if sub_id is not None:
            sub = ctx.acct.find("subscription", sub_id)
            if sub is None or sub["customer"] != cust["id"]:
                raise no_such("subscription", sub_id, param="subscription_exposed_id")
        else:
            params["customer"] = cust["id"]
        inner = ctx.derive(params, path_params, method=method)
        inner.path, inner.rest = ctx.path, ctx.rest
        result = serve(inner)
        ctx.rest = inner.rest
        if result.get("object") == "list":
            result = {**result, "url": f"/v1/customers/{cust['id']}/subscriptions"}
        return result

    consumes = None
    if method == "POST":
        names = frozenset(op.params.get("properties", {}))
        consumes = frozenset(c for c in modern.consumes if c.split(".", 1)[0] in names)
    router.add(method, template, handler, consumes=consumes)


def register(router: Router) -> None:
    """Registered after the subscription routes, which the aliases serve through."""
    router.add("POST", _SOURCES, create_source, consumes=("source",))
    router.add("GET", _SOURCES, list_sources)
    router.add("GET", _SOURCES + "/{id}", retrieve_source)
    router.add("POST", _SOURCES + "/{id}", update_source, consumes=())
    router.add("DELETE", _SOURCES + "/{id}", delete_source)
    for method, template in (
        ("POST", _LEGACY),
        ("GET", _LEGACY),
        ("GET", _LEGACY + "/{subscription_exposed_id}"),
        ("POST", _LEGACY + "/{subscription_exposed_id}"),
        ("DELETE", _LEGACY + "/{subscription_exposed_id}"),
    ):
        _alias(router, method, template)
