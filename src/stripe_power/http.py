"""Streamable HTTP: `/mcp` behind a bearer token with Host/Origin checks, and `/healthz`."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from . import __version__
from .config import is_loopback
from .errors import ConfigError

MCP_PATH = "/mcp"


class BearerAuth:
    """Every request under /mcp must carry `Authorization: Bearer <token>` (constant-time check)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(MCP_PATH):
            given = dict(scope["headers"]).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                response = JSONResponse(
                    {
                        "error": "unauthorized",
                        "message": "Send Authorization: Bearer <STRIPE_POWER_HTTP_TOKEN>.",
                    },
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer realm="stripe-power"'},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def security_settings(host: str, port: int, extra_origins: list[str]) -> TransportSecuritySettings:
    names = {host, "127.0.0.1", "localhost", "[::1]"} if is_loopback(host) else {host}
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[f"{name}:{port}" for name in sorted(names)],
        allowed_origins=[f"http://{name}:{port}" for name in sorted(names)] + extra_origins,
    )


def create_http_app(
    server: MCPServer[Any],
    *,
    host: str,
    port: int,
    token: str | None,
    allowed_origins: list[str] | None = None,
    extra_routes: list[Route] | None = None,
) -> ASGIApp:
    """The ASGI app. It refuses to exist without a bearer token, on loopback too: any local
    process (or a web page, through DNS rebinding) could otherwise drive a Stripe key."""
    if not token:
        raise ConfigError(
            f"HTTP transport on {host} needs a bearer token: set STRIPE_POWER_HTTP_TOKEN to a long random "
            "string and send it as `Authorization: Bearer <token>`."
        )
    mcp_app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        transport_security=security_settings(host, port, allowed_origins or []),
        host=host,
    )

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok", "version": __version__})

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # Mounted apps' lifespans never run; the session manager must be started here.
        async with server.session_manager.run():
            yield

    app = Starlette(
        routes=[Route("/healthz", healthz), *(extra_routes or []), Mount("/", app=mcp_app)],
        lifespan=lifespan,
    )
    return BearerAuth(app, token)
