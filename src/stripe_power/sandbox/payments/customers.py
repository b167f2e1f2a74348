"""Customers: create, retrieve, update, delete, list, search."""

from __future__ import annotations

from typing import Any

from ..billing import customer_balance
from ..core.ids import new_id
from ..core.router import Ctx, Router
from ..core.search import search
from ..core.store import (
    JSON,
    apply_metadata,
    as_dict,
    as_int,
    as_list,
    as_str,
    fields_match,
    now,
    paginate,
    skeleton,
    snapshot,
)
from . import payment_methods

_SIMPLE = ("email", "name", "description", "phone", "tax_exempt")
_NULLABLE_DICTS = ("address", "shipping")


def _apply(ctx: Ctx, cust: JSON, params: dict[str, Any]) -> None:
    for key in _SIMPLE:
        if key in params:
            value = as_str(params[key], key)
            cust[key] = value if value != "" or key == "tax_exempt" else None
    for key in _NULLABLE_DICTS:
        if key in params:
            cust[key] = as_dict(params[key], key) if params[key] != "" else None
    if "preferred_locales" in params:
        cust["preferred_locales"] = [
            as_str(x, "preferred_locales") for x in as_list(params["preferred_locales"], "preferred_locales")
        ]
    if "metadata" in params:
        cust["metadata"] = apply_metadata(cust["metadata"], params["metadata"])
    if "invoice_settings" in params:
        settings = as_dict(params["invoice_settings"], "invoice_settings")
        if "default_payment_method" in settings:
            pm_ref = settings["default_payment_method"]
            if pm_ref == "":
                cust["invoice_settings"]["default_payment_method"] = None
            else:
                pm = payment_methods.resolve_payment_method(
                    ctx,
                    as_str(pm_ref, "invoice_settings[default_payment_method]"),
                    "invoice_settings[default_payment_method]",
                )
                if pm.get("customer") != cust["id"]:
                    payment_methods.attach(ctx, pm, cust["id"])
                cust["invoice_settings"]["default_payment_method"] = pm["id"]
        for k in ("footer", "custom_fields", "rendering_options"):
            if k in settings:
                cust["invoice_settings"][k] = settings[k] or None


def customer_ref(ctx: Ctx, value: Any, param: str = "customer") -> str:
    cid = as_str(value, param)
    ctx.acct.get("customer", cid, param=param, status=400)
    return cid


def create(ctx: Ctx) -> JSON:
    p = ctx.params
    cust: JSON = skeleton("customer")
    cust.update(
        id=new_id("cus", 14),
        object="customer",
        balance=0,
        created=now(),
        delinquent=False,
        invoice_prefix=new_id("x", 8)[2:].upper(),
        invoice_settings={
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        livemode=False,
        metadata={},
        next_invoice_sequence=1,
        preferred_locales=[],
        tax_exempt="none",
    )
    if "test_clock" in p:
        clock_id = as_str(p["test_clock"], "test_clock")
        cust["test_clock"] = ctx.acct.get(
            "test_helpers.test_clock", clock_id, param="test_clock", status=400
        )["id"]
    ctx.acct.add(cust)
    _apply(ctx, cust, p)
    if "balance" in p:
        customer_balance.set_balance(ctx.acct, cust, as_int(p["balance"], "balance"), "initial")
    if "payment_method" in p:
        pm = payment_methods.resolve_payment_method(
            ctx, as_str(p["payment_method"], "payment_method"), "payment_method"
        )
        payment_methods.attach(ctx, pm, cust["id"])
    ctx.acct.emit("customer.created", cust)
    return cust


def retrieve(ctx: Ctx) -> JSON:
    cid = ctx.path_params["customer"]
    obj = ctx.acct.objects.get(cid)
    if obj is None or obj.get("object") != "customer":
        return ctx.acct.get("customer", cid)
    return obj


def update(ctx: Ctx) -> JSON:
    cust = ctx.acct.get("customer", ctx.path_params["customer"])
    before = snapshot(cust)
    _apply(ctx, cust, ctx.params)
    if "balance" in ctx.params:
        customer_balance.set_balance(ctx.acct, cust, as_int(ctx.params["balance"], "balance"), "adjustment")
    previous = {k: v for k, v in before.items() if cust.get(k) != v}
    if previous:
        ctx.acct.emit("customer.updated", cust, previous)
    return cust


def delete(ctx: Ctx) -> JSON:
    cust = ctx.acct.get("customer", ctx.path_params["customer"])
    stub: JSON = {"id": cust["id"], "object": "customer", "deleted": True}
    ctx.acct.objects[cust["id"]] = stub
    for sub in list(ctx.acct.of_type("subscription")):
        if sub["customer"] == cust["id"] and sub["status"] not in ("canceled", "incomplete_expired"):
            sub["status"] = "canceled"
            sub["canceled_at"] = sub["ended_at"] = now()
            ctx.acct.emit("customer.subscription.deleted", sub)
    ctx.acct.emit("customer.deleted", cust)
    return stub


def list_(ctx: Ctx) -> JSON:
    pred = fields_match(ctx.params, "email", "test_clock")
    return paginate(ctx.acct, "customer", ctx.params, "/v1/customers", pred)


def search_(ctx: Ctx) -> JSON:
    fields = {
        "email": lambda o: o.get("email"),
        "name": lambda o: o.get("name"),
        "phone": lambda o: o.get("phone"),
        "description": lambda o: o.get("description"),
        "created": lambda o: o.get("created"),
    }
    return search(ctx, "customer", fields, "/v1/customers/search")


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/customers",
        create,
        consumes=(
            "address",
            "balance",
            "description",
            "email",
            "invoice_settings",
            "metadata",
            "name",
            "payment_method",
            "phone",
            "preferred_locales",
            "shipping",
            "tax_exempt",
            "test_clock",
        ),
    )
    router.add("GET", "/v1/customers", list_)
    router.add("GET", "/v1/customers/search", search_)
    router.add("GET", "/v1/customers/{customer}", retrieve)
    router.add(
        "POST",
        "/v1/customers/{customer}",
        update,
        consumes=(
            "address",
            "balance",
            "description",
            "email",
            "invoice_settings",
            "metadata",
            "name",
            "phone",
            "preferred_locales",
            "shipping",
            "tax_exempt",
        ),
    )
    router.add("DELETE", "/v1/customers/{customer}", delete)
