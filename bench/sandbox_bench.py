"""Sandbox throughput and latency through the real stripe SDK.

Run: ``python bench/sandbox_bench.py [--requests 2000]``. The sandbox runs in a background thread of
this process (sharing the GIL with the client), so the figures are a floor. Prints requests/second
and p50/p99 for a create/read mix, then retrieve/list latency with 100 vs 10,000 objects.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid

import stripe
from _common import sdk_mix

from stripe_power.sandbox import SandboxServer
from stripe_power.sandbox.core.app import Sandbox


def _pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


def _seed(sandbox: Sandbox, key: str, n: int, base_url: str) -> list[str]:
    """Create ``n`` customers without HTTP (fast), through the same code path as the API."""
    ids = []
    with sandbox.state.lock:
        acct = sandbox.state.account(key)
        for i in range(n):
            raw = f"email=seed{i}%40example.com"
            _, body, _ = sandbox.process(
                acct,
                "POST",
                "/v1/customers",
                {"email": f"seed{i}@example.com"},
                raw,
                {},
                "req_seed",
                base_url,
            )
            ids.append(body.split(b'"id":"', 1)[1].split(b'"', 1)[0].decode())
    return ids


def mix(sb: SandboxServer, total: int) -> None:
    rate, latencies = sdk_mix(sb.url, total)
    print(f"mix (25% create customer, 25% create payment intent, 25% retrieve, 25% list) x {total}")
    print(f"  throughput: {rate:,.0f} req/s")
    print(f"  latency: p50 {_pct(latencies, 0.5):.2f} ms, p99 {_pct(latencies, 0.99):.2f} ms")


def scaling(sb: SandboxServer, reps: int) -> None:
    print(f"retrieve / list latency vs objects in the account (median of {reps})")
    for n in (100, 10_000):
        key = "sk_test_" + uuid.uuid4().hex
        ids = _seed(sb.sandbox, key, n, sb.url)
        client = stripe.StripeClient(key, base_addresses={"api": sb.url})
        r: list[float] = []
        lst: list[float] = []
        page: list[float] = []
        for i in range(reps):
            t0 = time.perf_counter()
            client.v1.customers.retrieve(ids[(i * 7919) % n])
            r.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            client.v1.customers.list({"limit": 10})
            lst.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            client.v1.customers.list({"limit": 10, "starting_after": ids[n // 2]})
            page.append(time.perf_counter() - t0)
        print(
            f"  {n:>6} objects: retrieve {statistics.median(r) * 1000:.2f} ms, "
            f"list {statistics.median(lst) * 1000:.2f} ms, list from the middle {statistics.median(page) * 1000:.2f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--reps", type=int, default=200)
    args = parser.parse_args()
    with SandboxServer() as sb:
        mix(sb, args.requests)
        scaling(sb, args.reps)


if __name__ == "__main__":
    main()
