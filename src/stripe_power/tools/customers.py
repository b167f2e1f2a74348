"""Toolset `customers`: create, find and update customers."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ..views import Page, Summary
from ..views.customers import CustomerSummary
from ._params import (
    Ctx,
    Cursor,
    CustomerId,
    Email,
    IdempotencyKey,
    Limit,
    Metadata,
    PaymentMethodId,
    form,
    gateway,
    ident,
)
from ._registry import Toolset
from ._shapes import Shape

toolset = Toolset("customers", "Customers: create, find and update")

Name = Annotated[str, Field(max_length=256)]
Phone = Annotated[str, Field(max_length=20)]
Description = Annotated[str, Field(max_length=350)]


class InvoiceSettings(Shape):
    default_payment_method: PaymentMethodId


class CustomerSearchPage(Summary):
    data: list[CustomerSummary]
    has_more: bool
    next_page: str | None = None


@toolset.tool("Create a customer", kind="write")
async def create_customer(
    ctx: Ctx,
    email: Email | None = None,
    name: Name | None = None,
    phone: Phone | None = None,
    description: Description | None = None,
    metadata: Metadata | None = None,
    payment_method: Annotated[
        PaymentMethodId | None, Field(description="Attach it, e.g. pm_card_visa")
    ] = None,
    invoice_settings: InvoiceSettings | None = None,
    test_clock: Annotated[str | None, ident("clock"), Field(description="Test clock to live on")] = None,
    idempotency_key: IdempotencyKey | None = None,
) -> CustomerSummary:
    """Create a customer."""
    params = form(
        email=email,
        name=name,
        phone=phone,
        description=description,
        metadata=metadata,
        payment_method=payment_method,
        invoice_settings=invoice_settings.wire() if invoice_settings else None,
        test_clock=test_clock,
    )
    obj = await gateway(ctx).request("POST", "/v1/customers", params, idempotency_key=idempotency_key)
    return CustomerSummary.of(obj)


@toolset.tool("Retrieve a customer", kind="read")
async def retrieve_customer(ctx: Ctx, customer: CustomerId) -> CustomerSummary:
    """Get one customer by id."""
    return CustomerSummary.of(await gateway(ctx).request("GET", f"/v1/customers/{customer}"))


@toolset.tool("Update a customer", kind="write", idempotent=True)
async def update_customer(
    ctx: Ctx,
    customer: CustomerId,
    email: Email | None = None,
    name: Name | None = None,
    phone: Phone | None = None,
    description: Description | None = None,
    metadata: Annotated[Metadata | None, Field(description="Merged; an empty value removes a key")] = None,
    invoice_settings: InvoiceSettings | None = None,
    idempotency_key: IdempotencyKey | None = None,
) -> CustomerSummary:
    """Change a customer's details or default payment method."""
    params = form(
        email=email,
        name=name,
        phone=phone,
        description=description,
        metadata=metadata,
        invoice_settings=invoice_settings.wire() if invoice_settings else None,
    )
    path = f"/v1/customers/{customer}"
    return CustomerSummary.of(
        await gateway(ctx).request("POST", path, params, idempotency_key=idempotency_key)
    )


@toolset.tool("List customers", kind="read")
async def list_customers(
    ctx: Ctx,
    email: Annotated[str | None, Field(max_length=512, description="Exact email (case-sensitive)")] = None,
    limit: Limit = 10,
    starting_after: Cursor | None = None,
) -> Page[CustomerSummary]:
    """List customers, newest first, or by exact email."""
    params = form(email=email, limit=limit, starting_after=starting_after)
    return Page[CustomerSummary].of(
        await gateway(ctx).request("GET", "/v1/customers", params), CustomerSummary.of
    )


@toolset.tool("Search customers", kind="read")
async def search_customers(
    ctx: Ctx,
    query: Annotated[
        str,
        Field(
            min_length=1,
            max_length=1000,
            description="Stripe search syntax: email:'a@b.co', name~'jane', "
            "metadata['k']:'v', joined by AND/OR",
        ),
    ],
    limit: Limit = 10,
    page: Annotated[
        str | None, Field(max_length=1024, description="next_page from a previous search")
    ] = None,
) -> CustomerSearchPage:
    """Search customers by email, name, phone or metadata."""
    body = await gateway(ctx).request(
        "GET", "/v1/customers/search", form(query=query, limit=limit, page=page)
    )
    return CustomerSearchPage(
        data=[CustomerSummary.of(obj) for obj in body.get("data", [])],
        has_more=bool(body.get("has_more")),
        next_page=body.get("next_page"),
    )
