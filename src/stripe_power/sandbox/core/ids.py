"""Stripe-shaped identifiers (``cus_...``, ``pi_...``) and client secrets."""

from __future__ import annotations

import os

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _random_chars(n: int) -> str:
    raw = os.urandom(n)
    return "".join(_ALPHABET[b % 62] for b in raw)


def new_id(prefix: str, length: int = 24) -> str:
    """A fresh id with Stripe's prefix, e.g. ``new_id("cus")`` -> ``cus_Qx3...``."""
    return f"{prefix}_{_random_chars(length)}"


def client_secret(object_id: str) -> str:
    return f"{object_id}_secret_{_random_chars(24)}"
