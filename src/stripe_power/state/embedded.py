"""The embedded backend: state in `--state-dir`, for one server process.

- `state.sqlite3`: the refund ledger and the scope secret (SQLite, BEGIN IMMEDIATE, so even two
  processes on one state dir cannot both slip under a daily limit);
- `webhooks.sqlite3`: the webhook store (webhook_store.WebhookStore);
- `audit.jsonl`: the audit log (`audit-fallback.jsonl` beside it if a line cannot be appended);
- confirmation tokens and the replay window: in memory (they live minutes; one process).

The folder is 0700 and every file 0600 (files.py). A file that cannot be read as what it should
be, or whose schema is newer than this code, stops the server with a ConfigError naming the file
and the fix; the refund ledger in particular is never replaced by an empty one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import sqlite3
import threading
from pathlib import Path

from .. import clock
from ..errors import ConfigError
from .base import State, TokenOutcome
from .files import AuditLog, secure_dir, secure_file
from .migrations import SQLITE, SchemaTooNew, migrate_sqlite
from .webhook_store import ThreadedWebhooks, WebhookStore, open_webhook_store

logger = logging.getLogger("stripe_power.state")

STATE_FILE = "state.sqlite3"
AUDIT_FILE = "audit.jsonl"
LEGACY_LEDGER = "refund-ledger.json"  # before state.sqlite3: {"YYYY-MM-DD": {"usd": 1234}}


def today() -> str:
    return clock.today()


class EmbeddedState(State):
    def __init__(self, state_dir: Path, *, legacy_key: str | None = None) -> None:
        self.state_dir = state_dir
        self.fallback_dir = state_dir
        self.description = f"embedded ({state_dir})"
        self._legacy_key = legacy_key
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[str, float]] = {}
        self._writes: dict[str, tuple[str, float, str]] = {}  # fingerprint -> (key, expiry, lane)
        self._db: sqlite3.Connection | None = None
        self._audit: AuditLog | None = None
        self._store: WebhookStore | None = None
        self._users = 0
        self.webhooks = ThreadedWebhooks(self._webhook_store)

    def _webhook_store(self) -> WebhookStore:
        if self._store is None:
            raise RuntimeError("state not started")
        return self._store

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        self._users += 1
        self.open()

    def open(self) -> None:
        """Synchronous start: the CLI runs it before serving, to fail fast with exit 2."""
        if self._db is not None:
            return
        secure_dir(self.state_dir)
        self._db = self._open_db(secure_file(self.state_dir / STATE_FILE))
        self._secret = self._load_secret().encode()
        self._import_legacy_ledger()
        self._store = open_webhook_store(self.state_dir)
        audit_path = self.state_dir / AUDIT_FILE
        try:
            self._audit = AuditLog(audit_path)
        except OSError as error:
            raise ConfigError(f"Cannot append to the audit log {audit_path}: {error.strerror}.") from None

    def _open_db(self, path: Path) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
        except sqlite3.DatabaseError as error:
            raise self._unreadable(path, error) from None
        try:
            db.execute("PRAGMA synchronous=FULL")
            migrate_sqlite(db, SQLITE, path)
            return db
        except SchemaTooNew:
            db.close()
            raise
        except sqlite3.DatabaseError as error:
            db.close()
            raise self._unreadable(path, error) from None

    @staticmethod
    def _unreadable(path: Path, error: sqlite3.DatabaseError) -> ConfigError:
        return ConfigError(
            f"The state file {path} (refund ledger) is unreadable ({error}). It is not replaced, "
            "so today's refunds are not forgotten: restore it from a backup, or move it aside "
            f"(mv {path} {path}.broken) to start a new ledger knowingly."
        )

    def _load_secret(self) -> str:
        db = self._conn()
        with self._lock:
            db.execute(
                "INSERT OR IGNORE INTO server_secrets (name, value) VALUES ('scope', ?)",
                (secrets.token_hex(32),),
            )
            (value,) = db.execute("SELECT value FROM server_secrets WHERE name = 'scope'").fetchone()
        return str(value)

    def _import_legacy_ledger(self) -> None:
        """A refund-ledger.json from an earlier version: today's totals move into state.sqlite3."""
        path = self.state_dir / LEGACY_LEDGER
        if not path.exists():
            return
        try:
            data = json.loads(path.read_text())
            totals = {str(k): int(v) for k, v in (data.get(today()) or {}).items()}
        except (ValueError, AttributeError, TypeError):
            raise ConfigError(
                f"The refund ledger {path} is unreadable. It is not ignored (today's refunds would be "
                f"forgotten): fix it, or move it aside (mv {path} {path}.broken) to start a new ledger knowingly."
            ) from None
        if self._legacy_key is None:
            logger.warning(
                "%s (from an earlier version) is not applied with client keys; left in place.", path
            )
            return
        scope = self.scope_of(self._legacy_key)
        with self._lock:
            for currency, amount in totals.items():
                self._conn().execute(
                    "INSERT INTO refund_ledger (scope, day, currency, amount) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (scope, day, currency) DO UPDATE SET amount = amount + excluded.amount",
                    (scope, today(), currency, amount),
                )
        path.rename(path.with_name(LEGACY_LEDGER + ".imported"))
        logger.warning("Imported today's refunds from %s into %s.", path, STATE_FILE)

    async def stop(self) -> None:
        self._users = max(self._users - 1, 0)
        if self._users:
            return  # another server session (in-memory clients) still uses it
        if self._audit is not None:
            self._audit.close()
            self._audit = None
        # The webhook store stays open: it is process-wide (webhook_store.open_store), shared with
        # the HTTP receiver, which may outlive this server session.
        if self._db is not None:
            self._db.close()
            self._db = None

    async def ready(self) -> None:
        """The ledger answers and its schema is still one this code knows."""

        def check() -> None:
            (version,) = self._conn().execute("PRAGMA user_version").fetchone()
            if version > SQLITE[-1][0]:
                raise SchemaTooNew(str(self.state_dir / STATE_FILE), version, SQLITE[-1][0])

        await asyncio.to_thread(check)

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("state not started")
        return self._db

    # -- tokens and the replay window (memory) ------------------------------------------------

    async def issue_token(self, token: str, binding: str, expires_at: float) -> None:
        now = clock.now()
        with self._lock:
            self._tokens = {t: v for t, v in self._tokens.items() if v[1] > now}
            self._tokens[token] = (binding, expires_at)

    async def take_token(self, token: str, binding: str, now: float) -> TokenOutcome:
        with self._lock:
            found = self._tokens.get(token)
            if found is None:
                return "unknown"
            if now > found[1]:
                del self._tokens[token]
                return "expired"
            if found[0] != binding:
                return "other"
            del self._tokens[token]
            return "taken"

    async def replay_key(self, lane: str, fingerprint: str, candidate: str, expires_at: float) -> str:
        now = clock.now()
        with self._lock:
            live = {k: v for k, v in self._writes.items() if v[1] > now}
            if fingerprint not in live:
                live = {k: v for k, v in live.items() if v[2] != lane}
            key = live[fingerprint][0] if fingerprint in live else candidate
            live[fingerprint] = (key, expires_at, lane)
            self._writes = live
        return key

    async def forget_write(self, fingerprint: str) -> None:
        with self._lock:
            self._writes.pop(fingerprint, None)

    # -- the refund ledger (SQLite) -----------------------------------------------------------

    async def reserve_refund(self, scope: str, day: str, currency: str, amount: int, cap: int) -> int | None:
        def reserve() -> int | None:
            db = self._conn()
            with self._lock:
                db.execute("BEGIN IMMEDIATE")
                try:
                    row = db.execute(
                        "SELECT amount FROM refund_ledger WHERE scope = ? AND day = ? AND currency = ?",
                        (scope, day, currency),
                    ).fetchone()
                    total = (int(row[0]) if row else 0) + amount
                    if total > cap:
                        db.execute("ROLLBACK")
                        return None
                    db.execute(
                        "INSERT INTO refund_ledger (scope, day, currency, amount) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT (scope, day, currency) DO UPDATE SET amount = excluded.amount",
                        (scope, day, currency, total),
                    )
                    db.execute("COMMIT")
                    return total
                except BaseException:
                    if db.in_transaction:
                        db.execute("ROLLBACK")
                    raise

        return await asyncio.to_thread(reserve)

    async def release_refund(self, scope: str, day: str, currency: str, amount: int) -> None:
        def release() -> None:
            with self._lock:
                self._conn().execute(
                    "UPDATE refund_ledger SET amount = MAX(amount - ?, 0) "
                    "WHERE scope = ? AND day = ? AND currency = ?",
                    (amount, scope, day, currency),
                )

        await asyncio.to_thread(release)

    async def refunded(self, scope: str, day: str) -> dict[str, int]:
        with self._lock:
            rows = (
                self._conn()
                .execute(
                    "SELECT currency, amount FROM refund_ledger WHERE scope = ? AND day = ?", (scope, day)
                )
                .fetchall()
            )
        return {str(c): int(a) for c, a in rows}

    # -- the audit log ------------------------------------------------------------------------

    async def audit(self, line: str) -> None:
        if self._audit is None:
            raise RuntimeError("state not started")
        self._audit.write(line)
