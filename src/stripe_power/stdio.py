"""Serving MCP over stdio with the pipes in the event loop, not in worker threads.

The SDK's stdio transport reads each line and writes (then flushes) each message through
`anyio.wrap_file`, i.e. a worker-thread round trip per read, write and flush: three thread
handoffs per tool call, each a wake-up that waits for a CPU on a busy machine. When stdin and
stdout are pipes or sockets (how every MCP client starts a server) this module hands the SDK's
own `stdio_server` non-blocking streams instead, so a call is read and answered on the event
loop. Anything else (a regular file, Windows) uses the SDK's transport unchanged.

Like the SDK, it keeps the wire to itself while serving: fd 0 reads the null device and fd 1
points at stderr, so a stray `print` or a child process cannot corrupt the protocol; both are
restored on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

import anyio
from mcp.server import MCPServer
from mcp.server.stdio import stdio_server

_LINE_LIMIT = 64 * 1024 * 1024  # one JSON-RPC message; check_integration_code takes 500 KB of source


class _Lines:
    """`async for line in ...` over a StreamReader, as text (what `stdio_server` reads)."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader

    def __aiter__(self) -> _Lines:
        return self

    async def __anext__(self) -> str:
        line = await self._reader.readline()
        if not line:
            raise StopAsyncIteration
        return line.decode("utf-8", errors="replace")


class _Writer:
    """`write` then `flush` (what `stdio_server` calls per message) on a pipe transport."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer

    async def write(self, text: str) -> None:
        self._writer.write(text.encode("utf-8"))

    async def flush(self) -> None:
        await self._writer.drain()


def _is_stream(fd: int) -> bool:
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


@asynccontextmanager
async def _claimed_pipes() -> AsyncIterator[tuple[_Lines, _Writer]]:
    """The wire on private descriptors, fd 0/1 diverted (null device / stderr) until exit."""
    loop = asyncio.get_running_loop()
    wire_in, wire_out = os.dup(0), os.dup(1)
    saved_in, saved_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    sys.stdout.flush()
    os.dup2(null, 0)
    os.dup2(2, 1)
    os.close(null)
    transport: asyncio.WriteTransport | None = None
    try:
        reader = asyncio.StreamReader(limit=_LINE_LIMIT)
        await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(wire_in, "rb", buffering=0)
        )
        transport, protocol = await loop.connect_write_pipe(
            asyncio.streams.FlowControlMixin, os.fdopen(wire_out, "wb", buffering=0)
        )
        writer = asyncio.StreamWriter(transport, protocol, reader, loop)
        yield _Lines(reader), _Writer(writer)
    finally:
        if transport is not None:
            transport.close()
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()  # what was printed while serving belongs to stderr, not the wire
        os.dup2(saved_in, 0)
        os.dup2(saved_out, 1)
        os.close(saved_in)
        os.close(saved_out)


async def serve_stdio(server: MCPServer[Any]) -> None:
    """Serve `server` over this process's stdin/stdout until the client closes stdin."""
    if sys.platform == "win32" or not (_is_stream(0) and _is_stream(1)):
        await server.run_stdio_async()
        return
    # The SDK runs an MCPServer on given streams only through its low-level server.
    lowlevel = server._lowlevel_server
    async with _claimed_pipes() as (lines, writer):
        streams = stdio_server(cast(Any, lines), cast(Any, writer))
        async with streams as (read_stream, write_stream):
            await lowlevel.run(read_stream, write_stream, lowlevel.create_initialization_options())


def run_stdio(server: MCPServer[Any]) -> None:
    anyio.run(serve_stdio, server)
