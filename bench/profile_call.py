"""Profile the server's per-call path: N `retrieve_customer` and N `list_customers` (limit 10)
calls, in this process, through an in-memory MCP client session.

Run: ``python bench/profile_call.py [--calls 200] [--top 15] [--sort cumulative|tottime]``. The
sandbox runs as its own process (`stripe-power sandbox --port N`, holding ten customers), so the
profile holds the MCP client, the server and the stripe SDK, not the sandbox. `--direct` makes
the same requests with the stripe SDK alone: the baseline the server adds to.

For instruction counts (load-independent, unlike the wall clock), start a sandbox (`stripe-power
sandbox --port 8420`), run this twice under callgrind without the profiler and divide the
difference by the extra calls, which leaves start-up out:

    valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.%p python bench/profile_call.py \
        --api-base http://127.0.0.1:8420 --no-profile --calls 0   # then --calls 100

(per call: the difference / 200; with `--only retrieve` or `--only list`, / 100). `--direct` gives
the same figures for the stripe SDK alone. Not part of `bench/run`: it is a
tool for deciding what to cut, and its figures are not goals.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import stripe
from _common import quiet_logging, start_sandbox, stop
from mcp.client import Client

from stripe_power.config import load_settings
from stripe_power.server import create_server

CUSTOMERS = 10  # a full first page for list_customers(limit=10)
WARMUP = 20


async def _customers(sdk: stripe.StripeClient) -> str:
    ids = [
        (await sdk.v1.customers.create_async({"email": f"p{n}@example.com", "name": f"Profile {n}"})).id
        for n in range(CUSTOMERS)
    ]
    return ids[0]


async def run(
    api_base: str, calls: int, direct: bool, profiler: cProfile.Profile | None, only: str | None = None
) -> None:
    key = "sk_test_" + uuid.uuid4().hex
    http = stripe.HTTPXClient()
    sdk = stripe.StripeClient(key, base_addresses={"api": api_base}, http_client=http)
    customer = await _customers(sdk)
    try:
        if direct:
            await _loop(
                lambda: sdk.v1.customers.retrieve_async(customer),
                lambda: sdk.v1.customers.list_async({"limit": 10}),
                calls,
                profiler,
                only,
            )
            return
        with tempfile.TemporaryDirectory() as state_dir:
            settings = load_settings({"STRIPE_SECRET_KEY": key}, api_base=api_base, state_dir=state_dir)
            async with Client(create_server(settings)) as client:

                async def retrieve() -> None:
                    result = await client.call_tool("retrieve_customer", {"customer": customer})
                    text = result.content[0].text  # type: ignore[union-attr]
                    if result.is_error or json.loads(text)["id"] != customer:
                        raise RuntimeError(f"retrieve_customer failed: {text}")

                async def listing() -> None:
                    result = await client.call_tool("list_customers", {"limit": 10})
                    text = result.content[0].text  # type: ignore[union-attr]
                    if result.is_error or len(json.loads(text)["data"]) != CUSTOMERS:
                        raise RuntimeError(f"list_customers failed: {text}")

                await _loop(retrieve, listing, calls, profiler, only)
    finally:
        await http.close_async()


async def _loop(
    retrieve: Callable[[], Awaitable[object]],
    listing: Callable[[], Awaitable[object]],
    calls: int,
    profiler: cProfile.Profile | None,
    only: str | None,
) -> None:
    for _ in range(WARMUP):  # both, whatever `only` says: one `--calls 0` run is every run's baseline
        await retrieve()
        await listing()
    chosen = [call for name, call in (("retrieve", retrieve), ("list", listing)) if only in (None, name)]
    if profiler is not None:
        profiler.enable()
    for _ in range(calls):
        for call in chosen:
            await call()
    if profiler is not None:
        profiler.disable()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=200, help="profiled calls of each tool")
    parser.add_argument("--direct", action="store_true", help="the stripe SDK alone (the baseline)")
    parser.add_argument("--only", choices=("retrieve", "list"), help="calls of this tool only")
    parser.add_argument("--no-profile", action="store_true", help="no cProfile (for callgrind)")
    parser.add_argument("--sort", default="cumulative", choices=("cumulative", "tottime", "ncalls"))
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--filter", default="", help="only entries whose file or name holds this text")
    parser.add_argument(
        "--api-base", help="a sandbox already running (under callgrind: no start-up polling counted)"
    )
    parser.add_argument("--save", type=Path, help="also write the raw profile here (for snakeviz etc.)")
    args = parser.parse_args(argv)
    quiet_logging()
    profiler = None if args.no_profile else cProfile.Profile()
    sandbox, api_base = (None, args.api_base) if args.api_base else start_sandbox()
    try:
        asyncio.run(run(api_base, args.calls, args.direct, profiler, args.only))
    finally:
        if sandbox is not None:
            stop(sandbox)
    if profiler is None:
        return
    if args.save:
        profiler.dump_stats(args.save)
    what = "stripe SDK" if args.direct else "MCP tool calls (in-memory session)"
    tools = {"retrieve": "retrieve_customer", "list": "list_customers"}
    names = [tools[args.only]] if args.only else list(tools.values())
    print(f"{' + '.join(f'{args.calls} {name}' for name in names)}, {what}; by {args.sort}")
    stats = pstats.Stats(profiler).strip_dirs().sort_stats(args.sort)
    if args.filter:
        stats.print_stats(args.filter, args.top)
    else:
        stats.print_stats(args.top)


if __name__ == "__main__":
    main()
