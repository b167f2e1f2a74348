"""Payment links, and the Checkout Session a link opens."""

from __future__ import annotations

from typing import Any

from . import catalog, checkout
from .errors import invalid, missing_param
from .ids import new_id
from .router import Ctx, Router
from .store import (
    JSON,
    apply_metadata,
    as_bool,
    as_dict,
    as_enum,
    as_str,
    changed,
    paginate,
    skeleton,
    snapshot,
)


def _after_completion(value: Any) -> JSON:
    ac = as_dict(value, "after_completion")
    typ = as_enum(
        ac.get("type", "hosted_confirmation"), "after_completion[type]", ("hosted_confirmation", "redirect")
    )
    if typ == "redirect":
        redirect = as_dict(ac.get("redirect", {}), "after_completion[redirect]")
        if "url" not in redirect:
            raise missing_param("after_completion[redirect][url]")
        return {
            "type": "redirect",
            "redirect": {"url": as_str(redirect["url"], "after_completion[redirect][url]")},
        }
    hc = as_dict(ac.get("hosted_confirmation", {}), "after_completion[hosted_confirmation]")
    return {
        "type": "hosted_confirmation",
        "hosted_confirmation": {"custom_message": hc.get("custom_message")},
    }


def create_payment_link(ctx: Ctx) -> JSON:
    p = ctx.params
    acct = ctx.acct
    items = checkout.build_line_items(ctx, p["line_items"])
    if not items:
        raise missing_param("line_items")
    currencies = {price["currency"] for price, _, _ in items}
    if len(currencies) > 1:
        raise invalid("All line items must use the same currency.", param="line_items")
    plid = new_id("plink", 24)
    pl: JSON = skeleton("payment_link")
    pl.update(
        id=plid,
        object="payment_link",
        active=True,
        after_completion=_after_completion(p.get("after_completion", {"type": "hosted_confirmation"})),
        allow_promotion_codes=as_bool(p.get("allow_promotion_codes", False), "allow_promotion_codes"),
        automatic_tax={"enabled": False, "liability": None},
        billing_address_collection="auto",
        currency=next(iter(currencies)),
        custom_fields=[],
        custom_text={
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        customer_creation=as_enum(
            p.get("customer_creation", "if_required"), "customer_creation", ("always", "if_required")
        ),
        livemode=False,
        metadata=apply_metadata({}, p.get("metadata", {})),
        name_collection={},
        payment_method_collection="always",
        phone_number_collection={"enabled": False},
        shipping_options=[],
        submit_type="auto",
        tax_id_collection={"enabled": False, "required": "never"},
        url=f"{ctx.base_url}/pl/{plid}",
    )
    acct.add(pl)
    ctx.own(pl)
    line_objects = []
    for price, qty, adj in items:
        li: JSON = skeleton("item")
        amount = int(price["unit_amount"] or 0) * qty
        li.update(
            id=new_id("li", 24),
            object="item",
            amount_discount=0,
            amount_subtotal=amount,
            amount_tax=0,
            amount_total=amount,
            currency=price["currency"],
            description=catalog.product_name(acct, price),
            price=price,
            quantity=qty,
        )
        if adj:
            li["adjustable_quantity"] = adj
        acct.add(li)
        line_objects.append(li)
    acct.priv(pl)["line_item_ids"] = [li["id"] for li in line_objects]
    acct.priv(pl)["line_items_raw"] = p["line_items"]
    acct.hidden[plid] = {
        "line_items": {
            "object": "list",
            "data": line_objects,
            "has_more": False,
            "url": f"/v1/payment_links/{plid}/line_items",
        }
    }
    acct.emit("payment_link.created", pl)
    return pl


def retrieve_payment_link(ctx: Ctx) -> JSON:
    return ctx.acct.get("payment_link", ctx.path_params["payment_link"], param="payment_link")


def update_payment_link(ctx: Ctx) -> JSON:
    pl = ctx.acct.get("payment_link", ctx.path_params["payment_link"], param="payment_link")
    p = ctx.params
    before = snapshot(pl)
    if "active" in p:
        pl["active"] = as_bool(p["active"], "active")
    if "metadata" in p:
        pl["metadata"] = apply_metadata(pl["metadata"], p["metadata"])
    if "after_completion" in p:
        pl["after_completion"] = _after_completion(p["after_completion"])
    if "allow_promotion_codes" in p:
        pl["allow_promotion_codes"] = as_bool(p["allow_promotion_codes"], "allow_promotion_codes")
    if "inactive_message" in p:
        pl["inactive_message"] = as_str(p["inactive_message"], "inactive_message") or None
    previous = changed(before, pl)
    if previous:
        ctx.acct.emit("payment_link.updated", pl, previous)
    return pl


def list_payment_links(ctx: Ctx) -> JSON:
    p = ctx.params
    active = as_bool(p["active"], "active") if "active" in p else None

    def pred(o: JSON) -> bool:
        return active is None or o["active"] == active

    return paginate(ctx.acct, "payment_link", p, "/v1/payment_links", pred)


def payment_link_line_items(ctx: Ctx) -> JSON:
    pl = ctx.acct.get("payment_link", ctx.path_params["payment_link"], param="payment_link")
    ids = ctx.acct.priv(pl).get("line_item_ids", [])
    return paginate(
        ctx.acct, "item", ctx.params, f"/v1/payment_links/{pl['id']}/line_items", ids=list(reversed(ids))
    )


def session_for_link(ctx: Ctx, pl: JSON) -> JSON:
    """Create the Checkout Session a payment link opens (what Stripe does when the link is visited)."""
    acct = ctx.acct
    ids = acct.priv(pl).get("line_item_ids", [])
    line_items: list[dict[str, Any]] = []
    recurring = False
    for li_id in ids:
        li = acct.objects[li_id]
        entry: dict[str, Any] = {"price": li["price"]["id"], "quantity": str(li["quantity"])}
        if li.get("adjustable_quantity"):
            adj = li["adjustable_quantity"]
            entry["adjustable_quantity"] = {
                k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in adj.items() if v is not None
            }
        recurring = recurring or li["price"]["type"] == "recurring"
        line_items.append(entry)
    params: dict[str, Any] = {"mode": "subscription" if recurring else "payment", "line_items": line_items}
    if pl["after_completion"]["type"] == "redirect":
        params["success_url"] = pl["after_completion"]["redirect"]["url"]
    if not recurring:
        params["customer_creation"] = pl["customer_creation"]
    cs_ctx = Ctx(ctx.sandbox, acct, params, {}, ctx.base_url, ctx.request_id, "POST", "")
    cs = checkout.create(cs_ctx)
    cs["payment_link"] = pl["id"]
    cs["metadata"] = dict(pl["metadata"])
    return cs


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/payment_links",
        create_payment_link,
        consumes=(
            "after_completion",
            "allow_promotion_codes",
            "currency",
            "customer_creation",
            "line_items",
            "metadata",
        ),
    )
    router.add("GET", "/v1/payment_links", list_payment_links)
    router.add("GET", "/v1/payment_links/{payment_link}", retrieve_payment_link)
    router.add(
        "POST",
        "/v1/payment_links/{payment_link}",
        update_payment_link,
        consumes=("active", "after_completion", "allow_promotion_codes", "inactive_message", "metadata"),
    )
    router.add("GET", "/v1/payment_links/{payment_link}/line_items", payment_link_line_items)
