"""Checks every request gets before any handler runs, all read from Stripe's spec.

- Parameters: `spec.check` on the operation the path resolves to, so every operation the sandbox
  serves (now or later) is validated at any depth, with Stripe's bracketed `param` and codes.
- `expand`: only fields the response schema marks expandable (`x-expansionResources`, or a
  field left out by default: a list such as `line_items`, or one of a few objects such as a
  customer's `tax`); list responses need the `data.` prefix.
- `Stripe-Version`: a well-formed release (`YYYY-MM-DD`, `.codename` from 2024-09-30 on).
- Web addresses: the parameters Stripe sends a customer's browser to (or posts to) must be http(s)
  URLs (`WEB_URLS`); the spec types them as plain strings.
"""

from __future__ import annotations

import datetime
import re
from typing import Any
from urllib.parse import urlsplit

from ... import spec
from ...currencies import SUPPORTED
from .errors import StripeError, invalid

# Stripe's first API version; codenames (`2024-09-30.acacia`) start with the acacia release.
_FIRST_VERSION = datetime.date(2011, 1, 1)
_CODENAMES_FROM = datetime.date(2024, 9, 30)
_VERSION = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:\.([a-z]+))?")


def check_params(op: spec.Operation, params: dict[str, Any]) -> None:
    """Refuse the request with Stripe's error for the first problem `spec.check` finds, then
    for a currency Stripe does not support (the spec types currencies as plain strings)."""
    problems = spec.check(op, params, wire=True)
    if problems:
        first = problems[0]
        raise StripeError(400, first.message, code=first.code, param=first.param)
    for parts, value in _currencies(params, ()):
        if value.lower() not in SUPPORTED:
            raise invalid(
                f"Invalid currency: {value.lower()}. Stripe currently supports these currencies: "
                + ", ".join(SUPPORTED),
                param=spec.bracketed(parts),
            )


# Parameters that Stripe answers `url_invalid` "Not a valid URL" unless they are an http(s) address,
# by operation: pages a customer's browser is sent to, and webhook endpoints. Not listed, on
# purpose: PaymentIntent and SetupIntent `return_url`, where the spec lets "an application URI
# scheme" stand in to return to a mobile app.
_PORTAL_CONFIGURATION = (
    ("default_return_url",),
    ("business_profile", "privacy_policy_url"),
    ("business_profile", "terms_of_service_url"),
)
_PAYMENT_LINK = (("after_completion", "redirect", "url"),)
WEB_URLS: dict[str, tuple[tuple[str, ...], ...]] = {
    "POST /v1/checkout/sessions": (("success_url",), ("cancel_url",), ("return_url",)),
    "POST /v1/billing_portal/sessions": (
        ("return_url",),
        ("flow_data", "after_completion", "redirect", "return_url"),
    ),
    "POST /v1/billing_portal/configurations": _PORTAL_CONFIGURATION,
    "POST /v1/billing_portal/configurations/{configuration}": _PORTAL_CONFIGURATION,
    "POST /v1/payment_links": _PAYMENT_LINK,
    "POST /v1/payment_links/{payment_link}": _PAYMENT_LINK,
    "POST /v1/account_links": (("refresh_url",), ("return_url",)),
    "POST /v1/webhook_endpoints": (("url",),),
    "POST /v1/webhook_endpoints/{webhook_endpoint}": (("url",),),
}
MAX_URL_CHARS = 5000


def is_web_url(value: str) -> bool:
    """An absolute http(s) URL with a host and nothing a browser would trim or reinterpret
    (whitespace, control characters): `javascript:`, `data:`, `//host` and `http:x` are not."""
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises ValueError for a port that is not one)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def check_urls(op: spec.Operation, params: dict[str, Any]) -> None:
    """Refuse a web-address parameter (`WEB_URLS`) that is not one, as Stripe does."""
    for path in WEB_URLS.get(op.key, ()):
        value: Any = params
        for name in path:
            value = value.get(name) if isinstance(value, dict) else None
        if not isinstance(value, str) or value == "":  # absent, unset (""), or a type spec.check refused
            continue
        if len(value) > MAX_URL_CHARS:
            raise invalid(
                f"Invalid URL: URL must be {MAX_URL_CHARS} characters or less.",
                spec.bracketed(path),
                "url_invalid",
            )
        if not is_web_url(value):
            raise invalid("Not a valid URL", spec.bracketed(path), "url_invalid")


def _currencies(value: Any, parts: tuple[str | int, ...]) -> list[tuple[tuple[str | int, ...], str]]:
    """Every `currency` value in a request, and every key of a `currency_options` map."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    items: list[tuple[str | int, Any]] = []
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    for key, sub in items:
        here = (*parts, key)
        if key == "currency" and isinstance(sub, str) and sub:
            found.append((here, sub))
        elif key == "currency_options" and isinstance(sub, dict):
            found += [((*here, cur), cur) for cur in sub]
        found += _currencies(sub, here)
    return found


def check_version(value: str, latest: str) -> None:
    """Refuse a `Stripe-Version` that names no Stripe release (400, as Stripe answers)."""
    head = value.split(";", 1)[0].strip()  # beta flags follow a semicolon: `2024-06-20; x_beta=v1`
    match = _VERSION.fullmatch(head)
    valid = False
    if match:
        year, month, day, codename = match.groups()
        try:
            date = datetime.date(int(year), int(month), int(day))
        except ValueError:
            date = None
        newest = datetime.date.fromisoformat(latest[:10])
        valid = (
            date is not None
            and _FIRST_VERSION <= date <= newest
            and (codename is not None) == (date >= _CODENAMES_FROM)
        )
    if not valid:
        raise invalid(f"Invalid Stripe API version: {value}")


def check_expand(op: spec.Operation, paths: list[str]) -> None:
    """Refuse an expansion the operation's response cannot make, in Stripe's words."""
    response = op.response
    if response is None:
        return
    for path in paths:
        message = _refusal(response, path.split("."))
        if message:
            raise invalid(message, param="expand")


def _branches(schema: spec.Schema) -> list[spec.Schema]:
    schema = spec.deref(schema)
    found = schema.get("anyOf") or schema.get("oneOf")
    return [spec.deref(b) for b in found] if found else [schema]


def _is_list(schema: spec.Schema) -> bool:
    obj = schema.get("properties", {}).get("object", {})
    return schema.get("type") == "object" and obj.get("enum") in (["list"], ["search_result"])


# Fields Stripe leaves out unless expanded that are not lists. The spec marks them no differently
# from any nested object (its `required` lists are not complete enough to tell), so Stripe's API
# reference ("Expandable" / includable) is the source for these few.
_INCLUDABLE = {
    "customer": frozenset({"cash_balance", "invoice_credit_balance", "tax"}),
    "invoice": frozenset({"confirmation_secret"}),
    "price": frozenset({"currency_options"}),
}


def _includable(node: spec.Schema, name: str, field: spec.Schema) -> bool:
    """Whether `name` is sent only when expanded: a list (`line_items`, `tax_ids`) or one of the few
    objects above. Any other nested object (`address`) is always there and cannot be expanded."""
    if _is_list(spec.deref(field)):
        return True
    return name in _INCLUDABLE.get(str(node.get("x-resourceId", "")), frozenset())


def _refusal(root: spec.Schema, segments: list[str]) -> str | None:
    """None if `segments` can be expanded from `root`, else Stripe's message."""
    nodes = _branches(root)
    for i, seg in enumerate(segments):
        done = ".".join(segments[: i + 1])
        last = i == len(segments) - 1
        lists = [n for n in nodes if _is_list(n)]
        if lists:
            if seg != "data":
                hint = ".".join(["data", *segments[i:]])
                return (
                    f"This property cannot be expanded ({done}). You may want to try expanding "
                    f"'{hint}' instead."
                )
            nodes = [b for n in lists for b in _branches(n["properties"]["data"].get("items", {}))]
            if last:
                return f"This property cannot be expanded ({done})."
            continue
        following: list[spec.Schema] = []
        expandable = False
        for node in nodes:
            field = node.get("properties", {}).get(seg)
            # The includable objects above are missing from some schemas' x-expandableFields
            # (a customer's `invoice_credit_balance`), though Stripe's reference lists them.
            if field is None or (
                seg not in node.get("x-expandableFields", ()) and not _includable(node, seg, field)
            ):
                continue
            if field.get("type") == "array":  # e.g. invoice `discounts`: each item expands
                field = field.get("items", {})
            resources = field.get("x-expansionResources", {}).get("oneOf")
            includable = _includable(node, seg, field)
            if resources:
                expandable = True
                following += [spec.deref(r) for r in resources]
            else:
                expandable = expandable or includable
                following += _branches(field)
        if not following or (last and not expandable):
            return f"This property cannot be expanded ({done})."
        nodes = following
    return None
