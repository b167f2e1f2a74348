"""Pieces of confirmation previews: who the customer is, in words the user recognizes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..views import ref


def customer_label(customer: Any, email: str | None = None) -> str | None:
    """`customer jane@example.com (cus_...)` from an expanded customer, an id, or a known email."""
    found = customer.get("email") if isinstance(customer, Mapping) else None
    shown = found or email
    ident = ref(customer)
    if shown and ident:
        return f"customer {shown} ({ident})"
    if shown or ident:
        return f"customer {shown or ident}"
    return None
