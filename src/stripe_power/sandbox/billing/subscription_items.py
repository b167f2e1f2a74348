"""Subscription items as their own API (``/v1/subscription_items``). Items live inside their
subscription; every change goes through the subscription update, so prorations and events are
the same as ``POST /v1/subscriptions/{id}`` with ``items``."""

from __future__ import annotations

from typing import Any

from ..core.errors import invalid, missing_param, no_such
from ..core.router import Ctx, Router
from ..core.store import JSON, apply_metadata, as_str, paginate
from . import invoice_totals, subscriptions

_PASSED_ON = ("price", "price_data", "quantity")


def _subscription_update(ctx: Ctx, sub: JSON, item: dict[str, Any]) -> JSON:
    params: dict[str, Any] = {"items": [item]}
    if "proration_behavior" in ctx.params:
        params["proration_behavior"] = ctx.params["proration_behavior"]
    return subscriptions.update_subscription(ctx.derive(params, {"subscription_exposed_id": sub["id"]}))


def _item(ctx: Ctx) -> tuple[JSON, JSON]:
    item = ctx.acct.get("subscription_item", ctx.path_params["item"], param="item")
    return item, ctx.acct.get("subscription", item["subscription"])


def create(ctx: Ctx) -> JSON:
    p = ctx.params
    if "subscription" not in p:
        raise missing_param("subscription")
    sub = ctx.acct.get(
        "subscription", as_str(p["subscription"], "subscription"), param="subscription", status=400
    )
    before = {i["id"] for i in sub["items"]["data"]}
    _subscription_update(ctx, sub, {k: p[k] for k in _PASSED_ON if k in p})
    item: JSON = next(i for i in sub["items"]["data"] if i["id"] not in before)
    _own_fields(ctx, item)
    return item


def retrieve(ctx: Ctx) -> JSON:
    return _item(ctx)[0]


def update(ctx: Ctx) -> JSON:
    item, sub = _item(ctx)
    changes = {k: ctx.params[k] for k in _PASSED_ON if k in ctx.params}
    if changes:
        _subscription_update(ctx, sub, {"id": item["id"], **changes})
    _own_fields(ctx, item)
    return item


def _own_fields(ctx: Ctx, item: JSON) -> None:
    """What only the item has: its metadata and tax rates."""
    if "metadata" in ctx.params:
        item["metadata"] = apply_metadata(item["metadata"], ctx.params["metadata"])
    if "tax_rates" in ctx.params:
        item["tax_rates"] = invoice_totals.tax_rates_param(ctx.acct, ctx.params["tax_rates"], "tax_rates")


def delete(ctx: Ctx) -> JSON:
    item, sub = _item(ctx)
    if len(sub["items"]["data"]) == 1:
        raise invalid(
            "A subscription must have at least one active plan. To cancel a subscription, please use the cancel API "
            "endpoint on /v1/subscriptions.",
            param="item",
        )
    _subscription_update(ctx, sub, {"id": item["id"], "deleted": "true"})
    return {"id": item["id"], "object": "subscription_item", "deleted": True}


def list_(ctx: Ctx) -> JSON:
    if "subscription" not in ctx.params:
        raise missing_param("subscription")
    sub = ctx.acct.find("subscription", ctx.params["subscription"])
    if sub is None:
        raise no_such("subscription", str(ctx.params["subscription"]), param="subscription", status=400)
    ids = [i["id"] for i in sub["items"]["data"]]
    return paginate(ctx.acct, "subscription_item", ctx.params, "/v1/subscription_items", ids=ids)


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/subscription_items",
        create,
        consumes=(
            "metadata",
            "price",
            "price_data",
            "proration_behavior",
            "quantity",
            "subscription",
            "tax_rates",
        ),
    )
    router.add("GET", "/v1/subscription_items", list_)
    router.add("GET", "/v1/subscription_items/{item}", retrieve)
    router.add(
        "POST",
        "/v1/subscription_items/{item}",
        update,
        consumes=("metadata", "price", "price_data", "proration_behavior", "quantity", "tax_rates"),
    )
    router.add("DELETE", "/v1/subscription_items/{item}", delete)
