"""Hints that name a tool, written once as references and rendered for the running configuration.

A next step, refusal, prompt, resource or tool description never names a tool as plain text:
it holds a reference, `call("confirm_payment_intent", payment_intent="pi_1", ...)` in code or
`⟦create_price⟧` / `⟦create_price {"currency": "usd"}⟧` in text data. Every text leaves the server
through `render` with the configuration's `Listing`, which writes each reference as:

1. the tool and its arguments, when the tool is listed (or a listed typed tool that makes the
   same request);
2. else the exact `call_stripe_api` call that makes the same Stripe request, when that tool is
   listed and may make it (read-only mode allows GET only);
3. else the Stripe request itself, saying this configuration cannot make it.

So an agent is never sent to a tool its server does not list. The table of which Stripe request
each typed tool makes lives here too (`ENDPOINTS`), the one place that knows it.
"""

from __future__ import annotations

import contextvars
import difflib
import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import Settings

OPEN, CLOSE = "\u27e6", "\u27e7"  # ⟦ ⟧: never in Stripe ids, and escaped inside the JSON arguments
_REFERENCE = re.compile(OPEN + r"([a-z][a-z_]*)(?: (\{.*?\}))?" + CLOSE, re.DOTALL)
API_TOOL = "call_stripe_api"
_VIA = "_via"  # in a reference's arguments: the Stripe request it stands for, when given


@dataclass(frozen=True)
class Endpoint:
    """The Stripe request a typed tool makes. `path` names its parameters as the tool's
    arguments do (`{payment_intent}`, where Stripe's spec says `{intent}`); `fixed` is what the
    tool always sends; `own` maps the tool's own arguments (not Stripe's) to Stripe's."""

    method: str
    path: str
    fixed: Mapping[str, Any] = field(default_factory=dict)
    own: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    @property
    def path_args(self) -> tuple[str, ...]:
        return tuple(re.findall(r"\{(\w+)\}", self.path))

    def concrete(self, arguments: Mapping[str, Any]) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: str(arguments.get(m.group(1)) or m.group(0)), self.path)


def _cancel_at_period_end(arguments: dict[str, Any]) -> dict[str, Any]:
    """cancel_subscription at_period_end=true is an update, not the DELETE."""
    if arguments.pop("at_period_end", None):
        return {"_method": "POST", "cancel_at_period_end": True}
    return {}


def _advance_days(arguments: dict[str, Any]) -> dict[str, Any]:
    """`days` (or nothing: to the next renewal) is this server's; Stripe takes a frozen_time."""
    days = arguments.pop("days", None)
    if "frozen_time" in arguments:
        return {}
    what = f"the clock's frozen_time + {days} days" if days else "a time just past the next renewal"
    return {"frozen_time": f"<unix time: {what}>"}


# tool -> the Stripe request it makes (tests/test_stripe_shapes.py checks each against the spec).
ENDPOINTS: dict[str, Endpoint] = {
    "create_customer": Endpoint("POST", "/v1/customers"),
    "retrieve_customer": Endpoint("GET", "/v1/customers/{customer}"),
    "update_customer": Endpoint("POST", "/v1/customers/{customer}"),
    "list_customers": Endpoint("GET", "/v1/customers"),
    "search_customers": Endpoint("GET", "/v1/customers/search"),
    "create_product": Endpoint("POST", "/v1/products"),
    "list_products": Endpoint("GET", "/v1/products"),
    "create_price": Endpoint("POST", "/v1/prices"),
    "list_prices": Endpoint("GET", "/v1/prices"),
    "create_checkout_session": Endpoint("POST", "/v1/checkout/sessions"),
    "retrieve_checkout_session": Endpoint("GET", "/v1/checkout/sessions/{session}"),
    "list_checkout_sessions": Endpoint("GET", "/v1/checkout/sessions"),
    "list_checkout_session_line_items": Endpoint("GET", "/v1/checkout/sessions/{session}/line_items"),
    "expire_checkout_session": Endpoint("POST", "/v1/checkout/sessions/{session}/expire"),
    "create_payment_intent": Endpoint("POST", "/v1/payment_intents"),
    "retrieve_payment_intent": Endpoint("GET", "/v1/payment_intents/{payment_intent}"),
    "confirm_payment_intent": Endpoint("POST", "/v1/payment_intents/{payment_intent}/confirm"),
    "capture_payment_intent": Endpoint("POST", "/v1/payment_intents/{payment_intent}/capture"),
    "cancel_payment_intent": Endpoint("POST", "/v1/payment_intents/{payment_intent}/cancel"),
    "list_payment_intents": Endpoint("GET", "/v1/payment_intents"),
    "create_setup_intent": Endpoint("POST", "/v1/setup_intents"),
    "retrieve_setup_intent": Endpoint("GET", "/v1/setup_intents/{setup_intent}"),
    "confirm_setup_intent": Endpoint("POST", "/v1/setup_intents/{setup_intent}/confirm"),
    "cancel_setup_intent": Endpoint("POST", "/v1/setup_intents/{setup_intent}/cancel"),
    "list_setup_intents": Endpoint("GET", "/v1/setup_intents"),
    "list_payment_methods": Endpoint("GET", "/v1/customers/{customer}/payment_methods"),
    "detach_payment_method": Endpoint("POST", "/v1/payment_methods/{payment_method}/detach"),
    "create_refund": Endpoint("POST", "/v1/refunds"),
    "retrieve_refund": Endpoint("GET", "/v1/refunds/{refund}"),
    "list_refunds": Endpoint("GET", "/v1/refunds"),
    "cancel_refund": Endpoint("POST", "/v1/refunds/{refund}/cancel"),
    "create_subscription": Endpoint("POST", "/v1/subscriptions"),
    "retrieve_subscription": Endpoint("GET", "/v1/subscriptions/{subscription}"),
    "update_subscription": Endpoint("POST", "/v1/subscriptions/{subscription}"),
    "cancel_subscription": Endpoint("DELETE", "/v1/subscriptions/{subscription}", own=_cancel_at_period_end),
    "resume_subscription": Endpoint("POST", "/v1/subscriptions/{subscription}/resume"),
    "list_subscriptions": Endpoint("GET", "/v1/subscriptions"),
    "create_invoice": Endpoint("POST", "/v1/invoices"),
    "create_invoice_item": Endpoint("POST", "/v1/invoiceitems"),
    "finalize_invoice": Endpoint("POST", "/v1/invoices/{invoice}/finalize"),
    "pay_invoice": Endpoint("POST", "/v1/invoices/{invoice}/pay"),
    "send_invoice": Endpoint("POST", "/v1/invoices/{invoice}/send"),
    "void_invoice": Endpoint("POST", "/v1/invoices/{invoice}/void"),
    "delete_invoice": Endpoint("DELETE", "/v1/invoices/{invoice}"),
    "retrieve_invoice": Endpoint("GET", "/v1/invoices/{invoice}"),
    "list_invoices": Endpoint("GET", "/v1/invoices"),
    "create_payment_link": Endpoint("POST", "/v1/payment_links"),
    "list_payment_links": Endpoint("GET", "/v1/payment_links"),
    "deactivate_payment_link": Endpoint("POST", "/v1/payment_links/{payment_link}", {"active": False}),
    "create_test_clock": Endpoint("POST", "/v1/test_helpers/test_clocks"),
    "advance_test_clock": Endpoint(
        "POST", "/v1/test_helpers/test_clocks/{test_clock}/advance", own=_advance_days
    ),
    "list_test_clocks": Endpoint("GET", "/v1/test_helpers/test_clocks"),
    "delete_test_clock": Endpoint("DELETE", "/v1/test_helpers/test_clocks/{test_clock}"),
    "list_events": Endpoint("GET", "/v1/events", own=lambda a: {"_drop": a.pop("object_id", None)}),
    "retrieve_event": Endpoint("GET", "/v1/events/{id}"),
    "get_account_info": Endpoint("GET", "/v1/account"),
    "retrieve_balance": Endpoint("GET", "/v1/balance"),
    # Not one endpoint, but one Stripe request does what an agent wants from it.
    "wait_for_event": Endpoint(
        "GET",
        "/v1/events",
        own=lambda a: {"_drop": (a.pop("object_id", None), a.pop("timeout_seconds", None))},
    ),
}

# Tools no Stripe request stands in for: what to do where they are not listed.
ELSEWHERE: dict[str, str] = {
    "pay_checkout_session": "pay the session on its hosted page (its url) with a test card, "
    "as listed in stripe://testing/cards",
    "search_stripe_api": "Stripe's API reference (https://docs.stripe.com/api)",
    "describe_stripe_api": "Stripe's API reference (https://docs.stripe.com/api)",
    "verify_webhook_signature": "your handler's signature check (stripe.Webhook.construct_event)",
    "send_test_webhook": "the Stripe CLI: stripe trigger <event type>",
    "list_received_webhooks": "your webhook handler's own log",
    "check_integration_code": "stripe-power lint PATH, on the repository",
}


# --- references ---------------------------------------------------------------------------------
def call(tool: str, /, via: tuple[str, str, Mapping[str, Any]] | None = None, **arguments: Any) -> str:
    """A reference to a tool call, to put in a hint; `arguments` are the tool's (None left out).
    `via` is the Stripe request (method, path, params) that does the same, where it is not the
    one `ENDPOINTS` derives (a tool that chooses its request from the object's state).
    For the generic tool: `call("call_stripe_api", method=..., path=..., params={...})`. Usable
    at import time (the registry is not read here; a name that is no tool is left unrendered,
    which tests/test_hints.py catches)."""
    kept = {k: v for k, v in arguments.items() if v is not None}
    if via is not None:
        kept[_VIA] = [via[0], via[1], dict(via[2])]
    body = " " + json.dumps(kept, separators=(", ", ": "), default=str) if kept else ""  # ASCII: ⟧ escaped
    return f"{OPEN}{tool}{body}{CLOSE}"


def api_call(method: str, path: str, params: Mapping[str, Any] | None = None) -> str:
    """A reference to a Stripe request: rendered as a listed typed tool that makes it, or
    call_stripe_api, or the request itself."""
    return call(API_TOOL, method=method, path=path, params=dict(params) if params else None)


def references(text: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(tool, arguments) of every well-formed reference in `text`."""
    for match in _REFERENCE.finditer(text):
        parsed = _arguments(match.group(2))
        if match.group(1) in _specs() and parsed is not None:
            yield match.group(1), parsed


def _arguments(raw: str | None) -> dict[str, Any] | None:
    if raw is None:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


# --- the configuration --------------------------------------------------------------------------
@dataclass(frozen=True)
class Listing:
    """Which tools this server lists, and whether it refuses writes (read-only mode)."""

    tools: frozenset[str]
    read_only: bool = False
    sandbox: bool = False

    @classmethod
    def of(cls, settings: Settings) -> Listing:
        flag = lambda name: bool(getattr(settings, name))  # noqa: E731
        listed = _registry().select(settings.toolsets, settings.read_only, flag)
        return cls(frozenset(spec.name for spec in listed), settings.read_only, settings.sandbox)

    @classmethod
    def default(cls, *, sandbox: bool = False) -> Listing:
        """What `stripe-power serve` lists with no --toolsets (the power's mcp.json)."""
        registry = _registry()
        listed = registry.select(
            frozenset({registry.default}), False, lambda name: name == "sandbox" and sandbox
        )
        return cls(frozenset(spec.name for spec in listed), sandbox=sandbox)

    @classmethod
    def everything(cls) -> Listing:
        """Every tool listed: for the docs, which describe the whole server."""
        return cls(frozenset(_specs()), sandbox=True)

    @property
    def api(self) -> bool:
        return API_TOOL in self.tools

    def may_call(self, method: str) -> bool:
        """Whether call_stripe_api here may make a request with this method."""
        return self.api and (method == "GET" or not self.read_only)


_current: contextvars.ContextVar[Listing | None] = contextvars.ContextVar("listing", default=None)


def using(listing: Listing) -> contextvars.Token[Listing | None]:
    """Make `listing` the configuration `render` uses in this context (a tool call, a resource
    read, a prompt); returns the token to reset it with."""
    return _current.set(listing)


def reset(token: contextvars.Token[Listing | None]) -> None:
    _current.reset(token)


def current() -> Listing | None:
    return _current.get()


# --- rendering ----------------------------------------------------------------------------------
def render(text: str, listing: Listing | None = None) -> str:
    """`text` with every reference written for `listing` (default: the current one; with none,
    every tool counts as listed)."""
    if OPEN not in text:
        return text
    where = listing or _current.get() or Listing.everything()
    return _REFERENCE.sub(lambda m: _rendered(m, where), text)


def render_data(value: Any, listing: Listing | None = None) -> Any:
    """Every string in a JSON-like value rendered (dict keys too)."""
    if isinstance(value, str):
        return render(value, listing)
    if isinstance(value, dict):
        return {render_data(k, listing): render_data(v, listing) for k, v in value.items()}
    if isinstance(value, list):
        return [render_data(item, listing) for item in value]
    return value


def _rendered(match: re.Match[str], listing: Listing) -> str:
    tool, arguments = match.group(1), _arguments(match.group(2))
    if tool not in _specs() or arguments is None:
        return match.group(0)  # not a reference this server wrote: left as it is
    return written(tool, arguments, listing)


def written(tool: str, arguments: Mapping[str, Any], listing: Listing) -> str:
    """One reference, for `listing`: the tool, a typed tool or call_stripe_api making the same
    request, or the request and why it cannot be made here."""
    arguments = dict(arguments)
    via = arguments.pop(_VIA, None)
    if tool in listing.tools and (tool != API_TOOL or not arguments):
        return _tool_call(tool, arguments)
    request = (str(via[0]), str(via[1]), dict(via[2])) if via else as_request(tool, arguments)
    if request is None:
        return ELSEWHERE.get(tool, f"{tool} (not listed by this server)")
    method, path, params = request
    typed = typed_equivalent(method, path, params, listing)
    if typed is not None:
        return _tool_call(*typed)
    if listing.may_call(method):
        return _tool_call(
            API_TOOL, {"method": method, "path": path, **({"params": params} if params else {})}
        )
    why = (
        "a write, and this configuration is read-only"
        if listing.read_only and method != "GET"
        else "no tool listed here makes it"
    )
    shown = f"{method} {path}" + (" " + _json(params) if params else "")
    return f"{shown} (a Stripe request; {why})"


def _tool_call(tool: str, arguments: Mapping[str, Any]) -> str:
    return f"{tool} {_json(arguments)}" if arguments else tool


def _json(value: Any) -> str:
    return json.dumps(value, separators=(", ", ": "), ensure_ascii=False, default=str)


def as_request(tool: str, arguments: Mapping[str, Any]) -> tuple[str, str, dict[str, Any]] | None:
    """The Stripe request (method, path, params) a tool call makes; None for a tool that makes none."""
    arguments = {k: v for k, v in arguments.items() if v is not None and k != "idempotency_key"}
    if tool == API_TOOL:
        params = arguments.get("params")
        return (
            str(arguments.get("method") or "GET"),
            str(arguments.get("path") or "/v1/..."),
            dict(params) if isinstance(params, Mapping) else {},
        )
    endpoint = ENDPOINTS.get(tool)
    if endpoint is None:
        return None
    path = endpoint.concrete(arguments)
    params = {k: v for k, v in arguments.items() if k not in endpoint.path_args}
    extra = endpoint.own(params) if endpoint.own else {}
    method = str(extra.pop("_method", endpoint.method))
    extra.pop("_drop", None)
    return method, path, {**params, **endpoint.fixed, **extra}


def typed_equivalent(
    method: str, path: str, params: Mapping[str, Any], listing: Listing
) -> tuple[str, dict[str, Any]] | None:
    """A listed typed tool that makes this request with these params, and its arguments."""
    for tool, endpoint in ENDPOINTS.items():
        if tool not in listing.tools or endpoint.method != method or endpoint.own is not None:
            continue
        found = _path_pattern(endpoint.path).fullmatch(path)
        if found is None or any(params.get(k) != v for k, v in endpoint.fixed.items()):
            continue
        rest = {k: v for k, v in params.items() if k not in endpoint.fixed}
        if set(rest) <= _parameters(tool):
            return tool, {**found.groupdict(), **rest}
    return None


@functools.cache
def _path_pattern(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[A-Za-z0-9_]+)", re.escape(template)))


# --- what the registry knows --------------------------------------------------------------------
@dataclass(frozen=True)
class Registry:
    """The tool registry (tools/), handed in when it is imported: hints name tools without
    importing them, so what the tools import (config, guardrails, state) never reaches them."""

    toolsets: tuple[Any, ...]
    select: Callable[..., Any]  # tools.selected_tools
    default: str


_REGISTERED: list[Registry] = []


def register(registry: Registry) -> None:
    _REGISTERED[:] = [registry]
    _specs.cache_clear()


def _registry() -> Registry:
    if not _REGISTERED:
        raise RuntimeError("stripe_power.tools is not imported: no tool registry to name tools from")
    return _REGISTERED[0]


@functools.cache
def _specs() -> dict[str, Any]:
    return {spec.name: spec for ts in _registry().toolsets for spec in ts.tools}


@functools.cache
def _parameters(tool: str) -> frozenset[str]:
    import inspect

    signature = inspect.signature(_specs()[tool].fn)
    return frozenset(name for name in signature.parameters if name != "ctx")


def unknown_tool(name: str, arguments: Mapping[str, Any], listing: Listing) -> str:
    """The answer to a call of a tool this server does not list: where the tool is, and the
    call that does the same here (with the caller's own arguments)."""
    spec = _specs().get(name)
    if spec is None:
        close = difflib.get_close_matches(name, sorted(listing.tools), n=3, cutoff=0.6)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        return f"Unknown tool: {name}.{hint} This server lists: {', '.join(sorted(listing.tools))}."
    if spec.requires == "sandbox" and not listing.sandbox:
        where = "it is listed only against the offline sandbox (`stripe-power serve --sandbox`)"
    elif listing.read_only and not spec.read_only:
        where = "it writes, and this server is read-only"
    else:
        where = f"it is in toolset {spec.toolset}, which this server's configuration does not list"
    instead = written(name, {k: v for k, v in arguments.items() if k != "confirmation_token"}, listing)
    return f"Unknown tool: {name} ({where}). Instead: {instead}."


__all__ = [
    "API_TOOL",
    "CLOSE",
    "ELSEWHERE",
    "ENDPOINTS",
    "OPEN",
    "Endpoint",
    "Listing",
    "api_call",
    "as_request",
    "call",
    "current",
    "references",
    "render",
    "render_data",
    "reset",
    "typed_equivalent",
    "unknown_tool",
    "using",
    "written",
]
