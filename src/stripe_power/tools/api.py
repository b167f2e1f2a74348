"""Toolset `api`: one guarded escape hatch to any Stripe v1 endpoint the typed tools lack, and
an offline reference to Stripe's API (search and describe, from the packaged spec index)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from .. import hints
from ..audit import redact
from ..errors import GuardrailRefusal, InputError
from ..guardrails import rule, violation
from ..kinds import kind_of
from ..views import Summary
from ..wire import Wire, canonical
from ._params import Ctx, IdempotencyKey, gateway, limits, settings
from ._registry import ToolKind, Toolset

toolset = Toolset("api", "Generic, guarded access to any Stripe v1 endpoint")


def _wire(arguments: dict[str, Any]) -> Wire:
    params = arguments.get("params")
    method, path = str(arguments.get("method") or "POST"), str(arguments.get("path", ""))
    return canonical(method, path, params if isinstance(params, dict) else {})


def call_kind(arguments: dict[str, Any]) -> ToolKind:
    """What this call does, from the endpoint as Stripe's spec describes it and the request as
    Stripe will receive it (kinds.py, wire.py)."""
    return kind_of(_wire(arguments))


def call_binding(arguments: dict[str, Any]) -> dict[str, Any]:
    """A confirmation token binds the request Stripe will receive: `"0"` and `0`, a list and an
    object with the keys "0", "1", ..., are one request, so one token serves either spelling."""
    return {**arguments, "params": _wire(arguments).pairs}


class ApiResult(Summary):
    model_config = ConfigDict(extra="allow")


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def _expanded(params: Mapping[str, Any]) -> list[str]:
    """The paths the caller asked Stripe to expand (a list, or an object with numeric keys)."""
    found = params.get("expand")
    paths = list(found.values()) if isinstance(found, Mapping) else found
    return [p for p in paths if isinstance(p, str)] if isinstance(paths, list) else []


Fields = Annotated[
    list[Annotated[str, Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)*$", max_length=200)]],
    Field(max_length=30, description="More fields, e.g. ['lines']"),
]


@toolset.tool(
    "Call any Stripe API endpoint",
    kind="destructive",
    kind_of=call_kind,
    allows_reads=True,
    binds=call_binding,
)
async def call_stripe_api(
    ctx: Ctx,
    method: Literal["GET", "POST", "DELETE"],
    path: Annotated[
        str, Field(pattern=r"^/v1/[A-Za-z0-9_./-]+$", max_length=300, description="/v1/... only")
    ],
    params: Annotated[
        dict[str, Any] | None, Field(description="Stripe params; nested objects allowed")
    ] = None,
    fields: Fields | None = None,
    full: Annotated[bool | None, Field(description="The whole object")] = None,
    idempotency_key: IdempotencyKey | None = None,
) -> ApiResult:
    """Any endpoint a typed tool lacks; guardrails apply; results are compact views."""
    from .. import spec
    from ..views import LISTS, expand_for, related
    from ..views.fields import check_fields, shown

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
    if full and fields:
        raise InputError(
            "fields", "is not needed with full=true, which shows every field.", "Pass one of them."
        )
    op = spec.resolve(method, path)
    returns = op.returns if op else None
    if fields:
        check_fields(returns, fields)
    sent = dict(params or {})
    asked = _expanded(sent)
    # A read gets what its view shows expanded, as the typed tools read it (a list: for each object).
    item = (returns or "").removeprefix("list of ")
    wanted = [("data." if item != returns else "") + p for p in expand_for(item)]
    extra = [] if full or method != "GET" else [p for p in wanted if p not in asked]
    if extra:
        sent["expand"] = [*asked, *extra]
    body = await gateway(ctx).request(method, path, sent, idempotency_key=idempotency_key)
    # Secrets (webhook signing secrets, client secrets) never reach the agent: read them in the Dashboard.
    if full:
        return ApiResult.model_validate(redact(_without_nulls(body)))
    single = method == "GET" and body.get("object") not in LISTS
    more = await related(gateway(ctx).request, body) if single else {}
    # What the caller expanded is shown, each in its own view (`data.customer` on a list: each row's customer).
    shown_too = [p.removeprefix("data.") for p in asked]
    return ApiResult.model_validate(redact(shown(body, [*(fields or []), *shown_too], **more)))


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
    """Find the endpoints for a task, best first (offline)."""
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
    whole = violation(canonical(method, concrete, {}))
    if whole is not None:
        return {whole.rule_id: "refuses this endpoint"}
    op = spec.operation(method, template)
    found: dict[str, list[str]] = {}
    for parts, _ in spec.walk(op.params) if op else ():
        hit = violation(
            canonical(method, concrete, _nested(parts, ["x"] if parts[-1].endswith("types") else "x"))
        )
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
        Field(max_length=200, description="A nested one, e.g. line_items.price_data"),
    ] = None,
) -> ApiDescription:
    """An endpoint's parameters, return type, guardrails and sandbox support (offline)."""
    from .. import spec
    from ..sandbox.core.app import serves
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
