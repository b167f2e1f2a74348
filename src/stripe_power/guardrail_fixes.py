"""What a refused request becomes when its rule's advice is followed: the request to send instead.

Each function takes the refused request (method, path, params, and Stripe's operation when the spec
has it) and returns the request that does the same the way the rule wants, or None where no single
request can (the refusal then gives its advice in words only). The refusal shows the result as a
hint reference, so the agent gets a listed typed tool, or the exact `call_stripe_api` call, that it
can send as is (tests/test_refusal_fixes.py sends each one to the sandbox).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from . import spec

Request = tuple[str, str, dict[str, Any]]
Fix = Callable[[str, str, Mapping[str, Any], "spec.Operation | None"], "Request | None"]

RETURN_URL = "https://example.com/return"  # any https URL of the integration's own works


def test_payment_method(value: Any) -> Any:
    """A test token names the same card as a test PaymentMethod (`tok_visa` -> `pm_card_visa`);
    card_ and src_ ids are PaymentMethods as they are (Stripe takes them as `payment_method`)."""
    if isinstance(value, str) and value.startswith("tok_"):
        return "pm_card_" + value.removeprefix("tok_")
    return value


def without(value: Any, name: str) -> Any:
    """`value` with `name` removed at every depth (an emptied nested object removed too)."""
    if isinstance(value, Mapping):
        kept = {k: without(v, name) for k, v in value.items() if str(k).lower() != name}
        return {k: v for k, v in kept.items() if v != {} or value.get(k) == {}}
    if isinstance(value, list):
        return [without(item, name) for item in value]
    return value


def _confirms(path: str, params: Mapping[str, Any]) -> bool:
    return path.endswith("/confirm") or str(params.get("confirm")).lower() == "true"


def dynamic_payment_methods(method: str, path: str, params: Mapping[str, Any], op: Any) -> Request | None:
    """payment-method-types: omit it everywhere. Dynamic payment methods may redirect, so a request
    that confirms needs a return_url, or (where the endpoint takes it) redirect-based methods off."""
    fixed: dict[str, Any] = without(params, "payment_method_types")
    if _confirms(path, fixed) and not fixed.get("return_url") and not fixed.get("off_session"):
        automatic = fixed.get("automatic_payment_methods")
        if op is not None and spec.lookup(op, "automatic_payment_methods") and not automatic:
            fixed["automatic_payment_methods"] = {"enabled": True, "allow_redirects": "never"}
        elif not (isinstance(automatic, Mapping) and automatic.get("allow_redirects") == "never"):
            fixed["return_url"] = RETURN_URL
    return method, path, fixed


# Charge parameter -> PaymentIntent parameter, where the name changed.
_CHARGE_RENAMES = {"source": "payment_method", "statement_descriptor": "statement_descriptor_suffix"}


def payment_intent_for_charge(method: str, path: str, params: Mapping[str, Any], op: Any) -> Request | None:
    """charges-api: `POST /v1/charges` is a PaymentIntent confirmed at once, `source` its
    `payment_method` (a test token's test PaymentMethod), `capture=false` its manual capture."""
    if method != "POST" or path.rstrip("/") != "/v1/charges":
        return None
    target = spec.resolve("POST", "/v1/payment_intents")
    fixed: dict[str, Any] = {}
    for key, value in params.items():
        if key == "capture":
            if str(value).lower() == "false":
                fixed["capture_method"] = "manual"
        elif key == "destination":
            fixed["transfer_data"] = {"destination": value}
        else:
            name = _CHARGE_RENAMES.get(key, key)
            if target is None or spec.lookup(target, name):
                fixed[name] = test_payment_method(value) if name == "payment_method" else value
    if "payment_method" in fixed:
        fixed["confirm"] = True
        fixed["automatic_payment_methods"] = {"enabled": True, "allow_redirects": "never"}
    return "POST", "/v1/payment_intents", fixed


def payment_method_for_source(method: str, path: str, params: Mapping[str, Any], op: Any) -> Request | None:
    """sources-api: `source=tok_...` where the endpoint also takes `payment_method` (creating a
    customer, paying an invoice) is that PaymentMethod; a new customer's becomes its default."""
    source = params.get("source")
    if method != "POST" or op is None or not isinstance(source, str) or not spec.lookup(op, "payment_method"):
        return None
    fixed = {k: v for k, v in params.items() if k != "source"}
    fixed["payment_method"] = test_payment_method(source)
    if op.path == "/v1/customers" and spec.lookup(op, "invoice_settings.default_payment_method"):
        settings = dict(fixed.get("invoice_settings") or {})
        settings.setdefault("default_payment_method", fixed["payment_method"])
        fixed["invoice_settings"] = settings
    return method, path, fixed


_RECURRING = ("interval", "interval_count", "usage_type")


def price_for_plan(method: str, path: str, params: Mapping[str, Any], op: Any) -> Request | None:
    """plans-api: a Plan is a recurring Price (`amount` -> `unit_amount`, the interval under
    `recurring`, an inline product -> `product_data`)."""
    if method != "POST" or path.rstrip("/") != "/v1/plans":
        return None
    fixed: dict[str, Any] = {}
    recurring = {k: params[k] for k in _RECURRING if k in params}
    for key, value in params.items():
        if key == "amount":
            fixed["unit_amount"] = value
        elif key == "product" and isinstance(value, Mapping):
            fixed["product_data"] = dict(value)
        elif key not in _RECURRING and key not in ("id", "trial_period_days"):
            fixed[key] = value
    fixed["recurring"] = recurring
    return "POST", "/v1/prices", fixed


def without_version(method: str, path: str, params: Mapping[str, Any], op: Any) -> Request | None:
    """api-version-pin: the same request on the SDK's pinned version."""
    return (
        method,
        path,
        {k: v for k, v in params.items() if str(k).lower() not in ("stripe_version", "stripe-version")},
    )


__all__ = [
    "RETURN_URL",
    "Fix",
    "Request",
    "dynamic_payment_methods",
    "payment_intent_for_charge",
    "payment_method_for_source",
    "price_for_plan",
    "test_payment_method",
    "without",
    "without_version",
]
