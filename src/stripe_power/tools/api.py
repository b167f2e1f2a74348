"""Toolset `api`: one guarded escape hatch to any Stripe v1 endpoint the typed tools lack."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from ..audit import redact
from ..errors import GuardrailRefusal, InputError
from ..guardrails import rule
from ..kinds import kind_of_request
from ._models import Summary
from ._params import Ctx, IdempotencyKey, gateway, limits, settings
from ._registry import ToolKind, Toolset

toolset = Toolset("api", "Generic, guarded access to any Stripe v1 endpoint")


def call_kind(arguments: dict[str, Any]) -> ToolKind:
    """What this call does, from the endpoint as Stripe's spec describes it (kinds.py)."""
    params = arguments.get("params")
    return kind_of_request(
        str(arguments.get("method") or "POST"),
        str(arguments.get("path", "")),
        params if isinstance(params, dict) else {},
    )


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
    if method != "GET" and settings(ctx).read_only:
        raise GuardrailRefusal(
            "read-only",
            f"{method} {path} is a write and the server runs with --read-only; only GET is allowed. "
            "Restart without --read-only to write. Nothing was sent to Stripe.",
        )
    if limits(ctx).active and call_kind({"method": method, "path": path, "params": params}) == "money":
        raise rule("spending-limit").refusal(
            f"{method} {path} may move money and limits are set; use the typed tool (create_payment_intent, "
            "create_refund, capture_payment_intent, pay_invoice...) so they can be checked"
        )
    if method == "GET" and idempotency_key is not None:
        raise InputError("idempotency_key", "only applies to POST.", "Remove it for GET.")
    body = await gateway(ctx).request(method, path, params or {}, idempotency_key=idempotency_key)
    # Secrets (webhook signing secrets, client secrets) never reach the agent: read them in the Dashboard.
    return ApiResult.model_validate(redact(_without_nulls(body)))
