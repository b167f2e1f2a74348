"""More than the view: the fields a caller names (`fields=["lines", "status_transitions.paid_at"]`),
added to the view of each object as Stripe names them. A Stripe object met there is shown in its
own view, a list as a page of rows; anything else as Stripe sent it, without nulls."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

from .. import spec
from ..errors import InputError
from . import LISTS, page_dict, view_dict


def check_fields(returns: str | None, fields: Sequence[str]) -> None:
    """Refuse, before anything is sent, a field the returned type does not have (from the spec)."""
    name = (returns or "").removeprefix("list of ")
    schema = spec.schemas().get(name) if name else None
    if schema is None:
        return
    known = list(schema.get("properties", {}))
    for path in fields:
        top = path.split(".", 1)[0]
        if top not in known:
            close = difflib.get_close_matches(top, known, n=3)
            hint = f"Did you mean {', '.join(close)}?" if close else f"A {name} has: {', '.join(known)}."
            raise InputError("fields", f"{path!r} is not a field of {name}. Nothing was sent.", hint)


def lookup(value: Any, path: str) -> Any:
    """The value at a dotted path (`lines.data.0.amount`: a number indexes a list); None if absent."""
    for part in path.split("."):
        if isinstance(value, list) and part.isdigit():
            value = value[int(part)] if int(part) < len(value) else None
        elif isinstance(value, Mapping):
            value = value.get(part)
        else:
            return None
    return value


def shown_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        if value.get("object") in LISTS:
            return page_dict(value)
        if isinstance(value.get("object"), str) and "id" in value:
            return view_dict(value)
        return {k: shown_value(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [shown_value(item) for item in value]
    return value


def add_fields(view: dict[str, Any], obj: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """`view` with each named field of `obj` added at its own path (a list index keeps the dotted path)."""
    for path in fields:
        parts = path.split(".")
        value = shown_value(lookup(obj, path))
        if value is None:
            continue
        if any(part.isdigit() for part in parts):
            view[path] = value
            continue
        node = view
        for part in parts[:-1]:
            child = node.get(part)
            node[part] = child = child if isinstance(child, dict) else {}
            node = child
        node[parts[-1]] = value
    return view


def shown(body: Mapping[str, Any], fields: Sequence[str] = (), **related: Any) -> dict[str, Any]:
    """What `call_stripe_api` returns: the view of an object, or a page of rows, with `fields` added."""
    result = view_dict(body, **related)
    if not fields:
        return result
    if body.get("object") in LISTS:
        items = [item for item in body.get("data") or [] if isinstance(item, Mapping)]
        for row, item in zip(result["data"], items, strict=True):
            add_fields(row, item, fields)
        return result
    return add_fields(result, body, fields)
