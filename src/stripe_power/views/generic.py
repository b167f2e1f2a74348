"""The view of every object type without its own: built from the type's schema in Stripe's spec.

id and object; status; every amount in minor units and in human form (`amount_display`); then a
few scalar fields, most telling first (related ids, names, codes, dates), each as Stripe names
it. Nested objects are left out (`fields` or `full` on `call_stripe_api` shows them).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from .. import spec
from ._base import money, ref

MAX_SCALARS = 10
MAX_TEXT = 200
# Integer fields that hold money: by name (Stripe's naming is regular), or said so in the spec.
_MONEY_NAME = re.compile(r"(^|_)(amount|total|subtotal|balance|fee|fees|net)(_|$)")
_MONEY_WORDS = re.compile(r"cents|smallest currency unit")
_CURRENCY = re.compile(r"[a-z]{3}")  # an ISO code (Stripe's examples hold placeholders)
_NEVER = frozenset({"id", "object", "livemode", "status", "currency", "metadata", "client_secret"})
# Scalars worth their bytes first; then any other non-null scalar, in the spec's order.
_FIRST = ("type", "name", "email", "description", "code", "number", "reason", "active", "valid", "url")


@functools.cache
def _by_type() -> dict[str, spec.Schema]:
    """Object type (`object` as Stripe sends it) -> its schema."""
    return {str(s["x-resourceId"]): s for s in spec.schemas().values() if "x-resourceId" in s}


def schema_of(object_type: str) -> spec.Schema | None:
    return _by_type().get(object_type)


@functools.cache
def money_fields(object_type: str) -> tuple[str, ...]:
    schema = schema_of(object_type) or {}
    properties: Mapping[str, Any] = schema.get("properties", {})
    if "currency" not in properties:
        return ()
    return tuple(
        name
        for name, prop in properties.items()
        if prop.get("type") == "integer"
        and (_MONEY_NAME.search(name) or _MONEY_WORDS.search(str(prop.get("description", ""))))
    )


def _scalar(value: Any) -> bool:
    return isinstance(value, (bool, int, float)) or (isinstance(value, str) and len(value) <= MAX_TEXT)


def generic_view(obj: Mapping[str, Any]) -> dict[str, Any]:
    object_type = str(obj.get("object") or "")
    schema = schema_of(object_type) or {}
    properties: Mapping[str, Any] = schema.get("properties", {})
    expandable = set(schema.get("x-expandableFields", ()))
    out: dict[str, Any] = {"id": obj.get("id"), "object": object_type or None}
    if isinstance(obj.get("status"), str):
        out["status"] = obj["status"]
    found = obj.get("currency")
    currency = found if isinstance(found, str) and _CURRENCY.fullmatch(found) else None
    amounts = money_fields(object_type) if currency else ()
    for name in amounts:
        if isinstance(obj.get(name), int):
            out[name] = obj[name]
            out[f"{name}_display"] = money(obj[name], currency)
    if amounts:
        out["currency"] = currency
    order = [n for n in _FIRST if n in obj] + sorted(expandable & set(obj)) + list(properties or obj)
    added = 0
    for name in dict.fromkeys(order):
        if added == MAX_SCALARS:
            break
        if name in out or name in _NEVER or name in amounts:
            continue
        value = obj.get(name)
        if name in expandable and isinstance(value, Mapping):
            value = ref(value)
        if value is not None and value != "" and _scalar(value):
            out[name], added = value, added + 1
    if obj.get("metadata"):
        out["metadata"] = obj["metadata"]
    return {k: v for k, v in out.items() if v is not None}
