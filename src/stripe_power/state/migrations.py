"""Versioned schema migrations. Append a new version; never edit one that has shipped.

PostgreSQL records applied versions in `stripe_power_migrations` and applies pending ones
under an advisory lock, so instances starting together migrate once. The embedded SQLite
file records its version in `PRAGMA user_version`.
"""

from __future__ import annotations

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
# (one process); the webhook store keeps its own file (webhooks.sqlite3) and schema.
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

LATEST = POSTGRES[-1][0]
