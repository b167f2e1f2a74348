"""Books that survive failure (issue 24, items 5 and 10): once Stripe answered, the money it moved
stays in the refund ledger and the agent is told what happened, whatever fails after; every request
that reached Stripe has an audit line; a refused token redemption leaves the token to its owner.

Faults are real, at each step of a refund, on both state backends: a trigger that refuses audit
rows or ledger changes (PostgreSQL and SQLite), an audit file on a full disk (/dev/full), the
PostgreSQL connections terminated while the request waits on Stripe, and text jsonb refuses (NUL).
A dropped connection has no counterpart in the embedded backend (SQLite is a file, not a server).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from stripe_power.confirm import ConfirmationTokens
from stripe_power.errors import InputError
from stripe_power.limits import SpendingLimits
from stripe_power.state import FALLBACK_AUDIT_FILE, State
from stripe_power.state.embedded import EmbeddedState
from stripe_power.state.postgres import PostgresState, migrate

from .conftest import error_text, mcp_client, new_key, payload, settings_for
from .fakes import Recorded, RecordingStripe
from .test_team import paid_intent, refunds_sent

BACKENDS = ["embedded", "postgres"]
NUL_METADATA = {"note": "a\u0000b", "order": "A-1"}


@asynccontextmanager
async def started(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[State]:
    url = request.getfixturevalue("postgres_url") if backend == "postgres" else None
    state: State = (
        PostgresState(url, fallback_dir=tmp_path / "state") if url else EmbeddedState(tmp_path / "state")
    )
    await state.start()
    try:
        yield state
    finally:
        await state.stop()


def sql(state: State, statement: str) -> None:
    """Run DDL on the state's own database, from outside the server (the fault's author)."""
    if isinstance(state, PostgresState):
        with psycopg.connect(state.url, autocommit=True) as conn:
            conn.execute(statement)
    else:
        assert isinstance(state, EmbeddedState)
        with sqlite3.connect(state.state_dir / "state.sqlite3") as db:
            db.executescript(statement)


def refuse(state: State, table: str, events: str, when: str = "") -> None:
    """A trigger that makes the database refuse `events` on `table`."""
    if isinstance(state, PostgresState):
        sql(state, "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused by a test trigger'; "
                   "END $$ LANGUAGE plpgsql")  # fmt: skip
        sql(
            state,
            f"CREATE TRIGGER refuse BEFORE {events} ON {table} FOR EACH ROW {when} EXECUTE FUNCTION refuse()",
        )
        return
    for event in events.split(" OR "):
        sql(state, f"CREATE TRIGGER refuse_{event.lower()} BEFORE {event} ON {table} FOR EACH ROW {when} "
                   "BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END;")  # fmt: skip


def fill_the_audit_disk(state: State) -> None:
    """The audit log's file now writes to /dev/full: every append fails with ENOSPC."""
    assert isinstance(state, EmbeddedState) and state._audit is not None and state._audit._fd is not None
    full = os.open("/dev/full", os.O_WRONLY)
    os.dup2(full, state._audit._fd)
    os.close(full)


def audit_lines(state: State, tmp_path: Path) -> list[dict[str, Any]]:
    """Every audit line the state kept, in its store, and in the fallback file."""
    lines: list[dict[str, Any]] = []
    if isinstance(state, PostgresState):
        with psycopg.connect(state.url) as conn:
            lines += [row[0] for row in conn.execute("SELECT entry FROM audit_log ORDER BY id").fetchall()]
    else:
        lines += [json.loads(line) for line in (tmp_path / "state" / "audit.jsonl").read_text().splitlines()]
    fallback = tmp_path / "state" / FALLBACK_AUDIT_FILE
    if fallback.exists():
        lines += [json.loads(line) | {"kept_in": "fallback"} for line in fallback.read_text().splitlines()]
    return lines


async def ledger(state: State, key: str) -> dict[str, int]:
    return await state.refunded(state.scope_of(key), SpendingLimits._date())


# --- the README's team example -------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_readme_team_example_holds_its_cap_with_nul_in_metadata(
    backend: str, sandbox: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """`--max-daily-refunds usd:5000` and three $40 refunds whose metadata holds NUL: one is made,
    two are refused, $40 is on the ledger, and the refund's audit line is stored (NUL escaped)."""
    key = new_key()
    intent = await paid_intent(sandbox, key, amount=20000)
    settings = settings_for(sandbox.url, tmp_path, api_key=key, max_daily_refunds="usd:5000")
    async with started(backend, tmp_path, request) as state:
        async with mcp_client(settings, state=state) as client:
            call = {"payment_intent": intent, "amount": 4000, "metadata": NUL_METADATA}
            results = [
                await client.call_tool("create_refund", call | {"idempotency_key": f"r{n}"}) for n in range(3)
            ]
        made = payload(results[0])
        assert made["status"] == "succeeded" and "warnings" not in made
        assert all("guardrail `spending-limit`" in error_text(r) for r in results[1:])
        assert len(refunds_sent(sandbox, key)) == 1
        assert await ledger(state, key) == {"usd": 4000}
        lines = audit_lines(state, tmp_path)
    sent = [line for line in lines if line.get("path") == "/v1/refunds" and line.get("status") == 200]
    assert len(sent) == 1 and "kept_in" not in sent[0]
    assert sent[0]["params"]["metadata"]["note"] == "a\\u0000b"


# --- a fault at each step of a refund --------------------------------------------------------------
CHARGE = {"id": "ch_1", "object": "charge", "amount": 10000, "amount_captured": 10000, "amount_refunded": 0,
          "currency": "usd", "status": "succeeded", "captured": True}  # fmt: skip
INTENT = {"id": "pi_1", "object": "payment_intent", "status": "succeeded", "amount": 10000, "currency": "usd",
          "latest_charge": CHARGE}  # fmt: skip
REFUND = {"id": "re_1", "object": "refund", "amount": 3000, "currency": "usd", "status": "succeeded",
          "payment_intent": "pi_1", "charge": "ch_1"}  # fmt: skip
CALL = {"payment_intent": "pi_1", "amount": 3000}


@asynccontextmanager
async def refunding(
    backend: str, fake: RecordingStripe, tmp_path: Path, request: pytest.FixtureRequest,
    refund: Callable[[Recorded], tuple[int, dict[str, Any]]] | None = None,
) -> AsyncIterator[tuple[Any, State, str]]:  # fmt: skip
    """A server with a $50 daily cap over `backend`, before a fake Stripe that answers the refund."""
    key = new_key()
    fake.on("GET", "/v1/payment_intents/pi_1", INTENT)
    fake.on("POST", "/v1/refunds", refund or (lambda _request: (200, REFUND)))
    settings = settings_for(fake.url, tmp_path, api_key=key, max_daily_refunds="usd:5000")
    async with started(backend, tmp_path, request) as state, mcp_client(settings, state=state) as client:
        yield client, state, key


def posted(fake: RecordingStripe) -> list[Recorded]:
    return [r for r in fake.requests if r.method == "POST"]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_audit_store_refuses_after_stripe_answered(
    backend: str, fake: RecordingStripe, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The audit log refuses every line (a trigger; a full disk): the refund stands, the agent gets
    it with a warning, the ledger keeps it, and its lines are in the fallback file."""
    async with refunding(backend, fake, tmp_path, request) as (client, state, key):
        if isinstance(state, PostgresState):
            refuse(state, "audit_log", "INSERT")
        else:
            fill_the_audit_disk(state)
        made = payload(await client.call_tool("create_refund", CALL))
        over = error_text(await client.call_tool("create_refund", CALL | {"idempotency_key": "second"}))
        assert await ledger(state, key) == {"usd": 3000}
        lines = audit_lines(state, tmp_path)
    assert made["id"] == "re_1" and made["status"] == "succeeded"
    assert any(
        FALLBACK_AUDIT_FILE in warning and "refused this line" in warning for warning in made["warnings"]
    )
    assert "guardrail `spending-limit`" in over and len(posted(fake)) == 1
    kept = [line for line in lines if line.get("kept_in")]
    assert any(line.get("path") == "/v1/refunds" and line.get("status") == 200 for line in kept)
    assert any(line.get("tool_call") == "create_refund" and line.get("outcome") == "ok" for line in kept)


async def test_connections_dropped_while_waiting_on_stripe(
    fake: RecordingStripe, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Every connection of the state database is terminated while the refund is at Stripe: the
    refund stands, its audit line is written on a fresh connection, the ledger keeps it."""
    url = request.getfixturevalue("postgres_url")

    def drop_then_refund(_request: Recorded) -> tuple[int, dict[str, Any]]:
        with psycopg.connect(url, autocommit=True) as conn:
            dropped = conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchone()
        assert dropped and dropped[0] >= 1
        return 200, REFUND

    async with refunding("postgres", fake, tmp_path, request, drop_then_refund) as (client, state, key):
        made = payload(await client.call_tool("create_refund", CALL))
        assert await ledger(state, key) == {"usd": 3000}
        lines = audit_lines(state, tmp_path)
    assert made["status"] == "succeeded" and "warnings" not in made
    assert [line["status"] for line in lines if line.get("path") == "/v1/refunds"] == [200]
    assert not any(line.get("kept_in") for line in lines)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_ledger_refuses_the_reservation(
    backend: str, fake: RecordingStripe, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The ledger cannot be written before the refund: a clear error, and nothing reaches Stripe."""
    async with refunding(backend, fake, tmp_path, request) as (client, state, key):
        refuse(state, "refund_ledger", "INSERT OR UPDATE")
        text = error_text(await client.call_tool("create_refund", CALL))
        assert await ledger(state, key) == {}
    assert "Could not hold this refund against today's --max-daily-refunds total" in text
    assert "nothing was sent to Stripe" in text
    assert posted(fake) == []


@pytest.mark.parametrize("backend", BACKENDS)
async def test_ledger_refuses_the_release_after_stripe_refused(
    backend: str, fake: RecordingStripe, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Stripe refuses the refund, and the ledger cannot be lowered: the agent gets Stripe's error
    and a warning; the total keeps the amount (the cap only gets stricter)."""
    declined = {"error": {"type": "invalid_request_error", "code": "charge_already_refunded",
                          "message": "Charge ch_1 has already been refunded."}}  # fmt: skip
    async with refunding(backend, fake, tmp_path, request, lambda _r: (400, declined)) as (
        client,
        state,
        key,
    ):
        refuse(state, "refund_ledger", "UPDATE", "WHEN (NEW.amount < OLD.amount)")
        text = error_text(await client.call_tool("create_refund", CALL))
        assert await ledger(state, key) == {"usd": 3000}
    assert "charge_already_refunded" in text
    assert "Warning: no money moved, but today's refund total could not be lowered by $30.00" in text
    assert len(posted(fake)) == 1


@pytest.mark.parametrize("backend", BACKENDS)
async def test_an_unknown_outcome_stays_counted_and_a_refusal_is_released(
    backend: str, fake: RecordingStripe, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A 500 (Stripe may have refunded) keeps the amount counted; a 402 (it did not) gives it back."""

    def answer(sent: Recorded) -> tuple[int, dict[str, Any]]:
        if sent.headers.get("Idempotency-Key") == "other":
            return 402, {"error": {"type": "card_error", "code": "card_declined", "message": "declined"}}
        return 500, {"error": {"type": "api_error", "message": "boom"}}

    async with refunding(backend, fake, tmp_path, request, answer) as (client, state, key):
        unknown = error_text(await client.call_tool("create_refund", CALL))
        assert await ledger(state, key) == {"usd": 3000}
        refused = error_text(
            await client.call_tool("create_refund", CALL | {"amount": 1000, "idempotency_key": "other"})
        )
        assert await ledger(state, key) == {"usd": 3000}
    assert "type=api_error" in unknown and "card_declined" in refused
    assert len(posted(fake)) == 4  # the 500 was retried twice with the same key


# --- a refused redemption leaves the token to its owner -------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_refused_redemption_does_not_consume_the_token(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    async with started(backend, tmp_path, request) as state:
        alice = ConfirmationTokens(state, lambda: state.scope_of("sk_test_alice"))
        mallory = ConfirmationTokens(state, lambda: state.scope_of("sk_test_mallory"))
        args = {"payment_intent": "pi_1", "amount": 500}
        token = await alice.issue("create_refund", args)
        with pytest.raises(InputError, match="another client"):
            await mallory.redeem(token, "create_refund", args)
        with pytest.raises(InputError, match="different arguments"):
            await alice.redeem(token, "create_refund", args | {"amount": 50000})
        with pytest.raises(InputError, match="different arguments"):
            await alice.redeem(token, "create_payment_intent", args)
        await alice.redeem(token, "create_refund", args)  # still the owner's, once
        with pytest.raises(InputError, match="already used"):
            await alice.redeem(token, "create_refund", args)
        late = await ConfirmationTokens(state, lambda: state.scope_of("sk_test_alice"), ttl=-1).issue(
            "create_refund", args
        )
        with pytest.raises(InputError, match="expired"):
            await alice.redeem(late, "create_refund", args)
        with pytest.raises(InputError, match="already used"):  # an expired token is gone
            await alice.redeem(late, "create_refund", args)


async def test_migrate_then_serve_uses_the_fallback_dir(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The PostgreSQL backend opened from settings keeps refused lines under --state-dir."""
    from stripe_power.config import load_settings
    from stripe_power.state import open_state

    url = request.getfixturevalue("postgres_url")
    await migrate(url)
    settings = load_settings({"STRIPE_SECRET_KEY": new_key()}, state_url=url, state_dir=str(tmp_path / "d"))
    state = open_state(settings)
    assert state.fallback_dir == tmp_path / "d"
