"""Call overhead: `retrieve_customer` through MCP over stdio vs a direct `stripe` SDK call.

Run: ``python bench/call_overhead.py [--calls 300]``. The sandbox runs as its own process
(`stripe-power sandbox --port N`), `stripe-power serve --api-base <sandbox>` as another, driven
over stdio by the `mcp` client; the direct call is the SDK's async retrieve (the same HTTPX
transport the server's Gateway uses) against the same sandbox and customer. The two alternate,
call by call, after a warm-up. Goal: under 2 ms median added.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from collections.abc import Sequence

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


async def measure(api_base: str, calls: int, warmup: int) -> tuple[list[float], list[float]]:
    key = "sk_test_" + uuid.uuid4().hex
    http = stripe.HTTPXClient()
    sdk = stripe.StripeClient(key, base_addresses={"api": api_base}, http_client=http)
    customer = (await sdk.v1.customers.create_async({"email": "bench@example.com", "name": "Bench"})).id
    with tempfile.TemporaryDirectory() as state_dir:
        command, *args = stripe_power_command()
        params = StdioServerParameters(
            command=command,
            args=[*args, "serve", "--api-base", api_base, "--log-level", "ERROR"],
            env=quiet_env(STRIPE_SECRET_KEY=key, STRIPE_POWER_STATE_DIR=state_dir),
        )
        mcp_ms: list[float] = []
        sdk_ms: list[float] = []
        async with Client(params, mode="legacy") as client:

            async def via_mcp() -> float:
                t0 = time.perf_counter()
                result = await client.call_tool("retrieve_customer", {"customer": customer})
                elapsed = time.perf_counter() - t0
                text = result.content[0].text  # type: ignore[union-attr]
                if result.is_error or json.loads(text)["id"] != customer:
                    raise RuntimeError(f"retrieve_customer failed: {text}")
                return elapsed * 1000

            async def direct() -> float:
                t0 = time.perf_counter()
                found = await sdk.v1.customers.retrieve_async(customer)
                elapsed = time.perf_counter() - t0
                if found.id != customer:
                    raise RuntimeError("direct retrieve returned another customer")
                return elapsed * 1000

            for _ in range(warmup):
                await via_mcp()
                await direct()
            for i in range(calls):
                if i % 2:
                    mcp_ms.append(await via_mcp())
                    sdk_ms.append(await direct())
                else:
                    sdk_ms.append(await direct())
                    mcp_ms.append(await via_mcp())
    await http.close_async()
    return mcp_ms, sdk_ms


def main(argv: Sequence[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=300, help="measured calls of each kind (>= 200)")
    parser.add_argument("--warmup", type=int, default=30)
    args = parser.parse_args(argv)
    quiet_logging()
    sandbox, api_base = start_sandbox()
    try:
        mcp_ms, sdk_ms = asyncio.run(measure(api_base, args.calls, args.warmup))
    finally:
        stop(sandbox)
    added = median(mcp_ms) - median(sdk_ms)
    print(f"retrieve_customer, {args.calls} calls each after {args.warmup} warm-up, interleaved")
    for label, samples in (("MCP over stdio", mcp_ms), ("direct stripe SDK", sdk_ms)):
        print(f"  {label:<18} median {median(samples):6.2f} ms, p99 {pct(samples, 0.99):6.2f} ms")
    print(
        f"  added: {added:.2f} ms median (goal < {GOAL_MS:.0f} ms), {pct(mcp_ms, 0.99) - pct(sdk_ms, 0.99):.2f} ms p99"
    )
    return [
        at_most("call overhead: median added (MCP stdio - SDK)", added, GOAL_MS, ".2f", " ms", strict=True),
        info(
            "call overhead: median / p99, MCP vs SDK",
            f"{median(mcp_ms):.2f}/{pct(mcp_ms, 0.99):.2f} vs {median(sdk_ms):.2f}/{pct(sdk_ms, 0.99):.2f} ms",
        ),
    ]


if __name__ == "__main__":
    main()
