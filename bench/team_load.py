"""Team load: 4 instances sharing one PostgreSQL, 50 concurrent clients doing confirmed refunds
under a daily limit, against the sandbox.

Run: ``python bench/team_load.py [--instances 4 --clients 50 --refunds 20]``. The sandbox and
each `stripe-power serve --transport http --client-keys --confirm-writes --max-daily-refunds ...`
instance run as separate processes on 127.0.0.1, all with STRIPE_POWER_STATE_URL pointing at one
new database (created for the run, dropped after). Clients share --accounts Stripe keys (several
clients per account, so the daily limit is contended), and each refund goes preview on one
instance, confirm on the next (the token crosses instances), then the same token again on a
third (it must be refused). Reports MCP calls/s and p50/p99, and proves: 0 tokens honoured twice,
refunds in the sandbox = confirmations that succeeded, and per account the ledger in PostgreSQL
= the sum of the refunds the sandbox made, never over the limit. Skips (a row says why) without
PostgreSQL (STRIPE_POWER_TEST_POSTGRES, default postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import subprocess
import tempfile
import time
import uuid
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx2
import stripe
from _common import (
    Row,
    free_port,
    info,
    median,
    pct,
    quiet_env,
    quiet_logging,
    run_together,
    start_sandbox,
    start_stripe_power,
    stop,
)
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client

ADMIN_URL = os.environ.get("STRIPE_POWER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REFUND = 100  # minor units per refund


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    confirmed: dict[str, int] = field(default_factory=dict)  # key -> refunds that went through
    refused_by_limit: int = 0
    honoured_twice: int = 0
    errors: list[str] = field(default_factory=list)


async def timed(client: Client, tally: Tally, name: str, arguments: dict[str, Any]) -> tuple[bool, str]:
    t0 = time.perf_counter()
    result = await client.call_tool(name, arguments)
    tally.latencies_ms.append((time.perf_counter() - t0) * 1000)
    return bool(result.is_error), result.content[0].text  # type: ignore[union-attr]


async def one_client(
    urls: list[str], key: str, intent: str, refunds: int, n: int, barrier: asyncio.Barrier, *, tally: Tally
) -> None:
    """Sessions on every instance; each refund: preview on one, confirm on the next, replay on a third."""
    waited = False
    try:
        async with AsyncExitStack() as stack:
            http = await stack.enter_async_context(
                httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=60)
            )
            sessions = [
                await stack.enter_async_context(
                    Client(streamable_http_client(f"{url}/mcp", http_client=http))
                )
                for url in urls
            ]
            waited = True
            await barrier.wait()
            for i in range(refunds):
                # Each refund is a new one (its own idempotency key): identical calls would be replays.
                call = {"payment_intent": intent, "amount": REFUND, "idempotency_key": f"team-{uuid.uuid4()}"}
                first, second, third = (sessions[(n + i + k) % len(sessions)] for k in range(3))
                is_error, text = await timed(first, tally, "create_refund", call)
                if not is_error or "confirmation_token" not in text:
                    tally.errors.append(f"preview: {text[:200]}")
                    continue
                token = json.loads(text)["confirmation_token"]
                is_error, text = await timed(
                    second, tally, "create_refund", call | {"confirmation_token": token}
                )
                if is_error and "daily limit" in text:
                    tally.refused_by_limit += 1
                    continue
                if is_error:
                    tally.errors.append(f"confirm: {text[:200]}")
                    continue
                tally.confirmed[key] = tally.confirmed.get(key, 0) + 1
                is_error, text = await timed(
                    third, tally, "create_refund", call | {"confirmation_token": token}
                )
                if not is_error:
                    tally.honoured_twice += 1
                elif "already used" not in text:
                    tally.errors.append(f"replay: {text[:200]}")
    except Exception as error:
        while isinstance(error, ExceptionGroup) and len(error.exceptions) == 1:
            error = error.exceptions[0]  # the one failure inside the client's task group
        tally.errors.append(f"client {n}: {type(error).__name__}: {error}")
        if not waited:
            await barrier.wait()


def paid_intents(api_base: str, key: str, count: int, amount: int) -> list[str]:
    sdk = stripe.StripeClient(key, base_addresses={"api": api_base})
    return [
        sdk.v1.payment_intents.create({
            "amount": amount, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        }).id
        for _ in range(count)
    ]  # fmt: skip


def refunded_in_sandbox(api_base: str, key: str) -> tuple[int, int]:
    """(number, total amount) of the refunds the sandbox made for this account."""
    sdk = stripe.StripeClient(key, base_addresses={"api": api_base})
    count = total = 0
    for refund in sdk.v1.refunds.list({"limit": 100}).auto_paging_iter():
        if refund.status in ("succeeded", "pending"):
            count, total = count + 1, total + refund.amount
    return count, total


async def ledger(url: str, keys: list[str]) -> dict[str, int]:
    """Today's usd ledger per key, read through the state interface (it hashes the key)."""
    from stripe_power.state.postgres import PostgresState

    state = PostgresState(url, max_connections=2)
    await state.start()
    try:
        day = datetime.now(UTC).date().isoformat()
        return {key: (await state.refunded(state.scope_of(key), day)).get("usd", 0) for key in keys}
    finally:
        await state.stop()


async def load(
    urls: list[str], plan: list[tuple[str, str]], refunds: int, limit: float
) -> tuple[Tally, float]:
    tally = Tally()
    clients = [
        functools.partial(one_client, urls, key, intent, refunds, n, tally=tally)
        for n, (key, intent) in enumerate(plan)
    ]
    return tally, await run_together(clients, limit, tally.errors)


def create_database() -> str | None:
    """A new database for this run on the admin server, or None when none is reachable."""
    import psycopg

    name = f"sp_bench_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        return None
    return f"{ADMIN_URL.rpartition('/')[0]}/{name}"


def drop_database(url: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)')


def main(argv: Sequence[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instances", type=int, default=4)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--accounts", type=int, default=10, help="Stripe keys the clients share")
    parser.add_argument("--refunds", type=int, default=20, help="confirmed refunds each client attempts")
    parser.add_argument(
        "--limit-share", type=float, default=0.6, help="daily limit / amount attempted per key"
    )
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args(argv)
    quiet_logging()

    url = create_database()
    if url is None:
        print(f"team load: skipped, PostgreSQL not reachable at {ADMIN_URL}")
        return [info("team load: skipped", f"no PostgreSQL at {ADMIN_URL}")]
    keys = ["sk_test_" + uuid.uuid4().hex for _ in range(min(args.accounts, args.clients))]
    per_key = [sum(1 for n in range(args.clients) if n % len(keys) == k) for k in range(len(keys))]
    attempted = max(per_key) * args.refunds * REFUND
    cap = int(attempted * args.limit_share)
    sandbox, api_base = start_sandbox()
    servers: list[subprocess.Popen[bytes]] = []
    try:
        intents = {
            k: paid_intents(api_base, k, c, args.refunds * REFUND) for k, c in zip(keys, per_key, strict=True)
        }
        plan = [
            (keys[n % len(keys)], intents[keys[n % len(keys)]][n // len(keys)]) for n in range(args.clients)
        ]
        with tempfile.TemporaryDirectory() as state_dir:
            ports = [free_port() for _ in range(args.instances)]
            servers = [_start_server(api_base, url, port, state_dir, cap) for port in ports]
            urls = [f"http://127.0.0.1:{port}" for port in ports]
            tally, elapsed = asyncio.run(load(urls, plan, args.refunds, args.timeout))
        made = {k: refunded_in_sandbox(api_base, k) for k in keys}
        ledgers = asyncio.run(ledger(url, keys))
    finally:
        for server in servers:
            stop(server)
        stop(sandbox)
        drop_database(url)

    calls = len(tally.latencies_ms)
    rate = calls / elapsed if elapsed else 0.0
    p50 = median(tally.latencies_ms) if calls else float("nan")
    p99 = pct(tally.latencies_ms, 0.99) if calls else float("nan")
    confirmed = sum(tally.confirmed.values())
    in_sandbox = sum(count for count, _ in made.values())
    ledger_matches = all(ledgers[k] == made[k][1] for k in keys)
    under_cap = all(ledgers[k] <= cap for k in keys)
    print(f"{args.instances} instances, one PostgreSQL; {args.clients} clients on {len(keys)} accounts, "
          f"{args.refunds} confirmed refunds of {REFUND} each; daily limit usd:{cap} per account")  # fmt: skip
    print(
        f"  {calls:,} MCP calls in {elapsed:.1f} s: {rate:,.1f} calls/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms"
    )
    print(f"  refunds confirmed {confirmed}, refused by the daily limit {tally.refused_by_limit}, "
          f"made by the sandbox {in_sandbox}")  # fmt: skip
    print(f"  tokens honoured twice: {tally.honoured_twice}; errors: {len(tally.errors)}")
    for error in tally.errors[:5]:
        print(f"    {error}")
    for k in keys[:3]:
        print(
            f"  account …{k[-4:]}: ledger {ledgers[k]}, sandbox refunds {made[k][1]} ({made[k][0]}), cap {cap}"
        )
    return [
        info(
            f"team load: calls/s ({args.instances} instances, {args.clients} clients)", f"{rate:,.1f} calls/s"
        ),
        info("team load: latency p50 / p99", f"{p50:.1f} / {p99:.1f} ms"),
        Row(
            "team load: tokens honoured twice", str(tally.honoured_twice), "0", "-", tally.honoured_twice == 0
        ),
        Row(
            "team load: refunds made = confirmed",
            f"{in_sandbox} = {confirmed}",
            "equal",
            "-",
            in_sandbox == confirmed,
        ),
        Row(
            "team load: ledger = refunds made, <= limit",
            f"{sum(ledgers.values())} = {sum(t for _, t in made.values())}",
            "equal, per account",
            "-",
            ledger_matches and under_cap,
        ),
        Row("team load: errors", str(len(tally.errors)), "0", "-", not tally.errors),
    ]


def _start_server(api_base: str, url: str, port: int, state_dir: str, cap: int) -> subprocess.Popen[bytes]:
    return start_stripe_power(
        ["serve", "--transport", "http", "--port", str(port), "--api-base", api_base, "--client-keys",
         "--confirm-writes", "--max-daily-refunds", f"usd:{cap}", "--log-level", "ERROR"],
        f"http://127.0.0.1:{port}/readyz",
        quiet_env(STRIPE_POWER_STATE_URL=url, STRIPE_POWER_STATE_DIR=state_dir),
    )  # fmt: skip


if __name__ == "__main__":
    main()
