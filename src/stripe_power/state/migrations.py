"""Versioned schema migrations. Append a new version; never edit one that has shipped.

PostgreSQL records applied versions in `stripe_power_migrations` and applies pending ones
under an advisory lock, so instances starting together migrate once. The embedded SQLite
files record their version in `PRAGMA user_version`. A schema newer than this code knows (a
newer stripe-power migrated it) is refused, never taken as up to date: this code would
misread it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from ..errors import ConfigError


class SchemaTooNew(ConfigError):
    """The state was written by a newer stripe-power."""

    def __init__(self, where: str, found: int, known: int) -> None:
        super().__init__(
            f"The state at {where} has schema version {found}, newer than this stripe-power knows "
            f"(version {known}): a newer stripe-power migrated it, and this one would misread it. "
            "Run the newer stripe-power (upgrade this installation), or give this one its own state."
        )


def check_not_newer(where: str, found: int, steps: list[tuple[int, str]]) -> None:
    if found > steps[-1][0]:
        raise SchemaTooNew(where, found, steps[-1][0])


def migrate_sqlite(
    db: sqlite3.Connection,
    steps: list[tuple[int, str]],
    path: Path,
    adopt: Callable[[sqlite3.Connection], None] | None = None,
) -> None:
    """Apply the pending `steps` to an open SQLite file (autocommit connection), all in one
    write transaction with the new version. The version is read under that transaction's lock,
    so servers starting together on one state dir migrate once: the others wait, then find it
    done. `adopt` (run under the same lock first) may set the version of an unversioned file."""
    db.execute("BEGIN IMMEDIATE")
    try:
        if adopt is not None:
            adopt(db)
        (version,) = db.execute("PRAGMA user_version").fetchone()
        check_not_newer(str(path), int(version), steps)
        for number, sql in steps:
            if number > version:
                for statement in statements(sql):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def statements(script: str) -> list[str]:
    """`script` split into its statements (executescript would commit the open transaction)."""
    statements, pending = [], ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                statements.append(pending.strip())
            pending = ""
    if pending.strip(" \n;"):
        statements.append(pending.strip())
    return statements


POSTGRES: list[tuple[int, str]] = [
    (
        1,
        """
CREATE TABLE server_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE confirmation_tokens (
    token TEXT PRIMARY KEY, binding TEXT NOT NULL, expires_at DOUBLE PRECISION NOT NULL);
CREATE TABLE replay_window (
    fingerprint TEXT PRIMARY KEY, lane TEXT NOT NULL, idempotency_key TEXT NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL);
CREATE INDEX replay_window_lane ON replay_window (lane);
CREATE TABLE refund_ledger (
    scope TEXT NOT NULL, day TEXT NOT NULL, currency TEXT NOT NULL, amount BIGINT NOT NULL,
    PRIMARY KEY (scope, day, currency));
CREATE TABLE webhook_events (
    seq BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, object_id TEXT,
    created BIGINT, payload TEXT NOT NULL, first_received_at DOUBLE PRECISION NOT NULL,
    last_received_at DOUBLE PRECISION NOT NULL, delivery_count INTEGER NOT NULL DEFAULT 1);
CREATE INDEX webhook_events_type ON webhook_events (type);
CREATE INDEX webhook_events_object ON webhook_events (object_id);
CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY, at TIMESTAMPTZ NOT NULL DEFAULT now(), entry JSONB NOT NULL);
""",
    ),
    # The Stripe-Signature header a webhook came with: verify_webhook_signature re-checks it by id.
    (2, "ALTER TABLE webhook_events ADD COLUMN signature TEXT;"),
]

# The embedded state file (state.sqlite3). Tokens and the replay window stay in memory there
# (one process); the webhook store keeps its own file (webhooks.sqlite3) and schema (WEBHOOKS).
SQLITE: list[tuple[int, str]] = [
    (
        1,
        """
CREATE TABLE server_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE refund_ledger (
    scope TEXT NOT NULL, day TEXT NOT NULL, currency TEXT NOT NULL, amount INTEGER NOT NULL,
    PRIMARY KEY (scope, day, currency));
""",
    ),
]

# The embedded webhook store (webhooks.sqlite3). Stores written before it had versions are
# adopted as version 1 or 2 (webhook_store.adopt_unversioned) before these run.
WEBHOOKS: list[tuple[int, str]] = [
    (
        1,
        """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, object_id TEXT,
    created INTEGER, payload TEXT NOT NULL, first_received_at REAL NOT NULL,
    last_received_at REAL NOT NULL, delivery_count INTEGER NOT NULL DEFAULT 1);
CREATE INDEX IF NOT EXISTS events_type ON events (type);
CREATE INDEX IF NOT EXISTS events_object ON events (object_id);
""",
    ),
    (2, "ALTER TABLE events ADD COLUMN signature TEXT"),
]

LATEST = POSTGRES[-1][0]
