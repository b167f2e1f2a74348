"""Start-up: process start to the `tools/list` response over stdio, vs the MCP SDK's floor.

Run: ``python bench/startup.py [--runs 15]``. Each run spawns the process, sends `initialize`,
`notifications/initialized` and `tools/list` as a client does, and stops the clock when the
`tools/list` response arrives. Two modes of `stripe-power serve` are measured: with a dummy sk_test_
key (nothing contacts Stripe at start), and `--sandbox` (how the README has a new user start, and
how `stripe-power demo` runs). The floor is a minimal `mcp` SDK server with one tool, written to a
temp file. The three alternate (and reverse order each round) in the same run.
Goal for each mode: median at most 1.15x the floor's median.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from _common import Row, at_most, info, median, quiet_env, quiet_logging, stripe_power_command

GOAL = 1.15

FLOOR_SERVER = '''\
from mcp.server import MCPServer

server = MCPServer("floor")


@server.tool()
def echo(text: str) -> str:
    """Return the text."""
    return text


server.run("stdio")
'''

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "bench", "version": "1"},
    },
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}
LIST_TOOLS = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}


def _send(proc: subprocess.Popen[bytes], message: dict[str, object]) -> None:
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(message).encode() + b"\n")
    proc.stdin.flush()


def _read_response(proc: subprocess.Popen[bytes], request_id: int) -> dict[str, object]:
    assert proc.stdout is not None
    while True:
        line = proc.stdout.readline()
        if not line:
            raise EOFError(f"{proc.args!r} closed stdout (exit {proc.wait()})")
        message = json.loads(line)
        if message.get("id") == request_id:
            if "error" in message:
                raise RuntimeError(f"{proc.args!r}: {message['error']}")
            return dict(message)


def time_to_tools(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Seconds from spawning `command` to its tools/list response, and how many tools it listed."""
    with tempfile.TemporaryFile() as stderr:  # a file, not a pipe: a chatty server never blocks on it
        return _time_to_tools(command, env, stderr)


def _time_to_tools(command: list[str], env: dict[str, str], stderr: IO[bytes]) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env=env)
    try:
        _send(proc, INITIALIZE)
        _read_response(proc, 1)
        _send(proc, INITIALIZED)
        _send(proc, LIST_TOOLS)
        result = _read_response(proc, 2)["result"]
        elapsed = time.perf_counter() - start
        tools = len(result["tools"])  # type: ignore[index]
    except EOFError as gone:
        stderr.seek(0)
        raise RuntimeError(f"{gone}:\n{stderr.read().decode(errors='replace')[-2000:]}") from None
    finally:
        assert proc.stdin is not None
        proc.stdin.close()  # end of input: the stdio server exits
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()
    return elapsed, tools


MODES = {"keyed": ["serve"], "sandbox": ["serve", "--sandbox"]}
LABELS = {"keyed": "stripe-power serve", "sandbox": "stripe-power serve --sandbox"}


def measure(runs: int, warmup: bool = True) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Seconds to tools/list per run for "floor" and each of MODES, and how many tools each mode listed."""
    with tempfile.TemporaryDirectory() as tmp:
        floor_file = Path(tmp) / "floor_server.py"
        floor_file.write_text(FLOOR_SERVER)
        commands = {"floor": [sys.executable, str(floor_file)]}
        commands |= {mode: [*stripe_power_command(), *args] for mode, args in MODES.items()}
        keyed = quiet_env(STRIPE_SECRET_KEY="sk_test_bench" + "0" * 24, STRIPE_POWER_STATE_DIR=tmp)
        sandbox = {k: v for k, v in keyed.items() if k != "STRIPE_SECRET_KEY"}  # as a new user starts it
        envs = {"floor": keyed, "keyed": keyed, "sandbox": sandbox}
        if warmup:  # warm the page cache and .pyc files for each
            # The SDK's .pyc files were written when pip installed it; an editable install writes
            # its own on a first run, unless PYTHONDONTWRITEBYTECODE is set: then every measured
            # run would compile this package's source again, which no installed copy does.
            for name, command in commands.items():
                time_to_tools(
                    command, {k: v for k, v in envs[name].items() if k != "PYTHONDONTWRITEBYTECODE"}
                )
        samples: dict[str, list[float]] = {name: [] for name in commands}
        counts: dict[str, int] = {}
        order = list(commands)
        for i in range(runs):
            for name in order if i % 2 == 0 else order[::-1]:
                seconds, counts[name] = time_to_tools(commands[name], envs[name])
                samples[name].append(seconds)
    return samples, counts


def main(argv: Sequence[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--runs", type=int, default=15, help="runs of each server (at least 10 for the figure)"
    )
    parser.add_argument("--no-warmup", action="store_true", help="skip the unmeasured first run of each")
    args = parser.parse_args(argv)
    quiet_logging()
    samples, tools = measure(args.runs, warmup=not args.no_warmup)
    ms = lambda s: f"{s * 1000:,.0f} ms"  # noqa: E731
    floor = median(samples["floor"])
    print(f"start -> tools/list over stdio, {args.runs} runs each, alternating")
    labels = {"floor": "mcp SDK floor (1 tool)"} | {m: f"{LABELS[m]} ({tools[m]} tools)" for m in MODES}
    for name, label in labels.items():
        runs = samples[name]
        print(f"  {label:<40} median {ms(median(runs))}, min {ms(min(runs))}, max {ms(max(runs))}")
    rows = []
    for mode in MODES:
        ratio = median(samples[mode]) / floor
        print(f"  {LABELS[mode]}: {ratio:.2f}x the floor (goal <= {GOAL:.2f}x)")
        row = at_most(f"start-up: {LABELS[mode]} / SDK floor (median)", ratio, GOAL, ".2f", "x")
        value = f"{row.value} ({ms(median(samples[mode]))} / {ms(floor)})"
        rows.append(Row(row.figure, value, row.goal, row.ratio, row.passed))
    medians = ", ".join(f"{name} {ms(median(samples[name]))}" for name in ("floor", *MODES))
    rows.append(info("start-up: medians", medians))
    for mode in MODES:
        runs = samples[mode]
        rows.append(info(f"start-up: {LABELS[mode]} min/max", f"{ms(min(runs))} / {ms(max(runs))}"))
    return rows


if __name__ == "__main__":
    main()
