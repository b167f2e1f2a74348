"""Per-account state: objects by id, creation order per type, events, idempotency, request log.

Every object is a JSON-ready dict, stored once; lists keep ids in creation order with a position
index so retrieves and list pages cost O(page), not O(objects).
"""

from __future__ import annotations

import contextlib
import functools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

from ... import clock, spec
from ..payments.cards import TestPaymentMethod
from .errors import StripeError, invalid, no_such
from .ids import new_id

JSON = dict[str, Any]

# Human names used in "No such ..." messages.
KIND_NAMES: dict[str, str] = {
    "checkout.session": "checkout.session",
    "payment_intent": "payment_intent",
    "invoiceitem": "invoiceitem",
    "webhook_endpoint": "webhook_endpoint",
}

PREFIX_TYPES: dict[str, str] = {
    "cus": "customer",
    "prod": "product",
    "price": "price",
    "cs": "checkout.session",
    "pi": "payment_intent",
    "ch": "charge",
    "re": "refund",
    "pm": "payment_method",
    "seti": "setup_intent",
    "sub": "subscription",
    "si": "subscription_item",
    "in": "invoice",
    "ii": "invoiceitem",
    "il": "line_item",
    "inpay": "invoice_payment",
    "plink": "payment_link",
    "evt": "event",
    "we": "webhook_endpoint",
}

# Requests kept per account (request params and response bodies, for the dashboard): the oldest go first.
REQUEST_LOG_LIMIT = 5000


@dataclass
class RecordedRequest:
    """One API request that reached an account, as the sandbox parsed it."""

    request_id: str
    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]
    status: int = 0
    fault: str | None = None
    time: float = field(default_factory=time.time)
    replayed: bool = False  # answered from the idempotency cache
    response: bytes = b""
    duration_ms: float | None = None
    started: float = field(default_factory=perf_counter, repr=False)

    def finish(self, status: int, response: bytes, replayed: bool) -> None:
        self.status, self.response, self.replayed = status, response, replayed
        self.duration_ms = round((perf_counter() - self.started) * 1000, 2)

    def as_dict(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "method": self.method,
            "path": self.path,
            "params": self.params,
            "headers": self.headers,
            "status": self.status,
            "fault": self.fault,
            "time": self.time,
        }


@dataclass
class IdempotentResult:
    fingerprint: str
    status: int
    body: bytes
    request_id: str


class Account:
    """All state behind one API key."""

    def __init__(self, api_key: str, platform: Account | None = None, account_id: str | None = None) -> None:
        self.api_key = api_key
        self.id = account_id or "acct_" + new_id("x", 16)[2:]
        # Connect: a connected account's objects live in their own store, reached with the
        # Stripe-Account header (connect_scope.scope); `platform` is the store of the API key.
        self.platform = platform
        self.connected: dict[str, Account] = {}
        self.application = "ca_" + new_id("x", 24)[2:]  # the platform's Connect application
        self.objects: dict[str, JSON] = {}
        self.order: dict[str, list[str]] = {}
        self.position: dict[str, int] = {}
        self.hidden: dict[str, JSON] = {}  # per object: fields only returned when expanded
        self.idempotency: dict[str, IdempotentResult] = {}
        self.requests: deque[RecordedRequest] = deque(maxlen=REQUEST_LOG_LIMIT)
        self.pending_events: list[JSON] = []
        self.balance: dict[str, int] = {}
        self.current_request: tuple[str, str | None] = ("", None)
        self.api_version = ""
        self.cards: dict[str, TestPaymentMethod] = {}  # payment method id -> test card behaviour
        self.off_session_ready: set[str] = set()  # payment methods set up for off-session use
        self.used_pms: set[str] = set()  # unattached payment methods already used once
        self.private: dict[str, dict[str, Any]] = {}  # per object: sandbox-only state, never rendered
        self.singletons: dict[str, JSON] = {}  # objects without a list (balance, tax settings), by type

    def priv(self, obj: JSON) -> dict[str, Any]:
        oid: str = obj["id"]
        found = self.private.get(oid)
        if found is None:
            found = self.private[oid] = {}
        return found

    # -- objects ------------------------------------------------------------------------
    def add(self, obj: JSON) -> JSON:
        oid = obj["id"]
        typ = obj["object"]
        ids = self.order.setdefault(typ, [])
        self.position[oid] = len(ids)
        ids.append(oid)
        self.objects[oid] = obj
        return obj

    def get(self, typ: str, oid: Any, param: str | None = "id", status: int = 404) -> JSON:
        obj = self.objects.get(oid) if isinstance(oid, str) else None
        if obj is None or obj.get("object") != typ or obj.get("deleted"):
            raise no_such(KIND_NAMES.get(typ, typ), str(oid), param=param, status=status)
        return obj

    def find(self, typ: str, oid: Any) -> JSON | None:
        obj = self.objects.get(oid) if isinstance(oid, str) else None
        if obj is None or obj.get("object") != typ or obj.get("deleted"):
            return None
        return obj

    def remove(self, oid: str) -> None:
        self.objects.pop(oid, None)

    def of_type(self, typ: str) -> Iterator[JSON]:
        for oid in self.order.get(typ, ()):
            obj = self.objects.get(oid)
            if obj is not None and not obj.get("deleted"):
                yield obj

    # -- events -------------------------------------------------------------------------
    @property
    def home(self) -> Account:
        """The platform's store: this one, or the platform of a connected account."""
        return self.platform or self

    def emit(self, typ: str, obj: JSON, previous: JSON | None = None) -> JSON:
        req_id, idem = self.current_request
        data: JSON = {"object": snapshot(obj)}
        if previous:
            data["previous_attributes"] = previous
        event: JSON = {
            "id": new_id("evt"),
            "object": "event",
            "api_version": self.api_version or None,
            "created": now(),
            "data": data,
            "livemode": False,
            "pending_webhooks": 0,
            "request": {"id": req_id or None, "idempotency_key": idem},
            "type": typ,
        }
        if self.platform is not None:
            event["account"] = self.id  # an event of a connected account (Connect webhooks)
        endpoints = listening(self.home, event)
        event["pending_webhooks"] = len(endpoints)
        self.add(event)
        if endpoints:
            self.home.pending_events.append(event)
        return event


def listening(home: Account, event: JSON) -> list[JSON]:
    """The platform's enabled endpoints that receive ``event``: Connect endpoints (created with
    ``connect=true``) get the events of connected accounts, the others the platform's own."""
    connect = "account" in event
    return [
        we
        for we in home.of_type("webhook_endpoint")
        if we["status"] == "enabled"
        and bool(home.priv(we).get("connect")) == connect
        and event_matches(we["enabled_events"], event["type"])
    ]


def changed(before: JSON, after: JSON) -> JSON:
    """An event's `previous_attributes`: the top-level fields that changed, with their old values."""
    return {k: v for k, v in before.items() if after.get(k) != v}


def event_matches(enabled: list[str], typ: str) -> bool:
    """Whether an endpoint's ``enabled_events`` (with ``*`` and ``prefix.*``) covers ``typ``."""
    for pattern in enabled:
        if pattern == "*" or pattern == typ or (pattern.endswith(".*") and typ.startswith(pattern[:-1])):
            return True
    return False


def snapshot(obj: JSON) -> JSON:
    """A deep copy, cheap enough for JSON-shaped data."""
    copied: JSON = json.loads(json.dumps(obj))
    return copied


def public(obj: JSON) -> JSON:
    return {k: v for k, v in obj.items() if not k.startswith("_")}


# Fields Stripe returns only when asked for with expand[] ("includable"), so never in a skeleton.
_INCLUDABLE = {"invoice": frozenset({"confirmation_secret"})}


@functools.cache
def _nullable(typ: str) -> tuple[str, ...]:
    props = spec.schemas().get(typ, {}).get("properties", {})
    skip = _INCLUDABLE.get(typ, frozenset())
    return tuple(sorted(k for k, v in props.items() if v.get("nullable") and k not in skip))


def skeleton(typ: str) -> JSON:
    """Every nullable field of ``typ`` (from the spec) set to None; callers fill in the rest."""
    return dict.fromkeys(_nullable(typ))


# The time a request lives at: a test clock's frozen time while handling a request about a
# customer on that clock (and what it owns), or while the clock advances; else the wall clock.
clock_time: ContextVar[int | None] = ContextVar("clock_time", default=None)


def now() -> int:
    frozen = clock_time.get()
    return frozen if frozen is not None else int(clock.now())


@contextlib.contextmanager
def at_time(ts: int | None) -> Iterator[None]:
    """Run what follows at time `ts` (objects and events made inside carry it); None: the wall clock."""
    token = clock_time.set(ts)
    try:
        yield
    finally:
        clock_time.reset(token)


class State:
    """All accounts, plus an index from hosted-page object ids to their account."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.accounts: dict[str, Account] = {}
        self.owners: dict[str, Account] = {}

    def account(self, api_key: str) -> Account:
        acct = self.accounts.get(api_key)
        if acct is None:
            acct = self.accounts[api_key] = Account(api_key)
        return acct


# -- params helpers ----------------------------------------------------------------------


def as_int(value: Any, param: str, minimum: int | None = None) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        result = value
    else:
        try:
            result = int(str(value))
        except ValueError:
            raise invalid(f"Invalid integer: {value}", param=param) from None
    if minimum is not None and result < minimum:
        raise invalid(
            f"This value must be greater than or equal to {minimum}.",
            param=param,
            code="parameter_invalid_integer",
        )
    return result


def as_bool(value: Any, param: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "True", "1"):
        return True
    if value in ("false", "False", "0"):
        return False
    raise invalid(f"Invalid boolean: {value}", param=param)


def as_dict(value: Any, param: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid("Invalid object", param=param)
    return value


def as_list(value: Any, param: str) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and not value:
        return []
    raise invalid("Invalid array", param=param)


def as_str(value: Any, param: str) -> str:
    if not isinstance(value, str):
        raise invalid(f"Invalid string: {json.dumps(value)}", param=param)
    return value


def as_enum(value: Any, param: str, allowed: tuple[str, ...]) -> str:
    s = as_str(value, param)
    if s not in allowed:
        options = ", ".join(f"`{a}`" for a in allowed)
        raise invalid(f"Invalid {param}: must be one of {options}", param=param)
    return s


def apply_metadata(current: dict[str, str] | None, value: Any, param: str = "metadata") -> dict[str, str]:
    """Stripe's metadata rules: max 50 keys, key <= 40 chars, value <= 500 chars, '' unsets."""
    result = dict(current or {})
    if value == "":
        return {}
    if not isinstance(value, dict):
        raise invalid("Invalid object", param=param)
    for key, val in value.items():
        if not isinstance(val, str):
            raise invalid(f"Invalid string: {json.dumps(val)}", param=f"{param}[{key}]")
        if len(key) > 40:
            raise invalid(
                f"Metadata keys can have up to 40 characters; `{key}` has {len(key)}.",
                param=f"{param}[{key}]",
            )
        if len(val) > 500:
            raise invalid(
                f"Metadata values can have up to 500 characters, but you passed in a value that is "
                f"{len(val)} characters.",
                param=f"{param}[{key}]",
            )
        if val == "":
            result.pop(key, None)
        else:
            result[key] = val
    if len(result) > 50:
        raise invalid("You can have at most 50 keys in metadata.", param=param)
    return result


def created_filter(params: dict[str, Any]) -> Callable[[JSON], bool] | None:
    raw = params.get("created")
    if raw is None:
        return None
    if isinstance(raw, dict):
        bounds = {k: as_int(v, f"created[{k}]") for k, v in raw.items()}
        for k in bounds:
            if k not in ("gt", "gte", "lt", "lte"):
                raise invalid(
                    f"Received unknown parameter: created[{k}]",
                    param=f"created[{k}]",
                    code="parameter_unknown",
                )
    else:
        bounds = {"eq": as_int(raw, "created")}

    def check(obj: JSON) -> bool:
        c = int(obj.get("created", 0))
        for op, b in bounds.items():
            if (
                (op == "gt" and not c > b)
                or (op == "gte" and not c >= b)
                or (op == "lt" and not c < b)
                or (op == "lte" and not c <= b)
                or (op == "eq" and c != b)
            ):
                return False
        return True

    return check


def fields_match(params: Mapping[str, Any], *names: str) -> Callable[[JSON], bool]:
    """A list filter: each of `names` the request gives must equal the object's field of that name
    (`GET /v1/refunds?payment_intent=pi_...`)."""
    wanted = {name: params[name] for name in names if name in params}
    return lambda obj: all(obj.get(name) == value for name, value in wanted.items())


def paginate(
    acct: Account,
    typ: str,
    params: dict[str, Any],
    url: str,
    predicate: Callable[[JSON], bool] | None = None,
    ids: list[str] | None = None,
) -> JSON:
    """A Stripe list page, newest first, honouring limit/starting_after/ending_before/created."""
    limit = 10
    if "limit" in params:
        limit = as_int(params["limit"], "limit")
        if not 1 <= limit <= 100:
            raise invalid(
                "This value must be between 1 and 100 (it currently is " + str(limit) + ").",
                param="limit",
                code="parameter_invalid_integer",
            )
    checks = [c for c in (predicate, created_filter(params)) if c is not None]
    order = ids if ids is not None else acct.order.get(typ, [])
    position: dict[str, int] | None = None if ids is None else {oid: i for i, oid in enumerate(ids)}

    def pos_of(oid: Any, param: str) -> int:
        p = (
            (position.get(oid) if position is not None else acct.position.get(oid))
            if isinstance(oid, str)
            else None
        )
        if p is None or p >= len(order) or order[p] != oid:
            raise no_such(KIND_NAMES.get(typ, typ), str(oid), param=param, status=400)
        return p

    def ok(oid: str) -> JSON | None:
        obj = acct.objects.get(oid)
        if obj is None or obj.get("deleted"):
            return None
        if all(c(obj) for c in checks):
            return obj
        return None

    found: list[JSON] = []
    if params.get("ending_before"):
        i = pos_of(params["ending_before"], "ending_before") + 1
        while i < len(order) and len(found) <= limit:
            obj = ok(order[i])
            if obj is not None:
                found.append(obj)
            i += 1
        has_more = len(found) > limit
        data = list(reversed(found[:limit]))
    else:
        i = len(order) - 1
        if params.get("starting_after"):
            i = pos_of(params["starting_after"], "starting_after") - 1
        while i >= 0 and len(found) <= limit:
            obj = ok(order[i])
            if obj is not None:
                found.append(obj)
            i -= 1
        has_more = len(found) > limit
        data = found[:limit]
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def expand(acct: Account, value: Any, paths: list[str]) -> Any:
    """Return ``value`` with the given dotted expand paths replaced by objects (copies)."""
    if not paths:
        return value
    tree: dict[str, Any] = {}
    for p in paths:
        node = tree
        for seg in p.split("."):
            node = node.setdefault(seg, {})
    return _expand(acct, value, tree)


def _expand(acct: Account, value: Any, tree: dict[str, Any]) -> Any:
    if isinstance(value, list):
        return [_expand(acct, v, tree) for v in value]
    if not isinstance(value, dict):
        return value
    out = dict(value)
    hidden = acct.hidden.get(out.get("id", "")) if isinstance(out.get("id"), str) else None
    for key, sub in tree.items():
        if key in out:
            target = out[key]
        elif hidden is not None and key in hidden:
            target = hidden[key]
        else:
            continue
        if isinstance(target, str):
            resolved = acct.objects.get(target)
            if resolved is not None:
                target = resolved
        out[key] = (
            _expand(acct, target, sub) if sub else (dict(target) if isinstance(target, dict) else target)
        )
    return out


def expand_paths(params: dict[str, Any]) -> list[str]:
    raw = params.get("expand")
    if raw is None:
        return []
    items = as_list(raw, "expand")
    paths = [as_str(x, "expand") for x in items]
    for p in paths:
        if p.count(".") >= 4:
            raise invalid(
                f"You cannot expand more than 4 levels of a property. Property: {p}", param="expand"
            )
    return paths


def ensure_known(obj_id: str, typ: str, acct: Account, param: str) -> JSON:
    obj = acct.find(typ, obj_id)
    if obj is None:
        raise no_such(KIND_NAMES.get(typ, typ), obj_id, param=param, status=400)
    return obj


__all__ = ["Account", "RecordedRequest", "State", "StripeError"]
