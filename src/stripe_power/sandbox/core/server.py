"""Run the sandbox: in a background thread (tests, embedding) or standalone (CLI)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn
from starlette.applications import Starlette

from ...listen import bind, url_of
from ..dashboard import AuditTail
from .app import Sandbox, create_app
from .events import Delivery
from .faults import FaultConfig
from .store import RecordedRequest

logger = logging.getLogger("stripe_power.sandbox")


def build(faults: FaultConfig | None) -> tuple[Sandbox, Starlette]:
    sandbox = Sandbox(faults)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await sandbox.webhooks.aclose()

    app = create_app(sandbox=sandbox)
    app.router.lifespan_context = lifespan
    return sandbox, app


def uvicorn_config(app: Starlette, log_level: str) -> uvicorn.Config:
    # log_config=None: never let uvicorn configure logging (its access log writes to stdout).
    # timeout_graceful_shutdown: a client that never finishes its request must not hold up
    # the process's exit (stdin EOF) for longer than that.
    return uvicorn.Config(
        app, log_config=None, access_log=False, log_level=log_level, lifespan="on", timeout_keep_alive=30,
        timeout_graceful_shutdown=2,
    )  # fmt: skip


class SandboxServer:
    """The sandbox on a real port, served by uvicorn in a background thread.

    ``with SandboxServer() as sb: client = StripeClient("sk_test_x", base_addresses={"api": sb.url})``
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: FaultConfig | None = None,
        *,
        log_level: str = "warning",
        startup_timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sandbox, self.app = build(faults)
        self._log_level = log_level
        self._startup_timeout = startup_timeout
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._url = ""

    @property
    def url(self) -> str:
        if not self._url:
            raise RuntimeError("SandboxServer is not running; use it as a context manager or call start().")
        return self._url

    @property
    def dashboard_url(self) -> str:
        return self.url + "/dashboard"

    def watch_audit_log(self, api_key: str, path: Path) -> None:
        """Show the tool calls an MCP server using ``api_key`` logs to ``path`` from now on."""
        self.sandbox.audit_logs[api_key] = AuditTail(path)

    def start(self) -> SandboxServer:
        if self._thread is not None:
            return self
        sock = bind(self.host, self.port)
        self._url = url_of(self.host, sock)
        server = uvicorn.Server(uvicorn_config(self.app, self._log_level))
        self._server = server
        errors: list[BaseException] = []

        def run() -> None:
            try:
                asyncio.run(server.serve(sockets=[sock]))
            except BaseException as exc:  # surfaced to start() below
                errors.append(exc)
            finally:
                sock.close()

        self._thread = threading.Thread(target=run, name="stripe-power-sandbox", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self._startup_timeout
        while not server.started:
            if errors or not self._thread.is_alive():
                raise RuntimeError(f"sandbox failed to start: {errors[0] if errors else 'server exited'}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("sandbox did not start in time")
            time.sleep(0.005)
        logger.info("stripe-power sandbox listening on %s", self._url)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._thread = None
        self._server = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- introspection -------------------------------------------------------------------
    def request_log(self, api_key: str) -> list[RecordedRequest]:
        """Every API request that reached the account of ``api_key`` (fault-rejected ones marked)."""
        return self.sandbox.request_log(api_key)

    def objects(
        self, api_key: str, object_type: str, stripe_account: str | None = None
    ) -> list[dict[str, Any]]:
        """Copies of the account's live objects of ``object_type`` (e.g. ``"customer"``), oldest first;
        with ``stripe_account``, those of that connected account."""
        return self.sandbox.objects(api_key, object_type, stripe_account)

    def webhook_deliveries(self) -> list[Delivery]:
        return list(self.sandbox.webhooks.deliveries)


async def run_sandbox(host: str = "127.0.0.1", port: int = 12111, faults: FaultConfig | None = None) -> None:
    """Serve the sandbox in the running event loop until cancelled."""
    _, app = build(faults)
    sock = bind(host, port)
    config = uvicorn_config(app, "warning")
    server = uvicorn.Server(config)
    url = url_of(host, sock)
    logger.warning("stripe-power sandbox listening on %s (dashboard: %s/dashboard)", url, url)
    try:
        await server.serve(sockets=[sock])
    finally:
        sock.close()


def serve_forever(host: str = "127.0.0.1", port: int = 12111, faults: FaultConfig | None = None) -> None:
    """Block serving the sandbox; uvicorn stops on SIGINT/SIGTERM."""
    asyncio.run(run_sandbox(host, port, faults))


def main_sandbox(host: str, port: int, faults: FaultConfig | None) -> None:
    """Entry point for ``stripe-power sandbox``: serve until SIGINT/SIGTERM, URL logged to stderr."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(message)s")  # stderr by default
    serve_forever(host, port, faults)
