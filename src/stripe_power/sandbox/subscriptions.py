"""Subscriptions: the first invoice and its payment, item changes with prorations, cancel, resume."""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable
from typing import Any

from . import catalog, charges, invoice_totals, payment_methods
from .errors import StripeError, invalid, missing_param, no_such
from .ids import new_id
from .invoices import (
    add_line,
    attach_invoice_item,
    attempt_payment,
    create_invoice_item,
    default_pm,
    finalize,
    new_invoice,
    subscription_item_parent,
)
from .router import Ctx, Router
from .search import fields_of, search
from .store import (
    JSON,
    Account,
    apply_metadata,
    as_bool,
    as_dict,
    as_enum,
    as_int,
    as_list,
    as_str,
    changed,
    now,
    paginate,
    skeleton,
    snapshot,
)


def add_interval(start: int, interval: str, count: int) -> int:
    if interval == "day":
        return start + 86400 * count
    if interval == "week":
        return start + 7 * 86400 * count
    t = time.gmtime(start)
    months = count * (12 if interval == "year" else 1)
    year, month = divmod(t.tm_mon - 1 + months, 12)
    year += t.tm_year
    month += 1
    day = min(t.tm_mday, calendar.monthrange(year, month)[1])
    return calendar.timegm((year, month, day, t.tm_hour, t.tm_min, t.tm_sec, 0, 0, 0))


def price_desc(acct: Account, price: JSON, qty: int) -> str:
    name = catalog.product_name(acct, price)
    amount = charges.fmt_money(int(price["unit_amount"] or 0), price["currency"])
    if price.get("recurring"):
        r = price["recurring"]
        every = r["interval"] if r["interval_count"] == 1 else f"{r['interval_count']} {r['interval']}s"
        return f"{qty} × {name} (at {amount} / {every})"
    return f"{qty} × {name}" if qty != 1 else name


def _sub_item(
    ctx: Ctx, sub: JSON, price: JSON, qty: int, start: int, end: int, metadata: dict[str, str] | None = None
) -> JSON:
    item: JSON = skeleton("subscription_item")
    item.update(
        id=new_id("si", 14),
        object="subscription_item",
        billed_until=end,
        created=now(),
        current_period_end=end,
        current_period_start=start,
        discounts=[],
        metadata=metadata or {},
        price=price,
        quantity=qty,
        subscription=sub["id"],
        tax_rates=[],
    )
    ctx.acct.add(item)
    return item


def start_subscription(
    ctx: Ctx,
    customer_id: str,
    items: list[tuple[JSON, int]],
    *,
    default_payment_method: str | None = None,
    trial_period_days: int | None = None,
    trial_end: int | None = None,
    metadata: dict[str, str] | None = None,
    description: str | None = None,
    payment_behavior: str = "allow_incomplete",
    collection_method: str = "charge_automatically",
    days_until_due: int | None = None,
    setup: Callable[[JSON], None] | None = None,
) -> JSON:
    """Create a subscription, its first invoice, and pay it as Stripe would. Used by the API and Checkout.
    ``setup`` runs on the new subscription before its first invoice (discounts, tax rates)."""
    acct = ctx.acct
    recurring = [(p, q) for p, q in items if p["type"] == "recurring"]
    one_time = [(p, q) for p, q in items if p["type"] != "recurring"]
    if not recurring:
        raise invalid("A subscription needs at least one recurring price.", param="items")
    cur = recurring[0][0]["currency"]
    if any(p["currency"] != cur for p, _ in items):
        raise invalid("All prices on a subscription must use the same currency.", param="items")
    ts = now()
    r = recurring[0][0]["recurring"]
    if trial_end is None and trial_period_days:
        trial_end = ts + 86400 * trial_period_days
    period_end = trial_end or add_interval(ts, r["interval"], r["interval_count"])
    # error_if_incomplete: fail before creating anything.
    pm_id = default_payment_method or acct.get("customer", customer_id)["invoice_settings"].get(
        "default_payment_method"
    )
    if (
        payment_behavior == "error_if_incomplete"
        and not trial_end
        and collection_method == "charge_automatically"
    ):
        total = sum(int(p["unit_amount"] or 0) * q for p, q in items)
        if total > 0:
            if pm_id is None:
                raise invalid(
                    "This customer has no attached payment source or default payment method. Please consider adding "
                    "a default payment method.",
                )
            card = payment_methods.card_of(acct, acct.get("payment_method", pm_id))
            if card.declines_charges:
                raise payment_methods.card_error(card)
            if card.outcome == "requires_action" or (
                card.outcome == "requires_action_on_session" and pm_id not in acct.off_session_ready
            ):
                raise StripeError(
                    402,
                    "Your card was declined. This transaction requires authentication.",
                    type="card_error",
                    code="authentication_required",
                    decline_code="authentication_required",
                )
    sid = new_id("sub", 24)
    sub: JSON = skeleton("subscription")
    sub.update(
        id=sid,
        object="subscription",
        automatic_tax={"disabled_reason": None, "enabled": False, "liability": None},
        billing_cycle_anchor=period_end if trial_end else ts,
        billing_mode={"flexible": None, "type": "classic"},
        billing_schedules=[],
        cancel_at_period_end=False,
        collection_method=collection_method,
        created=ts,
        currency=cur,
        customer=customer_id,
        days_until_due=days_until_due if collection_method == "send_invoice" else None,
        default_payment_method=default_payment_method,
        description=description,
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
        metadata=metadata or {},
        start_date=ts,
        status="incomplete",
        trial_end=trial_end,
        trial_start=ts if trial_end else None,
    )
    acct.add(sub)
    if setup is not None:
        setup(sub)
    for price, qty in recurring:
        sub["items"]["data"].append(_sub_item(ctx, sub, price, qty, ts, period_end))
    sub["items"]["total_count"] = len(sub["items"]["data"])
    inv = new_invoice(
        ctx,
        customer_id,
        currency=cur,
        collection_method=collection_method,
        days_until_due=days_until_due,
        billing_reason="subscription_create",
        subscription=sub,
        auto_advance=True,
    )
    inv["period_start"] = inv["period_end"] = ts
    for item in sub["items"]["data"]:
        price, qty = item["price"], int(item["quantity"])
        amount = 0 if trial_end else int(price["unit_amount"] or 0) * qty
        desc = (
            f"Trial period for {catalog.product_name(acct, price)}"
            if trial_end
            else price_desc(acct, price, qty)
        )
        parent = subscription_item_parent(sid, item["id"])
        add_line(ctx, inv, amount, desc, qty, price, (ts, period_end), parent, sid)
    for price, qty in one_time:
        ii_ctx = Ctx(
            ctx.sandbox,
            acct,
            {
                "customer": customer_id,
                "pricing": {"price": price["id"]},
                "quantity": str(qty),
                "invoice": inv["id"],
            },
            {},
            ctx.base_url,
            ctx.request_id,
            "POST",
            "",
        )
        create_invoice_item(ii_ctx)
    sub["latest_invoice"] = inv["id"]
    acct.emit("customer.subscription.created", sub)
    finalize(ctx, inv)
    if trial_end:
        sub["status"] = "trialing"
    elif inv["status"] == "paid":
        sub["status"] = "active"
    elif collection_method == "send_invoice":
        sub["status"] = "active"
        acct.emit("invoice.sent", inv)
    elif payment_behavior == "default_incomplete":
        sub["status"] = "incomplete"
    else:
        try:
            attempt_payment(ctx, inv, pm_id)
        except StripeError as err:
            if err.status != 402 and pm_id is not None:
                raise
        sub["status"] = "active" if inv["status"] == "paid" else "incomplete"
    return sub


def items_param(ctx: Ctx, raw: Any, param: str = "items") -> list[tuple[JSON, int]]:
    """``items`` as (price, quantity) pairs: ``price`` ids or inline ``price_data``."""
    out: list[tuple[JSON, int]] = []
    for i, entry_raw in enumerate(as_list(raw, param)):
        entry = as_dict(entry_raw, f"{param}[{i}]")
        if "price_data" in entry:
            price = catalog.make_price(
                ctx,
                as_dict(entry["price_data"], f"{param}[{i}][price_data]"),
                f"{param}[{i}][price_data]",
                inline=True,
            )
        elif "price" in entry:
            found = ctx.acct.find("price", entry["price"])
            if found is None:
                raise no_such("price", str(entry["price"]), param=f"{param}[{i}][price]", status=400)
            price = found
        else:
            raise missing_param(f"{param}[{i}][price]")
        out.append((price, as_int(entry.get("quantity", 1), f"{param}[{i}][quantity]", minimum=0)))
    return out


def create_subscription(ctx: Ctx) -> JSON:
    p = ctx.params
    if "customer" not in p:  # optional in the spec (customer_account), needed here
        raise missing_param("customer")
    cust_id = as_str(p["customer"], "customer")
    ctx.acct.get("customer", cust_id, param="customer", status=400)
    if "items" not in p:
        raise missing_param("items")
    items = items_param(ctx, p["items"])
    pm_id = None
    if "default_payment_method" in p:
        pm = payment_methods.resolve_payment_method(
            ctx, as_str(p["default_payment_method"], "default_payment_method"), "default_payment_method"
        )
        if pm.get("customer") != cust_id:
            raise invalid(
                f"The customer does not have a payment method with the ID {pm['id']}. The payment method must be "
                "attached to the customer.",
                param="default_payment_method",
            )
        pm_id = pm["id"]
    cm = as_enum(
        p.get("collection_method", "charge_automatically"),
        "collection_method",
        ("charge_automatically", "send_invoice"),
    )
    dud = as_int(p["days_until_due"], "days_until_due", minimum=0) if "days_until_due" in p else None
    if cm == "send_invoice" and dud is None:
        raise missing_param("days_until_due")
    trial = (
        as_int(p["trial_period_days"], "trial_period_days", minimum=0) if "trial_period_days" in p else None
    )
    # A timestamp ends the trial at that second (not at a whole number of days), and must be ahead.
    trial_end = as_int(p["trial_end"], "trial_end") if p.get("trial_end", "now") != "now" else None
    if trial_end is not None and trial_end <= now():
        raise invalid(
            "Invalid timestamp: must be an integer Unix timestamp in the future.", param="trial_end"
        )
    return start_subscription(
        ctx,
        cust_id,
        items,
        default_payment_method=pm_id,
        trial_period_days=trial or None,
        trial_end=trial_end,
        metadata=apply_metadata({}, p.get("metadata", {})),
        description=as_str(p["description"], "description") if "description" in p else None,
        payment_behavior=as_enum(
            p.get("payment_behavior", "allow_incomplete"),
            "payment_behavior",
            ("allow_incomplete", "default_incomplete", "error_if_incomplete", "pending_if_incomplete"),
        ),
        collection_method=cm,
        days_until_due=dud,
        setup=invoice_totals.subscription_setup(ctx, p, cust_id, items),
    )


def retrieve_subscription(ctx: Ctx) -> JSON:
    return ctx.acct.get(
        "subscription", ctx.path_params["subscription_exposed_id"], param="subscription_exposed_id"
    )


def update_subscription(ctx: Ctx) -> JSON:
    acct = ctx.acct
    sub = acct.get(
        "subscription", ctx.path_params["subscription_exposed_id"], param="subscription_exposed_id"
    )
    p = ctx.params
    if sub["status"] in ("canceled", "incomplete_expired") and any(
        k not in ("metadata", "cancellation_details", "expand") for k in p
    ):
        raise invalid("A canceled subscription can only update its cancellation_details and metadata.")
    before = snapshot(sub)
    behavior = as_enum(
        p.get("proration_behavior", "create_prorations"),
        "proration_behavior",
        ("always_invoice", "create_prorations", "none"),
    )
    if "cancel_at_period_end" in p:
        cape = as_bool(p["cancel_at_period_end"], "cancel_at_period_end")
        sub["cancel_at_period_end"] = cape
        end = max(int(i["current_period_end"]) for i in sub["items"]["data"])
        sub["cancel_at"] = end if cape else None
        sub["canceled_at"] = now() if cape else None
        sub["cancellation_details"] = (
            {"comment": None, "feedback": None, "reason": "cancellation_requested"}
            if cape
            else {"comment": None, "feedback": None, "reason": None}
        )
    if "default_payment_method" in p:
        ref = as_str(p["default_payment_method"], "default_payment_method")
        if ref:
            pm = payment_methods.resolve_payment_method(ctx, ref, "default_payment_method")
            if pm.get("customer") != sub["customer"]:
                raise invalid(
                    f"The customer does not have a payment method with the ID {pm['id']}. The payment method must be "
                    "attached to the customer.",
                    param="default_payment_method",
                )
            ref = pm["id"]
        sub["default_payment_method"] = ref or None
    if "metadata" in p:
        sub["metadata"] = apply_metadata(sub["metadata"], p["metadata"])
    if "description" in p:
        sub["description"] = as_str(p["description"], "description") or None
    if "trial_end" in p and p["trial_end"] == "now" and sub["status"] == "trialing":
        sub["trial_end"] = now()
        sub["status"] = "active"
    proration_lines: list[tuple[JSON, int, str]] = []
    if "items" in p:
        ts = now()
        for i, entry_raw in enumerate(as_list(p["items"], "items")):
            entry = as_dict(entry_raw, f"items[{i}]")
            item = None
            if "id" in entry:
                item = next((x for x in sub["items"]["data"] if x["id"] == entry["id"]), None)
                if item is None:
                    raise no_such("subscription_item", str(entry["id"]), param=f"items[{i}][id]", status=400)
            if item is not None and "deleted" in entry and as_bool(entry["deleted"], f"items[{i}][deleted]"):
                sub["items"]["data"].remove(item)
                acct.objects[item["id"]]["deleted"] = True
                proration_lines.append(_proration(item, -1, ts))
                continue
            new_price = None
            if "price" in entry:
                new_price = acct.find("price", entry["price"])
                if new_price is None:
                    raise no_such("price", str(entry["price"]), param=f"items[{i}][price]", status=400)
            elif "price_data" in entry:
                new_price = catalog.make_price(
                    ctx,
                    as_dict(entry["price_data"], f"items[{i}][price_data]"),
                    f"items[{i}][price_data]",
                    inline=True,
                )
            qty = (
                as_int(entry["quantity"], f"items[{i}][quantity]", minimum=0) if "quantity" in entry else None
            )
            if item is None:
                if new_price is None:
                    raise missing_param(f"items[{i}][price]")
                first = sub["items"]["data"][0] if sub["items"]["data"] else None
                start = int(first["current_period_start"]) if first else ts
                end = int(first["current_period_end"]) if first else ts
                new_item = _sub_item(ctx, sub, new_price, qty if qty is not None else 1, start, end)
                sub["items"]["data"].append(new_item)
                proration_lines.append(_proration(new_item, 1, ts))
            else:
                proration_lines.append(_proration(item, -1, ts))
                if new_price is not None:
                    item["price"] = new_price
                if qty is not None:
                    item["quantity"] = qty
                proration_lines.append(_proration(item, 1, ts))
        sub["items"]["total_count"] = len(sub["items"]["data"])
        if behavior != "none" and sub["status"] in ("active", "past_due"):
            _prorate(ctx, sub, proration_lines, invoice_now=behavior == "always_invoice")
    previous = changed(before, sub)
    if previous:
        acct.emit("customer.subscription.updated", sub, previous)
    return sub


def _proration(item: JSON, sign: int, ts: int) -> tuple[JSON, int, str]:
    start, end = int(item["current_period_start"]), int(item["current_period_end"])
    fraction = max(0.0, min(1.0, (end - ts) / (end - start))) if end > start else 0.0
    amount = round(int(item["price"]["unit_amount"] or 0) * int(item.get("quantity") or 1) * fraction) * sign
    label = "Unused time on" if sign < 0 else "Remaining time on"
    return item, amount, label


def _prorate(ctx: Ctx, sub: JSON, lines: list[tuple[JSON, int, str]], invoice_now: bool) -> None:
    acct = ctx.acct
    created: list[JSON] = []
    for item, amount, label in lines:
        if amount == 0:
            continue
        price = item["price"]
        ii_ctx = Ctx(
            ctx.sandbox,
            acct,
            {
                "customer": sub["customer"],
                "amount": str(amount),
                "currency": price["currency"],
                "description": f"{label} {catalog.product_name(acct, price)} after {time.strftime('%d %b %Y', time.gmtime(now()))}",
            },
            {},
            ctx.base_url,
            ctx.request_id,
            "POST",
            "",
        )
        ii = create_invoice_item(ii_ctx)
        ii["proration"] = True
        ii["parent"] = {
            "subscription_details": {"subscription": sub["id"], "subscription_item": item["id"]},
            "type": "subscription_details",
        }
        created.append(ii)
    if invoice_now and created:
        inv = new_invoice(
            ctx,
            sub["customer"],
            currency=sub["currency"],
            billing_reason="subscription_update",
            subscription=sub,
            auto_advance=True,
        )
        for ii in created:
            attach_invoice_item(ctx, inv, ii)
        sub["latest_invoice"] = inv["id"]
        finalize(ctx, inv)
        if inv["status"] == "open" and inv["amount_due"] > 0:
            pm = sub.get("default_payment_method") or default_pm(acct, inv)
            try:
                attempt_payment(ctx, inv, pm)
            except StripeError:
                sub["status"] = "past_due"


def cancel_subscription(ctx: Ctx) -> JSON:
    acct = ctx.acct
    sub = acct.get(
        "subscription", ctx.path_params["subscription_exposed_id"], param="subscription_exposed_id"
    )
    if sub["status"] in ("canceled", "incomplete_expired"):
        raise no_such("subscription", sub["id"], param="subscription_exposed_id")
    p = ctx.params
    before = snapshot(sub)
    ts = now()
    if "prorate" in p and as_bool(p["prorate"], "prorate") and sub["status"] == "active":
        lines = [_proration(item, -1, ts) for item in sub["items"]["data"]]
        _prorate(ctx, sub, lines, invoice_now="invoice_now" in p and as_bool(p["invoice_now"], "invoice_now"))
    elif "invoice_now" in p and as_bool(p["invoice_now"], "invoice_now"):
        pending = [
            ii
            for ii in acct.of_type("invoiceitem")
            if ii["customer"] == sub["customer"] and ii["invoice"] is None
        ]
        if pending:
            inv = new_invoice(
                ctx,
                sub["customer"],
                currency=sub["currency"],
                billing_reason="subscription_cycle",
                subscription=sub,
            )
            for ii in pending:
                attach_invoice_item(ctx, inv, ii)
            finalize(ctx, inv)
    if sub["status"] == "incomplete":
        latest = acct.find("invoice", sub.get("latest_invoice"))
        if latest is not None and latest["status"] == "open":
            latest["status"] = "void"
            latest["status_transitions"]["voided_at"] = ts
    sub["status"] = "canceled"
    sub["canceled_at"] = ts
    sub["ended_at"] = ts
    sub["cancel_at_period_end"] = False
    sub["cancellation_details"] = {
        "comment": None,
        "feedback": None,
        "reason": "cancellation_requested",
    }
    if "cancellation_details" in p:
        cd = as_dict(p["cancellation_details"], "cancellation_details")
        sub["cancellation_details"]["comment"] = cd.get("comment") or None
        sub["cancellation_details"]["feedback"] = cd.get("feedback") or None
    acct.emit("customer.subscription.deleted", sub, changed(before, sub))
    return sub


def resume_subscription(ctx: Ctx) -> JSON:
    sub = ctx.acct.get("subscription", ctx.path_params["subscription"], param="subscription")
    if sub["status"] != "paused":
        raise invalid(
            f"Only subscriptions with `status=paused` can be resumed; this subscription is {sub['status']}. "
            "To undo cancel_at_period_end, update the subscription with cancel_at_period_end=false.",
            param="subscription",
        )
    before = snapshot(sub)
    sub["status"] = "active"
    sub["pause_collection"] = None
    ctx.acct.emit("customer.subscription.resumed", sub, changed(before, sub))
    return sub


def list_subscriptions(ctx: Ctx) -> JSON:
    p = ctx.params
    status = as_str(p.get("status", ""), "status") or None
    customer, price, cm = p.get("customer"), p.get("price"), p.get("collection_method")

    def pred(o: JSON) -> bool:
        if status is None and o["status"] in ("canceled", "incomplete_expired"):
            return False
        if status not in (None, "all") and o["status"] != status:
            return False
        if price is not None and not any(i["price"]["id"] == price for i in o["items"]["data"]):
            return False
        return (customer is None or o["customer"] == customer) and (
            cm is None or o["collection_method"] == cm
        )

    return paginate(ctx.acct, "subscription", p, "/v1/subscriptions", pred)


def search_subscriptions(ctx: Ctx) -> JSON:
    fields = fields_of("status", "customer", "created")
    return search(ctx, "subscription", fields, "/v1/subscriptions/search")


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/subscriptions",
        create_subscription,
        consumes=(
            "address",
            "collection_method",
            "currency",
            "customer",
            "days_until_due",
            "default_payment_method",
            "default_tax_rates",
            "description",
            "discounts",
            "invoice_settings",
            "items",
            "metadata",
            "payment_behavior",
            "trial_end",
            "trial_period_days",
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
            "cancel_at",
            "cancel_at_period_end",
            "cancellation_details",
            "default_payment_method",
            "description",
            "items",
            "metadata",
            "proration_behavior",
            "trial_end",
        ),
    )
    router.add("DELETE", "/v1/subscriptions/{subscription_exposed_id}", cancel_subscription)
    router.add("POST", "/v1/subscriptions/{subscription}/resume", resume_subscription, consumes=())
