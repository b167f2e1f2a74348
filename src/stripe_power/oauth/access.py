"""Who is calling, in OAuth mode: the person a verified token names and what the access file
grants them. Set per MCP message (see `server_middleware`); read by the Gateway (which Stripe
key, whose books), the spending limits and the confirmation gate.

Kept free of heavy imports: the Gateway imports it on every start.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Person:
    """A verified token's principal: unique per (issuer, subject)."""

    issuer: str
    subject: str
    client_id: str
    scopes: tuple[str, ...]
    claims: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def name(self) -> str:
        """For people reading the audit log: an email or user name when the token has one."""
        for claim in ("email", "preferred_username", "upn", "name"):
            value = self.claims.get(claim)
            if isinstance(value, str) and value:
                return value
        return self.subject


@dataclass(frozen=True)
class Access:
    """What one access rule grants one person. `stripe_key` never leaves the process."""

    person: Person
    rule: str  # the rule's name in the access file
    key_name: str  # the key's name in the access file (for logs; never the key)
    stripe_key: str = field(repr=False)
    tools: frozenset[str]  # the tool names this person may list and call
    read_only: bool
    confirm_writes: bool
    max_amount: Mapping[str, int]
    max_daily_refunds: Mapping[str, int]

    @property
    def live(self) -> bool:
        return self.stripe_key.startswith(("sk_live_", "rk_live_"))

    @property
    def scope_material(self) -> str:
        return scope_material(self.stripe_key, self.person.issuer, self.person.subject)

    def audit_fields(self) -> dict[str, str]:
        return {"person": self.person.subject, "person_name": self.person.name, "access_rule": self.rule}


def scope_material(stripe_key: str, issuer: str, subject: str) -> str:
    """What the state's scope hash is made from in OAuth mode: the key AND the person, so the
    books (ledger, confirmation tokens, replay window) are per person per key."""
    return f"{stripe_key}\x00{issuer}\x00{subject}"


# The access of the person whose MCP message is being handled; None outside OAuth mode.
current_access: contextvars.ContextVar[Access | None] = contextvars.ContextVar("current_access", default=None)
