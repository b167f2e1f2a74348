"""Fault injection: 500s, 429s, latency and dropped connections before or after commit."""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Literal

logger = logging.getLogger("stripe_power.sandbox")

Fault = Literal["error_500", "error_429", "drop_before_commit", "drop_after_commit"]
DROP_KEY = "stripe_power.sandbox.drop"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class FaultConfig:
    """Probabilities (0..1) of each fault per API request, added latency, and the RNG seed."""

    error_500_rate: float = 0.0
    error_429_rate: float = 0.0
    drop_before_commit_rate: float = 0.0
    drop_after_commit_rate: float = 0.0
    latency_ms: float = 0.0
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("error_500_rate", "error_429_rate", "drop_before_commit_rate", "drop_after_commit_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"FaultConfig.{name} must be between 0 and 1, got {value!r}")
        if self.latency_ms < 0:
            raise ValueError(f"FaultConfig.latency_ms must be >= 0, got {self.latency_ms!r}")


class FaultInjector:
    def __init__(self, config: FaultConfig | None) -> None:
        self.config = config or FaultConfig()
        self._rng = random.Random(self.config.seed)
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        c = self.config
        return bool(
            c.error_500_rate or c.error_429_rate or c.drop_before_commit_rate or c.drop_after_commit_rate
        )

    def decide(self) -> Fault | None:
        if not self.active:
            return None
        c = self.config
        with self._lock:
            roll = self._rng.random()
        for fault, rate in (
            ("drop_before_commit", c.drop_before_commit_rate),
            ("error_500", c.error_500_rate),
            ("error_429", c.error_429_rate),
            ("drop_after_commit", c.drop_after_commit_rate),
        ):
            if roll < rate:
                return fault  # type: ignore[return-value]
            roll -= rate
        return None


class DropConnectionMiddleware:
    """Closes the TCP connection without any response when the endpoint asks for it.

    The endpoint sets ``scope[DROP_KEY]["drop"] = True``; the response it produced is swallowed and
    the transport is aborted, so the client sees a connection reset (which the stripe SDK reports
    as an APIConnectionError and retries).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        flag: dict[str, bool] = {}
        scope[DROP_KEY] = flag

        async def guarded_send(message: Message) -> None:
            if not flag.get("drop"):
                await send(message)

        await self.app(scope, receive, guarded_send)
        if flag.get("drop"):
            await _abort_connection(receive, send)


async def _abort_connection(receive: Receive, send: Send) -> None:
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is not None and hasattr(transport, "abort"):
        transport.abort()
        try:
            async with asyncio.timeout(2):
                while True:
                    msg = await receive()
                    if msg.get("type") == "http.disconnect":
                        break
        except TimeoutError:
            logger.debug("sandbox: connection did not report disconnect after abort")
        return
    # Not uvicorn: start a response that promises a body and never send it.
    logger.debug("sandbox: cannot reach the transport; truncating the response instead")
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
    raise ConnectionAbortedError("sandbox dropped the connection (fault injection)")
