"""HTTP load: concurrent MCP clients over Streamable HTTP, against a fair floor in the same run.

Run: ``python bench/http_load.py [--clients 50 --calls 100 --rounds 2 --profile FILE]``.
Every server is its own process on 127.0.0.1 and every client opens its own session (`--mode
legacy`, the initialize handshake IDE clients use; `--mode auto` speaks 2026-07-28, sessionless),
then alternates `retrieve_customer` and `list_customers`:

- `stripe-power serve --transport http` (bearer token) against an out-of-process sandbox;
- the floor: a bare `mcp` server (Streamable HTTP, uvicorn as stripe-power runs it) whose two tools
  make the same Stripe request with the async `stripe` SDK (HTTPX client, like the Gateway)
  against the SAME sandbox and return the object's JSON. The two take turns in ABBA rounds
  (floor, stripe-power, stripe-power, floor for 2 rounds), so drift in the machine's load falls
  on both alike. Goals: calls/s at least 0.7x the floor's, p99 at most 1.5x;
- `stripe-power serve --transport http --sandbox` (how users start: the sandbox in the server's
  process, sharing its GIL): reported without a goal, as no floor runs that way.

Reports calls/s, p50/p99 latency, errors (must be 0), each server's CPU per call (user + system
seconds of its process over the calls it answered: on a shared 2-core machine the clients' own
CPU caps calls/s, so this is the load-independent comparison) and stripe-power's RSS. `--profile FILE`
runs the keyed stripe-power server under cProfile (its figures then mean little) and prints the
top entries and those of the HTTP layer. Bounded by --timeout per round; every process is stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import pstats
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import stripe
from _common import (
    Row,
    at_least,
    at_most,
    cpu_seconds,
    free_port,
    info,
    median,
    pct,
    quiet_env,
    quiet_logging,
    rss_kib,
    run_together,
    start_process,
    start_sandbox,
    start_stripe_power,
    stop,
)
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client

CALLS_GOAL, P99_GOAL = 0.7, 1.5

# The floor: what any MCP server making these two Stripe requests must spend (SDK, transport,
# the stripe SDK), with none of stripe-power's checks, views or audit.
FLOOR_SERVER = '''\
import json
import sys

import stripe
import uvicorn
from mcp.server import MCPServer
from starlette.responses import PlainTextResponse

port, api_base, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
server = MCPServer("floor")
clients = []


def client():
    if not clients:  # made on the first call, inside the event loop, as the Gateway does
        clients.append(stripe.StripeClient(
            key, base_addresses={"api": api_base}, max_network_retries=0, http_client=stripe.HTTPXClient()
        ))
    return clients[0]


@server.tool()
async def retrieve_customer(customer: str) -> str:
    """Get one customer by id."""
    return json.dumps((await client().v1.customers.retrieve_async(customer)).to_dict())


@server.tool()
async def list_customers(limit: int = 10) -> str:
    """List customers."""
    return json.dumps((await client().v1.customers.list_async({"limit": limit})).to_dict())


@server.custom_route("/healthz", methods=["GET"])
async def healthz(_):
    return PlainTextResponse("ok")


app = server.streamable_http_app(streamable_http_path="/mcp", host="127.0.0.1")
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", timeout_keep_alive=75)
'''


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    peak_rss_kib: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # the server process's, while its clients ran

    @property
    def cpu_ms_per_call(self) -> float:
        return 1000 * self.cpu_seconds / len(self.latencies_ms) if self.latencies_ms else float("nan")

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def p50(self) -> float:
        return median(self.latencies_ms) if self.latencies_ms else float("nan")

    def p99(self) -> float:
        return pct(self.latencies_ms, 0.99) if self.latencies_ms else float("nan")

    def summary(self) -> str:
        return (
            f"{self.rate:,.0f} calls/s, p50 {self.p50():.1f} ms, p99 {self.p99():.1f} ms, "
            f"server CPU {self.cpu_ms_per_call:.2f} ms/call"
        )


@dataclass
class Target:
    """One server under load: its MCP URL, process and the customers its clients retrieve."""

    label: str
    url: str
    proc: subprocess.Popen[bytes]
    customers: list[str]
    tally: Tally = field(default_factory=Tally)


def connect(url: str, http: httpx2.AsyncClient, mode: str) -> Client:
    """A client in `mode`: "legacy" opens a session (initialize) and makes every call on it;
    "auto" speaks the newest protocol the server does (2026-07-28: no session at all)."""
    return Client(streamable_http_client(url, http_client=http), mode=mode)


async def one_client(
    url: str,
    token: str,
    customers: list[str],
    calls: int,
    barrier: asyncio.Barrier,
    *,
    tally: Tally,
    n: int,
    mode: str,
) -> None:
    """Open a session, wait until every client has one, then make `calls` calls."""
    waited = False
    try:
        async with (
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http,
            connect(url, http, mode) as client,
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


async def load(target: Target, token: str, clients: int, calls: int, limit: float, mode: str) -> None:
    """One round: every client opens a session, then the clock runs while they make their calls."""
    tally = target.tally
    stop_sampling = asyncio.Event()
    sampler = asyncio.create_task(sample_rss(target.proc.pid, tally, stop_sampling))
    cpu_before = cpu_seconds(target.proc.pid)
    tally.seconds += await run_together(
        [
            functools.partial(
                one_client, target.url, token, target.customers, calls, tally=tally, n=n, mode=mode
            )
            for n in range(clients)
        ],
        limit,
        tally.errors,
    )
    tally.cpu_seconds += cpu_seconds(target.proc.pid) - cpu_before
    stop_sampling.set()
    await sampler


async def rounds(targets: Sequence[Target], token: str, args: argparse.Namespace) -> None:
    """ABBA: A B for even rounds, B A for odd ones (a single target just runs every round)."""
    per_round = -(-args.calls // args.rounds)
    for r in range(args.rounds):
        for target in targets if r % 2 == 0 else reversed(targets):
            await load(target, token, args.clients, per_round, args.timeout, args.mode)


def seed(api_base: str, key: str, n: int) -> list[str]:
    sdk = stripe.StripeClient(key, base_addresses={"api": api_base})
    return [sdk.v1.customers.create({"email": f"load{i}@example.com"}).id for i in range(n)]


async def seed_through_mcp(url: str, token: str, n: int, mode: str) -> list[str]:
    """Customers made with the server's own tool (the embedded sandbox has no address we know)."""
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http,
        connect(url, http, mode) as client,
    ):
        made = []
        for i in range(n):
            result = await client.call_tool("create_customer", {"email": f"load{i}@example.com"})
            made.append(json.loads(result.content[0].text)["id"])  # type: ignore[union-attr]
        return made


def main(argv: Sequence[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--calls", type=int, default=100, help="calls per client (over all rounds)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per server, in ABBA order")
    parser.add_argument("--timeout", type=float, default=180, help="seconds before a round is abandoned")
    parser.add_argument(
        "--mode",
        choices=("legacy", "auto"),
        default="legacy",
        help="legacy: sessions (initialize, then calls on them; how IDE clients connect today); "
        "auto: the newest protocol, 2026-07-28, sessionless",
    )
    parser.add_argument("--profile", type=Path, help="cProfile the keyed stripe-power server into FILE")
    args = parser.parse_args(argv)
    quiet_logging()

    key, token = "sk_test_" + uuid.uuid4().hex, secrets.token_hex(24)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            sandbox, api_base = start_sandbox()
            procs.append(sandbox)
            customers = seed(api_base, key, 20)
            floor = _start_floor(Path(tmp), api_base, key, customers)
            power = _start_power(["--api-base", api_base], key, token, Path(tmp) / "keyed", args.profile)
            power.customers = customers
            procs += [floor.proc, power.proc]
            rss_before = rss_kib(power.proc.pid)
            asyncio.run(rounds([floor, power], token, args))
            stop(power.proc)  # before reading the profile: cProfile writes it on exit
            embedded = _start_power(["--sandbox"], None, token, Path(tmp) / "embedded", None)
            procs.append(embedded.proc)
            embedded.customers = asyncio.run(seed_through_mcp(embedded.url, token, 20, args.mode))
            asyncio.run(rounds([embedded], token, args))
    finally:
        for proc in reversed(procs):
            stop(proc)

    print(f"{args.clients} clients x {args.calls} calls over Streamable HTTP (retrieve_customer / "
          f"list_customers), {args.rounds} rounds each")  # fmt: skip
    for target in (floor, power, embedded):
        print(f"  {target.label}: {len(target.tally.latencies_ms):,} calls in {target.tally.seconds:.1f} s: "
              f"{target.tally.summary()}, {len(target.tally.errors)} errors")  # fmt: skip
        for error in target.tally.errors[:5]:
            print(f"    {error}")
    p, f = power.tally, floor.tally
    rate_ratio = p.rate / f.rate if f.rate else 0.0
    p99_ratio = p.p99() / f.p99() if f.latencies_ms else float("inf")
    print(f"  stripe-power / floor: calls/s {rate_ratio:.2f}x (goal >= {CALLS_GOAL}x), "
          f"p99 {p99_ratio:.2f}x (goal <= {P99_GOAL}x)")  # fmt: skip
    cpu_ratio = p.cpu_ms_per_call / f.cpu_ms_per_call if f.cpu_seconds else float("inf")
    print(f"  server CPU per call (load-independent): stripe-power / floor {cpu_ratio:.2f}x")
    print(f"  stripe-power RSS: {rss_before / 1024:.0f} MiB idle, peak {p.peak_rss_kib / 1024:.0f} MiB")
    if args.profile is not None:
        print("  (profiled: the stripe-power figures include cProfile's cost)")
        print_profile(args.profile)
    errors = sum(len(t.tally.errors) for t in (floor, power, embedded))
    load_label = f"{args.clients} clients x {args.calls}"
    return [
        at_least("http load: calls/s, stripe-power / floor", rate_ratio, CALLS_GOAL, ".2f", "x"),
        at_most("http load: p99, stripe-power / floor", p99_ratio, P99_GOAL, ".2f", "x"),
        info("http load: server CPU per call, stripe-power / floor", f"{cpu_ratio:.2f}x"),
        info(f"http load: stripe-power ({load_label})", p.summary()),
        info(f"http load: floor, bare mcp + stripe SDK ({load_label})", f.summary()),
        Row("http load: errors", str(errors), "0", "-", errors == 0),
        info(
            "http load: server RSS idle / peak", f"{rss_before / 1024:.0f} / {p.peak_rss_kib / 1024:.0f} MiB"
        ),
        info(
            "http load: --sandbox (in-process sandbox; no comparable floor)",
            embedded.tally.summary(),
        ),
    ]


def start_floor(tmp: Path, api_base: str, key: str) -> tuple[subprocess.Popen[bytes], str]:
    """The floor server as its own process, once it answers: (process, its MCP URL)."""
    script = tmp / "floor_server.py"
    script.write_text(FLOOR_SERVER)
    port = free_port()
    command = [sys.executable, str(script), str(port), api_base, key]
    proc = start_process(command, f"http://127.0.0.1:{port}/healthz", quiet_env())
    return proc, f"http://127.0.0.1:{port}/mcp"


def _start_floor(tmp: Path, api_base: str, key: str, customers: list[str]) -> Target:
    proc, url = start_floor(tmp, api_base, key)
    return Target("floor (bare mcp + stripe SDK)", url, proc, customers)


def _start_power(
    source: list[str], key: str | None, token: str, state_dir: Path, profile: Path | None
) -> Target:
    """`stripe-power serve --transport http` with `source` (--api-base URL, or --sandbox)."""
    port = free_port()
    args = ["serve", "--transport", "http", "--port", str(port), *source, "--toolsets", "all"]
    env = quiet_env(STRIPE_POWER_HTTP_TOKEN=token, STRIPE_POWER_STATE_DIR=str(state_dir))
    if key is not None:
        env["STRIPE_SECRET_KEY"] = key
    prefix = [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "stripe_power"] if profile else None
    proc = start_stripe_power(
        [*args, "--log-level", "ERROR"], f"http://127.0.0.1:{port}/healthz", env, prefix
    )
    label = "stripe-power --sandbox" if "--sandbox" in source else "stripe-power"
    return Target(label, f"http://127.0.0.1:{port}/mcp", proc, [])


def print_profile(path: Path, top: int = 25) -> None:
    """The server's top entries by own time, then those of our HTTP layer by cumulative time."""
    stats = pstats.Stats(str(path))
    print(f"\n== profile {path}: top {top} by tottime ==")
    stats.sort_stats("tottime").print_stats(top)
    print("== stripe_power HTTP layer (http.py, http_guard.py) by cumulative time ==")
    stats.sort_stats("cumulative").print_stats(r"stripe_power/http")


if __name__ == "__main__":
    main()
