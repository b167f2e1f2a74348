"""Accepted means applied: what becomes of each parameter of a request, decided before any handler runs.

Every POST route declares the parameters its behaviour consumes (``router.add(..., consumes=...)``,
dotted paths; a path covers everything under it). Every other spec-valid parameter is either
**stored** on the returned object where Stripe keeps it (a field of the same name and a fitting
type, at the same depth: `invoice_prefix` on a customer, `invoice_settings[footer]`) or **refused**
with a `sandbox_limit` error naming it. The refusal comes before the handler runs, so a refused
request changes nothing; the storing happens after it (or where the handler calls
``ctx.store_rest``), and events the request emitted about the object carry the stored fields.

The decision is made once per operation from the spec and the declaration (`plan`), and read by
the app (`split`, `store`) and by the docs (`limits`), so what docs/sandbox.md lists as a limit is
what the sandbox refuses.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ... import spec
from .errors import StripeError
from .schema_objects import apply_fields
from .store import Account, changed, snapshot

# Never copied onto an object by name: identity and bookkeeping fields the sandbox sets itself.
_NEVER_STORED = frozenset({"id", "object", "livemode", "created"})
# Consumed by every route (rendering, not state).
_ALWAYS_CONSUMED = frozenset({"expand"})

CONSUME, STORE, LIMIT, HASH = "consume", "store", "limit", "hash"


@dataclass(frozen=True)
class Plan:
    """What happens to one parameter: consumed by the handler, stored by name, refused as a
    sandbox limit, or (a hash) decided key by key in ``children``. ``nullable`` says whether an
    empty string (Stripe's "unset") may be stored for a hash."""

    decision: str
    children: Mapping[str, Plan] = field(default_factory=dict)
    nullable: bool = False


def consumed_tree(paths: Iterable[str]) -> dict[str, Any]:
    """Dotted paths as a tree; ``True`` marks a path consumed with everything under it."""
    tree: dict[str, Any] = {}
    for path in paths:
        node = tree
        parts = path.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if child is True:
                break
            node = node.setdefault(part, {})
        else:
            node[parts[-1]] = True
    return tree


def _branches(node: spec.Schema) -> list[spec.Schema]:
    node = spec.deref(node)
    return [spec.deref(b) for b in node.get("anyOf", [node])]


def _props(node: spec.Schema | None) -> dict[str, spec.Schema] | None:
    """The named properties of an object schema (any branch), or None if it is no such object."""
    if node is None:
        return None
    for branch in _branches(node):
        if branch.get("type") == "array":
            continue
        if branch.get("properties"):
            props: dict[str, spec.Schema] = branch["properties"]
            return props
    return None


def _item_props(node: spec.Schema) -> dict[str, spec.Schema] | None:
    for branch in _branches(node):
        if branch.get("type") == "array":
            return _props(branch.get("items", {}))
    return None


def _is_unset(branch: spec.Schema) -> bool:
    return branch.get("enum") == [""]


def _fits(param: spec.Schema, prop: spec.Schema) -> bool:
    """Whether every value the parameter schema allows can be stored in the property schema."""
    targets = _branches(prop)
    nullable = bool(spec.deref(prop).get("nullable")) or any(t.get("nullable") for t in targets)
    for branch in _branches(param):
        if _is_unset(branch):  # "" unsets: null, an empty list, or no metadata
            if not nullable and not any(t.get("type") in ("string", "array") or _is_map(t) for t in targets):
                return False
            continue
        if not any(_fits_one(branch, t) for t in targets):
            return False
    return True


def _is_map(node: spec.Schema) -> bool:
    return bool(node.get("additionalProperties")) and not node.get("properties")


def _fits_one(branch: spec.Schema, target: spec.Schema) -> bool:
    kind, goal = branch.get("type"), target.get("type")
    if kind == "object" or branch.get("properties") or branch.get("additionalProperties"):
        if goal != "object" and not target.get("properties") and not target.get("additionalProperties"):
            return False
        if branch.get("additionalProperties") and not branch.get("properties"):
            return bool(target.get("additionalProperties")) and not target.get("properties")
        props = target.get("properties") or {}
        return all(n in props and _fits(s, props[n]) for n, s in (branch.get("properties") or {}).items())
    if kind == "array":
        return goal == "array" and _fits(branch.get("items", {}), target.get("items", {}))
    if kind in ("integer", "number"):
        return goal in ("integer", "number") and (kind == goal or goal == "number")
    if branch.get("enum") == ["now"]:  # Stripe's "now" for a time: stored as the current time
        return goal == "integer" and target.get("format") == "unix-time"
    if kind == "boolean":
        return goal == "boolean"
    if kind == "string":
        if goal != "string":
            return False
        wanted, allowed = set(branch.get("enum") or ()), set(target.get("enum") or ())
        return (
            not allowed
            or (bool(wanted) and wanted <= allowed)
            or bool(target.get("x-stripeBypassValidation"))
        )
    return False


def _decide(name: str, param: spec.Schema, consumed: Any, prop: spec.Schema | None, top: bool) -> Plan:
    if consumed is True:
        return Plan(CONSUME)
    if isinstance(consumed, dict):
        # Partly consumed: the rest is decided key by key, against the object's field where the
        # parameter is a hash (never inside arrays: an item's place on the object is not by name).
        props = _props(param) or _item_props(param) or {}
        targets = _props(prop) if _props(param) else None
        children = {
            n: _decide(n, s, consumed.get(n), (targets or {}).get(n), False) for n, s in props.items()
        }
        return Plan(HASH, children, nullable=bool(prop and spec.deref(prop).get("nullable")))
    if prop is None or (top and name in _NEVER_STORED):
        return Plan(LIMIT)
    sub_params, sub_props = _props(param), _props(prop)
    if sub_params and sub_props and not _fits(param, prop):
        children = {n: _decide(n, s, None, sub_props.get(n), False) for n, s in sub_params.items()}
        return Plan(HASH, children, nullable=bool(spec.deref(prop).get("nullable")))
    return Plan(STORE) if _fits(param, prop) else Plan(LIMIT)


def object_props(op: spec.Operation) -> dict[str, spec.Schema]:
    """The fields of the object ``op`` returns (where unconsumed parameters are stored)."""
    from .generic import concrete  # generic imports the router, which imports this module

    returns = op.returns or ""
    if not returns or returns.startswith(("list", "deleted_")):
        return {}
    props: dict[str, spec.Schema] = spec.schemas().get(concrete(returns), {}).get("properties", {})
    return props


@functools.cache
def _plan(key: str, consumes: frozenset[str]) -> dict[str, Plan]:
    method, path = key.split(" ", 1)
    op = spec.operation(method, path)
    if op is None:
        return {}
    tree = consumed_tree(consumes | _ALWAYS_CONSUMED)
    props = object_props(op)
    return {
        name: _decide(name, schema, tree.get(name), props.get(name), True)
        for name, schema in op.params.get("properties", {}).items()
    }


def plan(op: spec.Operation, consumes: frozenset[str]) -> dict[str, Plan]:
    """Per top-level parameter of ``op``, what the route declaring ``consumes`` does with it."""
    return _plan(op.key, consumes)


def split(op: spec.Operation, consumes: frozenset[str], params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters of this request to store by name (the rest are consumed); raises the
    `sandbox_limit` error for the first one the sandbox would otherwise drop."""
    return _split(plan(op, consumes), params, op, ())


def _split(
    plans: Mapping[str, Plan], params: Mapping[str, Any], op: spec.Operation, at: tuple[Any, ...]
) -> dict[str, Any]:
    rest: dict[str, Any] = {}
    for name, value in params.items():
        here = (*at, name)
        node = plans.get(name)
        if node is None or node.decision == LIMIT:
            raise not_applied(op.method, op.path, here)
        if node.decision == CONSUME:
            continue
        if node.decision == STORE:
            rest[name] = value
        elif isinstance(value, Mapping):
            inner = _split(node.children, value, op, here)
            if inner:
                rest[name] = inner
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, Mapping) and _split(node.children, item, op, (*here, i)):
                    raise not_applied(op.method, op.path, (*here, i))
        elif value == "" and node.nullable:
            rest[name] = value
        else:
            raise not_applied(op.method, op.path, here)
    return rest


def bracketed(parts: Iterable[Any]) -> str:
    first, *others = (str(p) for p in parts)
    return first + "".join(f"[{p}]" for p in others)


def not_applied(
    method: str, path: str, parts: tuple[Any, ...], what: str = "", why: str = "the sandbox would ignore it"
) -> StripeError:
    """The `sandbox_limit` answer for a parameter the sandbox would otherwise ignore (``what``
    narrows it to a value: "a timestamp for"; ``why`` says what the sandbox cannot do with it)."""
    name = bracketed(parts)
    return StripeError(
        400,
        f"The offline sandbox does not apply {what}`{name}` on {method} {path}: Stripe accepts it, "
        f"but {why}, so it refuses the request and changes nothing. This is a "
        "limit of the sandbox, not of Stripe. Leave the parameter out, or try it against Stripe in "
        "test mode (an sk_test_ key without --sandbox).",
        code="sandbox_limit",
        param=name,
    )


@dataclass(frozen=True)
class Refusal:
    """A sandbox limit a hand-written handler applies to some values of a parameter it consumes
    (``when``: "`billing_scheme=tiered`"), declared once where the handler lives so docs/sandbox.md
    lists it (``REFUSALS``) and the handler raises it (``error``)."""

    operations: tuple[str, ...]
    when: str
    why: str

    def error(self, method: str, path: str, parts: tuple[Any, ...]) -> StripeError:
        return not_applied(method, path, parts, why=self.why)


REFUSALS: list[Refusal] = []


def refusal(operations: Iterable[str], when: str, why: str) -> Refusal:
    """Declare a hand-written sandbox limit (see ``Refusal``)."""
    found = Refusal(tuple(operations), when, why)
    REFUSALS.append(found)
    return found


def limits(op: spec.Operation, consumes: frozenset[str]) -> list[str]:
    """Every parameter (bracketed, ``[]`` for array items) this route refuses as a sandbox limit."""
    return sorted(_limits(plan(op, consumes), ()))


def _limits(plans: Mapping[str, Plan], at: tuple[str, ...]) -> Iterator[str]:
    for name, node in plans.items():
        if node.decision == LIMIT:
            yield bracketed((*at, name))
        elif node.decision == HASH:
            yield from _limits(node.children, (*at, name))


def store(acct: Account, op: spec.Operation, obj: Any, rest: Mapping[str, Any], first_event: int) -> None:
    """Put the stored parameters on ``obj`` (and the account's copy of it), and on the events this
    request emitted about it; an update that changed nothing else still emits its `.updated`."""
    if not rest or not isinstance(obj, dict):
        return
    props = object_props(op)
    oid = obj.get("id")
    kept = acct.objects.get(oid) if isinstance(oid, str) else None
    targets = [t for t in (kept, obj) if t is not None]
    if kept is obj:
        targets = [obj]
    before = snapshot(targets[0])
    for target in targets:
        apply_fields(props, target, dict(rest))
    previous = changed(before, targets[0])
    if not previous:
        return
    mine = [
        event
        for eid in acct.order.get("event", [])[first_event:]
        if (event := acct.objects.get(eid)) is not None and event["data"]["object"].get("id") == oid
    ]
    for event in mine:
        apply_fields(props, event["data"]["object"], dict(rest))
        if "previous_attributes" in event["data"] or event["type"].endswith(".updated"):
            prior = event["data"].setdefault("previous_attributes", {})
            prior.update({k: v for k, v in previous.items() if k not in prior})
    if not mine and _names_an_object(op.path) and oid is not None:
        for typ in (f"{obj.get('object')}.updated", f"customer.{obj.get('object')}.updated"):
            if typ in event_types():
                acct.emit(typ, targets[0], previous)
                break


def _names_an_object(path: str) -> bool:
    """Whether the path ends at an existing object (an update or an action, not a create)."""
    return path.rstrip("/").rsplit("/", 1)[-1].startswith("{")


@functools.cache
def event_types() -> frozenset[str]:
    """Every event type Stripe can send (the enum of a webhook endpoint's ``enabled_events``)."""
    op = spec.operation("POST", "/v1/webhook_endpoints")
    assert op is not None
    items = spec.deref(op.params["properties"]["enabled_events"]["items"])
    return frozenset(items.get("enum", ()))
