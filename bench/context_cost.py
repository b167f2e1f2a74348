"""Context cost: bytes of the `tools/list` result an agent pays for in every conversation.

Run: ``python bench/context_cost.py``. Bytes are the compact JSON (``separators=(",", ":")``) of
the `tools` list exactly as the MCP client receives it (in-process client, no Stripe contacted).
Anchors (measured offline once, from their own tools/list): Stripe's remote MCP server lists 10
generic tools in 12,131 bytes; Stripe's local ``@stripe/mcp`` 0.2.5 lists 22 tools in 21,622
bytes (983 bytes/tool). Goals (issue 21): the default list at most 12,131 bytes, and at most
491 bytes per tool (half of 983) in every mode: default, read-only, all (and all read-only); the
default list with --sandbox (which adds pay_checkout_session) keeps to the same 12,131 bytes.
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
from stripe_power.tools import BYTES_PER_TOOL_BUDGET, DEFAULT_BUDGET_BYTES, TOOLSET_NAMES, TOOLSETS

ANCHOR_BYTES = 21_622
ANCHOR_TOOLS = 22
ANCHOR_PER_TOOL = ANCHOR_BYTES / ANCHOR_TOOLS  # 982.8
REMOTE_BYTES, REMOTE_TOOLS = 12_131, 10  # Stripe's remote MCP server
PER_TOOL_GOAL = BYTES_PER_TOOL_BUDGET  # 491 = half of the anchor's 983, rounded down
TOTAL_GOAL = DEFAULT_BUDGET_BYTES  # 12,131 = the remote server's list
MODES: dict[str, dict[str, Any]] = {
    "default": {},
    "default, --sandbox": {"sandbox": True},  # adds the sandbox's pay_checkout_session
    "read-only": {"read_only": True},
    "all": {"toolsets": "all"},
    "all, read-only": {"toolsets": "all", "read_only": True},
}
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
        lists = {mode: (await listing(state_dir, **options))[0] for mode, options in MODES.items()}
        _, instructions = await listing(state_dir)
        structured, _ = await listing(state_dir, structured_output=True)

    default = lists["default"]
    total, count = compact(default), len(default)
    print(f"anchor: Stripe's remote MCP server, {REMOTE_TOOLS} tools, {REMOTE_BYTES:,} bytes")
    print(
        f"anchor: @stripe/mcp 0.2.5, {ANCHOR_TOOLS} tools, {ANCHOR_BYTES:,} bytes, {ANCHOR_PER_TOOL:,.0f} bytes/tool"
    )
    report("default", default, largest)
    print(f"  total {total:,} bytes (goal <= {TOTAL_GOAL:,}), headroom {TOTAL_GOAL - total:,} bytes")
    for mode, tools in lists.items():
        size = compact(tools)
        print(
            f"  {mode:<18} {len(tools):>2} tools {size:>7,} bytes {size / len(tools):>5,.0f}/tool "
            f"(goal <= {PER_TOOL_GOAL}; headroom {PER_TOOL_GOAL * len(tools) - size:,} bytes)"
        )

    where = toolset_of()
    everything = lists["all"]
    print("per toolset (--toolsets all):")
    for ts in TOOLSETS:
        mine = [tool for tool in everything if where.get(tool["name"]) == ts.name]
        if mine:
            size = sum(compact(tool) for tool in mine)
            print(f"  {ts.name:<16} {len(mine):>2} tools {size:>7,} bytes {size / len(mine):>5,.0f}/tool")

    report("structured output (--structured-output)", structured, largest)
    extra = compact(structured) - total
    print(f"  output schemas add {extra:,} bytes ({extra / total:.0%} of the default list)")
    instructions_bytes = len(instructions.encode())
    print(f"server instructions: {instructions_bytes:,} bytes")
    print(f"default list + instructions: {total + instructions_bytes:,} bytes")

    s_total = compact(structured)
    rows = [
        at_most("context: tools/list total, default", total, TOTAL_GOAL, ",.0f", " B"),
        at_most(
            "context: tools/list total, default --sandbox",
            compact(lists["default, --sandbox"]),
            TOTAL_GOAL,
            ",.0f",
            " B",
        ),
    ]
    for mode, tools in lists.items():
        rows.append(
            at_most(f"context: bytes/tool, {mode}", compact(tools) / len(tools), PER_TOOL_GOAL, ",.0f", " B")
        )
    return [
        *rows,
        info("context: tools, " + " / ".join(MODES), " / ".join(str(len(t)) for t in lists.values())),
        info(
            "context: tools/list total, structured output",
            f"{s_total:,} B ({s_total / count:,.0f} B/tool, {s_total / TOTAL_GOAL:.2f}x the remote server)",
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
