"""Every operation in Stripe's spec that no hand-written module serves, answered from the spec.

Each operation is classified once from its method, path and return type:
- storage: create (POST collection), retrieve (GET item), update (POST item), delete (DELETE
  item), list (GET collection, nested collections filtered by their parent), search, and
  singletons (``/v1/balance``, ``/v1/customers/{customer}/cash_balance``). Objects are built from
  the response schema (`schema_objects`) and kept in the account's store like any other.
- actions (``POST /v1/quotes/{quote}/cancel``) that move the object to a status its schema names;
- everything else answers a Stripe-shaped error that says it is a limit of the sandbox.
Request validation is the app's (the same for every operation); this module never re-checks params.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ... import spec
from .accepted import event_types, limits
from .errors import StripeError, no_such
from .router import Ctx, Handler
from .schema_objects import has_id, new_object, prefix
from .search import DOCUMENTED_FIELDS, fields_of, search
from .store import JSON, paginate, snapshot

_PARAM = re.compile(r"^\{(\w+)\}$")

# An action verb and the status it leaves the object in (used only where the schema's status enum
# has that value).
_ACTION_STATUS = {
    "accept": "accepted",
    "activate": "active",
    "approve": "approved",
    "archive": "archived",
    "cancel": "canceled",
    "close": "closed",
    "deactivate": "inactive",
    "decline": "declined",
    "complete": "completed",
    "disconnect": "disconnected",
    "expire": "expired",
    "fail": "failed",
    "finalize": "open",
    "post": "posted",
    "reactivate": "active",
    "reject": "rejected",
    "return": "returned",
    "succeed": "succeeded",
    "void": "void",
}

# Operations that need the outside world; they answer a sandbox-limit error saying why.
_OFFLINE_LIMITS = {
    "POST /v1/files": "file uploads go to files.stripe.com as multipart/form-data",
    "GET /v1/files/{file}/contents": "file contents are served by files.stripe.com",
    "GET /v1/quotes/{quote}/pdf": "PDFs are rendered and served by files.stripe.com",
}


def sandbox_limit(method: str, path: str, why: str) -> StripeError:
    """The answer to an operation Stripe has but the sandbox cannot emulate: not Stripe's gap."""
    return StripeError(
        400,
        f"The offline sandbox does not emulate {method} {path} ({why}). This is a limit of the "
        "sandbox, not of Stripe: the endpoint exists in Stripe's API. Try it against Stripe in test "
        "mode (an sk_test_ key without --sandbox).",
        code="sandbox_limit",
    )


@dataclass(frozen=True)
class Kind:
    """How one operation is served: ``name`` is create/retrieve/update/delete/list/search/
    singleton/singleton_update/action/limit; ``typ`` is the object type it returns."""

    name: str
    typ: str
    why: str = ""


def _segments(path: str) -> list[str]:
    return path.strip("/").split("/")


@functools.cache
def _templates() -> frozenset[str]:
    return frozenset(op.key for op in spec.operations())


def _exists(method: str, path: str) -> bool:
    return f"{method} {path}" in _templates()


def concrete(typ: str) -> str:
    """A polymorphic type (``external_account``: bank_account or card) as its first member."""
    node = spec.schemas().get(typ, {})
    while "anyOf" in node and spec.ref_name(node["anyOf"][0]):
        typ = str(spec.ref_name(node["anyOf"][0]))
        node = spec.schemas()[typ]
    return typ


def _returns(op: spec.Operation) -> str:
    returns = op.returns or ""
    if returns == "list":  # a list of several types: its first
        items = (op.response or {}).get("properties", {}).get("data", {}).get("items", {})
        first = spec.ref_name(items.get("anyOf", [items])[0])
        return f"list of {concrete(first)}" if first else returns
    if returns.startswith("list of "):
        return "list of " + concrete(returns.removeprefix("list of "))
    deleted = returns.startswith("deleted_")
    typ = concrete(returns.removeprefix("deleted_"))
    return ("deleted_" if deleted else "") + typ


def classify(op: spec.Operation) -> Kind:
    kind = _classify(op)
    if op.method == "POST" and kind.name != "limit":
        # A parameter every request must send, which the sandbox would not apply: no request can
        # be served (a terminal reader's `registration_code` pairs real hardware).
        refused = [n for n in op.params.get("required", ()) if n in limits(op, consumes(op))]
        if refused:
            return Kind("limit", kind.typ, f"it requires `{refused[0]}`, which the sandbox cannot apply")
    return kind


def _classify(op: spec.Operation) -> Kind:
    returns = _returns(op)
    if op.key in _OFFLINE_LIMITS:
        return Kind("limit", returns, _OFFLINE_LIMITS[op.key])
    segs = _segments(op.path)
    last_is_param = bool(_PARAM.match(segs[-1]))
    if returns.startswith("list of "):
        typ = returns.removeprefix("list of ")
        if op.method == "GET" and typ in spec.schemas():
            if segs[-1] == "search":
                return Kind("search", typ)
            return Kind("list", typ)
        return Kind("limit", typ, "no list to serve for this path")
    typ = returns.removeprefix("deleted_")
    if typ not in spec.schemas():
        return Kind("limit", typ, "the spec names no object type for its answer")
    if op.method == "DELETE":
        return Kind("delete", typ) if last_is_param and has_id(typ) else Kind("limit", typ, "not storage")
    if last_is_param:
        if op.method == "GET":
            return Kind("retrieve", typ)
        return Kind("update", typ) if has_id(typ) else Kind("limit", typ, "not storage")
    collection = _exists("GET", op.path) and spec.operation("GET", op.path) is not None
    lists_here = collection and (spec.operation("GET", op.path).returns or "").startswith("list of ")  # type: ignore[union-attr]
    has_items = any(k.startswith(f"GET {op.path}/{{") for k in _templates())
    if op.method == "GET":
        return Kind("singleton", typ)
    if collection and not lists_here:
        return Kind("singleton_update", typ)
    if lists_here or has_items or not any(_PARAM.match(s) for s in segs):
        return Kind("create", typ)
    owner = _PARAM.match(segs[-2]) if len(segs) > 1 else None
    if owner and segs[-1] in _ACTION_STATUS and _status_allows(typ, _ACTION_STATUS[segs[-1]]):
        return Kind("action", typ)
    if owner and not _owner_is(typ, op, owner.group(1)):
        return Kind("create", typ)
    return Kind("limit", typ, f"`{segs[-1]}` changes state the sandbox does not model")


def _status_allows(typ: str, status: str) -> bool:
    node = spec.schemas()[typ].get("properties", {}).get("status")
    return bool(node) and status in (spec.deref(node).get("enum") or ())


def _owner_is(typ: str, op: spec.Operation, param: str) -> bool:
    """Whether the path parameter before the action names an object of the returned type."""
    return param in ("id", typ.rsplit(".", 1)[-1], "intent", "session") or param == prefix(typ)


# -- handlers --------------------------------------------------------------------------------


def _parent(op: spec.Operation, ctx: Ctx) -> tuple[str, str] | None:
    """The enclosing object of a nested path (``customer``, ``cus_...``), checked to exist where
    its type is one the sandbox stores."""
    segs = _segments(op.path)
    names = [m.group(1) for s in segs if (m := _PARAM.match(s))]
    if segs and _PARAM.match(segs[-1]):
        names = names[:-1]
    if not names:
        return None
    name = names[-1]
    value = ctx.path_params[name]
    if name in spec.schemas() and has_id(name) and ctx.acct.find(name, value) is None:
        raise no_such(name, value)
    return name, value


def _item(ctx: Ctx, op: spec.Operation, typ: str) -> JSON:
    name = _segments(op.path)[-1].strip("{}")
    oid = ctx.path_params[name]
    obj = ctx.acct.find(typ, oid)
    parent = _parent(op, ctx)
    if obj is None or (parent and ctx.acct.priv(obj).get("parent", parent) != parent):
        raise no_such(typ, oid)
    return obj


def _event(ctx: Ctx, typ: str, verb: str, obj: JSON, previous: JSON | None = None) -> None:
    if f"{typ}.{verb}" in event_types():
        ctx.acct.emit(f"{typ}.{verb}", obj, previous)


def _create(op: spec.Operation, typ: str, ctx: Ctx) -> JSON:
    parent = _parent(op, ctx)
    obj = new_object(typ)
    if "id" in ctx.params and "id" in obj:  # a custom id, as Stripe allows for plans
        if ctx.acct.objects.get(ctx.params["id"]) is not None:
            raise StripeError(
                400,
                f"{typ.replace('_', ' ').capitalize()} already exists.",
                code="resource_already_exists",
                param="id",
            )
        obj["id"] = ctx.params["id"]
    ctx.store_rest(obj, typ)
    if parent and parent[0] in obj:
        obj[parent[0]] = parent[1]
    if "id" not in obj:
        return obj  # not stored by Stripe either (links, sessions without ids)
    ctx.acct.add(obj)
    if parent:
        ctx.acct.priv(obj)["parent"] = parent
    _event(ctx, typ, "created", obj)
    return obj


def _update(op: spec.Operation, typ: str, ctx: Ctx) -> JSON:
    obj = _item(ctx, op, typ)
    before = snapshot(obj)
    ctx.store_rest(obj, typ)
    previous = {k: v for k, v in before.items() if obj.get(k) != v}
    if previous:
        _event(ctx, typ, "updated", obj, previous)
    return obj


def _delete(op: spec.Operation, typ: str, ctx: Ctx) -> JSON:
    obj = _item(ctx, op, typ)
    stub: JSON = {"id": obj["id"], "object": typ, "deleted": True}
    ctx.acct.objects[obj["id"]] = stub
    _event(ctx, typ, "deleted", obj)
    return stub


def _list(op: spec.Operation, typ: str, ctx: Ctx) -> JSON:
    parent = _parent(op, ctx)
    filters = {
        k: v
        for k, v in ctx.params.items()
        if isinstance(v, str) and k in _scalar_fields(typ) and k != "created"
    }

    def keep(obj: JSON) -> bool:
        if parent and ctx.acct.priv(obj).get("parent", parent) != parent and obj.get(parent[0]) != parent[1]:
            return False
        return all(str(obj.get(k)).lower() == v.lower() for k, v in filters.items())

    return paginate(ctx.acct, typ, ctx.params, ctx.path, keep)


def _search(op: spec.Operation, typ: str, ctx: Ctx) -> JSON:
    return search(ctx, typ, fields_of(*DOCUMENTED_FIELDS.get(typ, _scalar_fields(typ))), ctx.path)


@functools.cache
def _scalar_fields(typ: str) -> tuple[str, ...]:
    props = spec.schemas()[typ].get("properties", {})
    return tuple(
        name
        for name, node in props.items()
        if spec.deref(node).get("type") in ("string", "integer", "boolean", "number")
        or any(b.get("type") == "string" for b in node.get("anyOf", ()))
    )


def _singleton(op: spec.Operation, typ: str, ctx: Ctx, update: bool) -> JSON:
    parent = _parent(op, ctx)
    key = f"{typ}:{parent[1] if parent else ''}"
    store = ctx.acct.singletons
    obj = store.get(key)
    if obj is None:
        obj = store[key] = new_object(typ)
        if parent and parent[0] in obj:
            obj[parent[0]] = parent[1]
    if update:
        ctx.store_rest(obj, typ)
    return obj


def _action(op: spec.Operation, typ: str, ctx: Ctx) -> JSON:
    verb = _segments(op.path)[-1]
    name = _segments(op.path)[-2].strip("{}")
    obj = ctx.acct.find(typ, ctx.path_params[name])
    if obj is None:
        raise no_such(typ, ctx.path_params[name])
    before = snapshot(obj)
    obj["status"] = _ACTION_STATUS[verb]
    ctx.store_rest(obj, typ)
    previous = {k: v for k, v in before.items() if obj.get(k) != v}
    verb_event = obj["status"] if f"{typ}.{obj['status']}" in event_types() else "updated"
    _event(ctx, typ, verb_event, obj, previous)
    return obj


def consumes(op: spec.Operation) -> frozenset[str]:
    """What a generic handler consumes besides storing by name: a create's custom ``id``."""
    return frozenset({"id"}) if _classify(op).name == "create" else frozenset()


def handler(op: spec.Operation) -> Handler:
    """The handler that serves ``op`` from the spec."""
    kind = classify(op)

    def serve(ctx: Ctx) -> JSON:
        if kind.name == "create":
            return _create(op, kind.typ, ctx)
        if kind.name == "retrieve":
            return _item(ctx, op, kind.typ)
        if kind.name == "update":
            return _update(op, kind.typ, ctx)
        if kind.name == "delete":
            return _delete(op, kind.typ, ctx)
        if kind.name == "list":
            return _list(op, kind.typ, ctx)
        if kind.name == "search":
            return _search(op, kind.typ, ctx)
        if kind.name in ("singleton", "singleton_update"):
            return _singleton(op, kind.typ, ctx, kind.name == "singleton_update")
        if kind.name == "action":
            return _action(op, kind.typ, ctx)
        raise sandbox_limit(op.method, op.path, kind.why)

    return serve
