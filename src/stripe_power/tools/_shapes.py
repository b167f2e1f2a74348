"""Stripe's nested parameter objects, shared by the tools that send them.

Names and nesting are Stripe's (`line_items[].price_data.product_data.name`,
`items[].price_data.recurring.interval`); a tool may expose fewer fields than Stripe,
never a different shape. `wire()` turns one into the form params Stripe expects.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..errors import InputError
from ._params import Amount, Currency, PriceId, ProductId, Url

Interval = Literal["day", "week", "month", "year"]
Quantity = Annotated[int, Field(ge=1, le=999_999)]


class Shape(BaseModel):
    # Built with the argument model of the first tool called that takes it, not at import.
    model_config = ConfigDict(extra="forbid", defer_build=True)

    def wire(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class ProductData(Shape):
    name: Annotated[str, Field(min_length=1, max_length=250)]


class Recurring(Shape):
    interval: Interval
    interval_count: Annotated[int | None, Field(ge=1)] = None


# Class docstrings would be published as schema descriptions: comments instead.
# `price_data` of subscription items: the product must exist.
class PriceData(Shape):
    currency: Currency
    unit_amount: Amount
    product: ProductId
    recurring: Recurring


# `price_data` of Checkout line items: an existing `product` or a new one (`product_data`).
class LinePriceData(Shape):
    currency: Currency
    unit_amount: Amount
    product: ProductId | None = None
    product_data: ProductData | None = None
    recurring: Recurring | None = None

    @model_validator(mode="after")
    def _one_product(self) -> LinePriceData:
        if (self.product is None) == (self.product_data is None):
            raise ValueError("pass exactly one of product or product_data")
        return self


class LineItem(Shape):
    price: PriceId | None = None
    price_data: LinePriceData | None = None
    quantity: Quantity = 1


def one_price(items: list[Any], where: str) -> None:
    """Each item names its price once: `price` (price_...) or `price_data`, as Stripe requires."""
    for index, item in enumerate(items):
        if (item.price is None) == (item.price_data is None):
            raise InputError(
                f"{where}[{index}].price",
                "pass exactly one of `price` or `price_data`.",
                "Use price=price_... for a catalog price, or price_data={currency, unit_amount, ...}.",
            )


# `created` filters of list endpoints, in Unix seconds (as Stripe's; said nowhere to save bytes).
UnixTime = Annotated[int, Field(ge=0, le=4_102_444_800)]


class Created(Shape):
    gte: UnixTime | None = None
    lte: UnixTime | None = None


class Redirect(Shape):
    url: Url


class AutomaticPaymentMethods(Shape):
    enabled: bool
    allow_redirects: Literal["always", "never"] | None = None
