"""Refusal cost: what a huge bad request costs the server before it is refused (issue 24, item 13).

Run: ``python bench/refusal_cost.py [--sizes 50000,100000,200000]``. An in-process MCP client
calls `call_stripe_api` with `metadata` of N keys (refused: Stripe allows 50) and with an object
of N values under an unknown parameter (refused past 10,000 values), against a recording fake
that shows nothing was sent. Reported: the server's time per refusal (the tool's whole run:
argument validation, the checks, the audit line; the client's serialisation of its own request
and the transport are left out) and
the ratio between the largest and the smallest size, which stays near 1 when the refusal costs
what it takes to find the first problem (it grew 9.6 s at 200,000 keys when every key was
redacted and written to the audit log). Goals: under 0.5 s at the largest size, and a ratio under
the size ratio (nothing worse than linear in the part the server must read).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from _common import ROOT, Row, at_most, info, quiet_logging

sys.path.insert(0, str(ROOT))

from tests.fakes import recording_stripe

from stripe_power.arguments import CheckedTool
from stripe_power.config import load_settings
from stripe_power.server import create_server

GOAL_SECONDS = 0.5
REPEAT = 5  # the median of five: a garbage collection of the huge argument can land in any one


async def measure(sizes: list[int]) -> dict[tuple[str, int], float]:
    from mcp.client import Client

    timings: dict[tuple[str, int], float] = {}
    spent: list[float] = []
    original = CheckedTool.run

    async def timed(self: CheckedTool, *args: object, **kwargs: object) -> object:
        started = time.perf_counter()
        try:
            return await original(self, *args, **kwargs)  # type: ignore[arg-type]
        finally:
            spent.append(time.perf_counter() - started)

    CheckedTool.run = timed  # type: ignore[method-assign]
    try:
        with recording_stripe() as fake, tempfile.TemporaryDirectory() as state_dir:
            settings = load_settings(
                {"STRIPE_SECRET_KEY": "sk_test_" + uuid.uuid4().hex},
                api_base=fake.url,
                state_dir=str(Path(state_dir)),
                toolsets="all",
            )
            async with Client(create_server(settings)) as client:
                await client.call_tool(
                    "call_stripe_api", {"method": "GET", "path": "/v1/customers"}
                )  # warm-up
                for size in sizes:
                    for shape, params in (
                        ("metadata keys", {"metadata": {f"k{i}": "v" for i in range(size)}}),
                        ("values in one object", {"blob": {f"k{i}": i for i in range(size)}}),
                    ):
                        path = "/v1/customers" if shape == "metadata keys" else "/v1/not_in_the_index"
                        spent.clear()
                        for _ in range(REPEAT):
                            result = await client.call_tool(
                                "call_stripe_api", {"method": "POST", "path": path, "params": params}
                            )
                            assert result.is_error and "Nothing was sent" in result.content[0].text  # type: ignore[union-attr]
                        timings[(shape, size)] = statistics.median(spent)
            assert [r.method for r in fake.requests] == ["GET"]  # the warm-up: no refused call was sent
    finally:
        CheckedTool.run = original  # type: ignore[method-assign]
    return timings


def main(argv: Sequence[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="50000,100000,200000")
    args = parser.parse_args(argv)
    sizes = sorted(int(part) for part in args.sizes.split(","))
    quiet_logging()
    timings = asyncio.run(measure(sizes))
    rows: list[Row] = []
    for shape in ("metadata keys", "values in one object"):
        for size in sizes:
            print(f"{shape:>22} {size:>8,}: {timings[(shape, size)] * 1000:8.1f} ms in the server")
        largest, smallest = timings[(shape, sizes[-1])], timings[(shape, sizes[0])]
        rows.append(at_most(f"refusing {sizes[-1]:,} {shape}", largest, GOAL_SECONDS, ".3f", " s"))
        if len(sizes) > 1:
            growth = largest / smallest if smallest else float("inf")
            rows.append(
                at_most(f"{shape}: time x{sizes[-1] // sizes[0]} size", growth, sizes[-1] / sizes[0], ".2f")
            )
        else:
            rows.append(info(f"{shape}: growth", "one size only"))
    return rows


if __name__ == "__main__":
    from _common import print_table

    print_table(main())
