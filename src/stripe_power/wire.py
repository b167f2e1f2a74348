"""One request as Stripe will receive it: encoded once, and every judgement reads that one form.

`canonical(method, path, params)` encodes the parameters into the form pairs the Gateway sends
(`items[0][price]=price_1`) and reads those pairs back the way Stripe reads them. The spec check,
the guardrails, the money kinds, the limits, the confirmation binding, redaction and the audit
line all read the result, so two spellings of one wire request are one request to every check:

- the encoding is the stripe SDK's (`stripe/_encode.py` `_api_encode`, then `urlencode`): an
  object's keys become `a[b]`, list elements `a[0]`, True is `true`, a number is its `str()` (the
  float 4242424242424242.0 is the text `4242424242424242.0`), None is left out. The Gateway hands
  the SDK these flat pairs, so what goes out is exactly what was judged;
- reading back: a list and an object with the keys "0", "1", ... are the same pairs, so both are
  a list wherever Stripe's spec has an array; each value takes the type the spec gives its place,
  as Stripe parses it (`"0"` is the integer 0 for `trial_period_days`, `"true"` is True).

What the SDK would send but Stripe cannot mean is refused here, naming the parameter: a key with
brackets (pre-encoded), an empty key, null inside a list, an object whose numeric keys are not
0, 1, 2, ... where Stripe expects a list, nesting deeper than any Stripe parameter, more values
than any Stripe request needs, and metadata beyond Stripe's limits. Each refusal is found while
encoding, so a huge request costs what it takes to find the first problem, not the whole input.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import spec
from .errors import InputError

# Stripe's deepest parameter has 6 names (dispute evidence); with list positions and metadata
# keys a real request stays under 12 levels.
MAX_DEPTH = 16
# Checkout's 100 line items, each with product data and 50 metadata keys, stay under this.
MAX_VALUES = 10_000
# https://docs.stripe.com/api/metadata: up to 50 keys, names up to 40 characters, values up to 500.
METADATA_KEYS = 50
METADATA_KEY_LENGTH = 40
METADATA_VALUE_LENGTH = 500
_NOTHING_SENT = "Nothing was sent to Stripe."
# Python will not write an integer of more than 4300 digits as text; none is a Stripe value anyway.
_INT_BITS = 14_000

Name = tuple[str, ...]
Pairs = tuple[tuple[str, str], ...]


def bracketed(name: Name) -> str:
    """`("items", "0", "price")` -> `items[0][price]`, the name Stripe sees."""
    return name[0] + "".join(f"[{part}]" for part in name[1:])


def dotted(name: Name) -> str:
    """The argument's name as a tool caller wrote it: `params.items.0.price`."""
    return ".".join(("params", *name))


@dataclass(frozen=True)
class Wire:
    """One request in wire terms. `pairs` is what is sent, in order; `form` is the same pairs as
    Stripe nests them (every leaf the text sent, lists where Stripe reads lists); `params` is
    `form` with each leaf typed as Stripe reads it (int and bool where the spec says so)."""

    method: str
    path: str
    pairs: Pairs
    form: dict[str, Any]
    params: dict[str, Any]
    op: spec.Operation | None

    def texts(self) -> Iterator[str]:
        """The path and every name and value sent: what card numbers are looked for in."""
        yield self.path
        for key, value in self.pairs:
            yield key
            yield value


def operation(method: str, path: str) -> spec.Operation | None:
    """The operation a path names. Stripe's paths are lower case; another case must not be a way
    around a rule that reads the spec."""
    return spec.resolve(method, path) or spec.resolve(method, path.lower())


def canonical(method: str, path: str, params: Mapping[str, Any] | None) -> Wire:
    """Encode `params` once and read them back as Stripe will (see the module docstring)."""
    method = method.upper()
    op = operation(method, path)
    named = _Encoder().run(params or {})
    form, typed = _read(named, op.params if op else None)
    pairs = tuple((bracketed(name), text) for name, text in _Encoder().run(form))
    return Wire(method, path, pairs, form, typed, op)


# --- encoding ----------------------------------------------------------------------------------


class _Encoder:
    """Python values -> (name, text) pairs, as the stripe SDK encodes them, with the refusals."""

    def __init__(self) -> None:
        self.out: list[tuple[Name, str]] = []

    def run(self, params: Mapping[str, Any]) -> list[tuple[Name, str]]:
        self.mapping(params, ())
        return self.out

    def value(self, value: Any, name: Name) -> None:
        if len(name) > MAX_DEPTH:
            raise InputError(
                dotted(name[:MAX_DEPTH]),
                f"nests deeper than {MAX_DEPTH} levels; no Stripe parameter does.",
                f"Flatten it. {_NOTHING_SENT}",
            )
        if isinstance(value, Mapping):
            self.mapping(value, name)
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                if item is None:
                    raise InputError(
                        dotted((*name, str(index))),
                        "is null inside a list; Stripe has no null list elements.",
                        f"Remove it (to clear the whole list, pass an empty string ''). {_NOTHING_SENT}",
                    )
                self.value(item, (*name, str(index)))
        else:
            self.scalar(value, name)

    def mapping(self, value: Mapping[Any, Any], name: Name) -> None:
        if name and name[-1] == "metadata" and len(value) > 2 * METADATA_KEYS:
            # An object holds at most 50 keys, so at most 50 can be set and 50 unset in one request.
            raise _too_many_metadata(name, len(value))
        if not all(isinstance(key, str) for key in value) and len({str(k) for k in value}) < len(value):
            raise InputError(
                dotted(name) if name else "params", "has two keys that read the same as text.", ""
            )
        for key, item in value.items():
            text = str(key)
            if not text or "[" in text or "]" in text:
                raise _bad_key((*name, text))
            if item is not None:
                self.value(item, (*name, text))
        if name and name[-1] == "metadata":
            _check_metadata(name, value)

    def scalar(self, value: Any, name: Name) -> None:
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int) and value.bit_length() > _INT_BITS:
            raise InputError(
                dotted(name),
                f"is an integer of {value.bit_length()} bits; Stripe's integers have 64.",
                f"Pass a smaller number. {_NOTHING_SENT}",
            )
        elif isinstance(value, (str, int, float, Decimal)):
            text = str(value)
        else:
            raise InputError(
                dotted(name),
                f"is a {type(value).__name__}, which has no form encoding.",
                f"Pass a string, number, boolean, list or object. {_NOTHING_SENT}",
            )
        self.out.append((name, text))
        if len(self.out) > MAX_VALUES:
            raise InputError(
                dotted(name[:1]),
                f"brings the request past {MAX_VALUES} values; no Stripe request needs that many.",
                f"Split it into several requests. {_NOTHING_SENT}",
            )


def _bad_key(name: Name) -> InputError:
    if not name[-1]:
        return InputError(
            dotted(name[:-1]) if len(name) > 1 else "params",
            "has an empty key; Stripe reads `name[]` as a list append, not a key.",
            f"Remove the empty key. {_NOTHING_SENT}",
        )
    return InputError(
        dotted(name),
        "is a pre-encoded form key.",
        "Pass nested objects and lists instead, e.g. {'transfer_data': {'destination': 'acct_...'}}. "
        + _NOTHING_SENT,
    )


def _too_many_metadata(name: Name, count: int) -> InputError:
    return InputError(
        dotted(name),
        f"has {count} keys; Stripe allows at most {METADATA_KEYS} metadata keys on an object "
        f"(names up to {METADATA_KEY_LENGTH} characters, values up to {METADATA_VALUE_LENGTH}).",
        f"Keep at most {METADATA_KEYS} keys. {_NOTHING_SENT}",
    )


def _check_metadata(name: Name, value: Mapping[Any, Any]) -> None:
    """Stripe's metadata limits on the texts sent; an empty value unsets its key."""
    setting = 0
    for key, item in value.items():
        if item is None or isinstance(item, (Mapping, list, tuple)):
            continue  # left out, or a shape the spec check refuses with Stripe's message
        text = "true" if item is True else "false" if item is False else str(item)
        if len(str(key)) > METADATA_KEY_LENGTH:
            raise InputError(
                dotted((*name, str(key)[:60])),
                f"is a metadata key of {len(str(key))} characters; Stripe allows {METADATA_KEY_LENGTH}.",
                f"Shorten the key. {_NOTHING_SENT}",
            )
        if len(text) > METADATA_VALUE_LENGTH:
            raise InputError(
                dotted((*name, str(key))),
                f"is a metadata value of {len(text)} characters; Stripe allows {METADATA_VALUE_LENGTH}.",
                f"Shorten the value. {_NOTHING_SENT}",
            )
        setting += text != ""
    if setting > METADATA_KEYS:
        raise _too_many_metadata(name, setting)


# --- reading back as Stripe does ---------------------------------------------------------------


def _read(named: list[tuple[Name, str]], schema: spec.Schema | None) -> tuple[dict[str, Any], dict[str, Any]]:
    root: dict[str, Any] = {}
    for name, text in named:
        node = root
        for part in name[:-1]:
            node = node.setdefault(part, {})
        node[name[-1]] = text
    form, typed = _shape(root, schema, ())
    assert isinstance(form, dict) and isinstance(typed, dict)
    return form, typed


def _branches(schema: spec.Schema | None) -> list[spec.Schema]:
    if not schema:
        return []
    node = spec.deref(schema)
    options = node.get("anyOf") or node.get("oneOf")
    return [spec.deref(option) for option in options] if options else [node]


def _is_index_list(node: dict[str, Any]) -> bool:
    """Keys exactly "0", "1", ... "n-1" (in any order): a list as the SDK encodes one."""
    return (
        bool(node)
        and all(key.isascii() and key.isdigit() for key in node)
        and set(node) == {str(index) for index in range(len(node))}
    )


def _shape(node: Any, schema: spec.Schema | None, name: Name) -> tuple[Any, Any]:
    """(form, typed) for one node of the nested pairs, guided by the spec's schema for its place
    (None where the spec says nothing: an unknown operation or parameter)."""
    branches = _branches(schema)
    if isinstance(node, str):
        return node, _typed(node, branches)
    arrays = [b for b in branches if b.get("type") == "array"]
    numeric = all(key.isascii() and key.isdigit() for key in node)
    unknown_place = not branches and bool(name) and name[-1] != "metadata"
    as_list = bool(name) and _is_index_list(node) and (bool(arrays) or unknown_place)
    if arrays and numeric and not as_list:
        raise InputError(
            dotted(name),
            f"is a list written as an object with the keys {', '.join(sorted(node, key=int)[:5])}; "
            "Stripe reads numeric keys as list positions, which must be 0, 1, 2, ...",
            f"Pass a list. {_NOTHING_SENT}",
        )
    if as_list:
        items = arrays[0].get("items") if arrays else None
        shaped = [_shape(node[str(index)], items, (*name, str(index))) for index in range(len(node))]
        return [form for form, _ in shaped], [typed for _, typed in shaped]
    form: dict[str, Any] = {}
    typed: dict[str, Any] = {}
    for key, child in node.items():
        form[key], typed[key] = _shape(child, _child(branches, key), (*name, key))
    return form, typed


def _child(branches: list[spec.Schema], key: str) -> spec.Schema | None:
    for branch in branches:
        properties = branch.get("properties") or {}
        if key in properties:
            found: spec.Schema = properties[key]
            return found
        extra = branch.get("additionalProperties")
        if isinstance(extra, dict):
            return extra
    return None


def _typed(text: str, branches: list[spec.Schema]) -> Any:
    """The value Stripe reads from `text` at a place of these schemas: an enum's string first
    (`trial_end=now`), then an integer or boolean where the spec has one, else the text."""
    if any(text in (b.get("enum") or ()) for b in branches):
        return text
    kinds = {b.get("type") for b in branches}
    if "integer" in kinds and spec.is_int64(text):
        return int(text)
    if "boolean" in kinds and text in ("true", "false"):
        return text == "true"
    return text


__all__ = [
    "MAX_DEPTH",
    "MAX_VALUES",
    "METADATA_KEYS",
    "Wire",
    "bracketed",
    "canonical",
    "operation",
]
