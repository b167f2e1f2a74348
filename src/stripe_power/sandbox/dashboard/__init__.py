"""The sandbox dashboard at `/dashboard`: accounts (by masked key), their objects, events and
webhook deliveries, the API request log, and what the agent did (MCP tool calls joined to the
requests they made).

Server-rendered HTML with a little inline CSS: no build step, nothing fetched from elsewhere.
It shows request bodies, so it answers only loopback clients that name a loopback Host (a web
page elsewhere cannot read it through DNS rebinding), and its URLs address an account by its
`acct_` id, never by its key.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..core.store import Account
from . import clock
from .agent import AuditTail
from .render import frame
from .sections import BY_SLUG
from .views import Views

if TYPE_CHECKING:
    from ..core.app import Sandbox

__all__ = ["AuditTail", "routes"]

_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


def _loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.strip("[]") in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _allowed(request: Request) -> bool:
    client = request.client.host if request.client else None
    return _loopback(client) and _loopback(request.url.hostname)


def routes(sb: Sandbox) -> list[Route]:
    views = Views(sb)

    def guarded(handler: Callable[[Request], Response]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            if not _allowed(request):
                body = (
                    "<h1>Forbidden</h1><p>The dashboard answers loopback clients on a loopback host only.</p>"
                )
                return frame("Forbidden", body, status=403)
            return handler(request)

        return endpoint

    def in_account(handler: Callable[[Request, Account], Response]) -> Callable[[Request], Response]:
        def run(request: Request) -> Response:
            with sb.state.lock:
                acct = views.account(request.path_params["acct"])
            if acct is None:
                return views.not_found(
                    "No such account in this sandbox (the sandbox keeps accounts in memory)."
                )
            return handler(request, acct)

        return run

    def section(request: Request, acct: Account) -> Response:
        found = BY_SLUG.get(request.path_params["slug"])
        if found is None:
            return views.not_found(f"No list named {request.path_params['slug']}.")
        return views.section(request, acct, found)

    table: list[tuple[str, Callable[[Request], Response]]] = [
        ("/dashboard", views.accounts),
        ("/dashboard/{acct}", in_account(views.overview)),
        ("/dashboard/{acct}/list/{slug}", in_account(section)),
        ("/dashboard/{acct}/objects/{oid}", in_account(lambda r, a: views.obj(r, a, r.path_params["oid"]))),
        ("/dashboard/{acct}/events", in_account(views.events)),
        ("/dashboard/{acct}/requests", in_account(views.requests)),
        (
            "/dashboard/{acct}/requests/{request_id}",
            in_account(lambda r, a: views.request(r, a, r.path_params["request_id"])),
        ),
        ("/dashboard/{acct}/agent", in_account(views.agent)),
    ]
    pages = [Route(path, guarded(handler), methods=["GET"]) for path, handler in table]

    async def advance(request: Request) -> Response:
        if not _allowed(request):
            return frame("Forbidden", "<h1>Forbidden</h1>", status=403)
        acct = views.account(request.path_params["acct"])
        if acct is None:
            return views.not_found("No such account in this sandbox.")
        return await clock.advance(sb, request, acct)

    return [*pages, Route("/dashboard/{acct}/objects/{oid}/advance", advance, methods=["POST"])]
