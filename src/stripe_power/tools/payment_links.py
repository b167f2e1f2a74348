"""Toolset `payment_links`: shareable hosted payment pages for catalog prices.

Payment methods are dynamic (managed in the Dashboard): there is deliberately no
`payment_method_types` parameter, and the server refuses it with the guardrail message.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..views import Page
from ..views.catalog import PaymentLinkSummary
from ._params import (
    Ctx,
    Cursor,
    IdempotencyKey,
    Limit,
    Metadata,
    PaymentLinkId,
    PriceId,
    form,
    gateway,
)
from ._registry import Toolset
from ._shapes import Redirect, Shape

toolset = Toolset("payment_links", "Payment Links: shareable hosted payment pages")

Quantity = Annotated[int, Field(ge=0, le=999_999)]


class AdjustableQuantity(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)  # as tools._shapes.Shape
    enabled: bool
    minimum: Quantity | None = None
    maximum: Annotated[int | None, Field(ge=1, le=999_999)] = None

    @model_validator(mode="after")
    def _bounds(self) -> AdjustableQuantity:
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError("minimum must not exceed maximum")
        return self


class LineItem(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)  # as tools._shapes.Shape
    price: PriceId
    quantity: Annotated[int, Field(ge=1, le=999_999)] = 1
    adjustable_quantity: AdjustableQuantity | None = None


class AfterCompletion(Shape):
    type: Literal["redirect", "hosted_confirmation"]
    redirect: Redirect | None = None

    @model_validator(mode="after")
    def _redirect(self) -> AfterCompletion:
        if (self.type == "redirect") != (self.redirect is not None):
            raise ValueError("redirect {url} goes with type=redirect, and only with it")
        return self


@toolset.tool("Create a payment link", kind="write")
async def create_payment_link(
    ctx: Ctx,
    line_items: Annotated[list[LineItem], Field(min_length=1, max_length=20)],
    after_completion: AfterCompletion | None = None,
    metadata: Metadata | None = None,
    idempotency_key: IdempotencyKey | None = None,
) -> PaymentLinkSummary:
    """Create a shareable payment page for prices; payment methods stay dynamic."""
    params = form(
        line_items=[
            form(
                price=item.price,
                quantity=item.quantity,
                adjustable_quantity=item.adjustable_quantity.model_dump(exclude_none=True)
                if item.adjustable_quantity
                else None,
            )
            for item in line_items
        ],
        after_completion=after_completion.wire() if after_completion else None,
        metadata=metadata,
    )
    obj = await gateway(ctx).request("POST", "/v1/payment_links", params, idempotency_key=idempotency_key)
    return PaymentLinkSummary.of(obj)


@toolset.tool("List payment links", kind="read")
async def list_payment_links(
    ctx: Ctx,
    active: bool | None = None,
    limit: Limit = 10,
    starting_after: Cursor | None = None,
) -> Page[PaymentLinkSummary]:
    """List payment links, newest first."""
    params = form(active=active, limit=limit, starting_after=starting_after)
    body = await gateway(ctx).request("GET", "/v1/payment_links", params)
    return Page[PaymentLinkSummary].of(body, PaymentLinkSummary.of)


@toolset.tool("Deactivate a payment link", kind="write", idempotent=True)
async def deactivate_payment_link(
    ctx: Ctx, payment_link: PaymentLinkId, idempotency_key: IdempotencyKey | None = None
) -> PaymentLinkSummary:
    """Turn a payment link off so it stops accepting payments (it can be reactivated)."""
    path = f"/v1/payment_links/{payment_link}"
    obj = await gateway(ctx).request("POST", path, {"active": False}, idempotency_key=idempotency_key)
    return PaymentLinkSummary.of(obj)
