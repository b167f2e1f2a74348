"""Python rules on the syntax tree: comments, docstrings and strings never match a call."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ._text import EVENT_NAME_RE

_VERIFY_NAMES = frozenset(
    {
        "construct_event",
        "construct_event_async",
        "verify_header",
        "parse_thin_event",
        "parse_event_notification",
        "parse_snapshot_event",
    }
)
_SOURCE_CUSTOMER_METHODS = frozenset(
    {"create_source", "retrieve_source", "modify_source", "delete_source", "list_sources"}
)
_HANDLER_NAME_RE = re.compile(r"(?i)webhook|stripe|event|hook")
_EVENT_VAR_RE = re.compile(r"(?i)event|evt")


@dataclass(frozen=True, slots=True)
class PyHit:
    rule: str
    line: int
    col_byte: int  # ast's UTF-8 byte offset, 0-based


def _chain(node: ast.expr) -> list[str]:
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            parts.append(node.id)
            break
        elif isinstance(node, ast.Call):
            parts.append("()")
            node = node.func
        elif isinstance(node, ast.Await):
            node = node.value
        else:
            parts.append("?")
            break
    parts.reverse()
    return parts


def _pinned_value(node: ast.expr | None) -> bool:
    """A version literal or constant (``"2024-06-20"``, ``API_VERSION``), not a forwarded variable."""
    if isinstance(node, ast.Constant | ast.JoinedStr):
        return isinstance(node, ast.JoinedStr) or isinstance(node.value, str)
    if isinstance(node, ast.Name | ast.Attribute):
        name = node.id if isinstance(node, ast.Name) else node.attr
        return name.isupper()
    return False


def _str_const(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


class _Analyzer:
    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.stripe_aliases: set[str] = {"stripe"}
        self.from_stripe: set[str] = set()
        self.parents: dict[ast.AST, ast.AST] = {}
        for parent in ast.walk(tree):
            for child in ast.iter_child_nodes(parent):
                self.parents[child] = parent
            if isinstance(parent, ast.Import):
                for alias in parent.names:
                    if alias.name == "stripe":
                        self.stripe_aliases.add(alias.asname or "stripe")
            elif isinstance(parent, ast.ImportFrom) and (parent.module or "").split(".")[0] == "stripe":
                for alias in parent.names:
                    self.from_stripe.add(alias.asname or alias.name)
        self._signal_cache: dict[ast.AST, bool] = {}

    # -- helpers ---------------------------------------------------------------------------------
    def _stripe_class(self, parts: list[str], cls: str) -> bool:
        """True for ``stripe.<cls>.x`` (any alias) or ``<cls>.x`` imported from stripe."""
        if len(parts) < 2 or parts[-2] != cls:
            return False
        if len(parts) >= 3:
            return parts[-3] in self.stripe_aliases
        return cls in self.from_stripe

    @staticmethod
    def _service(parts: list[str], service: str) -> bool:
        return len(parts) >= 3 and parts[-2] == service

    # -- the walk --------------------------------------------------------------------------------
    def hits(self) -> Iterator[PyHit]:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call):
                yield from self._call(node)
            elif isinstance(node, ast.Dict):
                yield from self._dict(node)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    yield from self._store(target, node.value)
        yield from self._webhooks()

    def _call(self, node: ast.Call) -> Iterator[PyHit]:
        parts = _chain(node.func)
        method = parts[-1].removesuffix("_async")
        here = PyHit("", node.lineno, node.col_offset)
        rule: str | None = None
        if method in {"create", "capture"} and (
            self._stripe_class(parts, "Charge") or self._service(parts, "charges")
        ):
            rule = "charges-api"
        elif (
            self._stripe_class(parts, "Source")
            or (
                self._service(parts, "sources")
                and method in {"create", "retrieve", "update", "verify", "detach"}
            )
            or (method in _SOURCE_CUSTOMER_METHODS and self._stripe_class(parts, "Customer"))
            or (method == "create" and self._service(parts, "payment_sources"))
        ):
            rule = "sources-api"
        elif method == "create" and (self._stripe_class(parts, "Token") or self._service(parts, "tokens")):
            rule = "tokens-api"
        elif method == "create" and (self._stripe_class(parts, "Plan") or self._service(parts, "plans")):
            rule = "plans-api"
        if rule is not None:
            yield PyHit(rule, here.line, here.col_byte)
        # `source=` on customers
        if method in {"create", "modify", "update"} and (
            self._stripe_class(parts, "Customer") or self._service(parts, "customers")
        ):
            for kw in node.keywords:
                if kw.arg == "source":
                    yield PyHit("sources-api", kw.lineno, kw.col_offset)
                elif kw.arg == "params" and isinstance(kw.value, ast.Dict):
                    yield from self._keys(kw.value, {"source": "sources-api"})
            for arg in node.args:
                if isinstance(arg, ast.Dict):
                    yield from self._keys(arg, {"source": "sources-api"})
        for kw in node.keywords:
            if kw.arg == "payment_method_types":
                yield PyHit("payment-method-types", kw.lineno, kw.col_offset)
            elif kw.arg == "stripe_version" and _pinned_value(kw.value):
                yield PyHit("api-version-pin", kw.lineno, kw.col_offset)

    @staticmethod
    def _keys(node: ast.Dict, wanted: dict[str, str]) -> Iterator[PyHit]:
        for key in node.keys:
            name = _str_const(key)
            if key is not None and name is not None and name in wanted:
                yield PyHit(wanted[name], key.lineno, key.col_offset)

    def _dict(self, node: ast.Dict) -> Iterator[PyHit]:
        names = {_str_const(k) for k in node.keys if k is not None}
        if "object" in names:  # a Stripe object (a fixture or a mocked response), not parameters
            return
        for key, value in zip(node.keys, node.values, strict=True):
            name = _str_const(key)
            if key is None or name is None:
                continue
            if name == "payment_method_types":
                yield PyHit("payment-method-types", key.lineno, key.col_offset)
            elif (name == "stripe_version" or name.lower() == "stripe-version") and _pinned_value(value):
                yield PyHit("api-version-pin", key.lineno, key.col_offset)

    def _store(self, target: ast.expr, value: ast.expr | None) -> Iterator[PyHit]:
        if isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                yield from self._store(element, None)
            return
        if isinstance(target, ast.Attribute):
            base = target.value
            if isinstance(base, ast.Name) and base.id in self.stripe_aliases:
                if target.attr == "api_version":
                    yield PyHit("api-version-pin", target.lineno, target.col_offset)
                elif target.attr == "api_key":
                    yield PyHit("global-api-key", target.lineno, target.col_offset)
            elif target.attr == "payment_method_types":
                yield PyHit("payment-method-types", target.lineno, target.col_offset)
        elif isinstance(target, ast.Subscript):
            name = _str_const(target.slice)
            if name == "payment_method_types":
                yield PyHit("payment-method-types", target.lineno, target.col_offset)
            elif (
                name is not None
                and (name == "stripe_version" or name.lower() == "stripe-version")
                and _pinned_value(value)
            ):
                yield PyHit("api-version-pin", target.lineno, target.col_offset)

    # -- webhooks --------------------------------------------------------------------------------
    def _verified(self) -> bool:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Attribute) and node.attr in _VERIFY_NAMES:
                return True
            if isinstance(node, ast.Name) and node.id in _VERIFY_NAMES:
                return True
            if isinstance(node, ast.alias) and node.name in _VERIFY_NAMES:
                return True
            if isinstance(node, ast.Call):
                parts = _chain(node.func)
                if parts[-1].removesuffix("_async") == "retrieve" and (
                    self._stripe_class(parts, "Event") or self._service(parts, "events")
                ):
                    return True
        return False

    def _has_signal(self, scope: ast.AST) -> bool:
        cached = self._signal_cache.get(scope)
        if cached is not None:
            return cached
        found = any(self._is_signal(node) for node in ast.walk(scope))
        self._signal_cache[scope] = found
        return found

    @staticmethod
    def _is_signal(node: ast.AST) -> bool:
        """A Stripe event name literal, or reading the type of something called event."""
        text = _str_const(node) if isinstance(node, ast.expr) else None
        if text is not None:
            return EVENT_NAME_RE.fullmatch(text) is not None
        base: ast.expr | None = None
        if (isinstance(node, ast.Subscript) and _str_const(node.slice) == "type") or (
            isinstance(node, ast.Attribute) and node.attr == "type"
        ):
            base = node.value
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and node.args
            and _str_const(node.args[0]) == "type"
        ):
            base = node.func.value
        return base is not None and _EVENT_VAR_RE.search(ast.unparse(base)) is not None

    def _is_parse(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Call):
            parts = _chain(node.func)
            if parts[-2:] == ["json", "loads"] or parts[-1] in {"get_json", "construct_from"}:
                return True
            # FastAPI/Starlette: await request.json()
            return len(parts) >= 2 and parts[-1] == "json" and "request" in parts[-2].lower()
        if isinstance(node, ast.Attribute) and node.attr == "json":  # Flask: request.json
            parent = self.parents.get(node)
            is_call_func = isinstance(parent, ast.Call) and parent.func is node
            return not is_call_func and isinstance(node.value, ast.Name) and node.value.id == "request"
        return False

    def _scope(self, node: ast.AST) -> ast.AST:
        current = self.parents.get(node)
        while current is not None:
            if isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef):
                return current
            current = self.parents.get(current)
        return self.tree

    def _webhooks(self) -> Iterator[PyHit]:
        parses = [n for n in ast.walk(self.tree) if self._is_parse(n)]
        if not parses or self._verified() or not self._has_signal(self.tree):
            return
        for node in parses:
            scope = self._scope(node)
            if not self._has_signal(scope):
                named = isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef) and bool(
                    _HANDLER_NAME_RE.search(scope.name)
                )
                assigned = self._assigned_name(node)
                if not named and not (assigned and _EVENT_VAR_RE.search(assigned)):
                    continue
            assert isinstance(node, ast.expr)
            yield PyHit("webhook-signature-unverified", node.lineno, node.col_offset)

    def _assigned_name(self, node: ast.AST) -> str | None:
        current = self.parents.get(node)
        while current is not None and not isinstance(current, ast.stmt):
            current = self.parents.get(current)
        if isinstance(current, ast.Assign) and current.targets:
            return ast.unparse(current.targets[0])
        if isinstance(current, ast.AnnAssign):
            return ast.unparse(current.target)
        return None


def python_hits(tree: ast.Module) -> Iterator[PyHit]:
    yield from _Analyzer(tree).hits()
