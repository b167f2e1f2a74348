"""Call overhead: `retrieve_customer` and `list_customers` (limit 10) through MCP over stdio vs
the same request made with the `stripe` SDK directly.

Run: ``python bench/call_overhead.py [--calls 300]``. The sandbox runs as its own process
(`stripe-power sandbox --port N`, holding ten customers, so a list is a full page), `stripe-power
serve --api-base <sandbox>` as another, driven over stdio by the `mcp` client; the direct calls are
the SDK's async retrieve and list (the same HTTPX transport the server's Gateway uses) against the
same sandbox and account. All four alternate, call by call, after a warm-up. Goal, for each tool:
under 2 ms median added.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import stripe
from _common import (
    Row,
    at_most,
    info,
    median,
    pct,
    quiet_env,
    quiet_logging,
    start_sandbox,
    stop,
    stripe_power_command,
)
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

GOAL_MS = 2.0


CUSTOMERS = 10  # list_customers(limit=10) returns a full page
TOOLS = ("retrieve_customer", "list_customers")
# tool -> (MCP milliseconds, SDK milliseconds)
Samples = dict[str, tuple[list[float], list[float]]]


async def _timed(call: Callable[[], Awaitable[Any]], check: Callable[[Any], str | None]) -> float:
    t0 = time.perf_counter()
    result = await call()
    elapsed = time.perf_counter() - t0
    if (problem := check(result)) is not None:
        raise RuntimeError(problem)
    return elapsed * 1000


async def measure(api_base: str, calls: int, warmup: int) -> Samples:
    key = "sk_test_" + uuid.uuid4().hex
    http = stripe.HTTPXClient()
    sdk = stripe.StripeClient(key, base_addresses={"api": api_base}, http_client=http)
    made = [
        (await sdk.v1.customers.create_async({"email": f"bench{n}@example.com", "name": f"Bench {n}"})).id
        for n in range(CUSTOMERS)
    ]
    customer = made[0]
    samples: Samples = {tool: ([], []) for tool in TOOLS}
    with tempfile.TemporaryDirectory() as state_dir:
        command, *args = stripe_power_command()
        params = StdioServerParameters(
            command=command,
            args=[*args, "serve", "--api-base", api_base, "--log-level", "ERROR"],
            env=quiet_env(STRIPE_SECRET_KEY=key, STRIPE_POWER_STATE_DIR=state_dir),
        )
        async with Client(params, mode="legacy") as client:

            def tool_result(tool: str, ok: Callable[[Any], bool]) -> Callable[[Any], str | None]:
                def check(result: Any) -> str | None:
                    text = result.content[0].text
                    return None if not result.is_error and ok(json.loads(text)) else f"{tool} failed: {text}"

                return check

            # tool -> (the MCP call, the direct SDK call), each checked for the answer it must give
            pairs: dict[str, tuple[Callable[[], Awaitable[float]], Callable[[], Awaitable[float]]]] = {
                "retrieve_customer": (
                    lambda: _timed(
                        lambda: client.call_tool("retrieve_customer", {"customer": customer}),
                        tool_result("retrieve_customer", lambda data: data["id"] == customer),
                    ),
                    lambda: _timed(
                        lambda: sdk.v1.customers.retrieve_async(customer),
                        lambda found: None if found.id == customer else "direct retrieve: another customer",
                    ),
                ),
                "list_customers": (
                    lambda: _timed(
                        lambda: client.call_tool("list_customers", {"limit": 10}),
                        tool_result("list_customers", lambda data: len(data["data"]) == CUSTOMERS),
                    ),
                    lambda: _timed(
                        lambda: sdk.v1.customers.list_async({"limit": 10}),
                        lambda page: None if len(page.data) == CUSTOMERS else "direct list: not a full page",
                    ),
                ),
            }
            for _ in range(warmup):
                for via_mcp, direct in pairs.values():
                    await via_mcp()
                    await direct()
            for i in range(calls):
                for tool, (via_mcp, direct) in pairs.items():
                    mcp_ms, sdk_ms = samples[tool]
                    if i % 2:  # alternate which goes first, so neither always follows the other
                        mcp_ms.append(await via_mcp())
                        sdk_ms.append(await direct())
                    else:
                        sdk_ms.append(await direct())
                        mcp_ms.append(await via_mcp())
    await http.close_async()
    return samples


def main(argv: Sequence[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=300, help="measured calls of each kind (>= 200)")
    parser.add_argument("--warmup", type=int, default=30)
    args = parser.parse_args(argv)
    quiet_logging()
    sandbox, api_base = start_sandbox()
    try:
        samples = asyncio.run(measure(api_base, args.calls, args.warmup))
    finally:
        stop(sandbox)
    print(f"{args.calls} calls of each kind after {args.warmup} warm-up, interleaved")
    rows: list[Row] = []
    for tool, (mcp_ms, sdk_ms) in samples.items():
        added = median(mcp_ms) - median(sdk_ms)
        print(tool)
        for label, found in (("MCP over stdio", mcp_ms), ("direct stripe SDK", sdk_ms)):
            print(f"  {label:<18} median {median(found):6.2f} ms, p99 {pct(found, 0.99):6.2f} ms")
        print(
            f"  added: {added:.2f} ms median (goal < {GOAL_MS:.0f} ms), "
            f"{pct(mcp_ms, 0.99) - pct(sdk_ms, 0.99):.2f} ms p99"
        )
        rows += [
            at_most(f"call overhead, {tool}: median added (MCP stdio - SDK)", added, GOAL_MS, ".2f", " ms",
                    strict=True),
            info(
                f"call overhead, {tool}: median / p99, MCP vs SDK",
                f"{median(mcp_ms):.2f}/{pct(mcp_ms, 0.99):.2f} vs {median(sdk_ms):.2f}/{pct(sdk_ms, 0.99):.2f} ms",
            ),
        ]  # fmt: skip
    return rows


if __name__ == "__main__":
    main()
