"""Parameter types shared by tools: Stripe's wire names, short descriptions, tight bounds.

Descriptions are paid for in every agent's context, so they stay terse.
"""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from pydantic import Field, StringConstraints

from ..gateway import Gateway
from ..limits import SpendingLimits

Ctx = Context[Any, Any]


def gateway(ctx: Ctx) -> Gateway:
    state = ctx.request_context.lifespan_context
    assert isinstance(state.gateway, Gateway)
    return state.gateway


def limits(ctx: Ctx) -> SpendingLimits:
    """The operator's spending limits; money tools check them before sending anything."""
    found = ctx.request_context.lifespan_context.limits
    assert isinstance(found, SpendingLimits)
    return found


def form(**params: Any) -> dict[str, Any]:
    """Stripe form params without the ones the caller left out (None)."""
    return {key: value for key, value in params.items() if value is not None}


def ident(prefix: str) -> Any:
    return StringConstraints(pattern=rf"^{prefix}_[A-Za-z0-9_]+$", max_length=255)


CustomerId = Annotated[str, ident("cus"), Field(description="Customer id (cus_...)")]
ProductId = Annotated[str, ident("prod"), Field(description="Product id (prod_...)")]
PriceId = Annotated[str, ident("price"), Field(description="Price id (price_...)")]
SessionId = Annotated[str, ident("cs"), Field(description="Checkout Session id (cs_...)")]

Amount = Annotated[int, Field(ge=0, le=99_999_999, description="Minor units (cents), e.g. 2999 = $29.99")]
Currency = Annotated[str, Field(pattern=r"^[a-z]{3}$", description="ISO code, lowercase (usd)")]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=512)]
Metadata = Annotated[
    dict[
        Annotated[str, StringConstraints(min_length=1, max_length=40)], Annotated[str, Field(max_length=500)]
    ],
    Field(max_length=50, description="Up to 50 string pairs"),
]
IdempotencyKey = Annotated[
    str,
    Field(min_length=1, max_length=255, description="Reuse to make a retry safe; generated if omitted"),
]
Limit = Annotated[int, Field(ge=1, le=100, description="Page size")]
Cursor = Annotated[
    str, Field(max_length=255, pattern=r"^[a-z]+_[A-Za-z0-9_]+$", description="Id to page after")
]
Url = Annotated[str, Field(pattern=r"^https?://\S+$", max_length=2048)]
Timestamp = Annotated[int, Field(ge=0, le=4_102_444_800, description="Unix seconds")]
MeterId = Annotated[str, ident("mtr"), Field(description="Billing Meter id (mtr_...)")]
PaymentIntentId = Annotated[str, ident("pi"), Field(description="PaymentIntent id (pi_...)")]
PaymentMethodId = Annotated[str, ident("pm"), Field(description="PaymentMethod id (pm_...)")]
SubscriptionId = Annotated[str, ident("sub"), Field(description="Subscription id (sub_...)")]
InvoiceId = Annotated[str, ident("in"), Field(description="Invoice id (in_...)")]
PaymentLinkId = Annotated[str, ident("plink"), Field(description="Payment Link id (plink_...)")]
SetupIntentId = Annotated[str, ident("seti"), Field(description="SetupIntent id (seti_...)")]
ChargeId = Annotated[str, ident("(?:ch|py)"), Field(description="Charge id (ch_...)")]
RefundId = Annotated[str, ident("re"), Field(description="Refund id (re_...)")]
