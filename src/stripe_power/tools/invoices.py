"""Toolset `invoices`: one-off invoices, their items, and the invoice lifecycle.

A draft invoice takes items (`create_invoice_item` with `invoice=`), is finalized (it gets
a number, a hosted page and, when charged automatically, a PaymentIntent), then is paid,
sent or voided. Amounts are returned in minor units and in human form (`*_display`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field

from ..errors import InputError, StripeAPIError
from ..gateway import Gateway
from ..hints import call
from ..kinds import kind_of_request
from ._models import Page, Summary, money, ref
from ._params import (
    Amount,
    Ctx,
    Currency,
    Cursor,
    CustomerId,
    IdempotencyKey,
    InvoiceId,
    Limit,
    Metadata,
    PriceId,
    SubscriptionId,
    check_days_until_due,
    form,
    gateway,
    ident,
    limits,
)
from ._preview import customer_label
from ._registry import ToolKind, Toolset
from ._shapes import Shape

toolset = Toolset("invoices", "Invoices: draft, add items, finalize, pay, send, void")

CollectionMethod = Literal["charge_automatically", "send_invoice"]
DaysUntilDue = Annotated[int, Field(ge=0, le=730, description="Required for send_invoice")]
Description = Annotated[str, Field(max_length=1500)]
Quantity = Annotated[int, Field(ge=1, le=999_999)]


class Pricing(Shape):
    price: PriceId


def invoice_next_step(obj: Mapping[str, Any]) -> str | None:
    status, invoice = obj.get("status"), obj["id"]
    pay = call("pay_invoice", invoice=invoice)
    void = call("void_invoice", invoice=invoice)
    if status == "draft":
        item = call(
            "create_invoice_item",
            invoice=invoice,
            customer=ref(obj.get("customer")),
            pricing={"price": "price_..."},
        )
        return f"Add items ({item}), then {call('finalize_invoice', invoice=invoice)}."
    if status == "open" and obj.get("collection_method") == "send_invoice":
        send = call("send_invoice", invoice=invoice)
        return f"{send} emails it; or share hosted_invoice_url. {void} if issued by mistake."
    if status == "open":
        return f"{pay} (a saved payment method), or share hosted_invoice_url."
    if status == "uncollectible":
        return f"{pay} if the customer pays later, or {void}."
    return None


class InvoiceSummary(Summary):
    id: str
    status: str | None = None
    customer: str | None = None
    subscription: str | None = None
    number: str | None = None
    description: str | None = None
    collection_method: str | None = None
    currency: str | None = None
    total: int | None = None
    total_display: str | None = None
    amount_due: int | None = None
    amount_due_display: str | None = None
    amount_paid: int | None = None
    amount_paid_display: str | None = None
    amount_remaining: int | None = None
    amount_remaining_display: str | None = None
    due_date: int | None = None
    hosted_invoice_url: str | None = None
    metadata: dict[str, str] | None = None
    next_step: str | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> InvoiceSummary:
        parent = obj.get("parent") or {}
        details = parent.get("subscription_details") or {}
        currency = obj.get("currency")
        return cls(
            id=obj["id"],
            status=obj.get("status"),
            customer=ref(obj.get("customer")),
            subscription=ref(details.get("subscription")) or ref(obj.get("subscription")),
            number=obj.get("number"),
            description=obj.get("description"),
            collection_method=obj.get("collection_method"),
            currency=currency,
            total=obj.get("total"),
            total_display=money(obj.get("total"), currency),
            amount_due=obj.get("amount_due"),
            amount_due_display=money(obj.get("amount_due"), currency),
            amount_paid=obj.get("amount_paid"),
            amount_paid_display=money(obj.get("amount_paid"), currency),
            amount_remaining=obj.get("amount_remaining"),
            amount_remaining_display=money(obj.get("amount_remaining"), currency),
            due_date=obj.get("due_date"),
            hosted_invoice_url=obj.get("hosted_invoice_url"),
            metadata=obj.get("metadata") or None,
            next_step=invoice_next_step(obj),
        )


class InvoiceItemSummary(Summary):
    id: str
    invoice: str | None = None
    customer: str | None = None
    price: str | None = None
    quantity: int | None = None
    amount: int | None = None
    currency: str | None = None
    amount_display: str | None = None
    description: str | None = None
    next_step: str | None = None

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> InvoiceItemSummary:
        pricing = obj.get("pricing") or {}
        details = pricing.get("price_details") or {}
        invoice = ref(obj.get("invoice"))
        return cls(
            id=obj["id"],
            invoice=invoice,
            customer=ref(obj.get("customer")),
            price=ref(details.get("price")) or ref(obj.get("price")),
            quantity=obj.get("quantity"),
            amount=obj.get("amount"),
            currency=obj.get("currency"),
            amount_display=money(obj.get("amount"), obj.get("currency")),
            description=obj.get("description"),
            next_step=None
            if invoice
            else "Pending: billed on the customer's next invoice or subscription "
            "renewal; pass invoice= to add it to a draft invoice instead.",
        )


@toolset.tool("Create an invoice", kind="write")
async def create_invoice(
    ctx: Ctx,
    customer: CustomerId,
    collection_method: CollectionMethod | None = None,
    days_until_due: DaysUntilDue | None = None,
    auto_advance: Annotated[bool | None, Field(description="Let Stripe finalize and collect it")] = None,
    description: Description | None = None,
    metadata: Metadata | None = None,
    idempotency_key: IdempotencyKey | None = None,
) -> InvoiceSummary:
    """Create a draft invoice; then add items and finalize it."""
    check_days_until_due(collection_method, days_until_due)
    params = form(
        customer=customer,
        collection_method=collection_method,
        days_until_due=days_until_due,
        auto_advance=auto_advance,
        description=description,
        metadata=metadata,
    )
    obj = await gateway(ctx).request("POST", "/v1/invoices", params, idempotency_key=idempotency_key)
    return InvoiceSummary.of(obj)


@toolset.tool("Create an invoice item", kind="write")
async def create_invoice_item(
    ctx: Ctx,
    customer: CustomerId | None = None,
    invoice: InvoiceId | None = None,
    pricing: Pricing | None = None,
    amount: Amount | None = None,
    currency: Currency | None = None,
    quantity: Annotated[Quantity | None, Field(description="With pricing only")] = None,
    description: Description | None = None,
    idempotency_key: IdempotencyKey | None = None,
) -> InvoiceItemSummary:
    """Add a line, by price or by amount+currency, to a draft invoice or a customer's next one."""
    if customer is None and invoice is None:
        raise InputError(
            "customer", "or `invoice` is required.", "Pass the draft invoice id (in_...) or a customer."
        )
    price = pricing.price if pricing else None
    if (price is None) == (amount is None):
        raise InputError(
            "pricing",
            "pass exactly one of `pricing` or `amount`+`currency`.",
            "Use pricing={price: price_...} for catalog items, or amount and currency for a one-off line.",
        )
    if amount is not None and currency is None:
        raise InputError("currency", "is required with `amount`.", "Pass a lowercase ISO code, e.g. usd.")
    if price is not None and currency is not None:
        raise InputError("currency", "comes from the price.", "Omit currency when passing `pricing`.")
    if amount is not None and quantity is not None:
        raise InputError(
            "quantity",
            "cannot be combined with `amount` (the line total).",
            "Use pricing with quantity, or pass the total as amount.",
        )
    params = form(
        customer=customer,
        invoice=invoice,
        pricing={"price": price} if price else None,
        amount=amount,
        currency=currency,
        quantity=quantity,
        description=description,
    )
    obj = await gateway(ctx).request("POST", "/v1/invoiceitems", params, idempotency_key=idempotency_key)
    return InvoiceItemSummary.of(obj)


async def _invoice_action(
    ctx: Ctx, invoice: str, action: str, params: dict[str, Any], idempotency_key: str | None
) -> InvoiceSummary:
    path = f"/v1/invoices/{invoice}/{action}"
    return InvoiceSummary.of(
        await gateway(ctx).request("POST", path, params, idempotency_key=idempotency_key)
    )


def _finalize_kind(args: dict[str, Any]) -> ToolKind:
    params = form(auto_advance=args.get("auto_advance"))
    return kind_of_request("POST", f"/v1/invoices/{args.get('invoice')}/finalize", params)


def _collected_on_finalize(inv: Mapping[str, Any], auto_advance: bool | None) -> int:
    """What Stripe will charge by itself once this invoice is finalized (0: nothing automatic)."""
    collects = inv.get("auto_advance") if auto_advance is None else auto_advance
    if not collects or inv.get("collection_method") == "send_invoice":
        return 0
    return int(inv.get("amount_due") or 0)


async def preview_finalize(gw: Gateway, args: dict[str, Any]) -> str:
    inv, described = await _invoice_for_preview(gw, args["invoice"])
    amount = _collected_on_finalize(inv, args.get("auto_advance"))
    if amount:
        charged = money(amount, inv.get("currency"))
        return f"Finalize invoice {described}: Stripe then charges {charged} automatically"
    return f"Finalize invoice {described}: no automatic charge (send_invoice or auto_advance off)"


@toolset.tool(
    "Finalize an invoice", kind="money", idempotent=True, kind_of=_finalize_kind, preview=preview_finalize
)
async def finalize_invoice(
    ctx: Ctx,
    invoice: InvoiceId,
    auto_advance: Annotated[bool | None, Field(description="Let Stripe collect it automatically")] = None,
    idempotency_key: IdempotencyKey | None = None,
) -> InvoiceSummary:
    """Finalize a draft invoice: it gets a number and a hosted page and can be paid."""
    if limits(ctx).active and _finalize_kind({"invoice": invoice, "auto_advance": auto_advance}) == "money":
        # Collected automatically, this is a payment: the amount due meets the limits now.
        inv = await gateway(ctx).request("GET", f"/v1/invoices/{invoice}")
        if amount := _collected_on_finalize(inv, auto_advance):
            limits(ctx).check_amount(amount, str(inv["currency"]), "amount_due")
    return await _invoice_action(ctx, invoice, "finalize", form(auto_advance=auto_advance), idempotency_key)


async def _invoice_for_preview(gw: Gateway, invoice: str) -> tuple[Mapping[str, Any], str]:
    """The invoice, and `in_... (number), customer jane@...` for a confirmation prompt."""
    inv = await gw.request("GET", f"/v1/invoices/{invoice}")
    name = f"{inv['id']} ({inv['number']})" if inv.get("number") else str(inv["id"])
    who = customer_label(inv.get("customer"), inv.get("customer_email"))
    return inv, name + (f", {who}" if who else "")


async def preview_pay(gw: Gateway, args: dict[str, Any]) -> str:
    inv, described = await _invoice_for_preview(gw, args["invoice"])
    amount = money(inv.get("amount_remaining"), inv.get("currency"))
    method = f" with {args['payment_method']}" if args.get("payment_method") else ""
    return f"Pay {amount} of invoice {described}{method}"


async def preview_void(gw: Gateway, args: dict[str, Any]) -> str:
    inv, described = await _invoice_for_preview(gw, args["invoice"])
    amount = money(inv.get("amount_remaining"), inv.get("currency"))
    return f"Void invoice {described}: {amount} would no longer be owed"


@toolset.tool("Pay an invoice", kind="money", preview=preview_pay)
async def pay_invoice(
    ctx: Ctx,
    invoice: InvoiceId,
    payment_method: Annotated[
        str | None, ident("pm"), Field(description="Saved pm_...; default: the customer's default")
    ] = None,
    idempotency_key: IdempotencyKey | None = None,
) -> InvoiceSummary:
    """Charge an open invoice now with a saved payment method."""
    if limits(ctx).active:  # one read only when limits are set: the common path stays one request
        inv = await gateway(ctx).request("GET", f"/v1/invoices/{invoice}")
        if inv.get("amount_remaining"):
            limits(ctx).check_amount(int(inv["amount_remaining"]), str(inv["currency"]), "amount_remaining")
    try:
        return await _invoice_action(
            ctx, invoice, "pay", form(payment_method=payment_method), idempotency_key
        )
    except StripeAPIError as error:
        if payment_method or error.type != "invalid_request_error" or "payment method" not in str(error):
            raise
        customer = ref((await gateway(ctx).request("GET", f"/v1/invoices/{invoice}")).get("customer"))
        default = call(
            "update_customer", customer=customer, invoice_settings={"default_payment_method": "pm_..."}
        )
        raise StripeAPIError(
            f"{error} Fix: pass payment_method=pm_... (the customer's saved ones: "
            f"{call('list_payment_methods', customer=customer)}), or set a default with {default}, then "
            f"{call('pay_invoice', invoice=invoice)} again.",
            http_status=error.http_status,
            type=error.type,
            code=error.code,
            request_id=error.request_id,
        ) from None


@toolset.tool("Send an invoice", kind="write")
async def send_invoice(
    ctx: Ctx, invoice: InvoiceId, idempotency_key: IdempotencyKey | None = None
) -> InvoiceSummary:
    """Email an open send_invoice invoice to the customer."""
    path = f"/v1/invoices/{invoice}/send"
    obj = await gateway(ctx).request("POST", path, {}, idempotency_key=idempotency_key)
    summary = InvoiceSummary.of(obj)
    to = obj.get("customer_email") or "the customer's email"
    summary.next_step = (
        f"Sent: Stripe emailed invoice {obj.get('number') or obj['id']} to {to}; the customer pays at "
        f"hosted_invoice_url. {call('wait_for_event', type='invoice.paid', object_id=obj['id'])} to see the payment."
    )
    return summary


@toolset.tool("Void an invoice", kind="destructive", idempotent=True, preview=preview_void)
async def void_invoice(
    ctx: Ctx, invoice: InvoiceId, idempotency_key: IdempotencyKey | None = None
) -> InvoiceSummary:
    """Void a finalized invoice for good (a draft: ⟦delete_invoice⟧)."""
    return await _invoice_action(ctx, invoice, "void", {}, idempotency_key)


class DeletedInvoice(Summary):
    id: str
    deleted: bool


async def preview_delete(gw: Gateway, args: dict[str, Any]) -> str:
    inv, described = await _invoice_for_preview(gw, args["invoice"])
    return f"Delete draft invoice {described} ({money(inv.get('total'), inv.get('currency'))}) for good"


@toolset.tool("Delete a draft invoice", kind="destructive", idempotent=True, preview=preview_delete)
async def delete_invoice(ctx: Ctx, invoice: InvoiceId) -> DeletedInvoice:
    """Delete a draft invoice for good."""
    obj = await gateway(ctx).request("DELETE", f"/v1/invoices/{invoice}")
    return DeletedInvoice(id=obj["id"], deleted=bool(obj.get("deleted")))


@toolset.tool("Retrieve an invoice", kind="read")
async def retrieve_invoice(ctx: Ctx, invoice: InvoiceId) -> InvoiceSummary:
    """Get one invoice with its totals, status and hosted URL."""
    return InvoiceSummary.of(await gateway(ctx).request("GET", f"/v1/invoices/{invoice}"))


@toolset.tool("List invoices", kind="read")
async def list_invoices(
    ctx: Ctx,
    customer: CustomerId | None = None,
    status: Literal["draft", "open", "paid", "uncollectible", "void"] | None = None,
    subscription: SubscriptionId | None = None,
    limit: Limit = 10,
    starting_after: Cursor | None = None,
) -> Page[InvoiceSummary]:
    """List invoices, newest first, by customer, status or subscription."""
    params = form(
        customer=customer,
        status=status,
        subscription=subscription,
        limit=limit,
        starting_after=starting_after,
    )
    return Page[InvoiceSummary].of(
        await gateway(ctx).request("GET", "/v1/invoices", params), InvoiceSummary.of
    )
