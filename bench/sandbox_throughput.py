"""Sandbox throughput with the sandbox in its own process (bench/sandbox_bench.py runs it in a thread).

Run: ``python bench/sandbox_throughput.py [--requests 2000]``. The same mix as sandbox_bench.py
(25% create customer, 25% create payment intent, 25% retrieve, 25% list) against:
`stripe-power sandbox` as users start it (uvicorn picks httptools when installed, else h11), and
the same app under `uvicorn --http h11` and `--http httptools` (when installed) for comparison.
Two clients: the `stripe` SDK, one request at a time (as sandbox_bench.py measured), and
`--concurrency` raw HTTP connections. The clients run in this process on the same machine, so
wall-clock req/s is bounded by the client; requests per CPU-second of the sandbox process (from
/proc/<pid>/stat) is what one core of sandbox can serve. Goal: 500 req/s.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence

import httpx
from _common import (
    Row,
    at_least,
    cpu_seconds,
    free_port,
    info,
    median,
    pct,
    quiet_env,
    quiet_logging,
    sdk_mix,
    start_process,
    stop,
    stripe_power_command,
)

GOAL = 500.0


def start(command: list[str], port: int) -> subprocess.Popen[bytes]:
    return start_process(command, f"http://127.0.0.1:{port}/v1/customers", quiet_env())


def variants() -> list[tuple[str, list[str], int]]:
    """(label, command, port) for each way of running the sandbox that is available here."""
    found = []
    port = free_port()
    parser = "httptools" if importlib.util.find_spec("httptools") else "h11"
    found.append(
        (f"stripe-power sandbox ({parser})", [*stripe_power_command(), "sandbox", "--port", str(port)], port)
    )
    for http in ("h11", "httptools"):
        if http == "httptools" and not importlib.util.find_spec("httptools"):
            continue
        port = free_port()
        command = [sys.executable, "-m", "uvicorn", "--factory", "stripe_power.sandbox:create_app", "--host",
                   "127.0.0.1", "--port", str(port), "--http", http, "--log-level", "warning", "--no-access-log"]  # fmt: skip
        found.append((f"uvicorn --http {http}", command, port))
    return found


async def concurrent_raw(url: str, total: int, concurrency: int) -> tuple[float, list[float]]:
    """The same mix as raw form requests over `concurrency` keep-alive connections."""
    key = "sk_test_" + uuid.uuid4().hex
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {key}"}, limits=limits
    ) as http:
        warm = await http.post("/v1/customers", data={"email": "warm@example.com"})
        customer = warm.json()["id"]
        counter = iter(range(total))

        async def worker() -> None:
            for i in counter:
                t0 = time.perf_counter()
                kind = i % 4
                if kind == 0:
                    r = await http.post(
                        "/v1/customers", data={"email": f"c{i}@example.com", "metadata[i]": str(i)}
                    )
                elif kind == 1:
                    r = await http.post(
                        "/v1/payment_intents", data={"amount": str(1000 + i), "currency": "usd"}
                    )
                elif kind == 2:
                    r = await http.get(f"/v1/customers/{customer}")
                else:
                    r = await http.get("/v1/customers", params={"limit": "10"})
                r.raise_for_status()
                latencies.append(time.perf_counter() - t0)

        start_time = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return total / (time.perf_counter() - start_time), latencies


def main(argv: Sequence[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="requests per client kind and variant")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--user-only", action="store_true", help="only `stripe-power sandbox`, no uvicorn variants"
    )
    args = parser.parse_args(argv)
    quiet_logging()
    rows: list[Row] = []
    print(f"sandbox in its own process, mix of {args.requests} requests (goal {GOAL:.0f} req/s)")
    for n, (label, command, port) in enumerate(variants()[:1] if args.user_only else variants()):
        proc = start(command, port)
        try:
            url = f"http://127.0.0.1:{port}"
            seq_rate, seq_lat = sdk_mix(url, args.requests)
            cpu_before = cpu_seconds(proc.pid)
            con_rate, con_lat = asyncio.run(concurrent_raw(url, args.requests, args.concurrency))
            capacity = args.requests / max(cpu_seconds(proc.pid) - cpu_before, 0.01)  # clock-tick floor
        finally:
            stop(proc)
        print(f"  {label}")
        for kind, rate, lat in (("stripe SDK, sequential", seq_rate, seq_lat),
                                (f"raw HTTP, {args.concurrency} connections", con_rate, con_lat)):  # fmt: skip
            print(
                f"    {kind:<26} {rate:6,.0f} req/s, p50 {median(lat) * 1000:5.2f} ms, p99 {pct(lat, 0.99) * 1000:6.2f} ms"
            )
        print(f"    sandbox CPU per request: {1000 / capacity:.2f} ms, i.e. {capacity:,.0f} req/s per core")
        if n == 0:  # the way users run it carries the goal
            rows.append(
                at_least(f"sandbox: req/s, {label}, {args.concurrency} conns", con_rate, GOAL, ",.0f")
            )
            rows.append(at_least(f"sandbox: req per sandbox CPU-second, {label}", capacity, GOAL, ",.0f"))
            rows.append(info(f"sandbox: req/s, {label}, SDK sequential", f"{seq_rate:,.0f}"))
        else:
            rows.append(
                info(
                    f"sandbox: {label}: {args.concurrency} conns / SDK seq / per core",
                    f"{con_rate:,.0f} / {seq_rate:,.0f} / {capacity:,.0f} req/s",
                )
            )
    return rows


if __name__ == "__main__":
    main()
