"""Parse Stripe's nested form encoding (``a[b][0][c]=v``) into dicts and lists.

The stripe SDK sends lists with explicit indices (``expand[0]=x``); other clients send ``expand[]=x``.
Both become lists. ``metadata`` keeps digit keys as strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_KEEP_DICT = frozenset({"metadata"})
# Stripe's deepest parameter nests 8 levels (spec3.json, `invoices/create_preview`); past this
# many levels a key can name no parameter, and is refused before anything walks it.
MAX_DEPTH = 32
MAX_INDEX_DIGITS = 6


class FormError(ValueError):
    def __init__(self, key: str, message: str | None = None) -> None:
        super().__init__(message or f"Invalid parameter: {key}")
        self.key = key
        self.message = message or f"Invalid parameter: {key}"


def parse_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for key, value in pairs:
        bracket = key.find("[")
        if bracket == -1:
            root[key] = value
            continue
        head = key[:bracket]
        rest = key[bracket:]
        segments = _SEGMENT.findall(rest)
        if not head or "".join(f"[{s}]" for s in segments) != rest:
            raise FormError(key)
        if len(segments) >= MAX_DEPTH:
            raise FormError(head, f"Invalid parameter: {head} is nested more than {MAX_DEPTH} levels deep.")
        node: dict[str, Any] = root
        path = [head, *segments]
        for seg in path[:-1]:
            name = seg if seg != "" else str(len(node))
            child = node.get(name)
            if not isinstance(child, dict):
                child = {}
                node[name] = child
            node = child
        last = path[-1]
        if last == "":
            # ``a[]=x``: append, using the next free index.
            node[str(len(node))] = value
        else:
            node[last] = value
    return {k: _listify(v, k) for k, v in root.items()}


def _listify(value: Any, key: str) -> Any:
    if not isinstance(value, dict):
        return value
    converted = {k: _listify(v, k) for k, v in value.items()}
    if key not in _KEEP_DICT and converted and all(k.isascii() and k.isdigit() for k in converted):
        if any(len(k) > MAX_INDEX_DIGITS for k in converted):  # no list is that long (nor int() of it safe)
            raise FormError(key, f"Invalid array index for {key}: more than {MAX_INDEX_DIGITS} digits.")
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


def parse_query(query: str) -> dict[str, Any]:
    return parse_pairs(parse_qsl(query, keep_blank_values=True))


def parse_body(body: bytes) -> dict[str, Any]:
    return parse_pairs(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


class Params(dict[str, Any]):
    """Decoded parameters whose missing keys are Stripe's `parameter_missing` (400), not a crash.

    A handler that reads `p["customer"]` requires `customer`; when the caller left it out, Stripe
    answers "Missing required param: customer." and so does the sandbox. Nested hashes carry their
    bracketed prefix (`line_items[0][price_data]`), so the error names the parameter as Stripe does.
    """

    def __init__(self, data: dict[str, Any], prefix: str = "") -> None:
        super().__init__({k: _wrap(v, _name(prefix, k)) for k, v in data.items()})
        self.prefix = prefix

    def __missing__(self, key: str) -> Any:
        from .errors import missing_param  # errors has no dependencies; imported late to keep forms pure

        raise missing_param(_name(self.prefix, key))


def _name(prefix: str, key: object) -> str:
    return f"{prefix}[{key}]" if prefix else str(key)


def _wrap(value: Any, name: str) -> Any:
    if isinstance(value, dict):
        return Params(value, name)
    if isinstance(value, list):
        return [_wrap(v, _name(name, i)) for i, v in enumerate(value)]
    return value
