"""Route table and the per-request context handed to resource handlers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ... import spec
from .schema_objects import apply
from .store import JSON, Account, State, expand, expand_paths

if TYPE_CHECKING:
    from .app import Sandbox


class Ctx:
    """Everything a handler needs: the account, parsed params, path params, base URL."""

    __slots__ = (
        "acct",
        "base_url",
        "method",
        "params",
        "path",
        "path_params",
        "request_id",
        "rest",
        "sandbox",
        "state",
    )

    def __init__(
        self,
        sandbox: Sandbox,
        acct: Account,
        params: dict[str, Any],
        path_params: dict[str, str],
        base_url: str,
        request_id: str,
        method: str,
        path: str,
    ) -> None:
        self.sandbox = sandbox
        self.state: State = sandbox.state
        self.acct = acct
        self.params = params
        self.path_params = path_params
        self.base_url = base_url
        self.request_id = request_id
        self.method = method
        self.path = path
        # The parameters no handler consumes, stored on the object by name (accepted.py).
        self.rest: dict[str, Any] = {}

    def render(self, obj: JSON) -> JSON:
        rendered: JSON = expand(self.acct, obj, expand_paths(self.params))
        return rendered

    def derive(
        self,
        params: dict[str, Any],
        path_params: dict[str, str] | None = None,
        acct: Account | None = None,
        method: str = "POST",
    ) -> Ctx:
        """A context for calling another handler from this one (same request id and base URL)."""
        return Ctx(
            self.sandbox,
            acct or self.acct,
            params,
            path_params or {},
            self.base_url,
            self.request_id,
            method,
            "",
        )

    def store_rest(self, obj: JSON, typ: str | None = None) -> None:
        """Store the parameters the handler does not consume on ``obj`` now (before its events),
        rather than after the handler returns; ``typ`` if ``obj`` is not the returned type."""
        if self.rest:
            apply(typ or obj["object"], obj, self.rest)
            self.rest = {}

    def own(self, obj: JSON) -> None:
        """Make ``obj`` reachable from hosted pages (which carry no API key)."""
        self.state.owners[obj["id"]] = self.acct


Handler = Callable[[Ctx], JSON]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    template: str
    handler: Handler
    pattern: re.Pattern[str] | None
    # The request parameters the handler's behaviour applies (dotted paths); every other one is
    # stored by name or refused as a sandbox limit (accepted.py). Generic routes consume none.
    consumes: frozenset[str] = frozenset()


class Router:
    """Hand-written routes first; every other operation in Stripe's spec through ``fallback``
    (the generic layer). Which operation a path calls is the spec's decision, so literal segments
    win over ids (``/v1/invoices/create_preview`` is not invoice ``create_preview``)."""

    def __init__(
        self,
        fallback: Callable[[spec.Operation], Handler] | None = None,
        fallback_consumes: Callable[[spec.Operation], frozenset[str]] | None = None,
    ) -> None:
        self._static: dict[tuple[str, str], Route] = {}
        self._dynamic: list[Route] = []
        self._by_template: dict[tuple[str, str], Route] = {}
        self._fallback = fallback
        self._fallback_consumes = fallback_consumes
        self._generic: dict[str, Route] = {}

    def hand_written(self) -> set[str]:
        """The operations served by hand-written handlers, as ``METHOD /template``."""
        return {f"{m} {t}" for m, t in self._by_template}

    def route(self, method: str, template: str) -> Route | None:
        """The hand-written route registered for ``method template``, if any."""
        return self._by_template.get((method, template))

    def add(
        self, method: str, template: str, handler: Handler, consumes: Iterable[str] | None = None
    ) -> None:
        """Route ``method template`` to ``handler``. A POST declares ``consumes``: the parameters
        (dotted paths such as ``invoice_settings.default_payment_method``) its behaviour applies."""
        if method == "POST" and consumes is None:
            raise TypeError(f"POST {template}: declare the parameters the handler consumes")
        declared = frozenset(consumes or ())
        route = Route(method, template, handler, None, declared)
        self._by_template[(method, template)] = route
        if "{" not in template:
            self._static[(method, template)] = route
        else:
            regex = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$"
            self._dynamic.append(Route(method, template, handler, re.compile(regex), declared))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        op = spec.resolve(method, path)
        if op is None:
            return self._match_hand_written(method, path)
        route = self._by_template.get((op.method, op.path))
        if route is None:
            if self._fallback is None:
                return self._match_hand_written(method, path)
            route = self._generic.get(op.key)
            if route is None:
                consumes = self._fallback_consumes(op) if self._fallback_consumes else frozenset()
                route = Route(op.method, op.path, self._fallback(op), None, consumes)
                self._generic[op.key] = route
        return route, _path_params(op.path, path)

    def _match_hand_written(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        route = self._static.get((method, path))
        if route is not None:
            return route, {}
        for route in self._dynamic:
            if route.method != method:
                continue
            assert route.pattern is not None
            m = route.pattern.match(path)
            if m is not None:
                # A static route of another method (e.g. /v1/customers/search) is not an id.
                if any((other, path) in self._static for other in ("GET", "POST", "DELETE")):
                    continue
                return route, m.groupdict()
        return None


def _path_params(template: str, path: str) -> dict[str, str]:
    names = template.strip("/").split("/")
    values = path.split("?", 1)[0].strip("/").split("/")
    return {n[1:-1]: v for n, v in zip(names, values, strict=False) if n.startswith("{")}
