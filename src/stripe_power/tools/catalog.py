"""Toolset `catalog`: products and prices (one-time and recurring)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ..errors import InputError
from ..views import Page
from ..views.catalog import PriceSummary, ProductSummary
from ._params import (
    Amount,
    Ctx,
    Currency,
    Cursor,
    IdempotencyKey,
    Limit,
    Metadata,
    MeterId,
    ProductId,
    form,
    gateway,
)
from ._registry import Toolset
from ._shapes import ProductData, Recurring

toolset = Toolset("catalog", "Products and prices")

Name = Annotated[str, Field(min_length=1, max_length=250)]


@toolset.tool("Create a product", kind="write")
async def create_product(
    ctx: Ctx,
    name: Name,
    description: Annotated[str | None, Field(max_length=40000)] = None,
    active: bool | None = None,
    metadata: Metadata | None = None,
    idempotency_key: IdempotencyKey | None = None,
) -> ProductSummary:
    """Create a product to attach prices to."""
    params = form(name=name, description=description, active=active, metadata=metadata)
    obj = await gateway(ctx).request("POST", "/v1/products", params, idempotency_key=idempotency_key)
    return ProductSummary.of(obj)


@toolset.tool("List products", kind="read")
async def list_products(
    ctx: Ctx,
    active: bool | None = None,
    limit: Limit = 10,
    starting_after: Cursor | None = None,
) -> Page[ProductSummary]:
    """List products, newest first."""
    params = form(active=active, limit=limit, starting_after=starting_after)
    body = await gateway(ctx).request("GET", "/v1/products", params)
    return Page[ProductSummary].of(body, ProductSummary.of)


class PriceRecurring(Recurring):
    usage_type: Literal["licensed", "metered"] | None = None
    meter: MeterId | None = None


@toolset.tool("Create a price", kind="write")
async def create_price(
    ctx: Ctx,
    unit_amount: Amount,
    currency: Currency,
    product: ProductId | None = None,
    product_data: ProductData | None = None,
    recurring: PriceRecurring | None = None,
    nickname: Annotated[str | None, Field(max_length=250)] = None,
    lookup_key: Annotated[str | None, Field(max_length=200)] = None,
    metadata: Metadata | None = None,
    idempotency_key: IdempotencyKey | None = None,
) -> PriceSummary:
    """Create a one-time or recurring price for a product."""
    if (product is None) == (product_data is None):
        raise InputError(
            "product",
            "pass exactly one of `product` and `product_data`.",
            "Use `product` for an existing prod_..., or `product_data` {name} to create one.",
        )
    params = form(
        product=product,
        product_data=product_data.wire() if product_data else None,
        unit_amount=unit_amount,
        currency=currency,
        recurring=recurring.wire() if recurring else None,
        nickname=nickname,
        lookup_key=lookup_key,
        metadata=metadata,
    )
    obj = await gateway(ctx).request("POST", "/v1/prices", params, idempotency_key=idempotency_key)
    return PriceSummary.of(obj)


@toolset.tool("List prices", kind="read")
async def list_prices(
    ctx: Ctx,
    product: ProductId | None = None,
    active: bool | None = None,
    type: Literal["one_time", "recurring"] | None = None,
    limit: Limit = 10,
    starting_after: Cursor | None = None,
) -> Page[PriceSummary]:
    """List prices, optionally of one product."""
    params = form(product=product, active=active, type=type, limit=limit, starting_after=starting_after)
    body = await gateway(ctx).request("GET", "/v1/prices", params)
    return Page[PriceSummary].of(body, PriceSummary.of)
