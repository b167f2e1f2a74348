"""HTTP load: concurrent MCP clients over Streamable HTTP against the sandbox.

Run: ``python bench/http_load.py [--clients 50 --calls 100]``. The sandbox and
`stripe-power serve --transport http` (bearer token) run as separate processes on 127.0.0.1;
this process runs the clients, each with its own session, alternating `retrieve_customer` and
`list_customers`. Reports calls/second, p50/p99 latency, errors (must be 0) and the server's RSS
(VmRSS, before and peak during the run). Bounded by --timeout; both processes are stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import secrets
import subprocess
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx2
import stripe
from _common import (
    Row,
    free_port,
    info,
    median,
    pct,
    quiet_env,
    quiet_logging,
    rss_kib,
    run_together,
    start_sandbox,
    start_stripe_power,
    stop,
)
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    peak_rss_kib: int = 0


async def one_client(
    url: str, token: str, customers: list[str], calls: int, barrier: asyncio.Barrier, *, tally: Tally, n: int
) -> None:
    """Open a session, wait until every client has one, then make `calls` calls."""
    waited = False
    try:
        async with (
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http,
            Client(streamable_http_client(url, http_client=http)) as client,
        ):
            waited = True
            await barrier.wait()
            for i in range(calls):
                if i % 2:
                    name, arguments = "list_customers", {"limit": 10}
                else:
                    name, arguments = "retrieve_customer", {"customer": customers[(n + i) % len(customers)]}
                t0 = time.perf_counter()
                try:
                    result = await client.call_tool(name, arguments)
                except Exception as error:  # a transport or protocol failure is an error, not a crash
                    tally.errors.append(f"{name}: {type(error).__name__}: {error}")
                    continue
                tally.latencies_ms.append((time.perf_counter() - t0) * 1000)
                text = result.content[0].text  # type: ignore[union-attr]
                if result.is_error or not ({"id", "data"} & json.loads(text).keys()):
                    tally.errors.append(f"{name}: {text[:200]}")
    except Exception as error:
        tally.errors.append(f"client {n}: {type(error).__name__}: {error}")
        if not waited:
            await barrier.wait()


async def sample_rss(pid: int, tally: Tally, stop_sampling: asyncio.Event) -> None:
    while not stop_sampling.is_set():
        tally.peak_rss_kib = max(tally.peak_rss_kib, rss_kib(pid))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop_sampling.wait(), 0.25)


async def load(
    url: str, token: str, customers: list[str], clients: int, calls: int, pid: int, limit: float
) -> tuple[Tally, float]:
    """Run the clients; the clock starts once every session is open. Returns the tally and seconds."""
    tally = Tally()
    stop_sampling = asyncio.Event()
    sampler = asyncio.create_task(sample_rss(pid, tally, stop_sampling))
    elapsed = await run_together(
        [
            functools.partial(one_client, url, token, customers, calls, tally=tally, n=n)
            for n in range(clients)
        ],
        limit,
        tally.errors,
    )
    stop_sampling.set()
    await sampler
    return tally, elapsed


def seed(api_base: str, key: str, n: int) -> list[str]:
    sdk = stripe.StripeClient(key, base_addresses={"api": api_base})
    return [sdk.v1.customers.create({"email": f"load{i}@example.com"}).id for i in range(n)]


def main(argv: Sequence[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--calls", type=int, default=100, help="calls per client")
    parser.add_argument("--timeout", type=float, default=180, help="seconds before the run is abandoned")
    args = parser.parse_args(argv)
    quiet_logging()

    key, token = "sk_test_" + uuid.uuid4().hex, secrets.token_hex(24)
    sandbox, api_base = start_sandbox()
    server = None
    try:
        customers = seed(api_base, key, 20)
        port = free_port()
        with tempfile.TemporaryDirectory() as state_dir:
            server = _start_server(api_base, key, token, port, state_dir)
            rss_before = rss_kib(server.pid)
            url = f"http://127.0.0.1:{port}/mcp"
            tally, elapsed = asyncio.run(
                load(url, token, customers, args.clients, args.calls, server.pid, args.timeout)
            )
            rss_after = rss_kib(server.pid)
    finally:
        if server is not None:
            stop(server)
        stop(sandbox)

    done = len(tally.latencies_ms)
    rate = done / elapsed if elapsed else 0.0
    p50 = median(tally.latencies_ms) if done else float("nan")
    p99 = pct(tally.latencies_ms, 0.99) if done else float("nan")
    print(
        f"{args.clients} clients x {args.calls} calls over Streamable HTTP (retrieve_customer / list_customers)"
    )
    print(f"  {done:,} calls in {elapsed:.1f} s: {rate:,.0f} calls/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    print(f"  errors: {len(tally.errors)}")
    for error in tally.errors[:5]:
        print(f"    {error}")
    print(f"  server RSS: {rss_before / 1024:.0f} MiB idle, peak {tally.peak_rss_kib / 1024:.0f} MiB, "
          f"{rss_after / 1024:.0f} MiB after")  # fmt: skip
    errors = len(tally.errors)
    return [
        info(f"http load: calls/s ({args.clients} clients x {args.calls})", f"{rate:,.0f} calls/s"),
        info("http load: latency p50 / p99", f"{p50:.1f} / {p99:.1f} ms"),
        Row("http load: errors", str(errors), "0", "-", errors == 0),
        info(
            "http load: server RSS idle / peak",
            f"{rss_before / 1024:.0f} / {tally.peak_rss_kib / 1024:.0f} MiB",
        ),
    ]


def _start_server(api_base: str, key: str, token: str, port: int, state_dir: str) -> subprocess.Popen[bytes]:
    return start_stripe_power(
        ["serve", "--transport", "http", "--port", str(port), "--api-base", api_base, "--log-level", "ERROR"],
        f"http://127.0.0.1:{port}/healthz",
        quiet_env(STRIPE_SECRET_KEY=key, STRIPE_POWER_HTTP_TOKEN=token, STRIPE_POWER_STATE_DIR=state_dir),
    )


if __name__ == "__main__":
    main()
