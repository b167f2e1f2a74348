"""The embedded sandbox of `serve --sandbox` and `demo`, built when its first connection arrives.

Importing and building the sandbox would add about a fifth to the MCP server's start-up, and an
IDE starts the server long before (or without ever) calling a tool. So the loopback socket is
bound at once (the URL the Gateway and the log need is known before anything is built) and a
thread waits, idle, for a first connection; then it imports and builds the sandbox and serves
that socket. A connection made meanwhile waits in the listen backlog: answered a little later,
never refused. Only the standard library is imported here; `stripe_power.sandbox` is imported by
the thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import select
import socket
import threading
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from .listen import bind, url_of

if TYPE_CHECKING:
    import uvicorn

    from .sandbox import Sandbox

logger = logging.getLogger("stripe_power.sandbox")


class LazySandbox:
    """The sandbox on a loopback port bound now, built and served from its first connection on.

    ``with LazySandbox() as sb: ...`` has ``sb.url`` at once; ``sb.sandbox`` is None until a
    client has connected. Leaving the block stops the server and its thread.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.sandbox: Sandbox | None = None
        self._url = ""
        self._lock = threading.Lock()
        self._stopping = False
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._wake: socket.socket | None = None
        self._audit_logs: dict[str, tuple[Path, int]] = {}  # attached when built

    @property
    def url(self) -> str:
        if not self._url:
            raise RuntimeError("LazySandbox is not running; use it as a context manager or call start().")
        return self._url

    @property
    def dashboard_url(self) -> str:
        return self.url + "/dashboard"

    def watch_audit_log(self, api_key: str, path: Path) -> None:
        """Show the tool calls an MCP server using ``api_key`` logs to ``path`` from now on,
        including those made before the sandbox is built (a refused call never connects)."""
        start = path.stat().st_size if path.exists() else 0
        with self._lock:
            self._audit_logs[api_key] = (path, start)
            if self.sandbox is not None:
                self._attach(self.sandbox)

    def _attach(self, sandbox: Sandbox) -> None:
        from .sandbox.dashboard import AuditTail

        for api_key, (path, start) in self._audit_logs.items():
            if api_key not in sandbox.audit_logs:
                sandbox.audit_logs[api_key] = AuditTail(path, start=start)

    def start(self) -> LazySandbox:
        if self._thread is not None:
            return self
        sock = bind(self.host, self.port)
        self._url = url_of(self.host, sock)
        self._wake, wake = socket.socketpair()  # stop() writes to `wake` to end the wait
        self._thread = threading.Thread(
            target=self._run, args=(sock, wake), name="stripe-power-sandbox", daemon=True
        )
        self._thread.start()
        logger.info("stripe-power sandbox listening on %s", self._url)
        return self

    def _run(self, sock: socket.socket, wake: socket.socket) -> None:
        try:
            readable, _, _ = select.select([sock, wake], [], [])
            if wake in readable:
                return
            server = self._build()
            if server is not None:
                asyncio.run(server.serve(sockets=[sock]))
        except BaseException as error:
            logger.exception("The embedded sandbox failed; its API and dashboard answer 503.")
            # The port stays ours (another process must not take the sandbox key's requests), and
            # each request is told why, instead of looking like a network failure worth retrying.
            asyncio.run(_answer_unavailable(sock, wake, f"{type(error).__name__}: {error}"))
        finally:
            sock.close()
            wake.close()

    def _build(self) -> uvicorn.Server | None:
        import uvicorn

        from .sandbox.core.server import build, uvicorn_config

        sandbox, app = build(None)
        server = uvicorn.Server(uvicorn_config(app, "warning"))
        with self._lock:
            if self._stopping:
                return None
            self._attach(sandbox)
            self.sandbox, self._server = sandbox, server
        return server

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            if self._server is not None:
                self._server.should_exit = True
        if self._thread is not None and self._wake is not None:
            with contextlib.suppress(OSError):  # the thread may have ended and closed its end
                self._wake.send(b"\0")
            self._thread.join(timeout=10)
            self._wake.close()
        self._thread = self._wake = None

    def __enter__(self) -> LazySandbox:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


UNAVAILABLE = "sandbox_unavailable"


async def _answer_unavailable(sock: socket.socket, wake: socket.socket, reason: str) -> None:
    """Until `wake` is written: every request on `sock` gets Stripe's error shape, 503 with
    Stripe-Should-Retry: false (retrying cannot help) and the reason the sandbox failed."""
    body = json.dumps(
        {
            "error": {
                "type": "api_error",
                "code": UNAVAILABLE,
                "message": f"The embedded sandbox failed to start ({reason[:300]}); nothing was applied.",
            }
        }
    ).encode()
    head = (
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nStripe-Should-Retry: false\r\nConnection: close\r\n\r\n"
    ).encode()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):  # a client gone or never finishing its head
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            writer.write(head + body)
            await writer.drain()
        writer.close()

    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_reader(wake, stopped.set)
    server = await asyncio.start_server(answer, sock=sock)
    async with server:
        await stopped.wait()
