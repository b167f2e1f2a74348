"""Every bench/ script's main runs end to end with tiny parameters (its figures mean nothing here)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType

import pytest

from .conftest import ROOT

BENCH = ROOT / "bench"


@pytest.fixture(scope="module")
def bench() -> Iterator[dict[str, ModuleType]]:
    sys.path.insert(0, str(BENCH))
    try:
        run_all = importlib.import_module("run_all")
        yield {"run_all": run_all} | {
            name: importlib.import_module(name)
            for name in ("context_cost", "result_size", "api_search", "refusal_cost")
        }
    finally:
        sys.path.remove(str(BENCH))


def test_in_process_benchmarks_report_their_goals(bench: dict[str, ModuleType]) -> None:
    rows = bench["context_cost"].main(["--largest", "0"]) + bench["result_size"].main([])
    rows += bench["api_search"].main([])
    rows += bench["refusal_cost"].main(["--sizes", "12000,24000"])
    figures = {row.figure: row for row in rows}
    assert figures["context: tools/list total, default"].goal == "<= 12,131 B"  # Stripe's remote server
    for mode in ("default", "read-only", "all", "all, read-only"):
        assert figures[f"context: bytes/tool, {mode}"].goal == "<= 491 B"
    assert figures["result size: next-step fields kept"].passed is True  # every next-step field is there
    assert figures["api search: top-3"].goal == ">= 95%"
    assert figures["refusing 24,000 metadata keys"].goal == "<= 0.500 s"
    assert all(row.passed is not None for row in rows if row.goal != "-")


def test_process_benchmarks_run(bench: dict[str, ModuleType]) -> None:
    """The benchmarks that start processes, two at a time, with the quick parameters of bench/run."""
    quick = bench["run_all"].QUICK
    runs = {name: run for name, run, _ in bench["run_all"].FULL}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(runs[name], quick[name]) for name in quick}
        rows = {name: future.result(timeout=60) for name, future in futures.items()}
    assert {row.figure: row.value for row in rows["http_load"]}["http load: errors"] == "0"
    expired = {row.figure: row for row in rows["idle_sessions"]}["idle sessions: open after expiry"]
    assert expired.passed is True, expired  # the idle timeout reclaimed every session
    answered = {row.figure: row for row in rows["sandbox_coverage"]}["sandbox: operations answered"]
    assert answered.passed is True and answered.value.startswith("594/594"), answered
    assert all(rows.values())
    # Both team modes keep exact books (client keys, and OAuth with a real provider and people).
    for name in ("team_load", "team_load_oauth"):
        exact = [row for row in rows[name] if row.goal != "-"]
        assert len(exact) == 4 and all(row.passed for row in exact), rows[name]
