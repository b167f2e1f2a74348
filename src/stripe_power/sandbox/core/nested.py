"""Objects that belong to a parent and are listed inside it: a transfer's reversals, an application
fee's refunds, an account's external accounts. Stripe embeds the newest ten of them in the parent
(``{"object": "list", "data": [...], "total_count": n}``) and serves the full list under its URL."""

from __future__ import annotations

from collections.abc import Iterable

from .errors import invalid, no_such
from .router import Ctx
from .store import JSON, apply_metadata, as_str, changed, fields_match, paginate, snapshot

_EMBEDDED = 10


def embedded(url: str) -> JSON:
    return {"object": "list", "data": [], "has_more": False, "total_count": 0, "url": url}


def push(listing: JSON, obj: JSON) -> None:
    """Add ``obj`` to a parent's embedded list (newest first)."""
    listing["data"] = [obj, *listing["data"]][:_EMBEDDED]
    listing["total_count"] = int(listing.get("total_count") or 0) + 1
    listing["has_more"] = listing["total_count"] > len(listing["data"])


def take(amount: int | None, left: int, done: str, over: str) -> int:
    """``amount`` of what is ``left`` of a parent (default: all of it), or Stripe's 400: ``done``
    when nothing is left, ``over`` when the amount is more than what is."""
    if left <= 0:
        raise invalid(done, param="amount")
    if amount is None:
        return left
    if amount > left:
        raise invalid(over, param="amount", code="amount_too_large")
    return amount


def child(ctx: Ctx, typ: str, oid: str, parent_field: str, parent: JSON) -> JSON:
    """The ``typ`` object ``oid`` of ``parent`` (Stripe's 404 if it belongs to another one)."""
    found = ctx.acct.find(typ, oid)
    if found is None or found.get(parent_field) != parent["id"]:
        raise no_such(typ, oid)
    return found


def children(ctx: Ctx, typ: str, url: str, parent_field: str, parent: JSON) -> JSON:
    """A page of ``parent``'s ``typ`` objects."""
    return paginate(ctx.acct, typ, ctx.params, url, fields_match({parent_field: parent["id"]}, parent_field))


def update(ctx: Ctx, obj: JSON, event: str | None, strings: Iterable[str] = ()) -> JSON:
    """Apply ``metadata`` (and the string fields ``strings``; "" unsets) to ``obj``; emit ``event``
    with what changed."""
    before = snapshot(obj)
    for name in strings:
        if name in ctx.params:
            obj[name] = as_str(ctx.params[name], name) or None
    if "metadata" in ctx.params:
        obj["metadata"] = apply_metadata(obj.get("metadata"), ctx.params["metadata"])
    previous = changed(before, obj)
    if previous and event:
        ctx.acct.emit(event, obj, previous)
    return obj
