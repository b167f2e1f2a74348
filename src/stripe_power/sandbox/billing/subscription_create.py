"""Creating a subscription: its items and first period, the first invoice and its payment.

The first period ends at the trial's end, at a future billing cycle anchor (`billing_cycle_anchor`,
or the next date `billing_cycle_anchor_config` names), at `cancel_at` if that comes first, or
one interval on (docs.stripe.com/billing/subscriptions/billing-cycle). Up to an anchor the first
invoice charges the remaining time of a full period (`proration_behavior=create_prorations`) or
nothing (`none`). `payment_behavior` decides what an unpaid first invoice does
(docs.stripe.com/api/subscriptions/create).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import invalid, missing_param, no_such
from ..core.ids import new_id
from ..core.router import Ctx
from ..core.store import (
    JSON,
    apply_metadata,
    as_bool,
    as_dict,
    as_enum,
    as_int,
    as_list,
    as_str,
    now,
    skeleton,
)
from ..payments import payment_methods
from . import catalog, invoice_totals
from .billing_periods import add_interval, anchor_from_config
from .invoice_lifecycle import finalize, new_invoice
from .subscription_billing import (
    INCOMPLETE_SECONDS,
    add_invoice_items,
    bill_period,
    bill_trial,
    collect,
    precheck,
    share_of,
    unit_total,
)

PAYMENT_BEHAVIORS = ("allow_incomplete", "default_incomplete", "error_if_incomplete", "pending_if_incomplete")
PRORATION_BEHAVIORS = ("always_invoice", "create_prorations", "none")


@dataclass
class Terms:
    """Everything a new subscription is made from (API create, Checkout, schedules)."""

    customer: str
    items: list[tuple[JSON, int]]  # recurring prices and quantities
    item_options: list[JSON] = field(default_factory=list)  # per item: metadata, tax_rates
    add_invoice_items: list[tuple[JSON, int]] = field(default_factory=list)  # one-time, on the first invoice
    default_payment_method: str | None = None
    trial_end: int | None = None
    anchor: int | None = None  # a future billing_cycle_anchor
    anchor_config: JSON | None = None
    proration_behavior: str = "create_prorations"
    cancel_at_period_end: bool = False
    cancel_at: int | str | None = None
    payment_behavior: str = "allow_incomplete"
    collection_method: str = "charge_automatically"
    days_until_due: int | None = None
    off_session: bool = False
    metadata: dict[str, str] = field(default_factory=dict)
    description: str | None = None


def items_param(ctx: Ctx, raw: Any, param: str = "items", recurring: bool = True) -> list[tuple[JSON, int]]:
    """``items`` as (price, quantity) pairs: ``price`` ids or inline ``price_data``. A subscription's
    items take recurring prices only (one-time prices go in ``add_invoice_items``)."""
    out: list[tuple[JSON, int]] = []
    for i, entry_raw in enumerate(as_list(raw, param)):
        entry = as_dict(entry_raw, f"{param}[{i}]")
        price = price_param(ctx, entry, f"{param}[{i}]")
        if price is None:
            raise missing_param(f"{param}[{i}][price]")
        if recurring and price["type"] != "recurring":
            raise invalid(
                "The price specified is set to `type=one_time` but this field only accepts prices with "
                "`type=recurring`.",
                param=f"{param}[{i}][price]",
            )
        out.append((price, as_int(entry.get("quantity", 1), f"{param}[{i}][quantity]", minimum=0)))
    return out


def price_param(ctx: Ctx, entry: JSON, param: str) -> JSON | None:
    """The price an item names: ``price`` (an id) or ``price_data`` (made inline), or None."""
    if "price_data" in entry:
        return catalog.make_price(
            ctx, as_dict(entry["price_data"], f"{param}[price_data]"), f"{param}[price_data]", inline=True
        )
    if "price" in entry:
        found = ctx.acct.find("price", entry["price"])
        if found is None:
            raise no_such("price", str(entry["price"]), param=f"{param}[price]", status=400)
        return found
    return None


def item_options(ctx: Ctx, entry: JSON, param: str) -> JSON:
    """An item's own ``metadata`` and ``tax_rates``."""
    options: JSON = {}
    if "metadata" in entry:
        options["metadata"] = apply_metadata({}, entry["metadata"], f"{param}[metadata]")
    if "tax_rates" in entry:
        options["tax_rates"] = invoice_totals.tax_rates_param(
            ctx.acct, entry["tax_rates"], f"{param}[tax_rates]"
        )
    return options


def cancel_at_param(raw: Any, param: str = "cancel_at") -> int | str | None:
    """A timestamp, or one of Stripe's period markers (resolved against the items); '' unsets."""
    if raw == "":
        return None
    if raw in ("min_period_end", "max_period_end", "max_billed_until"):
        return str(raw)
    return as_int(raw, param)


def resolve_cancel_at(sub: JSON, value: int | str | None) -> int | None:
    if value is None or isinstance(value, int):
        return value
    ends = [int(i["current_period_end"]) for i in sub["items"]["data"]]
    return min(ends) if value == "min_period_end" else max(ends)


def terms_from_params(ctx: Ctx, p: dict[str, Any]) -> Terms:
    """The terms of ``POST /v1/subscriptions``, checked before anything is created."""
    if "customer" not in p:  # optional in the spec (customer_account), needed here
        raise missing_param("customer")
    cust_id = as_str(p["customer"], "customer")
    ctx.acct.get("customer", cust_id, param="customer", status=400)
    if "items" not in p:
        raise missing_param("items")
    raw_items = as_list(p["items"], "items")
    terms = Terms(
        customer=cust_id,
        items=items_param(ctx, raw_items),
        item_options=[
            item_options(ctx, as_dict(e, f"items[{i}]"), f"items[{i}]") for i, e in enumerate(raw_items)
        ],
        add_invoice_items=items_param(
            ctx, p.get("add_invoice_items", []), "add_invoice_items", recurring=False
        ),
        metadata=apply_metadata({}, p.get("metadata", {})),
        description=as_str(p["description"], "description") if "description" in p else None,
        payment_behavior=as_enum(
            p.get("payment_behavior", "allow_incomplete"), "payment_behavior", PAYMENT_BEHAVIORS
        ),
        proration_behavior=as_enum(
            p.get("proration_behavior", "create_prorations"), "proration_behavior", PRORATION_BEHAVIORS
        ),
        collection_method=as_enum(
            p.get("collection_method", "charge_automatically"),
            "collection_method",
            ("charge_automatically", "send_invoice"),
        ),
        off_session=as_bool(p.get("off_session", False), "off_session"),
        cancel_at_period_end=as_bool(p.get("cancel_at_period_end", False), "cancel_at_period_end"),
        cancel_at=cancel_at_param(p["cancel_at"]) if "cancel_at" in p else None,
    )
    if "days_until_due" in p:
        terms.days_until_due = as_int(p["days_until_due"], "days_until_due", minimum=0)
    if terms.collection_method == "send_invoice" and terms.days_until_due is None:
        raise missing_param("days_until_due")
    if "default_payment_method" in p:
        terms.default_payment_method = customer_pm(ctx, cust_id, p["default_payment_method"])
    ts = now()
    if "trial_end" in p and p["trial_end"] != "now":
        # A timestamp ends the trial at that second (not at a whole number of days), and must be ahead.
        terms.trial_end = as_int(p["trial_end"], "trial_end")
        if terms.trial_end <= ts:
            raise invalid(
                "Invalid timestamp: must be an integer Unix timestamp in the future.", param="trial_end"
            )
    elif p.get("trial_period_days"):
        terms.trial_end = ts + 86400 * as_int(p["trial_period_days"], "trial_period_days", minimum=0)
    _anchor_terms(terms, p, ts)
    return terms


def _anchor_terms(terms: Terms, p: dict[str, Any], ts: int) -> None:
    recurring = terms.items[0][0]["recurring"] if terms.items else None
    if "billing_cycle_anchor" in p:
        terms.anchor = as_int(p["billing_cycle_anchor"], "billing_cycle_anchor")
        if terms.anchor < ts:
            raise invalid(
                "Invalid billing_cycle_anchor: it must be a time in the future.", param="billing_cycle_anchor"
            )
    if "billing_cycle_anchor_config" in p and recurring is not None:
        config = as_dict(p["billing_cycle_anchor_config"], "billing_cycle_anchor_config")
        if recurring["interval"] not in ("month", "year"):
            raise invalid(
                "billing_cycle_anchor_config is only valid with monthly and yearly price intervals.",
                param="billing_cycle_anchor_config",
            )
        fields = {k: as_int(v, f"billing_cycle_anchor_config[{k}]") for k, v in config.items()}
        if not 1 <= fields["day_of_month"] <= 31:
            raise invalid(
                "day_of_month must be between 1 and 31.", param="billing_cycle_anchor_config[day_of_month]"
            )
        terms.anchor_config = {
            k: fields.get(k) for k in ("day_of_month", "hour", "minute", "month", "second")
        }
        terms.anchor = anchor_from_config(fields, ts, recurring)


def customer_pm(ctx: Ctx, customer: str, raw: Any, param: str = "default_payment_method") -> str:
    pm = payment_methods.resolve_payment_method(ctx, as_str(raw, param), param)
    if pm.get("customer") != customer:
        raise invalid(
            f"The customer does not have a payment method with the ID {pm['id']}. The payment method must be "
            "attached to the customer.",
            param=param,
        )
    return str(pm["id"])


def _first_period_end(terms: Terms, ts: int) -> int:
    r = terms.items[0][0]["recurring"]
    end = terms.trial_end or terms.anchor or add_interval(ts, r["interval"], int(r["interval_count"]))
    if isinstance(terms.cancel_at, int) and ts < terms.cancel_at < end:
        end = terms.cancel_at  # the first period stops at the cancellation
    return end


def _first_share(sub: JSON, terms: Terms, ts: int, end: int) -> float:
    """What the first period costs, as a share of a full one: up to a future anchor, its part of the
    period ending there (nothing with ``proration_behavior=none``); cut short by ``cancel_at``, its
    part of a full period (the full price with ``none``)."""
    prorate = terms.proration_behavior != "none"
    if terms.anchor and end == terms.anchor:
        return share_of(sub, ts, end, to_anchor=True) if prorate else 0.0
    return share_of(sub, ts, end, to_anchor=False) if prorate else 1.0


def _check(terms: Terms) -> None:
    if not terms.items:
        raise invalid("A subscription needs at least one recurring price.", param="items")
    cur = terms.items[0][0]["currency"]
    if any(p["currency"] != cur for p, _ in [*terms.items, *terms.add_invoice_items]):
        raise invalid("All prices on a subscription must use the same currency.", param="items")


def start_subscription(ctx: Ctx, terms: Terms, setup: Callable[[JSON], None] | None = None) -> JSON:
    """Create a subscription, its first invoice, and pay it as Stripe would. ``setup`` runs on the
    new subscription before its first invoice (stored parameters, discounts, tax rates)."""
    acct = ctx.acct
    _check(terms)
    ts = now()
    end = _first_period_end(terms, ts)
    pm_id = terms.default_payment_method or (
        acct.get("customer", terms.customer)["invoice_settings"].get("default_payment_method")
    )
    quick_fail = terms.payment_behavior == "error_if_incomplete" and not terms.trial_end
    if quick_fail and terms.collection_method == "charge_automatically":
        precheck(ctx, pm_id, sum(unit_total({"price": p, "quantity": q}) for p, q in terms.items))
    sub = _new(ctx, terms, ts, end)
    if setup is not None:
        setup(sub)
    if terms.cancel_at_period_end or terms.cancel_at is not None:
        schedule_cancel(sub, terms.cancel_at_period_end, resolve_cancel_at(sub, terms.cancel_at), ts)
    inv = new_invoice(
        ctx,
        terms.customer,
        currency=sub["currency"],
        collection_method=terms.collection_method,
        days_until_due=terms.days_until_due,
        billing_reason="subscription_create",
        subscription=sub,
        auto_advance=True,
    )
    inv["period_start"] = inv["period_end"] = ts
    if terms.trial_end:
        bill_trial(ctx, inv, sub, ts, end)
    else:
        bill_period(ctx, inv, sub, ts, end, _first_share(sub, terms, ts, end))
    add_invoice_items(ctx, sub, terms.add_invoice_items, inv)
    sub["latest_invoice"] = inv["id"]
    acct.emit("customer.subscription.created", sub)
    finalize(ctx, inv)
    if terms.trial_end:
        sub["status"] = "trialing"
    elif collect(ctx, sub, inv, terms.payment_behavior, off_session=terms.off_session):
        sub["status"] = "active"
    elif terms.collection_method == "send_invoice":
        sub["status"] = "active"  # activated whatever the first invoice's status (spec: payment_behavior)
    else:
        acct.priv(sub)["expires_at"] = ts + INCOMPLETE_SECONDS
    return sub


def _new(ctx: Ctx, terms: Terms, ts: int, end: int) -> JSON:
    acct = ctx.acct
    customer = acct.get("customer", terms.customer)
    sid = new_id("sub", 24)
    sub: JSON = skeleton("subscription")
    sub.update(
        id=sid,
        object="subscription",
        automatic_tax={"disabled_reason": None, "enabled": False, "liability": None},
        billing_cycle_anchor=terms.trial_end or terms.anchor or ts,
        billing_cycle_anchor_config=terms.anchor_config,
        billing_mode={"flexible": None, "type": "classic"},
        billing_schedules=[],
        cancel_at_period_end=False,
        collection_method=terms.collection_method,
        created=ts,
        currency=terms.items[0][0]["currency"],
        customer=terms.customer,
        days_until_due=terms.days_until_due if terms.collection_method == "send_invoice" else None,
        default_payment_method=terms.default_payment_method,
        description=terms.description,
        discounts=[],
        invoice_settings={"account_tax_ids": None, "issuer": {"type": "self"}},
        items={
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/subscription_items?subscription={sid}",
        },
        livemode=False,
        metadata=terms.metadata,
        payment_settings={
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        start_date=ts,
        status="incomplete",
        test_clock=customer.get("test_clock"),
        trial_end=terms.trial_end,
        trial_settings={"end_behavior": {"missing_payment_method": "create_invoice"}},
        trial_start=ts if terms.trial_end else None,
    )
    acct.add(sub)
    for i, (price, qty) in enumerate(terms.items):
        options = terms.item_options[i] if i < len(terms.item_options) else {}
        sub["items"]["data"].append(new_item(ctx, sub, price, qty, (ts, end), options))
    sub["items"]["total_count"] = len(sub["items"]["data"])
    return sub


def new_item(ctx: Ctx, sub: JSON, price: JSON, qty: int, period: tuple[int, int], options: JSON) -> JSON:
    item: JSON = skeleton("subscription_item")
    item.update(
        id=new_id("si", 14),
        object="subscription_item",
        billed_until=period[1],
        created=now(),
        current_period_end=period[1],
        current_period_start=period[0],
        discounts=[],
        metadata=options.get("metadata", {}),
        price=price,
        quantity=qty,
        subscription=sub["id"],
        tax_rates=options.get("tax_rates", []),
    )
    ctx.acct.add(item)
    return item


def schedule_cancel(sub: JSON, at_period_end: bool, cancel_at: int | None, ts: int) -> None:
    """Record a requested cancellation: at the period's end, at ``cancel_at``, or neither (undo)."""
    end = max(int(i["current_period_end"]) for i in sub["items"]["data"])
    sub["cancel_at_period_end"] = at_period_end
    sub["cancel_at"] = end if at_period_end else cancel_at
    requested = sub["cancel_at"] is not None
    sub["canceled_at"] = ts if requested else None
    details = sub.get("cancellation_details") or {"comment": None, "feedback": None}
    sub["cancellation_details"] = {**details, "reason": "cancellation_requested" if requested else None}
