"""Log notifications to the MCP client (`notifications/message`), at the level it asked for.

What is sent: a guardrail refusal, a retry after Stripe answered 5xx/409/429 or the connection
failed, a write Stripe answered from its idempotency cache, a webhook received. Each is a
short message plus a few fields, run through the audit log's redaction first.

Two protocol eras (see SDK-NOTES):
- handshake (up to 2025-11-25): the client picks a level per connection with
  `logging/setLevel`; nothing is sent before it does. Notices about a request ride that
  request's stream; connection-wide ones (a webhook received) the standalone stream.
- 2026-07-28: `logging/setLevel` is gone (the SDK answers "Method not found"). A request opts
  in with `_meta["io.modelcontextprotocol/logLevel"]` (`Client(log_level=...)`) and gets the
  notices about itself on its own stream. There is no back-channel, so webhook notices are
  not sent; the stderr log still has them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any, get_args
from weakref import WeakKeyDictionary

import anyio
from mcp.server import MCPServer
from mcp.server.connection import Connection, allowed_log_levels
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.types import (
    EmptyResult,
    LoggingLevel,
    LoggingMessageNotification,
    LoggingMessageNotificationParams,
    SetLevelRequestParams,
)
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from .audit import redact
from .clients import connection_of

LEVELS: tuple[LoggingLevel, ...] = get_args(LoggingLevel)  # least to most severe
LOGGER = "stripe-power"  # the `logger` field of every notification
logger = logging.getLogger("stripe_power.client_log")

Request = ServerRequestContext[Any, Any]
_installed: WeakKeyDictionary[MCPServer[Any], ClientLog] = WeakKeyDictionary()
# The request being served and the ClientLog of its server; set by ClientLog.middleware.
_current: ContextVar[tuple[ClientLog, Request] | None] = ContextVar("client_log_request", default=None)


def _at_least(level: LoggingLevel, threshold: LoggingLevel) -> bool:
    return LEVELS.index(level) >= LEVELS.index(threshold)


def _params(level: LoggingLevel, message: str, fields: dict[str, Any]) -> LoggingMessageNotificationParams:
    return LoggingMessageNotificationParams(
        level=level, logger=LOGGER, data=redact({"message": message, **fields})
    )


class ClientLog:
    """Per-connection levels (handshake era) and the two ways of sending a notice."""

    def __init__(self) -> None:
        self._levels: WeakKeyDictionary[Connection, LoggingLevel] = WeakKeyDictionary()

    def install(self, server: MCPServer[Any]) -> None:
        """Serve `logging/setLevel` (which declares the logging capability) and track requests.

        MCPServer has no decorator for the deprecated method; the SDK's docs point to the
        low-level server's `add_request_handler` for serving it to handshake-era clients.
        """
        server._lowlevel_server.add_request_handler("logging/setLevel", SetLevelRequestParams, self.set_level)
        server.middleware.append(self.middleware)
        _installed[server] = self

    async def set_level(self, ctx: Request, params: SetLevelRequestParams) -> EmptyResult:
        self._levels[connection_of(ctx)] = params.level
        return EmptyResult()

    async def middleware(self, ctx: Request, call_next: CallNext) -> HandlerResult:
        token = _current.set((self, ctx))
        try:
            return await call_next(ctx)
        finally:
            _current.reset(token)

    def wants(self, ctx: Request, level: LoggingLevel) -> bool:
        if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
            return level in allowed_log_levels(ctx.protocol_version, ctx.meta)
        threshold = self._levels.get(connection_of(ctx))
        return threshold is not None and _at_least(level, threshold)

    async def broadcast(self, level: LoggingLevel, message: str, **fields: Any) -> int:
        """To every handshake-era connection whose level lets it through; returns how many."""
        params = _params(level, message, fields).model_dump(by_alias=True, mode="json", exclude_none=True)
        chosen = [c for c, threshold in list(self._levels.items()) if _at_least(level, threshold)]
        for connection in chosen:
            # Best effort (never raises); bounded so one stuck stream cannot hold up the
            # webhook receiver's answer to Stripe.
            with anyio.move_on_after(1):
                await connection.notify("notifications/message", params)
        return len(chosen)

    async def webhook_received(self, event: Mapping[str, Any], duplicate: bool) -> None:
        """The webhook receiver's hook: a verified event arrived (its id and type, not its data)."""
        kind = "a duplicate of an event already stored" if duplicate else "stored for event waits"
        await self.broadcast(
            "info",
            f"Webhook {event.get('id')} ({event.get('type')}) received, signature verified, {kind}.",
            event=event.get("id"), type=event.get("type"), duplicate=duplicate,
        )  # fmt: skip


def client_log_of(server: MCPServer[Any]) -> ClientLog:
    """The ClientLog `create_server` installed on `server` (for notices from outside a request)."""
    return _installed[server]


async def notify(level: LoggingLevel, message: str, **fields: Any) -> None:
    """Tell the client of the request being served, if it asked for `level`; else nothing.

    Never fails the request: outside a request, or on a closed stream, the notice is dropped.
    """
    current = _current.get()
    if current is None:
        return
    client_log, ctx = current
    if ctx.request_id is None or not client_log.wants(ctx, level):
        return
    notification = LoggingMessageNotification(params=_params(level, message, fields))
    try:
        await ctx.session.send_notification(notification, related_request_id=ctx.request_id)
    except (anyio.BrokenResourceError, anyio.ClosedResourceError):
        logger.debug("dropped a %s notice: the request's stream is closed", level)
