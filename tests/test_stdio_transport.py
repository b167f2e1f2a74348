"""The stdio transport `stripe-power serve` uses on pipes (stripe_power.stdio): messages are read
and written on the event loop, and the wire stays protected: a stray print to stdout by code
running in the server goes to stderr and the protocol keeps working."""

from __future__ import annotations

import sys
from pathlib import Path

from mcp.client import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

SERVER = """
import sys, threading
from mcp.server import MCPServer
from stripe_power.stdio import serve_stdio
import anyio

server = MCPServer("probe")

@server.tool()
async def shout(text: str) -> str:
    print("stray output " + text)  # would corrupt the JSON-RPC stream if it reached the wire
    return text.upper() + " threads=" + str(threading.active_count())

anyio.run(serve_stdio, server)
"""


async def test_pipes_are_served_on_the_event_loop_and_stray_output_misses_the_wire(tmp_path: Path) -> None:
    script = tmp_path / "probe.py"
    script.write_text(SERVER)
    params = StdioServerParameters(command=sys.executable, args=[str(script)])
    with (tmp_path / "stderr.txt").open("w+") as errors:
        async with Client(stdio_client(params, errlog=errors), mode="legacy") as client:
            first = await client.call_tool("shout", {"text": "one"})
            second = await client.call_tool("shout", {"text": "two"})
        errors.seek(0)
        stderr = errors.read()
    assert not first.is_error and not second.is_error
    # One thread: no worker threads read stdin or write stdout (the SDK's transport uses them).
    assert first.content[0].text == "ONE threads=1"  # type: ignore[union-attr]
    assert second.content[0].text == "TWO threads=1"  # type: ignore[union-attr]
    assert "stray output one" in stderr and "stray output two" in stderr
