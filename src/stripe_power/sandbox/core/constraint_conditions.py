"""The conditions and rows of the description-only rules (`constraints.py` holds the table).

Each condition reads one object of the request (a dict of wire values); a `Rule` breaks when all
its conditions hold.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Protocol

from ... import spec
from .store import Account, now

DAY = 86400


# -- conditions: each reads one object of the request (a dict of wire values) ----------------


@dataclass(frozen=True)
class Given:
    """The parameter is sent (an empty string unsets, so it does not count)."""

    key: str

    def holds(self, obj: dict[str, Any], acct: Account, root: dict[str, Any]) -> bool:
        return bool(obj.get(self.key, "") != "")


@dataclass(frozen=True)
class Missing:
    key: str

    def holds(self, obj: dict[str, Any], acct: Account, root: dict[str, Any]) -> bool:
        return bool(obj.get(self.key, "") == "")


@dataclass(frozen=True)
class Other:
    """The parameter (or its default when absent) is none of ``allowed``."""

    key: str
    allowed: frozenset[str]
    default: str | None = None

    def holds(self, obj: dict[str, Any], acct: Account, root: dict[str, Any]) -> bool:
        return obj.get(self.key, self.default) not in self.allowed


@dataclass(frozen=True)
class Is:
    """The parameter (or its default when absent) is one of ``values``."""

    key: str
    values: frozenset[str]
    default: str | None = None

    def holds(self, obj: dict[str, Any], acct: Account, root: dict[str, Any]) -> bool:
        return obj.get(self.key, self.default) in self.values


@dataclass(frozen=True)
class MoreThan:
    """A list parameter with more than ``limit`` entries."""

    key: str
    limit: int

    def holds(self, obj: dict[str, Any], acct: Account, root: dict[str, Any]) -> bool:
        value = obj.get(self.key)
        return isinstance(value, list | dict) and len(value) > self.limit


@dataclass(frozen=True)
class Before:
    """A timestamp earlier than the request's time (its test clock's, where it has one)."""

    key: str

    def holds(self, obj: dict[str, Any], acct: Account, root: dict[str, Any]) -> bool:
        value = _int(obj.get(self.key))
        return value is not None and value < now()


@dataclass(frozen=True)
class Beyond:
    """A timestamp more than ``seconds`` after the request's time."""

    key: str
    seconds: int

    def holds(self, obj: dict[str, Any], acct: Account, root: dict[str, Any]) -> bool:
        value = _int(obj.get(self.key))
        return value is not None and value > now() + self.seconds


@dataclass(frozen=True)
class NotMultiple:
    """An integer amount that is not a multiple of ``of``."""

    key: str
    of: int

    def holds(self, obj: dict[str, Any], acct: Account, root: dict[str, Any]) -> bool:
        value = _int(obj.get(self.key))
        return value is not None and value % self.of != 0


@dataclass(frozen=True)
class Unmatched:
    """A string that does not match ``pattern`` in full."""

    key: str
    pattern: str

    def holds(self, obj: dict[str, Any], acct: Account, root: dict[str, Any]) -> bool:
        value = obj.get(self.key)
        return isinstance(value, str) and value != "" and re.fullmatch(self.pattern, value) is None


@dataclass(frozen=True)
class Includes:
    """A list parameter that includes ``value``; absent, it counts as including it when
    ``absent_has`` (no `payment_method_types`: dynamic payment methods, cards among them)."""

    key: str
    value: str
    absent_has: bool = True

    def holds(self, obj: dict[str, Any], acct: Account, root: dict[str, Any]) -> bool:
        found = obj.get(self.key)
        if not isinstance(found, list):
            return self.absent_has
        return self.value in found


@dataclass(frozen=True)
class Unknown:
    """A list with an entry outside the spec's enum of that parameter (where the spec lets the
    enum through unchecked, `x-stripeBypassValidation`, and Stripe's server refuses it)."""

    operation: str
    key: str

    def holds(self, obj: dict[str, Any], acct: Account, root: dict[str, Any]) -> bool:
        found = obj.get(self.key)
        known = _enum(self.operation, self.key)
        return any(not _known(v, known) for v in (found if isinstance(found, list) else []))


@dataclass(frozen=True)
class Reached:
    """The account already has ``limit`` objects of ``typ`` (creating one more is refused)."""

    typ: str
    limit: int

    def holds(self, obj: dict[str, Any], acct: Account, root: dict[str, Any]) -> bool:
        return sum(1 for _ in acct.of_type(self.typ)) >= self.limit


class Condition(Protocol):
    def holds(self, obj: dict[str, Any], acct: Account, root: dict[str, Any]) -> bool: ...


@dataclass(frozen=True)
class Root:
    """``cond`` read at the top level of the request, whatever the rule's scope."""

    cond: Condition

    def holds(self, obj: dict[str, Any], acct: Account, root: dict[str, Any]) -> bool:
        return self.cond.holds(root, acct, root)


@dataclass(frozen=True)
class Rule:
    operation: str  # "POST /v1/subscriptions"
    when: tuple[Condition, ...]  # all hold: the request breaks the rule
    param: str  # the parameter Stripe names, relative to `scope`
    message: str
    source: str
    scope: str = ""  # where in the request the conditions read: "" (top level), "line_items.*"


def _int(value: Any) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _known(value: Any, known: frozenset[str]) -> bool:
    """In the enum, or a group of it (`payment_intent.*`, as the Dashboard offers and the
    sandbox's endpoints match)."""
    if value in known:
        return True
    if not (isinstance(value, str) and value.endswith(".*") and len(value) > 2):
        return False
    return any(k.startswith(value[:-1]) for k in known)


@functools.cache
def _enum(operation: str, key: str) -> frozenset[str]:
    method, path = operation.split(" ", 1)
    op = spec.operation(method, path)
    node = spec.lookup(op, key) if op is not None else None
    items = spec.deref((node or {}).get("items", {}))
    return frozenset(items.get("enum", ()))
