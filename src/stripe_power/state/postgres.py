"""The PostgreSQL backend (psycopg 3, async): every piece of state shared by all instances.

Each guarantee is one statement or one short transaction, so it holds however many
instances run: a token is taken with DELETE ... RETURNING (one winner), a refund is reserved
with a conditional UPDATE (the row lock makes the check and the add one step), a webhook is
stored with INSERT ... ON CONFLICT (one row per event id), and a replay lane is serialised by
a transaction-scoped advisory lock.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any
from urllib.parse import urlsplit

from .. import clock
from ..errors import ConfigError
from ..webhooks import Signal, StoredEvent, is_about, object_of, type_clause
from . import STATE_URL_ENV, State
from .migrations import POSTGRES

logger = logging.getLogger("stripe_power.state")

_COLUMNS = "id, type, object_id, created, first_received_at, last_received_at, delivery_count, seq, payload, signature"
_MIGRATION_LOCK = 727_113_017  # pg_advisory_xact_lock id: one migrator at a time


def describe(url: str) -> str:
    """host:port/dbname, never the user's password."""
    parts = urlsplit(url)
    return f"postgresql://{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path}"


def _unreachable(url: str, error: Exception) -> ConfigError:
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return ConfigError(
        f"Cannot use the state database {describe(url)} ({first}). Check {STATE_URL_ENV} "
        "(postgresql://user@host:5432/dbname) and that the database exists and accepts connections."
    )


def _psycopg() -> Any:
    try:
        import psycopg
        import psycopg_pool  # noqa: F401  (the pool the backend uses)
    except ImportError:
        raise ConfigError(
            f"{STATE_URL_ENV} needs the PostgreSQL driver: pip install 'stripe-power[postgres]'."
        ) from None
    return psycopg


async def migrate(url: str) -> list[int]:
    """Apply pending migrations; the versions applied now (empty when up to date)."""
    psycopg = _psycopg()

    try:
        async with await psycopg.AsyncConnection.connect(url, autocommit=False) as conn:
            return await _migrate(conn)
    except psycopg.OperationalError as error:
        raise _unreachable(url, error) from None


async def _migrate(conn: Any) -> list[int]:
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS stripe_power_migrations ("
            "version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        cursor = await conn.execute("SELECT version FROM stripe_power_migrations")
        done = {row[0] for row in await cursor.fetchall()}
        applied = []
        for version, sql in POSTGRES:
            if version in done:
                continue
            await conn.execute(sql)
            await conn.execute("INSERT INTO stripe_power_migrations (version) VALUES (%s)", (version,))
            applied.append(version)
    if applied:
        logger.info("State database migrated to version %d", applied[-1])
    return applied


class PostgresWebhooks:
    def __init__(self, owner: PostgresState) -> None:
        self.owner = owner
        self._signal = Signal()

    @property
    def signal(self) -> Signal:
        return self._signal

    @property
    def pool(self) -> Any:
        if self.owner.pool is None:
            raise RuntimeError("state not started")
        return self.owner.pool

    async def record(
        self, event: Any, payload: str, *, received_at: float | None = None, signature: str | None = None
    ) -> bool:
        received_at = clock.now() if received_at is None else received_at
        obj = object_of(event)
        object_id = obj.get("id") if isinstance(obj.get("id"), str) else None
        created = event.get("created") if isinstance(event.get("created"), int) else None
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "INSERT INTO webhook_events AS e (id, type, object_id, created, payload, "
                "first_received_at, last_received_at, signature) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (id) DO UPDATE SET delivery_count = e.delivery_count + 1, "
                "last_received_at = EXCLUDED.last_received_at RETURNING (xmax <> 0)",
                (
                    event["id"],
                    event["type"],
                    object_id,
                    created,
                    payload,
                    received_at,
                    received_at,
                    signature,
                ),
            )
            row = await cursor.fetchone()
        self.signal.notify()
        return bool(row and row[0])

    async def get(self, event_id: str) -> StoredEvent | None:
        rows = await self._select("WHERE id = %s", (event_id,))
        return rows[0] if rows else None

    async def recent(
        self, *, limit: int = 20, type: str | None = None, before_seq: int | None = None
    ) -> list[StoredEvent]:
        clauses, args = type_clause(type, "%s")
        if before_seq is not None:
            clauses.append("seq < %s")
            args.append(before_seq)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        return await self._select(f"{where} ORDER BY seq DESC LIMIT %s", (*args, limit))

    async def find(
        self, type: str, *, object_id: str | None = None, created_gte: int | None = None
    ) -> list[StoredEvent]:
        clauses, args = type_clause(type, "%s")
        if created_gte is not None:
            clauses.append("created >= %s")
            args.append(created_gte)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = await self._select(f"{where} ORDER BY seq DESC LIMIT 100", tuple(args))
        if object_id is None:
            return rows
        return [row for row in rows if row.object_id == object_id or is_about(row.event(), object_id)]

    async def _select(self, tail: str, args: tuple[Any, ...]) -> list[StoredEvent]:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(f"SELECT {_COLUMNS} FROM webhook_events {tail}", args)
            rows = await cursor.fetchall()
        return [StoredEvent(*row) for row in rows]


class PostgresState(State):
    def __init__(self, url: str, *, max_connections: int = 10) -> None:
        self.url = url
        self.description = describe(url)
        self.max_connections = max_connections
        self.pool: Any = None
        self._users = 0
        self.webhooks = PostgresWebhooks(self)

    async def start(self) -> None:
        psycopg = _psycopg()
        from psycopg_pool import AsyncConnectionPool

        self._users += 1
        if self.pool is not None:
            return

        await migrate(self.url)
        pool = AsyncConnectionPool(
            self.url, min_size=1, max_size=self.max_connections, open=False, kwargs={"autocommit": True}
        )
        try:
            await pool.open(wait=True, timeout=10)
            async with pool.connection() as conn:
                await conn.execute(
                    "INSERT INTO server_secrets (name, value) VALUES ('scope', %s) ON CONFLICT DO NOTHING",
                    (secrets.token_hex(32),),
                )
                cursor = await conn.execute("SELECT value FROM server_secrets WHERE name = 'scope'")
                row = await cursor.fetchone()
        except (psycopg.OperationalError, TimeoutError) as error:
            await pool.close()
            self._users -= 1
            raise _unreachable(self.url, error) from None
        assert row is not None  # inserted just above
        self._secret = str(row[0]).encode()
        self.pool = pool

    async def stop(self) -> None:
        self._users = max(self._users - 1, 0)
        if self.pool is not None and not self._users:
            await self.pool.close()
            self.pool = None

    async def ready(self) -> None:
        async with self.pool.connection(timeout=5) as conn:
            await conn.execute("SELECT 1")

    async def _one(self, sql: str, args: tuple[Any, ...]) -> Any:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(sql, args)
            return await cursor.fetchone() if cursor.description else None

    async def issue_token(self, token: str, binding: str, expires_at: float) -> None:
        async with self.pool.connection() as conn:
            await conn.execute("DELETE FROM confirmation_tokens WHERE expires_at < %s", (clock.now() - 60,))
            await conn.execute(
                "INSERT INTO confirmation_tokens (token, binding, expires_at) VALUES (%s, %s, %s)",
                (token, binding, expires_at),
            )

    async def take_token(self, token: str) -> tuple[str, float] | None:
        row = await self._one(
            "DELETE FROM confirmation_tokens WHERE token = %s RETURNING binding, expires_at", (token,)
        )
        return (str(row[0]), float(row[1])) if row else None

    async def replay_key(self, lane: str, fingerprint: str, candidate: str, expires_at: float) -> str:
        now = clock.now()
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (lane,))
            cursor = await conn.execute(
                "SELECT idempotency_key FROM replay_window WHERE fingerprint = %s AND expires_at > %s",
                (fingerprint, now),
            )
            row = await cursor.fetchone()
            if row is None:
                await conn.execute(
                    "DELETE FROM replay_window WHERE lane = %s OR expires_at <= %s", (lane, now)
                )
            key = str(row[0]) if row else candidate
            await conn.execute(
                "INSERT INTO replay_window (fingerprint, lane, idempotency_key, expires_at) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (fingerprint) DO UPDATE SET "
                "lane = EXCLUDED.lane, idempotency_key = EXCLUDED.idempotency_key, "
                "expires_at = EXCLUDED.expires_at",
                (fingerprint, lane, key, expires_at),
            )
        return key

    async def forget_write(self, fingerprint: str) -> None:
        await self._one("DELETE FROM replay_window WHERE fingerprint = %s", (fingerprint,))

    async def reserve_refund(self, scope: str, day: str, currency: str, amount: int, cap: int) -> int | None:
        async with self.pool.connection() as conn:
            await conn.execute(
                "INSERT INTO refund_ledger (scope, day, currency, amount) VALUES (%s, %s, %s, 0) "
                "ON CONFLICT DO NOTHING",
                (scope, day, currency),
            )
            # The row lock makes check-and-add one step: concurrent reservations queue on it.
            cursor = await conn.execute(
                "UPDATE refund_ledger SET amount = amount + %s "
                "WHERE scope = %s AND day = %s AND currency = %s AND amount + %s <= %s RETURNING amount",
                (amount, scope, day, currency, amount, cap),
            )
            row = await cursor.fetchone()
        return int(row[0]) if row else None

    async def release_refund(self, scope: str, day: str, currency: str, amount: int) -> None:
        await self._one(
            "UPDATE refund_ledger SET amount = GREATEST(amount - %s, 0) "
            "WHERE scope = %s AND day = %s AND currency = %s",
            (amount, scope, day, currency),
        )

    async def refunded(self, scope: str, day: str) -> dict[str, int]:
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT currency, amount FROM refund_ledger WHERE scope = %s AND day = %s", (scope, day)
            )
            rows = await cursor.fetchall()
        return {str(c): int(a) for c, a in rows}

    async def audit(self, line: str) -> None:
        await self._one("INSERT INTO audit_log (entry) VALUES (%s::jsonb)", (line,))
