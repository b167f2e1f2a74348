"""One endpoint, or one of its parameters, described compactly for an agent.

A line per parameter: its type, whether it is required, its values when it is an enum, and the
first words of Stripe's description. Nested objects list their fields' names only; the agent asks
for one of them with `param` to see its fields in turn. A simple endpoint costs a few hundred bytes.
"""

from __future__ import annotations

import re
from typing import Any

from ._index import Operation, Schema, deref
from .params import lookup, walk

_DESCRIPTION = 90  # characters of Stripe's description per parameter line
_ENUM = 12  # enum values shown before "…"


def _branches(schema: Schema) -> list[Schema]:
    schema = deref(schema)
    branches: list[Schema] = schema.get("anyOf") or schema.get("oneOf") or [schema]
    return [deref(b) for b in branches]


def type_of(schema: Schema) -> str:
    """`string`, `integer`, `enum a|b`, `object {a, b}`, `array of object {…}`, `"" to unset`."""
    kinds = []
    for branch in _branches(schema):
        if branch.get("enum") == [""]:
            kinds.append('"" to unset')
            continue
        kind = str(branch.get("type", "any"))
        if kind == "array":
            kinds.append("array of " + type_of(branch.get("items", {})))
        elif kind == "object" and branch.get("properties"):
            names = list(branch["properties"])
            kinds.append("object {" + ", ".join(names[:8]) + (", …" if len(names) > 8 else "") + "}")
        elif kind == "object" and isinstance(branch.get("additionalProperties"), dict):
            kinds.append("map of string")
        elif branch.get("enum"):
            values = [str(v) for v in branch["enum"]]
            kinds.append("enum " + "|".join(values[:_ENUM]) + ("|…" if len(values) > _ENUM else ""))
        else:
            kinds.append(kind)
    return " or ".join(dict.fromkeys(kinds))


def line(schema: Schema, required: bool, terse: bool = False) -> str:
    text = type_of(schema) + (", required" if required else "")
    description = "" if terse and not required else str(schema.get("description", ""))
    if description:
        text += f" — {shorten(description, _DESCRIPTION)}"
    return text


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
CUT_MARK = " …"


def shorten(text: str, limit: int) -> str:
    """`text` in at most `limit` characters: the whole sentences that fit; if the first does not,
    the words that fit, then " …" (never half a word)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    kept = ""
    for sentence in _SENTENCE_END.split(text):
        joined = f"{kept} {sentence}".strip()
        if len(joined) > limit:
            break
        kept = joined
    if kept:
        return kept
    words = text[: limit - len(CUT_MARK) + 1].rsplit(" ", 1)[0]
    return words.rstrip(",;:(") + CUT_MARK


_TERSE_OVER = 25  # fields: past this many, only required ones keep their description


def parameters(schema: Schema) -> dict[str, str]:
    """One line per field of an object schema (array items and anyOf branches looked into)."""
    fields: dict[str, str] = {}
    for branch in _branches(schema):
        if branch.get("type") == "array":
            return parameters(branch.get("items", {}))
        required = set(branch.get("required", ()))
        terse = len(branch.get("properties", {})) > _TERSE_OVER
        for name, sub in branch.get("properties", {}).items():
            fields.setdefault(name, line(sub, name in required, terse))
    return fields


def describe(op: Operation, param: str | None = None) -> dict[str, Any]:
    """The operation's parameters (or one parameter's fields) and what it returns."""
    if param:
        schema = lookup(op, param)
        if schema is None:
            names = sorted({".".join(p) for p, _ in walk(op.params)})
            raise KeyError(param, [n for n in names if n.split(".")[-1] == param.split(".")[-1]][:5])
        return {"param": param, "type": line(schema, False), "fields": parameters(schema)}
    out: dict[str, Any] = {"summary": op.summary}
    if op.description and op.description != op.summary:
        out["description"] = op.description
    out["params"] = parameters(op.params)
    if op.path_params:
        out["path_params"] = list(op.path_params)
    returns = op.returns
    if returns:
        out["returns"] = returns
    return out
