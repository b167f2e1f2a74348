"""Shared by the bench scripts: the table row every figure reports, and process helpers.

Each script's `main(argv)` prints its own figures and returns `Row`s; `bench/run` collects them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import stripe

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Row:
    """One line of bench/run's table. `passed` is None for a figure reported without a goal."""

    figure: str
    value: str
    goal: str
    ratio: str
    passed: bool | None

    @property
    def verdict(self) -> str:
        return "-" if self.passed is None else ("pass" if self.passed else "MISS")


def at_most(figure: str, value: float, goal: float, fmt: str, unit: str = "", *, strict: bool = False) -> Row:
    """A figure whose goal is an upper bound; ratio = value / goal (1.00 or less passes)."""
    ratio = value / goal if goal else float("inf")
    passed = value < goal if strict else value <= goal
    sign = "<" if strict else "<="
    return Row(figure, f"{value:{fmt}}{unit}", f"{sign} {goal:{fmt}}{unit}", f"{ratio:.2f}", passed)


def at_least(figure: str, value: float, goal: float, fmt: str, unit: str = "") -> Row:
    """A figure whose goal is a lower bound; ratio = value / goal (1.00 or more passes)."""
    return Row(figure, f"{value:{fmt}}{unit}", f">= {goal:{fmt}}{unit}", f"{value / goal:.2f}", value >= goal)


def info(figure: str, value: str) -> Row:
    return Row(figure, value, "-", "-", None)


def pct(samples: Sequence[float], p: float) -> float:
    """The p-quantile (0..1) by nearest rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))]


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


def print_table(rows: Sequence[Row]) -> None:
    header = ("figure", "value", "goal", "ratio", "pass/miss")
    cells = [header, *((r.figure, r.value, r.goal, r.ratio, r.verdict) for r in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    for n, line in enumerate(cells):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
        if n == 0:
            print("  ".join("-" * width for width in widths))


async def run_together(
    clients: Sequence[Callable[[asyncio.Barrier], Awaitable[None]]], limit: float, errors: list[str]
) -> float:
    """Start every client; the clock starts once all have passed the barrier (sessions open).
    Returns the seconds they took; after `limit` seconds they are cancelled and an error noted."""
    barrier = asyncio.Barrier(len(clients) + 1)
    tasks = [asyncio.create_task(client(barrier)) for client in clients]
    start = time.perf_counter()
    try:
        async with asyncio.timeout(limit):
            await barrier.wait()
            start = time.perf_counter()
            await asyncio.gather(*tasks)
    except TimeoutError:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        errors.append(f"timed out after {limit:.0f} s")
    return time.perf_counter() - start


def quiet_logging() -> None:
    """Only warnings from libraries: request lines (httpx, stripe) would bury the figures."""
    logging.getLogger().setLevel(logging.WARNING)
    for name in ("httpx", "httpx2", "stripe", "mcp", "stripe_power", "uvicorn"):
        logging.getLogger(name).setLevel(logging.WARNING)


# -- processes -----------------------------------------------------------------------------------


def stripe_power_command() -> list[str]:
    """`stripe-power` from this interpreter's environment (the console script pip installed)."""
    script = Path(sys.executable).parent / "stripe-power"
    if script.exists():
        return [str(script)]
    found = shutil.which("stripe-power")
    return [found] if found else [sys.executable, "-m", "stripe_power"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_http(url: str, timeout: float = 20.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Poll `url` until it answers (any HTTP status), or fail with the process's stderr."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            pass
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")
        time.sleep(0.05)


def start_stripe_power(
    args: Sequence[str], ready_url: str, env: dict[str, str] | None, command: Sequence[str] | None = None
) -> subprocess.Popen[bytes]:
    """`stripe-power ARGS` as its own process, once `ready_url` answers (stopped if it never does).
    `command` replaces the `stripe-power` script (e.g. `python -m cProfile -o F -m stripe_power`)."""
    return start_process([*(command or stripe_power_command()), *args], ready_url, env)


def start_process(
    command: Sequence[str], ready_url: str, env: dict[str, str] | None
) -> subprocess.Popen[bytes]:
    """`command` as its own process, once `ready_url` answers (stopped if it never does)."""
    proc = subprocess.Popen(
        list(command),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        wait_http(ready_url, proc=proc)
    except BaseException:
        stop(proc)
        raise
    return proc


def start_sandbox(env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """`stripe-power sandbox --port N` as its own process (its own GIL); returns (process, url)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    return start_stripe_power(["sandbox", "--port", str(port)], f"{url}/v1/customers", env), url


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGINT (uvicorn's graceful stop), then SIGKILL if it lingers; only this process id."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def rss_kib(pid: int) -> int:
    """Resident set size of a process in KiB (VmRSS in /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def quiet_env(**extra: str) -> dict[str, str]:
    """The environment for a child: this one, minus any Stripe key, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "STRIPE_POWER_"))}
    return {**env, **extra}


def sdk_mix(url: str, total: int) -> tuple[float, list[float]]:
    """The sandbox benchmarks' request mix (25% create customer, 25% create PaymentIntent,
    25% retrieve, 25% list), one request at a time through the stripe SDK: (req/s, latencies)."""
    client = stripe.StripeClient("sk_test_" + uuid.uuid4().hex, base_addresses={"api": url})
    created = [client.v1.customers.create({"email": "warm@example.com"}).id]
    latencies: list[float] = []
    start_time = time.perf_counter()
    for i in range(total):
        t0 = time.perf_counter()
        kind = i % 4
        if kind == 0:
            created.append(
                client.v1.customers.create({"email": f"c{i}@example.com", "metadata": {"i": str(i)}}).id
            )
        elif kind == 1:
            client.v1.payment_intents.create({"amount": 1000 + i, "currency": "usd"})
        elif kind == 2:
            client.v1.customers.retrieve(created[-1])
        else:
            client.v1.customers.list({"limit": 10})
        latencies.append(time.perf_counter() - t0)
    return total / (time.perf_counter() - start_time), latencies
