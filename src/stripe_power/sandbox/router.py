"""Route table and the per-request context handed to resource handlers."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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

    def render(self, obj: JSON) -> JSON:
        rendered: JSON = expand(self.acct, obj, expand_paths(self.params))
        return rendered

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


class Router:
    def __init__(self) -> None:
        self._static: dict[tuple[str, str], Route] = {}
        self._dynamic: list[Route] = []
        self._paths: set[str] = set()

    def add(self, method: str, template: str, handler: Handler) -> None:
        if "{" not in template:
            self._static[(method, template)] = Route(method, template, handler, None)
        else:
            regex = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$"
            self._dynamic.append(Route(method, template, handler, re.compile(regex)))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
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
