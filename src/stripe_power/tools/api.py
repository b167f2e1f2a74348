"""Toolset `api`: one guarded escape hatch to any Stripe v1 endpoint the typed tools lack."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from ..errors import GuardrailRefusal, InputError
from ._models import Summary
from ._params import Ctx, IdempotencyKey, gateway, limits
from ._registry import ToolKind, Toolset

toolset = Toolset("api", "Generic, guarded access to any Stripe v1 endpoint")

# Endpoints that move money when POSTed; they take the same confirmation as the typed tools.
_MONEY_PATHS = (
    r"/v1/refunds",
    r"/v1/payment_intents/[^/]+/(capture|confirm)",
    r"/v1/invoices/[^/]+/pay",
    r"/v1/payouts",
    r"/v1/transfers",
    r"/v1/charges/[^/]+/refunds?",
)
_MONEY = re.compile("|".join(f"(?:{p})" for p in _MONEY_PATHS))


def call_kind(arguments: dict[str, Any]) -> ToolKind:
    method, path = arguments.get("method"), str(arguments.get("path", ""))
    if method == "GET":
        return "read"
    if method == "DELETE":
        return "destructive"
    return "money" if _MONEY.fullmatch(path) else "write"


class ApiResult(Summary):
    model_config = ConfigDict(extra="allow")


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


@toolset.tool("Call any Stripe API endpoint", kind="destructive", kind_of=call_kind, allows_reads=True)
async def call_stripe_api(
    ctx: Ctx,
    method: Literal["GET", "POST", "DELETE"],
    path: Annotated[
        str, Field(pattern=r"^/v1/[A-Za-z0-9_./-]+$", max_length=300, description="/v1/... only")
    ],
    params: Annotated[
        dict[str, Any] | None, Field(description="Stripe params; nested objects allowed")
    ] = None,
    idempotency_key: IdempotencyKey | None = None,
) -> ApiResult:
    """For endpoints without a typed tool (disputes, coupons, tax rates...); guardrails apply."""
    settings = ctx.request_context.lifespan_context.settings
    if method != "GET" and settings.read_only:
        raise GuardrailRefusal(
            "read-only",
            f"{method} {path} is a write and the server runs with --read-only; only GET is allowed. "
            "Restart without --read-only to write. Nothing was sent to Stripe.",
        )
    if method == "POST" and limits(ctx).active and _MONEY.fullmatch(path):
        raise GuardrailRefusal(
            "spending-limit",
            f"POST {path} moves money and spending limits are set; use the typed tool "
            "(create_refund, capture_payment_intent, pay_invoice...) so the limits can be checked. "
            "Nothing was sent to Stripe.",
        )
    if method == "GET" and idempotency_key is not None:
        raise InputError("idempotency_key", "only applies to POST.", "Remove it for GET.")
    body = await gateway(ctx).request(method, path, params or {}, idempotency_key=idempotency_key)
    return ApiResult.model_validate(_without_nulls(body))
