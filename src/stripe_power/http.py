"""Streamable HTTP: `/mcp` behind a bearer token (the server's, with client keys each client's
own Stripe key, or in OAuth mode a person's access token) with Host/Origin checks; `/healthz`
(liveness) and `/readyz` (the state answers). One `RequestGuard` reads every request first."""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp

from . import __version__
from .config import inspect_key, is_loopback
from .errors import ConfigError
from .http_guard import (
    Credential,
    HttpLimits,
    Principals,
    Refusal,
    RequestGuard,
    Verifier,
    bearer_token,
)
from .state import State

if TYPE_CHECKING:
    from .oauth.guard import OAuthGuard

logger = logging.getLogger("stripe_power.http")

MCP_PATH = "/mcp"


def _unauthorized(message: str) -> Refusal:
    return Refusal(401, "unauthorized", message, (("WWW-Authenticate", 'Bearer realm="stripe-power"'),))


def token_verifier(token: str, principals: Principals) -> Verifier:
    """The server's own token (STRIPE_POWER_HTTP_TOKEN), compared in constant time."""
    expected = token.encode()
    accepted = Credential(token, principals.name(token))  # one credential: its `user` made once

    async def verify(given: str | None) -> Credential | Refusal:
        if given is None or not hmac.compare_digest(given.encode(), expected):
            return _unauthorized("Send Authorization: Bearer <STRIPE_POWER_HTTP_TOKEN>.")
        return accepted

    return verify


def client_key_verifier(*, allow_live: bool, principals: Principals) -> Verifier:
    """--client-keys: the token is the client's own Stripe key, checked like a server key
    (publishable refused, live only with --allow-live); its principal is a hash of the key."""

    async def verify(given: str | None) -> Credential | Refusal:
        if given is None:
            return _unauthorized(
                "Send your own Stripe key: Authorization: Bearer <rk_test_... or sk_test_...>."
            )
        try:
            inspect_key(given, allow_live=allow_live)
        except ConfigError as error:
            return _unauthorized(str(error).replace("STRIPE_SECRET_KEY", "The bearer key"))
        return Credential(given, principals.name(given))

    return verify


MIN_TOKEN_CHARS = 32
_HOST = re.compile(r"(?:[a-z0-9.\-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?")


def parse_allowed_hosts(values: Sequence[str]) -> list[str]:
    """--allowed-host / STRIPE_POWER_ALLOWED_HOSTS: host names clients put in `Host`, optionally
    with a port; lowercased, no scheme or path."""
    hosts = sorted({v.strip().lower() for value in values for v in value.split(",") if v.strip()})
    for host in hosts:
        if not _HOST.fullmatch(host):
            raise ConfigError(
                f"--allowed-host {host!r}: give a host name clients use, like mcp.example.com or "
                "mcp.example.com:8443 (no scheme or path)."
            )
    return hosts


def check_exposure(
    host: str, token: str | None, allowed_hosts: Sequence[str], *, client_keys: bool = False
) -> None:
    """Off loopback, anyone who can reach the port can try: demand a strong token and the exact
    Host names to accept (the bind address is no name: `Host: 0.0.0.0:PORT` must not pass).
    With client keys each client's Stripe key is its token; the Host list is still needed."""
    if not token and not client_keys:
        raise ConfigError(
            f"HTTP transport on {host} needs a bearer token: set STRIPE_POWER_HTTP_TOKEN to a long random "
            "string and send it as `Authorization: Bearer <token>`."
        )
    if token and not client_keys and bearer_token(f"Bearer {token}") != token:
        raise ConfigError(
            "STRIPE_POWER_HTTP_TOKEN must be one bearer token: letters, digits and -._~+/ (then = padding), "
            "no spaces or commas; make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    if is_loopback(host):
        return
    needs = []
    if not client_keys and (len(token or "") < MIN_TOKEN_CHARS or len(set(token or "")) < 8):
        needs.append(
            f"STRIPE_POWER_HTTP_TOKEN of at least {MIN_TOKEN_CHARS} random characters (this one has "
            f"{len(token or '')}; make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    if not allowed_hosts:
        needs.append("--allowed-host NAME for each host name clients use (STRIPE_POWER_ALLOWED_HOSTS)")
    if needs:
        raise ConfigError(
            f"HTTP on non-loopback address {host} needs {' and '.join(needs)}; or bind --host 127.0.0.1."
        )


def security_settings(
    host: str, port: int, extra_origins: list[str], allowed_hosts: Sequence[str] = ()
) -> TransportSecuritySettings:
    """The names the operator listed and, on a loopback bind, the loopback names on this port.
    Never a wildcard bind address (0.0.0.0 is not a name anyone serves under)."""
    listed = {h for name in allowed_hosts for h in ([name] if _has_port(name) else [name, f"{name}:{port}"])}
    if is_loopback(host):
        listed |= {f"{name}:{port}" for name in (host, "127.0.0.1", "localhost", "[::1]")}
    names = sorted(listed)
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=names,
        allowed_origins=[f"{scheme}://{name}" for name in names for scheme in ("http", "https")]
        + extra_origins,
    )


def _has_port(name: str) -> bool:
    return bool(re.search(r":\d+$", name))


def create_http_app(
    server: MCPServer[Any],
    *,
    host: str,
    port: int,
    token: str | None,
    allowed_origins: list[str] | None = None,
    extra_routes: list[Route] | None = None,
    client_keys: bool = False,
    allow_live: bool = False,
    state: State | None = None,
    allowed_hosts: Sequence[str] = (),
    oauth: OAuthGuard | None = None,
    limits: HttpLimits | None = None,
) -> ASGIApp:
    """The ASGI app. It refuses to exist without a bearer token, on loopback too: any local
    process (or a web page, through DNS rebinding) could otherwise drive a Stripe key. With
    `client_keys` the bearer token is each client's own Stripe key and the server has none. Off
    loopback it also needs a strong token and the list of allowed host names. With `oauth`
    (oauth/guard.py) people sign in with access tokens from the team's identity provider; its
    Protected Resource Metadata routes are public. Whatever the mode, one `RequestGuard` reads
    each request: `limits` bound request bodies, sessions and idle time (HttpLimits' defaults)."""
    check_exposure(host, token, allowed_hosts, client_keys=client_keys or oauth is not None)
    limits = limits or HttpLimits()
    mcp_app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        transport_security=security_settings(host, port, allowed_origins or [], allowed_hosts),
        host=host,
        session_idle_timeout=limits.session_idle_timeout,
        max_sessions=limits.max_sessions,
        max_request_body_size=limits.max_request_bytes,
    )

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok", "version": __version__})

    async def readyz(_: Request) -> Response:
        """Ready when the state (PostgreSQL or the state dir) answers within 5 seconds."""
        if state is None:
            return JSONResponse({"status": "ready", "version": __version__})
        try:
            with anyio.fail_after(5):
                await state.ready()
        except Exception as error:  # any failure means "not ready"; the reason is logged, not shown
            logger.warning("readiness check failed: %s: %s", type(error).__name__, error)
            return JSONResponse({"status": "unavailable", "state": state.description}, status_code=503)
        return JSONResponse({"status": "ready", "version": __version__, "state": state.description})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # Mounted apps' lifespans never run; the session manager must be started here.
        async with server.session_manager.run():
            yield

    # Answered without a credential (exact paths): health, the webhook receiver (it checks its
    # own signature) and, in OAuth mode, the Protected Resource Metadata that starts sign-in.
    public_routes = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        *(extra_routes or []),
        *(oauth.routes() if oauth is not None else []),
    ]
    app = Starlette(routes=[*public_routes, Mount("/", app=mcp_app)], lifespan=lifespan)
    principals = Principals()
    if oauth is not None:
        verify = oauth.bearer_verifier(principals)
    elif client_keys:
        verify = client_key_verifier(allow_live=allow_live, principals=principals)
    else:
        assert token is not None
        # One token, one principal: a per-client session cap would be a cap on everyone.
        verify, limits = (
            token_verifier(token, principals),
            replace(limits, max_sessions_per_client=limits.max_sessions),
        )
    public = frozenset(route.path for route in public_routes)
    # Every path but the public ones is the Mount's: the guard hands it to the MCP app itself.
    return RequestGuard(app, verify, limits, lambda: server.session_manager, public, mcp_app)
