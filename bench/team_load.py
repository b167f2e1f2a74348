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

``--oauth``: the same run in OAuth mode. A real OpenID provider (tests/external/oidc_provider.mjs,
`oidc-provider` from npm) signs in --people people (each in the group of one of the --accounts
keys, which the servers hold and name in an access file); each client is one of those people
and sends that person's access token. The daily limit is then per person (their access rule's
max_daily_refunds), and the proof is per person too: their ledger = their confirmed refunds, never
over the limit, and per key the people's ledgers add up to the refunds the sandbox made.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import stripe
from _common import (
    ROOT,
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

from stripe_power.oauth.access import scope_material

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
    urls: list[str],
    bearer: str,
    intent: str,
    refunds: int,
    n: int,
    barrier: asyncio.Barrier,
    *,
    tally: Tally,
    holder: str,
) -> None:
    """Sessions on every instance; each refund: preview on one, confirm on the next, replay on a third.
    `bearer` is a Stripe key (client keys) or a person's access token (OAuth); `holder` names
    whose ledger the refunds count against (the key, or the person)."""
    waited = False
    try:
        async with AsyncExitStack() as stack:
            http = await stack.enter_async_context(
                httpx2.AsyncClient(headers={"Authorization": f"Bearer {bearer}"}, timeout=60)
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
                tally.confirmed[holder] = tally.confirmed.get(holder, 0) + 1
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


async def ledger(url: str, scopes: dict[str, str]) -> dict[str, list[int]]:
    """Each holder's usd ledger for yesterday and today, read through the state interface (it
    hashes what `scopes` gives for each: the key, or in OAuth mode the key and the person). Two
    days: a run that crosses midnight books on both (and under faketime each process keeps its own
    clock, so the servers' day may be this process's yesterday)."""
    from stripe_power.state.postgres import PostgresState

    state = PostgresState(url, max_connections=2)
    await state.start()
    try:
        today = datetime.now(UTC).date()
        days = [(today - timedelta(days=1)).isoformat(), today.isoformat()]
        return {
            holder: [(await state.refunded(state.scope_of(material), day)).get("usd", 0) for day in days]
            for holder, material in scopes.items()
        }
    finally:
        await state.stop()


async def load(
    urls: list[str], plan: list[tuple[str, str, str]], refunds: int, limit: float
) -> tuple[Tally, float]:
    """`plan`: one (bearer, intent, holder) per client."""
    tally = Tally()
    clients = [
        functools.partial(one_client, urls, bearer, intent, refunds, n, tally=tally, holder=holder)
        for n, (bearer, intent, holder) in enumerate(plan)
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
        "--limit-share", type=float, default=0.6, help="daily limit / amount attempted per key (per person)"
    )
    parser.add_argument(
        "--oauth", action="store_true", help="OAuth mode: people sign in, the servers hold the keys"
    )
    parser.add_argument("--people", type=int, default=10, help="--oauth: people the clients act for")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args(argv)
    quiet_logging()
    mode = "team load (OAuth)" if args.oauth else "team load"

    url = create_database()
    if url is None:
        print(f"{mode}: skipped, PostgreSQL not reachable at {ADMIN_URL}")
        return [info(f"{mode}: skipped", f"no PostgreSQL at {ADMIN_URL}")]
    keys = ["sk_test_" + uuid.uuid4().hex for _ in range(min(args.accounts, args.clients))]
    # Whose ledger each client's refunds count against: its key, or (OAuth) the person it acts for.
    holders = [f"person-{p}" for p in range(min(args.people, args.clients))] if args.oauth else keys
    key_of = {h: keys[i % len(keys)] for i, h in enumerate(holders)}
    client_holder = [holders[n % len(holders)] for n in range(args.clients)]
    attempted = max(client_holder.count(h) for h in holders) * args.refunds * REFUND
    cap = int(attempted * args.limit_share)
    sandbox, api_base = start_sandbox()
    servers: list[subprocess.Popen[bytes]] = []
    try:
        intents = {k: paid_intents(api_base, k, sum(key_of[h] == k for h in client_holder), args.refunds * REFUND)
                   for k in keys}  # fmt: skip
        client_intent = [intents[key_of[h]].pop() for h in client_holder]
        with tempfile.TemporaryDirectory() as state_dir, ExitStack() as stack:
            ports = [free_port() for _ in range(args.instances)]
            if args.oauth:
                issuer, bearers, access_file = _sign_in(
                    stack, holders, key_of, keys, ports[0], state_dir, cap
                )
                env = {f"KEY_{i}": key for i, key in enumerate(keys)}
                extra = ["--access-file", access_file]
            else:
                issuer, bearers, env, extra = (
                    "",
                    dict(key_of),
                    {},
                    ["--client-keys", "--max-daily-refunds", f"usd:{cap}"],
                )
            servers = [_start_server(api_base, url, port, state_dir, extra, env) for port in ports]
            urls = [f"http://127.0.0.1:{port}" for port in ports]
            plan = [(bearers[h], intent, h) for h, intent in zip(client_holder, client_intent, strict=True)]
            tally, elapsed = asyncio.run(load(urls, plan, args.refunds, args.timeout))
        made = {k: refunded_in_sandbox(api_base, k) for k in keys}
        scopes = {h: scope_material(key_of[h], issuer, h) if args.oauth else h for h in holders}
        ledgers = asyncio.run(ledger(url, scopes))
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
    # Exact books: per key, the ledgers of its holders add up to what the sandbox refunded; each
    # holder's ledger is its confirmed refunds and never passes the limit on any day.
    booked = {h: sum(days) for h, days in ledgers.items()}
    per_key = {k: sum(booked[h] for h in holders if key_of[h] == k) for k in keys}
    ledger_matches = all(per_key[k] == made[k][1] for k in keys) and all(
        booked[h] == tally.confirmed.get(h, 0) * REFUND for h in holders
    )
    under_cap = all(day <= cap for days in ledgers.values() for day in days)
    who = f"{len(holders)} people on {len(keys)} keys" if args.oauth else f"{len(keys)} accounts"
    print(f"{mode}: {args.instances} instances, one PostgreSQL; {args.clients} clients, {who}, "
          f"{args.refunds} confirmed refunds of {REFUND} each; daily limit usd:{cap} per "
          f"{'person' if args.oauth else 'account'}")  # fmt: skip
    print(
        f"  {calls:,} MCP calls in {elapsed:.1f} s: {rate:,.1f} calls/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms"
    )
    print(f"  refunds confirmed {confirmed}, refused by the daily limit {tally.refused_by_limit}, "
          f"made by the sandbox {in_sandbox}")  # fmt: skip
    print(f"  tokens honoured twice: {tally.honoured_twice}; errors: {len(tally.errors)}")
    for error in tally.errors[:5]:
        print(f"    {error}")
    for h in holders[:3]:
        print(f"  {h if args.oauth else '…' + h[-4:]}: ledger {booked[h]} (yesterday, today: {ledgers[h]}), confirmed "
              f"{tally.confirmed.get(h, 0) * REFUND}, cap {cap}")  # fmt: skip
    return [
        info(f"{mode}: calls/s ({args.instances} instances, {args.clients} clients)", f"{rate:,.1f} calls/s"),
        info(f"{mode}: latency p50 / p99", f"{p50:.1f} / {p99:.1f} ms"),
        Row(f"{mode}: tokens honoured twice", str(tally.honoured_twice), "0", "-", tally.honoured_twice == 0),
        Row(
            f"{mode}: refunds made = confirmed",
            f"{in_sandbox} = {confirmed}",
            "equal",
            "-",
            in_sandbox == confirmed,
        ),
        Row(
            f"{mode}: ledger = refunds made, <= limit",
            f"{sum(booked.values())} = {sum(t for _, t in made.values())}",
            f"equal, per {'person and key' if args.oauth else 'account'}",
            "-",
            ledger_matches and under_cap,
        ),
        Row(f"{mode}: errors", str(len(tally.errors)), "0", "-", not tally.errors),
    ]


def _sign_in(
    stack: ExitStack,
    people: list[str],
    key_of: dict[str, str],
    keys: list[str],
    port: int,
    folder: str,
    cap: int,
) -> tuple[str, dict[str, str], str]:
    """Start the OpenID provider (left running on `stack`), write the access file (one rule per
    key, for the group of that key's people), and sign each person in: (issuer, tokens, file)."""
    sys.path.insert(0, str(ROOT))
    from tests.oidc import openid_provider, write_access_file

    groups = {person: f"key-{keys.index(key_of[person])}" for person in people}
    users = {
        person: {"email": f"{person}@example.com", "groups": [group]} for person, group in groups.items()
    }
    idp = stack.enter_context(openid_provider(users))
    resource = f"http://127.0.0.1:{port}/mcp"  # one URL for every instance, as behind a load balancer
    rules = "[keys]\n" + "".join(f'k{i} = {{ env = "KEY_{i}" }}\n' for i in range(len(keys)))
    rules += "".join(
        f'\n[[access]]\nname = "key {i}"\nwhen = {{ claim = "groups", is = "key-{i}" }}\nkey = "k{i}"\n'
        f'toolsets = ["all"]\nmax_daily_refunds = "usd:{cap}"\n'
        for i in range(len(keys))
    )
    path = write_access_file(Path(folder) / "team.toml", idp.issuer, resource, rules)
    return idp.issuer, {person: idp.token(person, resource) for person in people}, str(path)


def _start_server(
    api_base: str, url: str, port: int, state_dir: str, extra: list[str], env: dict[str, str]
) -> subprocess.Popen[bytes]:
    return start_stripe_power(
        ["serve", "--transport", "http", "--port", str(port), "--api-base", api_base, *extra,
         "--confirm-writes", "--log-level", "ERROR"],
        f"http://127.0.0.1:{port}/readyz",
        quiet_env(STRIPE_POWER_STATE_URL=url, STRIPE_POWER_STATE_DIR=state_dir, **env),
    )  # fmt: skip


if __name__ == "__main__":
    main()
