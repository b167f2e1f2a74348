"""Changing what a subscription bills: items, the trial, the billing cycle anchor, one-time items.

- Items (price, quantity) change with prorations at the change's time (`proration_date`, else now):
  a credit for the unused time of the item as it was, a charge for the remaining time as it is
  (docs.stripe.com/billing/subscriptions/prorations). `always_invoice` bills them at once;
  `create_prorations` leaves them for the next invoice; `none` makes none.
- `trial_end=now` ends a trial and `billing_cycle_anchor=now` resets the cycle: a new full
  period starts now and is invoiced at once (the spec: "The billing_cycle_anchor will be
  updated to the trial_end value"; docs.stripe.com/billing/subscriptions/billing-cycle).
- `payment_behavior` says what an unpaid invoice of the change does: `allow_incomplete` makes
  the subscription `past_due`, `error_if_incomplete` refuses the change (402) before anything
  happens, `pending_if_incomplete` keeps the subscription as it was and records the change in
  `pending_update` until the invoice is paid, for 23 hours
  (docs.stripe.com/billing/subscriptions/pending-updates).
"""

from __future__ import annotations

from typing import Any

from ..core.errors import invalid, missing_param, no_such
from ..core.router import Ctx
from ..core.store import (
    JSON,
    Account,
    apply_metadata,
    as_bool,
    as_dict,
    as_enum,
    as_int,
    as_list,
    now,
    snapshot,
)
from .billing_periods import add_interval
from .subscription_billing import (
    INCOMPLETE_SECONDS,
    add_invoice_items,
    collect,
    invoice_now,
    payment_method_for,
    precheck,
    proration_items,
    recurring_of,
)
from .subscription_create import (
    PAYMENT_BEHAVIORS,
    PRORATION_BEHAVIORS,
    item_options,
    items_param,
    new_item,
    price_param,
)

BILLING_PARAMS = ("items", "trial_end", "billing_cycle_anchor", "add_invoice_items")


def change(ctx: Ctx, sub: JSON, p: dict[str, Any]) -> bool:
    """Apply the billing parameters of a subscription update (``BILLING_PARAMS``); True when the
    change was kept pending instead (its invoice unpaid, ``pending_if_incomplete``)."""
    acct = ctx.acct
    proration = as_enum(
        p.get("proration_behavior", "create_prorations"), "proration_behavior", PRORATION_BEHAVIORS
    )
    payment = as_enum(p.get("payment_behavior", "allow_incomplete"), "payment_behavior", PAYMENT_BEHAVIORS)
    # Prorations are computed at `proration_date` ("as though the subscription was updated at the
    # given time"); a new cycle starts now.
    at = as_int(p["proration_date"], "proration_date") if "proration_date" in p else now()
    off_session = as_bool(p.get("off_session", False), "off_session")
    ends_trial = p.get("trial_end") == "now" and sub["status"] == "trialing"
    resets = p.get("billing_cycle_anchor") == "now" or ends_trial
    extra = items_param(ctx, p.get("add_invoice_items", []), "add_invoice_items", recurring=False)
    if payment == "error_if_incomplete" and (resets or proration == "always_invoice"):
        precheck(ctx, payment_method_for(acct, sub), 1)
    before = _state(sub)
    changes, credited = _items(ctx, sub, p["items"], at) if "items" in p else ([], set())
    if "trial_end" in p and p["trial_end"] != "now":
        _set_trial(sub, as_int(p["trial_end"], "trial_end"))
    period = None
    if resets:
        changes = [c for c in changes if c[1] < 0]
        changes += [
            (snapshot(i), -1) for i in sub["items"]["data"] if i["id"] not in credited and not ends_trial
        ]
        period = _reset(sub, now(), ends_trial)
    prorate = proration != "none" and sub["status"] in ("active", "past_due")
    created = proration_items(ctx, sub, changes, at) if prorate else []
    add_invoice_items(ctx, sub, extra, None)
    sub["items"]["total_count"] = len(sub["items"]["data"])
    if not (resets or (proration == "always_invoice" and (created or extra))):
        return False
    inv = invoice_now(ctx, sub, "subscription_update", period)
    if ends_trial:
        sub["status"] = "active"
    if collect(ctx, sub, inv, payment, off_session=off_session):
        return False
    if payment == "pending_if_incomplete" and inv["status"] == "open":
        _make_pending(acct, sub, before, inv, p)
        return True
    if sub["collection_method"] == "charge_automatically":
        sub["status"] = "past_due"
    return False


def _items(ctx: Ctx, sub: JSON, raw: Any, at: int) -> tuple[list[tuple[JSON, int]], set[str]]:
    """Apply ``items``; the (item, sign) pairs to prorate, and the ids of items credited."""
    acct = ctx.acct
    changes: list[tuple[JSON, int]] = []
    credited: set[str] = set()
    for i, entry_raw in enumerate(as_list(raw, "items")):
        param = f"items[{i}]"
        entry = as_dict(entry_raw, param)
        item = None
        if "id" in entry:
            item = next((x for x in sub["items"]["data"] if x["id"] == entry["id"]), None)
            if item is None:
                raise no_such("subscription_item", str(entry["id"]), param=f"{param}[id]", status=400)
        if item is not None and as_bool(entry.get("deleted", False), f"{param}[deleted]"):
            sub["items"]["data"].remove(item)
            acct.objects[item["id"]]["deleted"] = True
            changes.append((snapshot(item), -1))
            credited.add(item["id"])
            continue
        price = price_param(ctx, entry, param)
        if price is not None:
            items_param(ctx, [{"price": price["id"]}], param)  # recurring prices only
        qty = as_int(entry["quantity"], f"{param}[quantity]", minimum=0) if "quantity" in entry else None
        options = item_options(ctx, entry, param)
        if item is None:
            if price is None:
                raise missing_param(f"{param}[price]")
            first = sub["items"]["data"][0] if sub["items"]["data"] else None
            period = (
                (int(first["current_period_start"]), int(first["current_period_end"])) if first else (at, at)
            )
            added = new_item(ctx, sub, price, qty if qty is not None else 1, period, options)
            sub["items"]["data"].append(added)
            changes.append((added, 1))
            continue
        item.update(options)
        if (price is None or price["id"] == item["price"]["id"]) and (qty is None or qty == item["quantity"]):
            continue  # nothing billed changes: no proration
        changes.append((snapshot(item), -1))
        credited.add(item["id"])
        if price is not None:
            item["price"] = price
        if qty is not None:
            item["quantity"] = qty
        changes.append((item, 1))
    return changes, credited


def _set_trial(sub: JSON, end: int) -> None:
    if end <= now():
        raise invalid(
            "Invalid timestamp: must be an integer Unix timestamp in the future.", param="trial_end"
        )
    sub["trial_end"] = sub["billing_cycle_anchor"] = end
    sub["trial_start"] = sub.get("trial_start") or now()
    for item in sub["items"]["data"]:
        item["current_period_end"] = item["billed_until"] = end
    if sub["status"] in ("active", "trialing"):
        sub["status"] = "trialing"


def _reset(sub: JSON, at: int, ends_trial: bool) -> tuple[int, int]:
    """A new full period from ``at``: the billing cycle anchor (and a trial's end) move there."""
    r = recurring_of(sub)
    end = add_interval(at, r["interval"], int(r["interval_count"]))
    sub["billing_cycle_anchor"] = at
    if ends_trial:
        sub["trial_end"] = at
    for item in sub["items"]["data"]:
        item["current_period_start"], item["current_period_end"], item["billed_until"] = at, end, end
    return at, end


# -- pending updates ---------------------------------------------------------------------------

_CYCLE = ("billing_cycle_anchor", "trial_end", "trial_start", "status")


def _state(sub: JSON) -> JSON:
    return {"items": snapshot(sub["items"]["data"]), **{k: sub.get(k) for k in _CYCLE}}


def _restore(acct: Account, sub: JSON, state: JSON) -> None:
    """Put ``sub`` back to ``state``: its items (the account's copies too) and cycle fields; items
    it did not have are deleted."""
    kept = {item["id"] for item in state["items"]}
    for item in sub["items"]["data"]:
        if item["id"] not in kept and item["id"] in acct.objects:
            acct.objects[item["id"]]["deleted"] = True
    sub["items"]["data"] = snapshot(state["items"])
    for item in sub["items"]["data"]:
        acct.objects[item["id"]] = item
    sub["items"]["total_count"] = len(sub["items"]["data"])
    sub.update({k: state[k] for k in _CYCLE})


def _make_pending(acct: Account, sub: JSON, before: JSON, inv: JSON, p: dict[str, Any]) -> None:
    after = _state(sub)
    after["status"] = "active" if before["status"] == "trialing" else before["status"]
    _restore(acct, sub, before)
    expires = now() + INCOMPLETE_SECONDS
    metadata = apply_metadata({}, p["metadata"]) if "metadata" in p else None
    acct.priv(sub)["pending"] = {
        "invoice": inv["id"],
        "after": after,
        "metadata": metadata,
        "expires_at": expires,
    }
    sub["pending_update"] = {
        "billing_cycle_anchor": after["billing_cycle_anchor"]
        if after["billing_cycle_anchor"] != before["billing_cycle_anchor"]
        else None,
        "discount": None,
        "discounts": None,
        "expires_at": expires,
        "metadata": metadata,
        "subscription_items": after["items"],
        "trial_end": after["trial_end"] if after["trial_end"] != before["trial_end"] else None,
        "trial_from_plan": None,
    }
    sub["latest_invoice"] = inv["id"]


def apply_pending(ctx: Ctx, sub: JSON) -> None:
    """The invoice of a pending update was paid: the change takes effect."""
    pending = ctx.acct.priv(sub).pop("pending")
    _restore(ctx.acct, sub, pending["after"])
    if pending["metadata"] is not None:
        sub["metadata"] = apply_metadata(sub["metadata"], pending["metadata"])
    sub["pending_update"] = None
    ctx.acct.emit("customer.subscription.pending_update_applied", sub)


def expire_pending(ctx: Ctx, t: int, sub: JSON) -> None:
    """23 hours passed without payment: the pending update is discarded."""
    before = snapshot(sub)
    ctx.acct.priv(sub).pop("pending", None)
    sub["pending_update"] = None
    ctx.acct.emit(
        "customer.subscription.pending_update_expired", sub, {"pending_update": before["pending_update"]}
    )
