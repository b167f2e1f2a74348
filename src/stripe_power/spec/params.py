"""Request parameters against the spec, at any depth, in wire terms.

Values are checked as Stripe receives them (form encoding): every leaf is a string, so
`True` is checked as `"true"` and `25` as `"25"`. The Gateway (typed values from tools and
`call_stripe_api`) and the sandbox (decoded form bodies) share these checks.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ._index import Operation, Schema, deref, operations

_INTEGER = re.compile(r"-?\d+")
_NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def _int64(text: str) -> bool:
    """Stripe's integers are 64-bit: a longer run of digits is no integer to it (and is never
    converted here: Python refuses to read 4300 digits or more)."""
    return bool(_INTEGER.fullmatch(text)) and len(text) <= 20 and -(2**63) <= int(text) < 2**63


def _finite(text: str) -> bool:
    """A decimal that is a finite number (`1e309` and 5000 digits overflow to infinity)."""
    return bool(_NUMBER.fullmatch(text)) and math.isfinite(float(text))


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request, named the way Stripe names it (`address[line2]`)."""

    # Stripe's error code (parameter_unknown, parameter_missing, parameter_invalid_integer,
    # parameter_invalid_empty), or None where Stripe sends none (booleans, enums, lengths, shapes).
    code: str | None
    param: str  # bracketed wire name, e.g. line_items[0][price_data][currency]
    message: str  # Stripe's wording
    suggestion: str | None = None  # did-you-mean, for unknown names
    # For an unknown name that this object takes deeper down (`coupon` on promotion codes is
    # `promotion.coupon` in this API version): the full dotted path of each place it sits.
    moved_to: tuple[str, ...] = ()

    @property
    def dotted(self) -> str:
        """The same name with dots (`line_items.0.price_data`), as tool arguments are named."""
        return self.param.replace("][", ".").replace("[", ".").rstrip("]")


def bracketed(parts: tuple[str | int, ...]) -> str:
    head, *rest = (str(p) for p in parts)
    return head + "".join(f"[{p}]" for p in rest)


def to_wire(value: Any) -> Any:
    """What the stripe SDK puts on the wire for a Python value (None means: not sent)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_wire(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [to_wire(v) for v in value if v is not None]
    return value


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(
        self,
        code: str | None,
        parts: tuple[str | int, ...],
        message: str,
        suggestion: str | None = None,
        moved_to: tuple[str, ...] = (),
    ) -> None:
        self.problems.append(Problem(code, bracketed(parts), message, suggestion, moved_to))

    def value(self, schema: Schema, value: Any, parts: tuple[str | int, ...]) -> None:
        schema = deref(schema)
        branches = schema.get("anyOf") or schema.get("oneOf")
        if branches:
            self.union([deref(b) for b in branches], value, parts)
            return
        kind = schema.get("type")
        if kind == "object":
            self.obj(schema, value, parts)
        elif kind == "array":
            self.array(schema, value, parts)
        elif kind is None:
            return
        elif isinstance(value, dict | list):
            self.add(
                "parameter_invalid_integer" if kind == "integer" else None,
                parts,
                f"Invalid {kind}: expected a single value for {bracketed(parts)}, not a hash or array.",
            )
        else:
            self.scalar(schema, str(value), parts)

    def union(self, branches: list[Schema], value: Any, parts: tuple[str | int, ...]) -> None:
        if value == "" and any(b.get("enum") == [""] for b in branches):
            return
        # Pick the branch whose shape fits the value (a hash, an array, a scalar), then report its problems.
        fits = [b for b in branches if _fits(b, value)] or branches
        best: list[Problem] | None = None
        for branch in fits:
            sub = _Checker()
            sub.value(branch, value, parts)
            if not sub.problems:
                return
            if best is None or len(sub.problems) < len(best):
                best = sub.problems
        self.problems.extend(best or [])

    def obj(self, schema: Schema, value: Any, parts: tuple[str | int, ...]) -> None:
        if not isinstance(value, dict):
            if value == "" and not parts:
                return
            self.add(
                None,
                parts,
                f"Invalid object: {bracketed(parts)} must be a hash (e.g. {bracketed(parts)}[key]=value).",
            )
            return
        properties: dict[str, Schema] = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, sub in value.items():
            if key in properties:
                self.value(properties[key], sub, (*parts, key))
            elif isinstance(extra, dict):
                if sub != "":  # `metadata[key]=` (empty) unsets that key
                    self.value(extra, sub, (*parts, key))
            elif extra is True or (not properties and extra is None):
                continue
            else:
                close = difflib.get_close_matches(key, list(properties), n=1, cutoff=0.6)
                self.add(
                    "parameter_unknown",
                    (*parts, key),
                    f"Received unknown parameter: {bracketed((*parts, key))}"
                    + (f". Did you mean {close[0]}?" if close else ""),
                    close[0] if close else None,
                    _deeper(schema, key, parts),
                )
        for key in schema.get("required", ()):
            if key not in value:
                self.add(
                    "parameter_missing", (*parts, key), f"Missing required param: {bracketed((*parts, key))}."
                )

    def array(self, schema: Schema, value: Any, parts: tuple[str | int, ...]) -> None:
        if isinstance(value, dict) and all(k.isdigit() for k in value):
            value = [value[k] for k in sorted(value, key=int)]
        if not isinstance(value, list):
            if value == "":
                return
            self.add(
                None,
                parts,
                f"Invalid array: {bracketed(parts)} must be a list (e.g. {bracketed(parts)}[0]=value).",
            )
            return
        items = schema.get("items", {})
        for i, item in enumerate(value):
            self.value(items, item, (*parts, i))

    def scalar(self, schema: Schema, text: str, parts: tuple[str | int, ...]) -> None:
        kind = schema.get("type")
        if text == "" and schema.get("enum") != [""]:
            name = bracketed(parts)
            # Stripe reads an empty value as "unset", which only emptyable parameters allow.
            self.add(
                "parameter_invalid_empty",
                parts,
                f"You passed an empty string for '{name}'. We assume empty values are an attempt to "
                f"unset a parameter; however '{name}' cannot be unset. You should remove '{name}' from "
                "your request or supply a non-empty value.",
            )
        elif kind == "integer" and not _int64(text):
            self.add("parameter_invalid_integer", parts, f"Invalid integer: {text[:40]}")
        elif kind == "number" and not _finite(text):
            self.add(None, parts, f"Invalid decimal: {text[:40]}")
        elif kind == "boolean" and text not in ("true", "false"):
            self.add(None, parts, f"Invalid boolean: {text[:40]}")
        elif kind == "string":
            enum = schema.get("enum")
            if enum and text not in enum and not schema.get("x-stripeBypassValidation"):
                choices = [str(e) for e in enum if e != ""]
                self.add(
                    None,
                    parts,
                    f"Invalid {parts[-1]}: must be one of {_one_of(choices)}",
                    _close(text, choices),
                )
            limit = schema.get("maxLength")
            if limit is not None and len(text) > limit:
                self.add(
                    None,
                    parts,
                    f"Invalid string: {text[:20]}...; must be at most {limit} characters",
                )


def _deeper(schema: Schema, name: str, parts: tuple[str | int, ...]) -> tuple[str, ...]:
    """Where `name` sits below this object, as full dotted paths (`line_items.0.price_data.product_data.name`)."""
    at = [str(p) for p in parts]
    found = {".".join([*at, *place]) for place, _ in walk(schema) if len(place) > 1 and place[-1] == name}
    return tuple(sorted(found, key=lambda path: (path.count("."), path)))[:3]


def _close(text: str, choices: list[str]) -> str | None:
    close = difflib.get_close_matches(text, choices, n=1, cutoff=0.6)
    return close[0] if close else None


def _one_of(choices: list[str]) -> str:
    if len(choices) <= 2:
        return " or ".join(choices)
    return ", ".join(choices[:-1]) + f", or {choices[-1]}"


def _fits(schema: Schema, value: Any) -> bool:
    kind = schema.get("type")
    if isinstance(value, dict):
        return kind == "object" or (kind == "array" and all(k.isdigit() for k in value))
    if isinstance(value, list):
        return kind == "array"
    return kind not in ("object", "array")


def check(op: Operation, params: Mapping[str, Any], *, wire: bool = False) -> list[Problem]:
    """Every problem with `params` for `op`: unknown names (with a did-you-mean), missing required
    ones, wrong types, enums and lengths, at any depth. `wire=False` converts Python values first."""
    values = dict(params) if wire else to_wire(params)
    checker = _Checker()
    checker.obj(op.params, values, ())
    return checker.problems


def lookup(op: Operation, param: str) -> Schema | None:
    """The schema of one parameter, named with brackets or dots (`line_items[price_data]`,
    `line_items.price_data.recurring`); array indices may be given or left out."""
    parts = [p for p in re.split(r"[\[\].]+", param) if p and not p.isdigit()]
    node: Schema = op.params
    for part in parts:
        node = _child(node, part)
        if not node:
            return None
    return node


def _child(node: Schema, name: str) -> Schema:
    node = deref(node)
    for branch in [node, *(deref(b) for b in node.get("anyOf", ()))]:
        if branch.get("type") == "array":
            branch = deref(branch.get("items", {}))
            for sub in [branch, *(deref(b) for b in branch.get("anyOf", ()))]:
                if name in sub.get("properties", {}):
                    found: Schema = sub["properties"][name]
                    return found
        if name in branch.get("properties", {}):
            found = branch["properties"][name]
            return found
    return {}


def walk(schema: Schema, parts: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Schema]]:
    """Every named parameter under `schema`, depth first, as (path of names, schema). Arrays are
    transparent: `line_items.price_data` is under `line_items`."""
    schema = deref(schema)
    branches = [schema, *(deref(b) for b in [*schema.get("anyOf", ()), *schema.get("oneOf", ())])]
    for branch in branches:
        if branch.get("type") == "array":
            yield from walk(branch.get("items", {}), parts)
        for name, sub in branch.get("properties", {}).items():
            here = (*parts, name)
            yield here, sub
            yield from walk(sub, here)


def holders(name: str) -> dict[str, list[tuple[str, ...]]]:
    """Every operation (by `METHOD /path`) whose parameters have `name` at any depth, with the
    path of names to each occurrence: what a guardrail about `name` must cover."""
    found: dict[str, list[tuple[str, ...]]] = {}
    for op in operations():
        paths = [p for p, _ in walk(op.params) if p[-1] == name]
        if paths:
            found[op.key] = sorted(set(paths))
    return found
