"""Memory per idle session, and that the idle-session expiry gives it back.

Run: ``python bench/idle_sessions.py [--sessions 3000 --idle-timeout 40 --concurrency 50]``.
`stripe-power serve --transport http` (bearer token, `--session-idle-timeout` short so the bench
ends in a minute or two, `--max-sessions` above the count) runs as its own process; this one
opens `--sessions` Streamable HTTP sessions (an `initialize` POST each, nothing after: idle),
reads the server's RSS (VmRSS) once they are all open and again once the last has been idle past
the timeout, then pings each: an expired session answers 404. It does that twice (two waves).

Goals: no session is left after expiry; and RSS after the second wave has expired is at most
1.10x RSS after the first. Expired sessions are freed (their objects are gone once the garbage
collector runs), but CPython and glibc keep the freed heap in the process for the next
allocations rather than handing it to the kernel, so RSS after expiry stays near the peak: the
bound that tells reclaimed from leaked is that a second wave of as many sessions fits in the
memory the first one freed (a leak of a tenth of each session or more misses). RSS after
expiry against before, and KiB per session beside a bare `mcp` server's (bench/http_load.py's
floor, as many sessions opened the same way), are reported without a goal.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import httpx2
from _common import Row, at_most, free_port, info, quiet_env, quiet_logging, rss_kib, start_stripe_power, stop
from http_load import start_floor

RSS_GOAL = 1.10
PROTOCOL = "2025-11-25"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": PROTOCOL,
        "capabilities": {},
        "clientInfo": {"name": "bench", "version": "1"},
    },
}
PING = {"jsonrpc": "2.0", "id": 2, "method": "ping"}
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


async def open_sessions(http: httpx2.AsyncClient, url: str, count: int, concurrency: int) -> list[str]:
    """`count` sessions, `concurrency` at a time; their ids (a failure raises)."""
    ids: list[str] = []
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            response = await http.post(url, json=INITIALIZE, headers=ACCEPT)
            response.raise_for_status()
            ids.append(response.headers["mcp-session-id"])

    await asyncio.gather(*(one() for _ in range(count)))
    return ids


async def still_open(http: httpx2.AsyncClient, url: str, ids: Sequence[str], concurrency: int) -> int:
    """How many of `ids` still answer a ping (an expired session answers 404)."""
    gate = asyncio.Semaphore(concurrency)

    async def alive(session: str) -> bool:
        async with gate:
            headers = {**ACCEPT, "Mcp-Session-Id": session, "Mcp-Protocol-Version": PROTOCOL}
            response = await http.post(url, json=PING, headers=headers)
            if response.status_code not in (200, 404):
                response.raise_for_status()
            return response.status_code == 200

    return sum(await asyncio.gather(*(alive(s) for s in ids)))


async def wave(
    http: httpx2.AsyncClient, url: str, pid: int, args: argparse.Namespace
) -> tuple[int, int, int, float]:
    """Open the sessions, read RSS, wait until the last one has been idle past the timeout (and a
    second for the reaper), read RSS: (RSS open, RSS expired, sessions still open, seconds to open)."""
    t0 = time.monotonic()
    ids = await open_sessions(http, url, args.sessions, args.concurrency)
    opened_in = time.monotonic() - t0
    with_open = rss_kib(pid)
    await asyncio.sleep(max(0.0, t0 + opened_in + args.idle_timeout + 1.0 - time.monotonic()))
    expired = rss_kib(pid)
    return with_open, expired, await still_open(http, url, ids, args.concurrency), opened_in


async def warm_up(http: httpx2.AsyncClient, url: str, pid: int) -> int:
    """One session opened and ended first: what the first session loads (tools, models) is the
    server's, not any session's. Returns RSS after it."""
    warm = await open_sessions(http, url, 1, 1)
    ended = await http.delete(url, headers={"Mcp-Session-Id": warm[0], "Mcp-Protocol-Version": PROTOCOL})
    ended.raise_for_status()
    await asyncio.sleep(0.5)
    return rss_kib(pid)


async def floor_kib(url: str, pid: int, args: argparse.Namespace) -> float:
    """KiB per idle session of a bare `mcp` server (bench/http_load.py's floor)."""
    limits = httpx2.Limits(max_connections=args.concurrency)
    async with httpx2.AsyncClient(timeout=60, limits=limits) as http:
        before = await warm_up(http, url, pid)
        await open_sessions(http, url, args.sessions, args.concurrency)
        return (rss_kib(pid) - before) / args.sessions


async def measure(url: str, token: str, pid: int, args: argparse.Namespace) -> dict[str, float]:
    limits = httpx2.Limits(max_connections=args.concurrency)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx2.AsyncClient(headers=headers, timeout=60, limits=limits) as http:
        before = await warm_up(http, url, pid)
        open1, expired1, left1, opened_in1 = await wave(http, url, pid, args)
        open2, expired2, left2, opened_in2 = await wave(http, url, pid, args)
    return {
        "before": before,
        "open1": open1,
        "expired1": expired1,
        "open2": open2,
        "expired2": expired2,
        "left": left1 + left2,
        "opened_in": max(opened_in1, opened_in2),
    }


def main(argv: Sequence[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=3000)
    parser.add_argument("--idle-timeout", type=float, default=40, help="the server's --session-idle-timeout")
    parser.add_argument("--concurrency", type=int, default=50, help="sessions being opened at once")
    args = parser.parse_args(argv)
    quiet_logging()

    token, port = secrets.token_hex(24), free_port()
    with tempfile.TemporaryDirectory() as state_dir:
        server = start_stripe_power(
            [
                "serve", "--transport", "http", "--port", str(port), "--log-level", "ERROR",
                # Nothing here reaches Stripe: initialize and ping are answered by the server alone.
                "--api-base", f"http://127.0.0.1:{free_port()}",
                "--session-idle-timeout", str(args.idle_timeout),
                # Room for them all: the guard counts a session being opened twice until it is open.
                "--max-sessions", str(args.sessions + args.concurrency + 10),
            ],
            f"http://127.0.0.1:{port}/healthz",
            quiet_env(
                STRIPE_SECRET_KEY="sk_test_" + uuid.uuid4().hex,
                STRIPE_POWER_HTTP_TOKEN=token,
                STRIPE_POWER_STATE_DIR=str(Path(state_dir)),
            ),
        )  # fmt: skip
        try:
            figures = asyncio.run(measure(f"http://127.0.0.1:{port}/mcp", token, server.pid, args))
        finally:
            stop(server)
        floor, floor_url = start_floor(Path(state_dir), f"http://127.0.0.1:{free_port()}", "sk_test_floor")
        try:
            floor_per_session = asyncio.run(floor_kib(floor_url, floor.pid, args))
        finally:
            stop(floor)

    mib = {name: value / 1024 for name, value in figures.items()}
    per_session = (figures["open1"] - figures["before"]) / args.sessions
    left = int(figures["left"])
    in_time = figures["opened_in"] < args.idle_timeout  # else the first ones expired before the reading
    print(f"{args.sessions:,} idle sessions (initialize only), twice; opened in up to {figures['opened_in']:.1f} s, "
          f"--session-idle-timeout {args.idle_timeout:g} s")  # fmt: skip
    print(f"  server RSS: {mib['before']:.1f} MiB before; wave 1: {mib['open1']:.1f} MiB open "
          f"({per_session:.1f} KiB/session), {mib['expired1']:.1f} MiB expired; wave 2: "
          f"{mib['open2']:.1f} MiB open, {mib['expired2']:.1f} MiB expired; {left} still open")  # fmt: skip
    print(f"  floor (a bare mcp server, the same sessions): {floor_per_session:.1f} KiB/session")
    if not in_time:
        print("  opening took longer than the idle timeout: raise --idle-timeout")
    return [
        Row("idle sessions: open after expiry", str(left), "0", "-", left == 0),
        at_most(
            "idle sessions: RSS, 2nd wave expired / 1st",
            figures["expired2"] / figures["expired1"],
            RSS_GOAL,
            ".2f",
            "x",
        ),
        info(
            "idle sessions: RSS expired / before (freed heap kept for reuse)",
            f"{figures['expired1'] / figures['before']:.2f}x",
        ),
        info(
            f"idle sessions: KiB per session ({args.sessions:,} open), stripe-power / bare mcp",
            f"{per_session:.1f} / {floor_per_session:.1f} KiB",
        ),
        info(
            "idle sessions: RSS before / open / expired / 2nd open / expired",
            " / ".join(f"{mib[k]:.0f}" for k in ("before", "open1", "expired1", "open2", "expired2"))
            + " MiB",
        ),
        Row("idle sessions: all open at the reading", "yes" if in_time else "no", "yes", "-", in_time),
    ]


if __name__ == "__main__":
    main()
