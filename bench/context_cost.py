"""Context cost: bytes of the `tools/list` result an agent pays for in every conversation.

Run: ``python bench/context_cost.py``. Bytes are the compact JSON (``separators=(",", ":")``) of
the `tools` list exactly as the MCP client receives it (in-process client, no Stripe contacted).
Anchor: Stripe's local ``@stripe/mcp`` 0.2.5 listed 22 tools in 21,622 bytes (983 bytes/tool).
Goals: at most 50% of 983 bytes per tool; the whole default list at most 21,622 bytes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from collections.abc import Sequence
from typing import Any

from _common import Row, at_most, info, quiet_logging
from mcp.client import Client

from stripe_power.config import load_settings
from stripe_power.server import create_server
from stripe_power.tools import TOOLSET_NAMES, TOOLSETS

ANCHOR_BYTES = 21_622
ANCHOR_TOOLS = 22
ANCHOR_PER_TOOL = ANCHOR_BYTES / ANCHOR_TOOLS  # 982.8
PER_TOOL_GOAL = 0.5 * ANCHOR_PER_TOOL
DUMMY_KEY = "sk_test_bench" + "0" * 24


def compact(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


async def listing(
    state_dir: str, *, structured_output: bool = False, **options: Any
) -> tuple[list[dict[str, Any]], str]:
    """The tools as the client receives them (wire dicts), and the server's instructions."""
    settings = load_settings(
        {"STRIPE_SECRET_KEY": DUMMY_KEY}, state_dir=state_dir, known_toolsets=TOOLSET_NAMES, **options
    )
    async with Client(create_server(settings, structured_output=structured_output), mode="legacy") as client:
        tools = (await client.list_tools()).tools
        instructions = client.instructions or ""
    return [tool.model_dump(by_alias=True, exclude_none=True, mode="json") for tool in tools], instructions


def toolset_of() -> dict[str, str]:
    return {spec.name: ts.name for ts in TOOLSETS for spec in ts.tools}


def report(label: str, tools: list[dict[str, Any]], largest: int) -> None:
    sizes = {tool["name"]: compact(tool) for tool in tools}
    total = compact(tools)
    mean = total / len(tools)
    print(f"{label}: {len(tools)} tools, {total:,} bytes, {mean:,.0f} bytes/tool")
    if largest:
        print(f"  {largest} largest:")
        for name, size in sorted(sizes.items(), key=lambda kv: -kv[1])[:largest]:
            print(f"    {name:<34} {size:>6,}")


async def measure(largest: int = 10) -> list[Row]:
    with tempfile.TemporaryDirectory() as state_dir:
        default, instructions = await listing(state_dir)
        structured, _ = await listing(state_dir, structured_output=True)
        read_only, _ = await listing(state_dir, read_only=True)

    total, count = compact(default), len(default)
    mean = total / count
    print(
        f"anchor: @stripe/mcp 0.2.5, {ANCHOR_TOOLS} tools, {ANCHOR_BYTES:,} bytes, {ANCHOR_PER_TOOL:,.0f} bytes/tool"
    )
    report("default", default, largest)
    print(f"  per tool {mean:,.0f} bytes = {mean / ANCHOR_PER_TOOL:.0%} of the anchor (goal <= 50%)")
    print(f"  total {total:,} bytes = {total / ANCHOR_BYTES:.0%} of the anchor (goal <= 100%)")

    where = toolset_of()
    print("per toolset (default configuration):")
    for ts in TOOLSETS:
        mine = [tool for tool in default if where.get(tool["name"]) == ts.name]
        if mine:
            size = sum(compact(tool) for tool in mine)
            print(f"  {ts.name:<16} {len(mine):>2} tools {size:>7,} bytes {size / len(mine):>5,.0f}/tool")

    report("read-only", read_only, 0)
    report("structured output (--structured-output)", structured, largest)
    extra = compact(structured) - total
    print(f"  output schemas add {extra:,} bytes ({extra / total:.0%} of the default list)")
    instructions_bytes = len(instructions.encode())
    print(f"server instructions: {instructions_bytes:,} bytes")
    print(f"default list + instructions: {total + instructions_bytes:,} bytes")

    s_total = compact(structured)
    return [
        at_most("context: bytes/tool, default", mean, PER_TOOL_GOAL, ",.0f", " B"),
        at_most("context: tools/list total, default", total, ANCHOR_BYTES, ",.0f", " B"),
        info("context: tools, default / read-only", f"{count} / {len(read_only)}"),
        info("context: tools/list total, read-only", f"{compact(read_only):,} B"),
        info(
            "context: tools/list total, structured output",
            f"{s_total:,} B ({s_total / count:,.0f} B/tool, {s_total / ANCHOR_BYTES:.2f}x anchor)",
        ),
        info("context: server instructions", f"{instructions_bytes:,} B"),
    ]


def main(argv: Sequence[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--largest", type=int, default=10, help="how many of the largest tools to print")
    args = parser.parse_args(argv)
    quiet_logging()
    return asyncio.run(measure(args.largest))


if __name__ == "__main__":
    main()
