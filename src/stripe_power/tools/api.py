"""Toolset `api`: one guarded escape hatch to any Stripe v1 endpoint the typed tools lack, and
an offline reference to Stripe's API (search and describe, from the packaged spec index)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from .. import hints
from ..audit import redact
from ..errors import GuardrailRefusal, InputError
from ..guardrails import rule, violation
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
            f"{method} {path} is a write and this server is read-only (--read-only): it makes GET "
            "requests only. Nothing was sent to Stripe.",
        )
    if limits(ctx).active and call_kind({"method": method, "path": path, "params": params}) == "money":
        raise rule("spending-limit").refusal(_typed_money_tools(method, path, params or {}))
    if method == "GET" and idempotency_key is not None:
        raise InputError("idempotency_key", "only applies to POST.", "Remove it for GET.")
    body = await gateway(ctx).request(method, path, params or {}, idempotency_key=idempotency_key)
    # Secrets (webhook signing secrets, client secrets) never reach the agent: read them in the Dashboard.
    return ApiResult.model_validate(redact(_without_nulls(body)))


# The typed tools that check spending limits before they send (the generic tool cannot).
_MONEY_TOOLS = (
    "create_payment_intent",
    "confirm_payment_intent",
    "capture_payment_intent",
    "create_refund",
    "pay_invoice",
)


def _typed_money_tools(method: str, path: str, params: dict[str, Any]) -> str:
    """The refusal's detail: the listed typed tool that makes this request, else the listed ones
    that check limits (never call_stripe_api again, which these limits refuse)."""
    listing = hints.current() or hints.Listing.everything()
    said = f"{method} {path} may move money and limits are set, which only the typed tools check"
    typed = hints.typed_equivalent(method, path, params, listing)
    if typed is not None:
        return f"{said}; use {hints.call(typed[0], **typed[1])}"
    listed = [name for name in _MONEY_TOOLS if name in listing.tools]
    return f"{said}: {', '.join(listed)}" if listed else f"{said}, and none is listed here"


class ApiHit(Summary):
    method: str
    path: str
    summary: str


class ApiSearch(Summary):
    results: list[ApiHit]
    next_step: str = "⟦describe_stripe_api⟧ (method, path) lists its parameters; ⟦call_stripe_api⟧ calls it."


@toolset.tool("Search Stripe's API reference", kind="read", local=True)
async def search_stripe_api(
    query: Annotated[str, Field(min_length=2, max_length=300, description="The task, in words")],
    limit: Annotated[int, Field(ge=1, le=10)] = 5,
) -> ApiSearch:
    """Find the Stripe endpoints that do a task, best first (offline)."""
    from ..spec.search import search

    hits = search(query, limit)
    return ApiSearch(
        results=[
            ApiHit(method=h.operation.method, path=h.operation.path, summary=h.operation.summary)
            for h in hits
        ]
    )


class ApiDescription(Summary):
    model_config = ConfigDict(extra="allow")
    operation: str
    guardrails: dict[str, str] | None = None
    sandbox: str | None = None


def _nested(parts: tuple[str, ...], leaf: Any) -> dict[str, Any]:
    value: Any = leaf
    for part in reversed(parts):
        value = {part: value}
    out: dict[str, Any] = value
    return out


def guardrails_for(method: str, template: str) -> dict[str, str]:
    """Which guardrails refuse this operation or some of its parameters: found by asking the rule
    table itself about the endpoint and about each parameter, so it never drifts from the rules."""
    from .. import spec

    concrete = re.sub(r"\{[^}]+\}", "id_1", template)
    whole = violation(method, concrete, {})
    if whole is not None:
        return {whole.rule_id: "refuses this endpoint"}
    op = spec.operation(method, template)
    found: dict[str, list[str]] = {}
    for parts, _ in spec.walk(op.params) if op else ():
        hit = violation(method, concrete, _nested(parts, ["x"] if parts[-1].endswith("types") else "x"))
        if hit is not None:
            found.setdefault(hit.rule_id, []).append(".".join(parts))
    return {rule_id: "refuses `" + "`, `".join(sorted(set(names))) + "`" for rule_id, names in found.items()}


@toolset.tool("Describe a Stripe API endpoint", kind="read", local=True)
async def describe_stripe_api(
    method: Literal["GET", "POST", "DELETE"],
    path: Annotated[
        str,
        Field(
            pattern=r"^/v1/[A-Za-z0-9_./{}-]+$", max_length=300, description="/v1/... template or real path"
        ),
    ],
    param: Annotated[
        str | None,
        Field(max_length=200, description="One nested parameter to detail, e.g. line_items.price_data"),
    ] = None,
) -> ApiDescription:
    """An endpoint's parameters (type, required, enums), return type, guardrails, sandbox support (offline)."""
    from .. import spec
    from ..sandbox.app import serves
    from ..spec.describe import describe

    op = spec.resolve(method, path) or spec.operation(method, path)
    if op is None:
        others = [
            m
            for m in ("GET", "POST", "DELETE")
            if m != method and (spec.resolve(m, path) or spec.operation(m, path))
        ]
        fix = (
            f"Stripe has {' and '.join(others)} on that path."
            if others
            else "Find the endpoint with ⟦search_stripe_api⟧ first."
        )
        raise InputError("path", f"{method} {path} is not in Stripe's API reference ({spec.version()}).", fix)
    try:
        body = describe(op, param)
    except KeyError as missing:
        _, close = missing.args
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise InputError(
            "param",
            f"{param!r} is not a parameter of {op.key}.{hint}",
            "Omit `param` to list the parameters.",
        ) from None
    result = ApiDescription(operation=op.key, **body)
    if param is None:
        result.guardrails = guardrails_for(op.method, op.path) or None
        result.sandbox = "emulated" if serves(op.method, op.path) else "not emulated offline"
    return result
