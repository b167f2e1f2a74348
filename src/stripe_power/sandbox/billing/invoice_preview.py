"""``POST /v1/invoices/create_preview``: the invoice Stripe would issue next, changing nothing.

The preview runs the real billing code on a scratch copy of the account (so a price or quantity
change in ``subscription_details.items`` prorates exactly as an update would), then throws the
copy away: no object, event or webhook of the preview reaches the account. Lines: the customer's
pending invoice items (with the prorations), then each subscription item for its next period.
With ``proration_behavior=always_invoice`` the preview is the proration invoice itself.
"""

from __future__ import annotations

import copy
from typing import Any

from ..core.errors import missing_param
from ..core.ids import new_id
from ..core.router import Ctx, Router
from ..core.store import JSON, Account, as_dict, as_str
from . import catalog, invoice_items, invoice_lifecycle, subscriptions
from .billing_periods import period_around
from .subscription_billing import bill_period


def _scratch(acct: Account) -> Account:
    """A copy of ``acct`` whose changes go nowhere (no request log, replay window or webhooks)."""
    scratch = Account(acct.api_key)
    for name, value in vars(acct).items():
        # Not the other accounts' stores (Connect): a preview neither reads nor writes them, and a
        # scratch copy tied to its platform would send its events there.
        if name not in ("requests", "idempotency", "pending_events", "platform", "connected"):
            setattr(scratch, name, copy.deepcopy(value))
    return scratch


def create_preview(ctx: Ctx) -> JSON:
    p = ctx.params
    scratch = _scratch(ctx.acct)
    owners_before = set(ctx.state.owners)
    try:
        return _preview(ctx, scratch, p)
    finally:
        for oid in set(ctx.state.owners) - owners_before:
            del ctx.state.owners[oid]


def _preview(ctx: Ctx, acct: Account, p: dict[str, Any]) -> JSON:
    sub = None
    if "subscription" in p:
        sub = acct.get(
            "subscription", as_str(p["subscription"], "subscription"), param="subscription", status=400
        )
    customer = as_str(p["customer"], "customer") if "customer" in p else sub["customer"] if sub else None
    if customer is None:
        raise missing_param("customer")
    acct.get("customer", customer, param="customer", status=400)
    details = as_dict(p.get("subscription_details", {}), "subscription_details")
    behavior = details.get("proration_behavior", "create_prorations")
    if sub is not None and ("items" in details or "proration_behavior" in details):
        change: dict[str, Any] = {k: details[k] for k in ("items", "proration_behavior") if k in details}
        before_latest = sub.get("latest_invoice")
        subscriptions.update_subscription(ctx.derive(change, {"subscription_exposed_id": sub["id"]}, acct))
        if behavior == "always_invoice" and sub.get("latest_invoice") != before_latest:
            return _as_preview(acct.get("invoice", sub["latest_invoice"]))
    for i, raw in enumerate(p.get("invoice_items", [])):
        item = {k: v for k, v in as_dict(raw, f"invoice_items[{i}]").items()}
        invoice_items.create_invoice_item(ctx.derive({**item, "customer": customer}, acct=acct))
    currency = (sub or {}).get("currency") or (catalog.currency(p["currency"]) if "currency" in p else None)
    inv = invoice_lifecycle.new_invoice(
        ctx.derive({}, acct=acct),
        customer,
        currency=currency,
        billing_reason="upcoming" if sub else "manual",
        subscription=sub,
    )
    sub_ctx = ctx.derive({}, acct=acct)
    for ii in list(acct.of_type("invoiceitem")):
        if ii["customer"] == customer and ii["invoice"] is None and ii["currency"] == inv["currency"]:
            invoice_lifecycle.attach_invoice_item(sub_ctx, inv, ii)
    if sub is not None and sub["status"] not in ("canceled", "incomplete_expired"):
        _next_period(sub_ctx, inv, sub)
    return _as_preview(inv)


def _next_period(ctx: Ctx, inv: JSON, sub: JSON) -> None:
    """The period after the current one, billed as the renewal will bill it."""
    first = sub["items"]["data"][0]
    recurring = first["price"]["recurring"]
    start = int(first["current_period_end"])
    end = period_around(int(sub["billing_cycle_anchor"]), recurring, start)[1]
    bill_period(ctx, inv, sub, start, end)
    inv["period_start"], inv["period_end"] = int(first["current_period_start"]), start


def _as_preview(inv: JSON) -> JSON:
    """Stripe's preview invoices have an ``upcoming_in_`` id and were never finalized."""
    out = copy.deepcopy(inv)
    out["id"] = new_id("upcoming_in", 24)
    out.update(  # the scratch run may have finalized and paid it; a preview is a draft
        status="draft",
        number=None,
        amount_paid=0,
        amount_remaining=out["amount_due"],
        attempt_count=0,
        attempted=False,
        effective_at=None,
        ending_balance=None,
        hosted_invoice_url=None,
        invoice_pdf=None,
        next_payment_attempt=None,
        payments={**out["payments"], "data": [], "total_count": 0},
        status_transitions=dict.fromkeys(out["status_transitions"]),
    )
    out["lines"]["url"] = f"/v1/invoices/{out['id']}/lines"
    for line in out["lines"]["data"]:
        line["invoice"] = out["id"]
    return out


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/invoices/create_preview",
        create_preview,
        consumes=("currency", "customer", "invoice_items", "subscription", "subscription_details"),
    )
