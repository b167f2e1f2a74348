"""Parameter types shared by tools: Stripe's wire names, short descriptions, tight bounds.

Descriptions are paid for in every agent's context, so they stay terse, and what holds for
every tool (minor units, id prefixes, idempotency keys, paging) is said once, in the server
instructions, not on each parameter.
"""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from pydantic import Field, StringConstraints

from ..config import Settings
from ..errors import InputError
from ..gateway import Gateway
from ..limits import SpendingLimits
from ..state import Webhooks

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


def webhooks(ctx: Ctx) -> Webhooks:
    """The webhook store of the server's state (shared by every instance on PostgreSQL)."""
    found: Webhooks = ctx.request_context.lifespan_context.state.webhooks
    return found


def settings(ctx: Ctx) -> Settings:
    """The server's settings (webhook secrets, allowed hosts, ...)."""
    found = ctx.request_context.lifespan_context.settings
    assert isinstance(found, Settings)
    return found


def check_days_until_due(collection_method: str | None, days_until_due: int | None) -> None:
    """`days_until_due` goes with `collection_method=send_invoice`, and only with it."""
    if collection_method == "send_invoice" and days_until_due is None:
        raise InputError(
            "days_until_due",
            "is required when collection_method is send_invoice.",
            "Pass the number of days the customer has to pay, e.g. 30.",
        )
    if days_until_due is not None and collection_method != "send_invoice":
        raise InputError(
            "days_until_due",
            "only applies when collection_method is send_invoice.",
            "Pass collection_method=send_invoice, or omit days_until_due.",
        )


def form(**params: Any) -> dict[str, Any]:
    """Stripe form params without the ones the caller left out (None)."""
    return {key: value for key, value in params.items() if value is not None}


def ident(prefix: str) -> Any:
    return StringConstraints(pattern=rf"^{prefix}_[A-Za-z0-9_]+$", max_length=255)


CustomerId = Annotated[str, ident("cus")]
ProductId = Annotated[str, ident("prod")]
PriceId = Annotated[str, ident("price")]
SessionId = Annotated[str, ident("cs"), Field(description="cs_...")]

Amount = Annotated[int, Field(ge=0, le=99_999_999)]
Currency = Annotated[str, Field(pattern=r"^[a-z]{3}$")]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=512)]
Metadata = Annotated[
    dict[
        Annotated[str, StringConstraints(min_length=1, max_length=40)], Annotated[str, Field(max_length=500)]
    ],
    Field(max_length=50),
]
IdempotencyKey = Annotated[str, Field(min_length=1, max_length=255)]
Limit = Annotated[int, Field(ge=1, le=100)]
Cursor = Annotated[str, Field(max_length=255, pattern=r"^[a-z]+_[A-Za-z0-9_]+$")]
Url = Annotated[str, Field(pattern=r"^https?://\S+$", max_length=2048)]
Timestamp = Annotated[int, Field(ge=0, le=4_102_444_800, description="Unix seconds")]
MeterId = Annotated[str, ident("mtr"), Field(description="Billing Meter (mtr_...)")]
PaymentIntentId = Annotated[str, ident("pi")]
PaymentMethodId = Annotated[str, ident("pm")]
SubscriptionId = Annotated[str, ident("sub")]
InvoiceId = Annotated[str, ident("in")]
PaymentLinkId = Annotated[str, ident("plink")]
SetupIntentId = Annotated[str, ident("seti")]
ChargeId = Annotated[str, ident("(?:ch|py)")]
RefundId = Annotated[str, ident("re")]
