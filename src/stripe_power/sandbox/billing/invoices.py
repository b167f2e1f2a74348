"""Invoices through the API: create, update, finalize, pay, void, send, list; their lifecycle is in
`invoice_lifecycle.py`, invoice items in `invoice_items.py`."""

from __future__ import annotations

from typing import Any

from ..core.errors import invalid, missing_param
from ..core.router import Ctx, Router
from ..core.search import fields_of, search
from ..core.store import (
    JSON,
    apply_metadata,
    as_bool,
    as_enum,
    as_int,
    as_str,
    changed,
    now,
    paginate,
    snapshot,
)
from ..payments import payment_methods
from . import billing_cycle, catalog, invoice_items, invoice_totals
from .invoice_lifecycle import (
    DRAFT_SECONDS,
    attach_invoice_item,
    attempt_payment,
    default_pm,
    finalize,
    invoice_pi,
    mark_paid,
    new_invoice,
    void,
)


def create_invoice(ctx: Ctx) -> JSON:
    p = ctx.params
    if "customer" not in p:
        raise missing_param("customer")
    cm = as_enum(
        p.get("collection_method", "charge_automatically"),
        "collection_method",
        ("charge_automatically", "send_invoice"),
    )
    dud = as_int(p["days_until_due"], "days_until_due", minimum=0) if "days_until_due" in p else None
    if cm == "send_invoice" and dud is None and "due_date" not in p:
        raise invalid(
            "Invoices with collection_method=send_invoice must have either days_until_due or due_date set.",
            param="days_until_due",
        )
    customer = as_str(p["customer"], "customer")
    sub = None
    if "subscription" in p:
        sub = ctx.acct.get(
            "subscription", as_str(p["subscription"], "subscription"), param="subscription", status=400
        )
        if sub["customer"] != customer:
            raise invalid("The subscription belongs to a different customer.", param="subscription")
    inv = new_invoice(
        ctx,
        customer,
        currency=catalog.currency(p["currency"]) if "currency" in p else (sub or {}).get("currency"),
        collection_method=cm,
        days_until_due=dud,
        subscription=sub,
        description=as_str(p["description"], "description") if "description" in p else None,
        metadata=apply_metadata({}, p.get("metadata", {})),
    )
    _automatic_finalization(inv, p)
    if "due_date" in p:
        inv["due_date"] = as_int(p["due_date"], "due_date")
    if "footer" in p:
        inv["footer"] = as_str(p["footer"], "footer")
    if "default_payment_method" in p:
        inv["default_payment_method"] = payment_methods.resolve_payment_method(
            ctx, as_str(p["default_payment_method"], "default_payment_method"), "default_payment_method"
        )["id"]
    behavior = as_enum(
        p.get("pending_invoice_items_behavior", "exclude"),
        "pending_invoice_items_behavior",
        ("exclude", "include"),
    )
    if behavior == "include":  # with `subscription`, only that subscription's pending items
        for ii in list(ctx.acct.of_type("invoiceitem")):
            if (
                ii["customer"] == inv["customer"]
                and ii["invoice"] is None
                and ii["currency"] == inv["currency"]
                and (sub is None or invoice_items.subscription_of(ii) == sub["id"])
            ):
                attach_invoice_item(ctx, inv, ii)
    invoice_totals.apply_params(ctx, inv, p)
    return inv


def _automatic_finalization(inv: JSON, p: dict[str, Any]) -> None:
    """``auto_advance`` and ``automatically_finalizes_at`` (spec3.json: "The time when this invoice
    is currently scheduled to be automatically finalized ... null if the invoice is not scheduled to
    finalize in the future"; "To turn off automatic finalization, set auto_advance to false").
    Without a time, a draft is finalized an hour after it was created (or now, if that has passed)."""
    if inv["status"] != "draft":
        if "automatically_finalizes_at" in p:
            raise invalid(
                "Only a draft invoice can be scheduled to finalize.", param="automatically_finalizes_at"
            )
        if "auto_advance" in p:
            inv["auto_advance"] = as_bool(p["auto_advance"], "auto_advance")
        return
    when = (
        as_int(p["automatically_finalizes_at"], "automatically_finalizes_at")
        if "automatically_finalizes_at" in p
        else None
    )
    auto = (
        as_bool(p["auto_advance"], "auto_advance")
        if "auto_advance" in p
        else inv["auto_advance"] or when is not None
    )
    if when is not None and not auto:
        raise invalid(
            "automatically_finalizes_at schedules automatic finalization, which auto_advance=false turns off: "
            "leave one of them out.",
            param="automatically_finalizes_at",
        )
    if when is not None and when < now():
        raise invalid("automatically_finalizes_at must be in the future.", param="automatically_finalizes_at")
    inv["auto_advance"] = auto
    default = inv.get("automatically_finalizes_at") or max(inv["created"] + DRAFT_SECONDS, now())
    inv["automatically_finalizes_at"] = (when or default) if auto else None


def _get(ctx: Ctx) -> JSON:
    inv = ctx.acct.get("invoice", ctx.path_params["invoice"], param="invoice")
    billing_cycle.settle(ctx, [inv["customer"]])
    return inv


def retrieve_invoice(ctx: Ctx) -> JSON:
    return _get(ctx)


def update_invoice(ctx: Ctx) -> JSON:
    inv = _get(ctx)
    p = ctx.params
    before = snapshot(inv)
    if inv["status"] != "draft" and any(k in p for k in ("collection_method", "days_until_due", "currency")):
        raise invalid("Finalized invoices can't be updated in this way.", param="invoice")
    for key in ("description", "footer"):
        if key in p:
            inv[key] = as_str(p[key], key) or None
    _automatic_finalization(inv, p)
    if "metadata" in p:
        inv["metadata"] = apply_metadata(inv["metadata"], p["metadata"])
    if "days_until_due" in p:
        inv["due_date"] = inv["created"] + 86400 * as_int(p["days_until_due"], "days_until_due")
    if "due_date" in p:
        if inv["status"] != "draft":
            raise invalid("Finalized invoices can't be updated in this way.", param="due_date")
        inv["due_date"] = as_int(p["due_date"], "due_date")
    if "collection_method" in p:
        inv["collection_method"] = as_enum(
            p["collection_method"], "collection_method", ("charge_automatically", "send_invoice")
        )
    if "default_payment_method" in p:
        inv["default_payment_method"] = as_str(p["default_payment_method"], "default_payment_method") or None
    invoice_totals.apply_params(ctx, inv, p)
    ctx.acct.emit("invoice.updated", inv, changed(before, inv))
    return inv


def delete_invoice(ctx: Ctx) -> JSON:
    inv = ctx.acct.get("invoice", ctx.path_params["invoice"], param="invoice")
    if inv["status"] != "draft":
        raise invalid("You can only delete draft invoices.", param="invoice")
    ctx.acct.objects[inv["id"]] = {"id": inv["id"], "object": "invoice", "deleted": True}
    ctx.acct.emit("invoice.deleted", inv)
    return {"id": inv["id"], "object": "invoice", "deleted": True}


def finalize_invoice(ctx: Ctx) -> JSON:
    inv = ctx.acct.get("invoice", ctx.path_params["invoice"], param="invoice")
    if "auto_advance" in ctx.params:
        inv["auto_advance"] = as_bool(ctx.params["auto_advance"], "auto_advance")
    finalize(ctx, inv)
    return inv


def pay_invoice(ctx: Ctx) -> JSON:
    inv = ctx.acct.get("invoice", ctx.path_params["invoice"], param="invoice")
    p = ctx.params
    if inv["status"] == "draft":
        finalize(ctx, inv)
    if inv["status"] == "paid":
        raise (
            invalid("Invoice is already paid.", param="invoice", code="invoice_already_paid")
            if "paid_out_of_band" not in p
            else invalid("Invoice is already paid.")
        )
    if inv["status"] not in ("open", "uncollectible"):  # Stripe still collects uncollectible invoices
        raise invalid(f"You can only pay an open invoice; this invoice is {inv['status']}.", param="invoice")
    if "paid_out_of_band" in p and as_bool(p["paid_out_of_band"], "paid_out_of_band"):
        pi = invoice_pi(ctx.acct, inv)
        if pi is not None and pi["status"] not in ("succeeded", "canceled"):
            pi["status"] = "canceled"
            pi["canceled_at"] = now()
        inv["amount_paid_off_stripe"] = inv["amount_due"]
        mark_paid(ctx, inv, None)
        return inv
    pm_id = (
        as_str(p["payment_method"], "payment_method") if "payment_method" in p else default_pm(ctx.acct, inv)
    )
    off_session = as_bool(p.get("off_session", "true"), "off_session")
    attempt_payment(ctx, inv, pm_id, off_session=off_session)
    return inv


def void_invoice(ctx: Ctx) -> JSON:
    inv = ctx.acct.get("invoice", ctx.path_params["invoice"], param="invoice")
    void(ctx, inv)
    return inv


def send_invoice(ctx: Ctx) -> JSON:
    inv = ctx.acct.get("invoice", ctx.path_params["invoice"], param="invoice")
    if inv["collection_method"] != "send_invoice":
        raise invalid(
            "You can only manually send an invoice if its collection method is 'send_invoice'.",
            param="invoice",
        )
    if inv["status"] == "draft":
        finalize(ctx, inv)
    if inv["status"] != "open":
        raise invalid(f"You can only send an open invoice; this invoice is {inv['status']}.", param="invoice")
    ctx.acct.emit("invoice.sent", inv)
    return inv


def list_invoices(ctx: Ctx) -> JSON:
    p = ctx.params
    billing_cycle.settle(ctx, [p["customer"]] if isinstance(p.get("customer"), str) else None)
    filters = {k: p[k] for k in ("customer", "status", "collection_method") if k in p}
    sub = p.get("subscription")

    def pred(o: JSON) -> bool:
        if (
            sub is not None
            and ((o.get("parent") or {}).get("subscription_details") or {}).get("subscription") != sub
        ):
            return False
        return all(o.get(k) == v for k, v in filters.items())

    return paginate(ctx.acct, "invoice", p, "/v1/invoices", pred)


def invoice_lines(ctx: Ctx) -> JSON:
    inv = ctx.acct.get("invoice", ctx.path_params["invoice"], param="invoice")
    ids = [line["id"] for line in inv["lines"]["data"]]
    return paginate(
        ctx.acct, "line_item", ctx.params, f"/v1/invoices/{inv['id']}/lines", ids=list(reversed(ids))
    )


def search_invoices(ctx: Ctx) -> JSON:
    fields = fields_of("customer", "status", "currency", "total", "created", "number")
    return search(ctx, "invoice", fields, "/v1/invoices/search")


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/invoices",
        create_invoice,
        consumes=(
            "address",
            "auto_advance",
            "automatically_finalizes_at",
            "collection_method",
            "currency",
            "customer",
            "days_until_due",
            "default_payment_method",
            "default_tax_rates",
            "description",
            "discounts",
            "due_date",
            "footer",
            "metadata",
            "pending_invoice_items_behavior",
            "subscription",
        ),
    )
    router.add("GET", "/v1/invoices", list_invoices)
    router.add("GET", "/v1/invoices/search", search_invoices)
    router.add("GET", "/v1/invoices/{invoice}", retrieve_invoice)
    router.add(
        "POST",
        "/v1/invoices/{invoice}",
        update_invoice,
        consumes=(
            "auto_advance",
            "automatically_finalizes_at",
            "collection_method",
            "days_until_due",
            "default_payment_method",
            "default_tax_rates",
            "description",
            "discounts",
            "footer",
            "metadata",
        ),
    )
    router.add("DELETE", "/v1/invoices/{invoice}", delete_invoice)
    router.add("GET", "/v1/invoices/{invoice}/lines", invoice_lines)
    router.add(
        "POST", "/v1/invoices/{invoice}/finalize", finalize_invoice, consumes=("address", "auto_advance")
    )
    router.add(
        "POST",
        "/v1/invoices/{invoice}/pay",
        pay_invoice,
        consumes=("off_session", "paid_out_of_band", "payment_method"),
    )
    router.add("POST", "/v1/invoices/{invoice}/void", void_invoice, consumes=("address",))
    router.add("POST", "/v1/invoices/{invoice}/send", send_invoice, consumes=())
