"""Stripe's Search Query Language, for the ``/search`` endpoints.

Supports ``field:'value'`` (exact, case-insensitive; nested fields by dotted name), ``field~'value'``
(substring, at least 3 characters), ``metadata['key']:'value'``, numeric comparisons
(``created>1700000000``), ``-`` negation, ``null``, and up to 10 clauses joined by a space or
``AND`` (both mean AND) or by ``OR`` (not both kinds, as Stripe requires).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

from .errors import invalid
from .router import Ctx
from .store import JSON, as_int

Getter = Callable[[JSON], Any]

_CLAUSE = re.compile(
    r"""\s*(?P<neg>-)?(?P<field>[a-z_][a-z0-9_]*(?:\.[a-z0-9_]+)*(?:\[(?:'[^']*'|"[^"]*")\])?)\s*
        (?P<op>:|~|>=|<=|>|<)\s*
        (?P<value>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s'"]+)""",
    re.VERBOSE,
)
_JOIN = re.compile(r"\s+(AND|OR)(?=\s)")
_MAX_CLAUSES = 10


def _clauses(query: str) -> tuple[list[re.Match[str]], set[str]]:
    """The query's clauses and how they are joined. Stripe: "You can combine up to 10 query
    clauses in a search by either separating them with a space, or using the AND or OR keywords
    (case sensitive). You can't combine AND and OR in the same query" (docs.stripe.com/search)."""
    clauses: list[re.Match[str]] = []
    joins: set[str] = set()
    pos, text = 0, query.rstrip()
    while pos < len(text):
        m = _CLAUSE.match(text, pos)
        if m is None:
            rest = text[pos:].strip().split(" ", 1)[0]
            raise invalid(f"The query is malformed: `{rest}`. Use the form field:'value'.", param="query")
        clauses.append(m)
        pos = m.end()
        if pos >= len(text):
            break
        join = _JOIN.match(text, pos)
        if join is not None:
            joins.add(join.group(1))
            pos = join.end()
        elif text[pos].isspace():
            joins.add("AND")  # a space between clauses means AND
        else:
            raise invalid(f"The query is malformed near `{text[pos : pos + 20]}`.", param="query")
    if len(joins) > 1:
        raise invalid("Search queries cannot mix AND and OR.", param="query")
    if len(clauses) > _MAX_CLAUSES:
        raise invalid(f"A search query can combine at most {_MAX_CLAUSES} clauses.", param="query")
    return clauses, joins


def _parse(query: str, fields: dict[str, Getter]) -> tuple[str, list[Callable[[JSON], bool]]]:
    found, joins = _clauses(query)
    checks: list[Callable[[JSON], bool]] = []
    for m in found:
        field, op, raw = m.group("field"), m.group("op"), m.group("value")
        neg = bool(m.group("neg"))
        if field.startswith("metadata["):
            getter = _metadata_getter(field[len("metadata[") + 1 : -2])
        elif field in fields:
            getter = fields[field]
        else:
            raise invalid(f"Field `{field}` is an unsupported search field for this resource.", param="query")
        value: Any
        if raw[0] in "'\"":
            value = raw[1:-1].replace("\\'", "'").replace('\\"', '"')
        elif raw == "null":
            value = None
        else:
            value = as_int(raw, "query")
        checks.append(_check(getter, op, value, neg))
    return ("OR" if "OR" in joins else "AND"), checks


def _metadata_getter(key: str) -> Getter:
    def get(obj: JSON) -> Any:
        return (obj.get("metadata") or {}).get(key)

    return get


def _field_getter(name: str) -> Getter:
    path = name.split(".")

    def get(obj: JSON) -> Any:
        node: Any = obj
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        return node

    return get


def fields_of(*names: str) -> dict[str, Getter]:
    """Search fields read from the object (dotted names reach nested ones:
    ``payment_method_details.card.last4``)."""
    return {name: _field_getter(name) for name in names}


# The fields Stripe documents for the searches the sandbox serves generically
# (docs.stripe.com/search#query-fields-for-charges); the others use the object's top-level fields.
DOCUMENTED_FIELDS = {
    "charge": (
        "amount",
        "billing_details.address.postal_code",
        "created",
        "currency",
        "customer",
        "disputed",
        "payment_intent",
        "payment_method_details.card.brand",
        "payment_method_details.card.exp_month",
        "payment_method_details.card.exp_year",
        "payment_method_details.card.fingerprint",
        "payment_method_details.card.last4",
        "refunded",
        "status",
    ),
}


def _check(getter: Getter, op: str, value: Any, neg: bool) -> Callable[[JSON], bool]:
    def test(obj: JSON) -> bool:
        actual = getter(obj)
        if op == ":":
            if value is None:
                result = actual is None
            elif isinstance(actual, bool):
                result = str(actual).lower() == str(value).lower()
            elif isinstance(actual, str) and isinstance(value, str):
                result = actual.lower() == value.lower()
            else:
                result = actual == value or str(actual) == str(value)
        elif op == "~":
            result = isinstance(actual, str) and str(value).lower() in actual.lower()
        else:
            if not isinstance(actual, int | float) or not isinstance(value, int):
                return False
            result = {">": actual > value, "<": actual < value, ">=": actual >= value, "<=": actual <= value}[
                op
            ]
        return not result if neg else result

    return test


def search(ctx: Ctx, typ: str, fields: dict[str, Getter], url: str) -> JSON:
    query = ctx.params.get("query")
    if not isinstance(query, str) or not query.strip():
        raise invalid("Missing required param: query.", param="query", code="parameter_missing")
    for f in ("~",):
        for m in re.finditer(r"~\s*'([^']*)'", query):
            if len(m.group(1)) < 3:
                raise invalid(f"Substring search ({f}) needs at least 3 characters.", param="query")
    join, checks = _parse(query, fields)
    limit = as_int(ctx.params.get("limit", 10), "limit")
    if not 1 <= limit <= 100:
        raise invalid(
            "This value must be between 1 and 100.", param="limit", code="parameter_invalid_integer"
        )
    offset = 0
    page = ctx.params.get("page")
    if page:
        try:
            offset = int(base64.urlsafe_b64decode(str(page).encode()).decode())
        except ValueError:
            raise invalid("Invalid page token.", param="page") from None
    combine = any if join == "OR" else all
    matches = [obj for obj in reversed(list(ctx.acct.of_type(typ))) if combine(c(obj) for c in checks)]
    data = matches[offset : offset + limit]
    has_more = len(matches) > offset + limit
    next_page = base64.urlsafe_b64encode(str(offset + limit).encode()).decode() if has_more else None
    return {
        "object": "search_result",
        "data": data,
        "has_more": has_more,
        "next_page": next_page,
        "total_count": len(matches),
        "url": url,
    }
