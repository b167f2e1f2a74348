"""Run every benchmark in turn and print one table (bench/run calls this).

Each script's `main(argv)` prints its own figures and returns table rows. `--quick` uses tiny
parameters (a smoke run; its figures mean nothing).
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable, Sequence

import api_search
import call_overhead
import context_cost
import http_load
import idle_sessions
import refusal_cost
import result_size
import sandbox_coverage
import sandbox_throughput
import startup
import team_load
from _common import Row, print_table

FULL: list[tuple[str, Callable[[Sequence[str] | None], list[Row]], list[str]]] = [
    ("context_cost", context_cost.main, []),
    ("api_search", api_search.main, []),
    ("result_size", result_size.main, []),
    ("refusal_cost", refusal_cost.main, []),
    ("startup", startup.main, ["--runs", "15"]),
    ("call_overhead", call_overhead.main, ["--calls", "300"]),
    ("http_load", http_load.main, ["--clients", "50", "--calls", "100"]),
    ("idle_sessions", idle_sessions.main, ["--sessions", "3000", "--idle-timeout", "40"]),
    ("sandbox_throughput", sandbox_throughput.main, ["--requests", "2000"]),
    ("team_load", team_load.main, ["--instances", "4", "--clients", "50", "--refunds", "20"]),
    (
        "team_load_oauth",
        team_load.main,
        ["--oauth", "--instances", "4", "--clients", "50", "--refunds", "20"],
    ),
    ("sandbox_coverage", sandbox_coverage.main, []),
]
QUICK = {
    "startup": ["--runs", "1", "--no-warmup"],
    "call_overhead": ["--calls", "4", "--warmup", "1"],
    "http_load": ["--clients", "2", "--calls", "2"],
    "idle_sessions": ["--sessions", "3", "--idle-timeout", "2"],
    "sandbox_throughput": ["--requests", "8", "--user-only"],
    "team_load": ["--instances", "2", "--clients", "4", "--accounts", "2", "--refunds", "2"],
    "team_load_oauth": [
        "--oauth",
        "--instances",
        "2",
        "--clients",
        "4",
        "--accounts",
        "2",
        "--people",
        "3",
        "--refunds",
        "2",
    ],
    "sandbox_coverage": [],
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny parameters: proves the scripts run")
    parser.add_argument("--only", help="comma-separated script names")
    args = parser.parse_args(argv)
    chosen = set(args.only.split(",")) if args.only else None
    rows: list[Row] = []
    failed = []
    started = time.perf_counter()
    for name, run, params in FULL:
        if chosen is not None and name not in chosen:
            continue
        print(f"\n== {name} ==", flush=True)
        t0 = time.perf_counter()
        try:
            rows.extend(run(QUICK.get(name, params) if args.quick else params))
        except Exception:
            traceback.print_exc()
            failed.append(name)
            rows.append(Row(f"{name}: did not run", "error", "-", "-", False))
        print(f"({name}: {time.perf_counter() - t0:.0f} s)", flush=True)
    print(f"\n== summary ({time.perf_counter() - started:.0f} s) ==")
    print_table(rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
