"""Payment links, and the Checkout Session a link opens.

A link's options (shipping address and phone collection, consent, custom fields, custom text,
promotion codes, submit type, payment or subscription data...) are the Checkout Session options of
the same names: each visit opens a session made from them (`session_params`), so what the link
accepts is checked against what a session applies when the link is created or updated.
`restrictions.completed_sessions.limit` deactivates the link after that many completed sessions;
an inactive link's page shows its `inactive_message` (docs.stripe.com/payment-links/api,
spec3.json `restrictions`, `inactive_message`).
"""

from __future__ import annotations

from typing import Any

from ... import spec
from ..billing import custom_amounts
from ..connect import connect_charges
from ..core import accepted, constraints
from ..core.errors import StripeError, invalid, missing_param, no_such
from ..core.ids import new_id
from ..core.router import Ctx, Router
from ..core.store import (
    JSON,
    apply_metadata,
    as_bool,
    as_dict,
    as_enum,
    as_int,
    as_list,
    as_str,
    changed,
    paginate,
    skeleton,
    snapshot,
)
from . import checkout, checkout_collection, checkout_complete
from .checkout_lines import build_line_items, line_item_object, lines_list

# Link fields that are not a session's options, or that the link sets in its own way.
_NOT_SESSION_OPTIONS = frozenset(
    {"after_completion", "currency", "line_items", "metadata", "customer_creation"}
)
# Session options valid in one mode only (spec3.json descriptions; sandbox/core/constraints.py).
_ONLY_IN = {
    "payment_intent_data": "payment",
    "payment_method_collection": "subscription",
    "subscription_data": "subscription",
}


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


def _restrictions(value: Any) -> JSON | None:
    if value == "":
        return None
    raw = as_dict(
        as_dict(value, "restrictions").get("completed_sessions"), "restrictions[completed_sessions]"
    )
    limit = as_int(raw.get("limit"), "restrictions[completed_sessions][limit]", minimum=1)
    return {"completed_sessions": {"count": 0, "limit": limit}}


def create_payment_link(ctx: Ctx) -> JSON:
    p = ctx.params
    acct = ctx.acct
    items = build_line_items(ctx, p["line_items"])
    if not items:
        raise missing_param("line_items")
    custom_amounts.check_items(ctx, items, p)
    currencies = {price["currency"] for price, _, _ in items}
    if len(currencies) > 1:
        raise invalid("All line items must use the same currency.", param="line_items")
    _connect(ctx, any(price["type"] == "recurring" for price, _, _ in items))
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
        inactive_message=as_str(p["inactive_message"], "inactive_message")
        if "inactive_message" in p
        else None,
        livemode=False,
        metadata=apply_metadata({}, p.get("metadata", {})),
        name_collection={},
        payment_method_collection="always",
        phone_number_collection={"enabled": False},
        restrictions=_restrictions(p["restrictions"]) if "restrictions" in p else None,
        shipping_options=[],
        submit_type="auto",
        tax_id_collection={"enabled": False, "required": "never"},
        url=f"{ctx.base_url}/pl/{plid}",
    )
    line_objects = []
    for price, qty, adj in items:
        li = line_item_object(ctx, price, qty)
        if adj:
            li["adjustable_quantity"] = adj
        line_objects.append(li)
    acct.priv(pl)["line_item_ids"] = [li["id"] for li in line_objects]
    ctx.store_rest(pl)  # the session options, on the link before they are checked
    try:
        _check_session_options(ctx, pl)
    except StripeError:
        for li in line_objects:  # nothing stays of a refused request
            acct.remove(li["id"])
        acct.private.pop(plid, None)
        raise
    acct.add(pl)
    ctx.own(pl)
    acct.hidden[plid] = {"line_items": lines_list(acct, pl, f"/v1/payment_links/{plid}/line_items")}
    acct.emit("payment_link.created", pl)
    return pl


def _mode(ctx: Ctx, pl: JSON) -> str:
    ids = ctx.acct.priv(pl).get("line_item_ids", [])
    recurring = any(ctx.acct.objects[i]["price"]["type"] == "recurring" for i in ids)
    return "subscription" if recurring else "payment"


def session_params(ctx: Ctx, pl: JSON) -> dict[str, Any]:
    """The parameters of the Checkout Session a visit to ``pl`` opens: its line items and mode, and
    each link field that is a session option of the same name (in the session's parameter shape)."""
    acct = ctx.acct
    mode = _mode(ctx, pl)
    line_items: list[dict[str, Any]] = []
    for li_id in acct.priv(pl).get("line_item_ids", []):
        li = acct.objects[li_id]
        entry: dict[str, Any] = {"price": li["price"]["id"], "quantity": str(li["quantity"])}
        if li.get("adjustable_quantity"):
            entry["adjustable_quantity"] = spec.to_wire(
                {k: v for k, v in li["adjustable_quantity"].items() if v is not None}
            )
        line_items.append(entry)
    params: dict[str, Any] = {"mode": mode, "line_items": line_items}
    if pl["after_completion"]["type"] == "redirect":
        params["success_url"] = pl["after_completion"]["redirect"]["url"]
    if mode == "payment":
        params["customer_creation"] = pl["customer_creation"]
    op = spec.operation("POST", "/v1/checkout/sessions")
    assert op is not None
    for name, schema in op.params["properties"].items():
        if name in params or name in _NOT_SESSION_OPTIONS or _ONLY_IN.get(name, mode) != mode:
            continue
        value = _as_param(pl.get(name), schema)
        if value is not None:
            params[name] = value
    if mode == "payment":
        # The link's Connect fields make the payment a direct or destination charge, as a session's would.
        connect = {
            k: _as_param(pl.get(k), {}) for k in ("application_fee_amount", "on_behalf_of", "transfer_data")
        }
        connect = {k: v for k, v in connect.items() if v is not None}
        if connect:
            params["payment_intent_data"] = {**params.get("payment_intent_data", {}), **connect}
    return params


def _as_param(value: Any, schema: spec.Schema) -> Any:
    """An object's field as the parameter of that name takes it: unset and empty parts left out,
    fields the parameter has no place for dropped, scalars in wire form."""
    node = spec.deref(schema)
    branches = [spec.deref(b) for b in node.get("anyOf", [node])]
    branch = next((b for b in branches if b.get("enum") != [""]), node)
    if value is None:
        return None
    if isinstance(value, dict):
        props = branch.get("properties")
        items = {k: v for k, v in value.items() if props is None or k in props}
        out = {k: c for k, v in items.items() if (c := _as_param(v, (props or {}).get(k, {}))) is not None}
        return out or None
    if isinstance(value, list):
        converted = [c for v in value if (c := _as_param(v, branch.get("items", {}))) is not None]
        return converted or None
    return spec.to_wire(value)


def _check_session_options(ctx: Ctx, pl: JSON) -> None:
    """The link's options, as a session takes them: refused now (naming the parameter) if a
    session would refuse them, rather than on every visit."""
    params = session_params(ctx, pl)
    op = spec.operation("POST", "/v1/checkout/sessions")
    route = ctx.sandbox.router.match("POST", "/v1/checkout/sessions")
    assert op is not None and route is not None
    constraints.check(op.key, params, ctx.acct)
    accepted.split(op, route[0].consumes, params)
    checkout_collection.configure({}, params)


def retrieve_payment_link(ctx: Ctx) -> JSON:
    return ctx.acct.get("payment_link", ctx.path_params["payment_link"], param="payment_link")


def update_payment_link(ctx: Ctx) -> JSON:
    found = ctx.acct.get("payment_link", ctx.path_params["payment_link"], param="payment_link")
    p = ctx.params
    before = snapshot(found)
    pl = snapshot(found)  # changed as a copy: a refused update changes nothing
    if "active" in p:
        pl["active"] = as_bool(p["active"], "active")
    if "metadata" in p:
        pl["metadata"] = apply_metadata(pl["metadata"], p["metadata"])
    if "after_completion" in p:
        pl["after_completion"] = _after_completion(p["after_completion"])
    if "allow_promotion_codes" in p:
        pl["allow_promotion_codes"] = as_bool(p["allow_promotion_codes"], "allow_promotion_codes")
    if "customer_creation" in p:
        pl["customer_creation"] = as_enum(
            p["customer_creation"], "customer_creation", ("always", "if_required")
        )
    if "inactive_message" in p:
        pl["inactive_message"] = as_str(p["inactive_message"], "inactive_message") or None
    if "restrictions" in p:
        kept = ((pl.get("restrictions") or {}).get("completed_sessions") or {}).get("count", 0)
        pl["restrictions"] = _restrictions(p["restrictions"])
        if pl["restrictions"] is not None:
            pl["restrictions"]["completed_sessions"]["count"] = kept
    ctx.store_rest(pl)
    _check_session_options(ctx, pl)
    if "line_items" in p:
        _update_lines(ctx, pl, p["line_items"])
    found.clear()
    found.update(pl)
    previous = changed(before, found)
    if previous:
        ctx.acct.emit("payment_link.updated", found, previous)
    return found


def _update_lines(ctx: Ctx, pl: JSON, raw: Any) -> None:
    """``line_items`` on update: an existing line's ``quantity`` and ``adjustable_quantity``, by
    ``id`` (all checked before any changes)."""
    ids = ctx.acct.priv(pl).get("line_item_ids", [])
    changes = []
    for i, entry_raw in enumerate(as_list(raw, "line_items")):
        entry = as_dict(entry_raw, f"line_items[{i}]")
        li_id = as_str(entry.get("id"), f"line_items[{i}][id]")
        if li_id not in ids:
            raise no_such("line item", li_id, param=f"line_items[{i}][id]", status=400)
        li = ctx.acct.objects[li_id]
        change: JSON = {}
        if "quantity" in entry:
            change["quantity"] = as_int(entry["quantity"], f"line_items[{i}][quantity]", minimum=0)
        if "adjustable_quantity" in entry:
            raw_adj = {"price": li["price"]["id"], "adjustable_quantity": entry["adjustable_quantity"]}
            change["adjustable_quantity"] = build_line_items(ctx, [raw_adj], "line_items")[0][2]
        changes.append((li, change))
    for li, change in changes:
        li.update(change)
        amount = int(li["price"]["unit_amount"] or 0) * int(li["quantity"])
        li.update(amount_subtotal=amount, amount_total=amount)


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


def _connect(ctx: Ctx, recurring: bool) -> None:
    """The link's Connect fields, as the spec's descriptions of them say (checked before anything is
    stored): a fee amount only without recurring prices, a fee percent only with them; with
    recurring prices a transfer and fee on each invoice, which the sandbox does not carry out."""
    p = ctx.params
    if recurring and "application_fee_amount" in p:
        raise invalid(
            "application_fee_amount can only be applied when there are no line items with recurring prices.",
            param="application_fee_amount",
        )
    if not recurring and "application_fee_percent" in p:
        raise invalid(
            "There must be at least 1 line item with a recurring price to use application_fee_percent.",
            param="application_fee_percent",
        )
    if recurring:
        connect_charges.refuse(ctx, *((name,) for name in connect_charges.SUBSCRIPTION_FIELDS))
    else:
        connect_charges.read(ctx, {k: p[k] for k in connect_charges.FIELDS if k in p})


def session_for_link(ctx: Ctx, pl: JSON) -> JSON:
    """Create the Checkout Session a payment link opens (what Stripe does when the link is visited)."""
    cs = checkout.create_from_params(ctx, session_params(ctx, pl))
    cs["payment_link"] = pl["id"]
    cs["metadata"] = dict(pl["metadata"])
    return cs


def _on_completed(ctx: Ctx, cs: JSON) -> None:
    """A session of a link completed: counted against the link's restriction, which deactivates
    the link when its limit is reached."""
    pl = ctx.acct.find("payment_link", cs.get("payment_link"))
    limit = ((pl or {}).get("restrictions") or {}).get("completed_sessions")
    if pl is None or limit is None:
        return
    before = snapshot(pl)
    limit["count"] += 1
    if limit["count"] >= limit["limit"]:
        pl["active"] = False
    ctx.acct.emit("payment_link.updated", pl, changed(before, pl))


checkout_complete.COMPLETED_HOOKS.append(_on_completed)


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
            "inactive_message",
            "line_items",
            "metadata",
            "restrictions",
        ),
    )
    router.add("GET", "/v1/payment_links", list_payment_links)
    router.add("GET", "/v1/payment_links/{payment_link}", retrieve_payment_link)
    router.add(
        "POST",
        "/v1/payment_links/{payment_link}",
        update_payment_link,
        consumes=(
            "active",
            "after_completion",
            "allow_promotion_codes",
            "customer_creation",
            "inactive_message",
            "line_items",
            "metadata",
            "restrictions",
        ),
    )
    router.add("GET", "/v1/payment_links/{payment_link}/line_items", payment_link_line_items)
