"""Client keys: with `--client-keys`, each HTTP request carries its client's own Stripe key.

The key arrives as `Authorization: Bearer <sk_test_/rk_test_ key>`, is checked once per request
by the HTTP guard (publishable keys refused, live keys only with --allow-live), is used for that
request's Stripe calls, and is never stored: state is kept under a keyed hash of it
(State.scope_of). `install` sets `current_key` for every MCP request (tools, resources,
completions, prompts) from the credential the guard accepted: the one reading of it.
"""

from __future__ import annotations

import contextvars
from typing import Any

from mcp.server import MCPServer
from mcp.server.connection import Connection
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext

from .http_guard import credential_of

# The Stripe key of the client whose call is running (client-keys mode); None: the server's key.
current_key: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_key", default=None)


def install(server: MCPServer[Any], *, client_keys: bool) -> None:
    """With client keys, run every MCP request with its HTTP request's key as `current_key`."""
    if not client_keys:
        return

    async def with_key(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        credential = credential_of(ctx.request)
        token = current_key.set(credential.token if credential is not None else None)
        try:
            return await call_next(ctx)
        finally:
            current_key.reset(token)

    server.middleware.append(with_key)


def connection_of(ctx: ServerRequestContext[Any, Any]) -> Connection:
    """The connection behind a request (its session id, its log level). The ServerSession is
    made per request; mcp 2.3 exposes the connection behind it on no public attribute."""
    connection: Connection = ctx.session._connection
    return connection


def session_id_of(ctx: Any) -> str | None:
    """The Streamable HTTP session the SDK served this call on (None on stdio, in memory and
    sessionless HTTP): the session it checked belongs to this caller, not a header's claim."""
    request_context = getattr(ctx, "request_context", None)
    if request_context is None:
        return None
    session_id: str | None = connection_of(request_context).session_id
    return session_id
