"""Subscriptions through the API: create, update, cancel, resume, list, search.

Creating is `subscription_create.py`; changes that bill (items, trial, anchor) are
`subscription_changes.py`; what time does to them (renewals, expiry) is `billing_cycle.py`.
"""

from __future__ import annotations

from typing import Any

from ..connect import connect_charges
from ..core.errors import invalid, missing_param, no_such
from ..core.router import Ctx, Router
from ..core.search import fields_of, search
from ..core.store import (
    JSON,
    apply_metadata,
    as_bool,
    as_dict,
    as_enum,
    as_int,
    as_str,
    changed,
    now,
    paginate,
    snapshot,
)
from . import billing_cycle, invoice_totals
from .billing_periods import add_interval, period_around
from .invoice_lifecycle import void
from .subscription_billing import (
    INCOMPLETE_SECONDS,
    collect,
    invoice_now,
    pending_items,
    proration_items,
    recurring_of,
)
from .subscription_changes import BILLING_PARAMS, change
from .subscription_create import (
    PRORATION_BEHAVIORS,
    cancel_at_param,
    customer_pm,
    resolve_cancel_at,
    schedule_cancel,
    start_subscription,
    terms_from_params,
)

# What an `incomplete` subscription accepts (the spec's subscription `status`: "A subscription in
# this status can only have metadata and default_source updated").
_INCOMPLETE_ALLOWED = frozenset({"metadata", "default_source", "expand"})
_ENDED_ALLOWED = frozenset({"metadata", "cancellation_details", "expand"})


def create_subscription(ctx: Ctx) -> JSON:
    connect_charges.refuse(ctx, *((name,) for name in connect_charges.SUBSCRIPTION_FIELDS))
    terms = terms_from_params(ctx, ctx.params)
    attach = invoice_totals.subscription_setup(ctx, ctx.params, terms.customer, terms.items)

    def setup(sub: JSON) -> None:
        ctx.store_rest(
            sub
        )  # stored parameters (payment_settings, trial_settings...) before the first invoice
        attach(sub)

    return start_subscription(ctx, terms, setup)


def _get(ctx: Ctx, name: str = "subscription_exposed_id") -> JSON:
    sub = ctx.acct.get("subscription", ctx.path_params[name], param=name)
    billing_cycle.settle(ctx, [sub["customer"]])
    return sub


def retrieve_subscription(ctx: Ctx) -> JSON:
    return _get(ctx)


def update_subscription(ctx: Ctx) -> JSON:
    connect_charges.refuse(ctx, *((name,) for name in connect_charges.SUBSCRIPTION_FIELDS))
    acct = ctx.acct
    sub = _get(ctx)
    p = ctx.params
    if sub["status"] in ("canceled", "incomplete_expired") and set(p) - _ENDED_ALLOWED:
        raise invalid("A canceled subscription can only update its cancellation_details and metadata.")
    if sub["status"] == "incomplete" and set(p) - _INCOMPLETE_ALLOWED:
        name = sorted(set(p) - _INCOMPLETE_ALLOWED)[0]
        raise invalid(
            f"You cannot update `{name}` on a subscription whose status is `incomplete`: until its first invoice "
            "is paid, only `metadata` and `default_source` can change. Pay the invoice (its PaymentIntent), or "
            "cancel the subscription and create a new one.",
            param=name,
        )
    before = snapshot(sub)
    if "default_payment_method" in p:
        ref = p["default_payment_method"]
        sub["default_payment_method"] = customer_pm(ctx, sub["customer"], ref) if ref else None
    if "description" in p:
        sub["description"] = as_str(p["description"], "description") or None
    _collection(sub, p)
    if "pause_collection" in p:
        sub["pause_collection"] = _pause_collection(p["pause_collection"])
    _cancellation(ctx, sub, p)
    pending = change(ctx, sub, p) if any(k in p for k in BILLING_PARAMS) else False
    if "metadata" in p and not pending:  # a pending update carries its metadata until it applies
        sub["metadata"] = apply_metadata(sub["metadata"], p["metadata"])
    previous = changed(before, sub)
    if previous:
        acct.emit("customer.subscription.updated", sub, previous)
    return sub


def _collection(sub: JSON, p: dict[str, Any]) -> None:
    """``collection_method`` and ``days_until_due``: a `send_invoice` subscription needs the days."""
    method = sub["collection_method"]
    if "collection_method" in p:
        method = as_enum(
            p["collection_method"], "collection_method", ("charge_automatically", "send_invoice")
        )
    days = sub.get("days_until_due")
    if "days_until_due" in p:
        if method != "send_invoice":
            raise invalid(
                "You can only set days_until_due if collection_method is send_invoice.",
                param="days_until_due",
            )
        days = as_int(p["days_until_due"], "days_until_due", minimum=0)
    if method == "send_invoice" and days is None:
        raise missing_param("days_until_due")
    sub["collection_method"] = method
    sub["days_until_due"] = days if method == "send_invoice" else None


def _pause_collection(raw: Any) -> JSON | None:
    if raw == "":
        return None
    value = as_dict(raw, "pause_collection")
    if "behavior" not in value:
        raise missing_param("pause_collection[behavior]")
    resumes_at = (
        as_int(value["resumes_at"], "pause_collection[resumes_at]") if "resumes_at" in value else None
    )
    if resumes_at is not None and resumes_at <= now():
        raise invalid(
            "Invalid timestamp: pause_collection[resumes_at] must be in the future.",
            param="pause_collection[resumes_at]",
        )
    behavior = as_enum(
        value["behavior"], "pause_collection[behavior]", ("keep_as_draft", "mark_uncollectible", "void")
    )
    return {"behavior": behavior, "resumes_at": resumes_at}


def _cancellation(ctx: Ctx, sub: JSON, p: dict[str, Any]) -> None:
    """``cancel_at_period_end``, ``cancel_at`` (a credit for the time after it, where prorations
    are on) and ``cancellation_details``."""
    if "cancellation_details" in p:
        details = as_dict(p["cancellation_details"], "cancellation_details")
        current = sub.get("cancellation_details") or {"comment": None, "feedback": None, "reason": None}
        sub["cancellation_details"] = {
            **current,
            **{k: details[k] or None for k in ("comment", "feedback") if k in details},
        }
    if "cancel_at_period_end" not in p and "cancel_at" not in p:
        return
    ts = now()
    at_end = as_bool(p.get("cancel_at_period_end", False), "cancel_at_period_end")
    cancel_at = resolve_cancel_at(sub, cancel_at_param(p["cancel_at"])) if "cancel_at" in p else None
    schedule_cancel(sub, at_end, cancel_at, ts)
    proration = as_enum(
        p.get("proration_behavior", "create_prorations"), "proration_behavior", PRORATION_BEHAVIORS
    )
    priv = ctx.acct.priv(sub)
    credited_at = priv.pop("cancel_credit", None)
    end = min(int(i["current_period_end"]) for i in sub["items"]["data"])
    if credited_at is not None:  # a cancellation moved or undone: charge back the time credited
        proration_items(ctx, sub, [(i, 1) for i in sub["items"]["data"]], credited_at)
    new_at = sub["cancel_at"] if not at_end else None
    if (
        new_at is not None
        and new_at < end
        and proration != "none"
        and sub["status"] in ("active", "past_due")
    ):
        proration_items(ctx, sub, [(i, -1) for i in sub["items"]["data"]], new_at)
        priv["cancel_credit"] = new_at
        if proration == "always_invoice":
            collect(ctx, sub, invoice_now(ctx, sub, "subscription_update"), "allow_incomplete")


def cancel_subscription(ctx: Ctx) -> JSON:
    acct = ctx.acct
    sub = _get(ctx)
    if sub["status"] in ("canceled", "incomplete_expired"):
        raise no_such("subscription", sub["id"], param="subscription_exposed_id")
    p = ctx.params
    before = snapshot(sub)
    ts = now()
    invoice_now_flag = as_bool(p.get("invoice_now", False), "invoice_now")
    if as_bool(p.get("prorate", False), "prorate") and sub["status"] == "active":
        proration_items(ctx, sub, [(item, -1) for item in sub["items"]["data"]], ts)
    if invoice_now_flag and pending_items(acct, sub):
        collect(ctx, sub, invoice_now(ctx, sub, "subscription_cycle"), "allow_incomplete")
    if sub["status"] == "incomplete":
        latest = acct.find("invoice", sub.get("latest_invoice"))
        if latest is not None and latest["status"] == "open":
            void(ctx, latest)
    sub.update(status="canceled", canceled_at=ts, ended_at=ts, cancel_at_period_end=False)
    details = {"comment": None, "feedback": None, "reason": "cancellation_requested"}
    if "cancellation_details" in p:
        given = as_dict(p["cancellation_details"], "cancellation_details")
        details.update({k: given[k] or None for k in ("comment", "feedback") if k in given})
    sub["cancellation_details"] = details
    acct.emit("customer.subscription.deleted", sub, changed(before, sub))
    return sub


def resume_subscription(ctx: Ctx) -> JSON:
    """Resume a paused subscription (the spec's description of this endpoint): with
    ``billing_cycle_anchor=now`` (the default) a new period starts and its invoice is finalized and
    charged at once; the subscription becomes active when it is paid (it stays paused otherwise, and
    Stripe voids the invoice after 23 hours). With ``unchanged`` the current anchor-aligned period
    goes on, prorated as ``proration_behavior`` says."""
    acct = ctx.acct
    sub = _get(ctx, "subscription")
    p = ctx.params
    if sub["status"] != "paused":
        raise invalid(
            f"Only subscriptions with `status=paused` can be resumed; this subscription is {sub['status']}. "
            "To undo cancel_at_period_end, update the subscription with cancel_at_period_end=false.",
            param="subscription",
        )
    if sub["collection_method"] != "charge_automatically":
        raise invalid(
            "Resume is only available for subscriptions that use `charge_automatically` collection."
        )
    anchor = as_enum(p.get("billing_cycle_anchor", "now"), "billing_cycle_anchor", ("now", "unchanged"))
    proration = as_enum(
        p.get("proration_behavior", "create_prorations"), "proration_behavior", PRORATION_BEHAVIORS
    )
    at = as_int(p["proration_date"], "proration_date") if "proration_date" in p else now()
    before = snapshot(sub)
    r = recurring_of(sub)
    if anchor == "now":
        start, end = at, add_interval(at, r["interval"], int(r["interval_count"]))
        sub["billing_cycle_anchor"] = at
    else:
        start, end = period_around(int(sub["billing_cycle_anchor"]), r, at)
    for item in sub["items"]["data"]:
        item["current_period_start"], item["current_period_end"], item["billed_until"] = start, end, end
    inv = None
    if anchor == "now":
        inv = invoice_now(ctx, sub, "subscription_update", (at, end))
    elif proration != "none":
        proration_items(ctx, sub, [(item, 1) for item in sub["items"]["data"]], at)
        if proration == "always_invoice":
            inv = invoice_now(ctx, sub, "subscription_update")
    if inv is None or collect(ctx, sub, inv, "allow_incomplete"):
        sub["status"] = "active"
        sub["pause_collection"] = None
        previous = changed(before, sub)
        acct.emit("customer.subscription.updated", sub, previous)
        acct.emit("customer.subscription.resumed", sub, previous)
    else:
        acct.priv(sub)["resumption_expires_at"] = at + INCOMPLETE_SECONDS
    return sub


def list_subscriptions(ctx: Ctx) -> JSON:
    """Stripe's list: live subscriptions unless ``status`` says otherwise; subscriptions of
    customers on test clocks only with ``test_clock`` (or ``customer``): the spec's `test_clock`
    "The response will not include subscriptions with test clocks if this and the customer
    parameter is not set"."""
    p = ctx.params
    billing_cycle.settle(ctx, [p["customer"]] if isinstance(p.get("customer"), str) else None)
    status = as_str(p.get("status", ""), "status") or None
    customer, price, cm, clock = (
        p.get("customer"),
        p.get("price"),
        p.get("collection_method"),
        p.get("test_clock"),
    )

    def pred(o: JSON) -> bool:
        if status is None and o["status"] in ("canceled", "incomplete_expired"):
            return False
        if status not in (None, "all") and o["status"] != status:
            return False
        if price is not None and not any(i["price"]["id"] == price for i in o["items"]["data"]):
            return False
        if clock is not None and o.get("test_clock") != clock:
            return False
        if clock is None and customer is None and o.get("test_clock"):
            return False
        return (customer is None or o["customer"] == customer) and (
            cm is None or o["collection_method"] == cm
        )

    return paginate(ctx.acct, "subscription", p, "/v1/subscriptions", pred)


def search_subscriptions(ctx: Ctx) -> JSON:
    fields = fields_of("status", "customer", "created")
    return search(ctx, "subscription", fields, "/v1/subscriptions/search")


_ITEM_PARAMS = ("items.price", "items.price_data", "items.quantity", "items.metadata", "items.tax_rates")


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/subscriptions",
        create_subscription,
        consumes=(
            "add_invoice_items.price",
            "add_invoice_items.price_data",
            "add_invoice_items.quantity",
            "billing_cycle_anchor",
            "billing_cycle_anchor_config",
            "cancel_at",
            "cancel_at_period_end",
            "collection_method",
            "customer",
            "days_until_due",
            "default_payment_method",
            "default_tax_rates",
            "description",
            "discounts",
            *_ITEM_PARAMS,
            "metadata",
            "off_session",
            "payment_behavior",
            "proration_behavior",
            "trial_end",
            "trial_period_days",
            *connect_charges.SUBSCRIPTION_FIELDS,  # refused: see connect_charges.refuse
        ),
    )
    router.add("GET", "/v1/subscriptions", list_subscriptions)
    router.add("GET", "/v1/subscriptions/search", search_subscriptions)
    router.add("GET", "/v1/subscriptions/{subscription_exposed_id}", retrieve_subscription)
    router.add(
        "POST",
        "/v1/subscriptions/{subscription_exposed_id}",
        update_subscription,
        consumes=(
            "add_invoice_items.price",
            "add_invoice_items.price_data",
            "add_invoice_items.quantity",
            "billing_cycle_anchor",
            "cancel_at",
            "cancel_at_period_end",
            "cancellation_details.comment",
            "cancellation_details.feedback",
            "collection_method",
            "days_until_due",
            "default_payment_method",
            "description",
            *_ITEM_PARAMS,
            "items.deleted",
            "items.id",
            "metadata",
            "off_session",
            "pause_collection",
            "payment_behavior",
            "proration_behavior",
            "proration_date",
            "trial_end",
            *connect_charges.SUBSCRIPTION_FIELDS,  # refused: see connect_charges.refuse
        ),
    )
    router.add(
        "DELETE",
        "/v1/subscriptions/{subscription_exposed_id}",
        cancel_subscription,
        consumes=("cancellation_details.comment", "cancellation_details.feedback", "invoice_now", "prorate"),
    )
    router.add(
        "POST",
        "/v1/subscriptions/{subscription}/resume",
        resume_subscription,
        consumes=("billing_cycle_anchor", "proration_behavior", "proration_date"),
    )
