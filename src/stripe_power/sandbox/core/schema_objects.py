"""Spec-valid objects from Stripe's response schemas: defaults for a new object, and request
params applied onto fields of the same name (coerced from form strings to the schema's types)."""

from __future__ import annotations

import copy
import functools
from typing import Any

from ... import spec
from .ids import new_id
from .store import apply_metadata, now

Schema = dict[str, Any]
_SKIP = object()  # coerce(): the value does not fit the schema


def _bypass(node: Schema) -> bool:
    return bool(node.get("x-stripeBypassValidation"))


def coerce(value: Any, node: Schema) -> Any:
    """``value`` (as parsed from a form: strings, dicts, lists) as ``node`` describes it, or _SKIP."""
    node = spec.deref(node)
    if value == "" and node.get("nullable"):
        return None
    if "anyOf" in node:
        for branch in node["anyOf"]:
            found = coerce(value, branch)
            if found is not _SKIP:
                return found
        return _SKIP
    kind = node.get("type")
    if kind == "string":
        ok = isinstance(value, str) and (not node.get("enum") or value in node["enum"] or _bypass(node))
        return value if ok else _SKIP
    if kind in ("integer", "number"):
        if value == "now" and node.get("format") == "unix-time":
            return now()
        try:
            number = float(str(value))
        except ValueError:
            return _SKIP
        if kind == "integer" or number.is_integer():
            return int(number) if number.is_integer() else _SKIP
        return number
    if kind == "boolean":
        return {"true": True, "false": False, True: True, False: False}.get(value, _SKIP)
    if kind == "array":
        items = value if isinstance(value, list) else [] if value in ({}, "") else None
        if items is None:
            return _SKIP
        out = [coerce(item, node.get("items", {})) for item in items]
        return _SKIP if any(o is _SKIP for o in out) else out
    if kind == "object" or "properties" in node:
        if not isinstance(value, dict):
            return _SKIP
        props: dict[str, Schema] = node.get("properties", {})
        extra = node.get("additionalProperties")
        if not props:
            return {k: v for k, v in value.items() if isinstance(v, str)} if extra else _SKIP
        result = defaults(node)
        for key, sub in value.items():
            if key not in props:
                return _SKIP
            found = coerce(sub, props[key])
            if found is _SKIP:
                return _SKIP
            result[key] = found
        return result
    return _SKIP


def defaults(node: Schema, example: Any = None) -> dict[str, Any]:
    """An object of schema ``node``: nullable fields None, other required fields from Stripe's
    example (``example``) where it has them, else an empty value of their type."""
    node = spec.deref(node)
    sample = example if isinstance(example, dict) else {}
    required = set(node.get("required", ()))
    out: dict[str, Any] = {}
    for name, sub in node.get("properties", {}).items():
        sub = spec.deref(sub) if "$ref" in sub else sub
        if sub.get("nullable"):
            out[name] = None
        elif name in required:
            out[name] = _value(sub, sample.get(name))
    return out


def _value(node: Schema, example: Any) -> Any:
    if "anyOf" in node:
        expandable = any("$ref" in b for b in node["anyOf"]) and any(
            b.get("type") == "string" for b in node["anyOf"]
        )
        if expandable and isinstance(example, str):
            return example
        return _value(spec.deref(node["anyOf"][0]), example)
    node = spec.deref(node)
    kind = node.get("type")
    enum = node.get("enum")
    if enum:
        return example if example in enum else enum[0]
    if kind == "boolean":
        return False  # nested switches (components' `enabled`) start off; see new_object
    if kind in ("integer", "number"):
        return 0
    if kind == "string":
        return example if isinstance(example, str) else ""
    if kind == "array":
        return []
    if kind == "object" or "properties" in node:
        if not node.get("properties"):
            return {}
        return defaults(node, example)
    return copy.deepcopy(example)


@functools.cache
def prefix(typ: str) -> str:
    """The id prefix of ``typ``, from Stripe's example object (``txr`` for tax_rate)."""
    example = spec.fixtures().get(typ, {})
    ident = example.get("id") if isinstance(example, dict) else None
    if isinstance(ident, str) and "_" in ident:
        return ident.rsplit("_", 1)[0]
    return typ.rsplit(".", 1)[-1][:6]


def has_id(typ: str) -> bool:
    return "id" in spec.schemas().get(typ, {}).get("properties", {})


def new_object(typ: str) -> dict[str, Any]:
    """A fresh object of ``typ`` with defaults, a new id, ``created`` now and ``livemode`` false."""
    schema = spec.schemas()[typ]
    example = spec.fixtures().get(typ) or {}
    obj = defaults(schema, example)
    props = schema.get("properties", {})
    for name, value in example.items():  # top-level flags as Stripe's example has them (`active`)
        if isinstance(value, bool) and isinstance(obj.get(name), bool):
            obj[name] = value
    if "id" in props:
        obj["id"] = new_id(prefix(typ), 24)
    if "object" in props:
        obj["object"] = typ
    for name in ("created", "livemode", "metadata"):
        if name in props:
            obj[name] = {"created": now(), "livemode": False, "metadata": {}}[name]
    return obj


def apply(typ: str, obj: dict[str, Any], params: dict[str, Any]) -> None:
    """Set each request param that is a field of ``typ`` (and fits its schema) on ``obj``."""
    apply_fields(spec.schemas()[typ].get("properties", {}), obj, params)


def apply_fields(props: dict[str, Schema], obj: dict[str, Any], params: dict[str, Any]) -> None:
    """``apply`` for any object's ``properties`` (a nested hash such as a dispute's evidence).
    A hash given for a field that holds one is merged key by key, as Stripe updates hashes."""
    for name, value in params.items():
        if name in ("id", "object", "expand", "livemode", "created") or name not in props:
            continue
        if name == "metadata":
            obj["metadata"] = apply_metadata(obj.get("metadata"), value)
            continue
        current = obj.get(name)
        sub = _object_props(props[name])
        if isinstance(value, dict) and isinstance(current, dict) and sub:
            apply_fields(sub, current, value)
            continue
        found = coerce(value, props[name])
        if found is not _SKIP:
            obj[name] = found


def _object_props(node: Schema) -> dict[str, Schema]:
    for branch in spec.deref(node).get("anyOf", [node]):
        branch = spec.deref(branch)
        if branch.get("properties"):
            found: dict[str, Schema] = branch["properties"]
            return found
    return {}
