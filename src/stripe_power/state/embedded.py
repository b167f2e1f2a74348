"""The embedded backend: state in `--state-dir`, for one server process.

- `state.sqlite3`: the refund ledger and the scope secret (SQLite, BEGIN IMMEDIATE, so even two
  processes on one state dir cannot both slip under a daily limit);
- `webhooks.sqlite3`: the webhook store (webhooks.WebhookStore);
- `audit.jsonl`: the audit log;
- confirmation tokens and the replay window: in memory (they live minutes; one process).

The folder is 0700 and every file 0600: they hold emails, names and whole events. Looser
permissions on existing ones are tightened, and the log says so. A file that cannot be read
as what it should be stops the server with a ConfigError naming the file and the fix; the
refund ledger in particular is never replaced by an empty one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import sqlite3
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import clock
from ..audit import AuditLog
from ..errors import ConfigError
from ..webhooks import STORE_FILE, Signal, StoredEvent, WebhookStore, open_store
from . import State
from .migrations import SQLITE

logger = logging.getLogger("stripe_power.state")

STATE_FILE = "state.sqlite3"
AUDIT_FILE = "audit.jsonl"
LEGACY_LEDGER = "refund-ledger.json"  # before state.sqlite3: {"YYYY-MM-DD": {"usd": 1234}}


def secure_dir(path: Path) -> Path:
    """Create `path` 0700, or tighten it to 0700 (logged)."""
    if path.exists() and not path.is_dir():
        raise ConfigError(f"State directory {path} is a file: pass --state-dir a folder (or move the file).")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    _tighten(path, 0o700)
    return path


def secure_file(path: Path) -> Path:
    """Create `path` empty with 0600, or tighten an existing file to 0600 (logged)."""
    if path.is_dir():
        raise ConfigError(f"{path} is a folder, not a file: move it aside (or remove it) and start again.")
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600))
    _tighten(path, 0o600)
    return path


def _tighten(path: Path, mode: int) -> None:
    current = stat.S_IMODE(path.stat().st_mode)
    if current & ~mode:
        os.chmod(path, mode)
        logger.warning(
            "Tightened permissions of %s from %o to %o (it holds customer data).", path, current, mode
        )


def today() -> str:
    return clock.today()


class ThreadedWebhooks:
    """The async Webhooks interface over the SQLite WebhookStore (calls run in a worker thread).
    `store` is the store or a function that returns it once the state is open."""

    def __init__(self, store: WebhookStore | Callable[[], WebhookStore]) -> None:
        self._get = store if callable(store) else (lambda: store)

    @property
    def store(self) -> WebhookStore:
        return self._get()

    @property
    def signal(self) -> Signal:
        return self.store.signal

    async def record(
        self, event: Any, payload: str, *, received_at: float | None = None, signature: str | None = None
    ) -> bool:
        return await asyncio.to_thread(
            self.store.record, event, payload, received_at=received_at, signature=signature
        )

    async def get(self, event_id: str) -> StoredEvent | None:
        return await asyncio.to_thread(self.store.get, event_id)

    async def recent(
        self, *, limit: int = 20, type: str | None = None, before_seq: int | None = None
    ) -> list[StoredEvent]:
        return await asyncio.to_thread(
            lambda: self.store.recent(limit=limit, type=type, before_seq=before_seq)
        )

    async def find(
        self, type: str, *, object_id: str | None = None, created_gte: int | None = None
    ) -> list[StoredEvent]:
        return await asyncio.to_thread(
            lambda: self.store.find(type, object_id=object_id, created_gte=created_gte)
        )


def open_webhook_store(state_dir: Path) -> WebhookStore:
    """The shared WebhookStore for `state_dir`, or a ConfigError naming the file and the fix."""
    path = secure_file(secure_dir(state_dir) / STORE_FILE)
    try:
        return open_store(path)
    except sqlite3.DatabaseError as error:
        raise ConfigError(
            f"The webhook store {path} is unreadable ({error}): move it aside "
            f"(mv {path} {path}.broken) and start again; a new empty store is created."
        ) from None


class EmbeddedState(State):
    def __init__(self, state_dir: Path, *, legacy_key: str | None = None) -> None:
        self.state_dir = state_dir
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
        audit_path = secure_file(self.state_dir / AUDIT_FILE)
        try:
            self._audit = AuditLog(audit_path)
        except OSError as error:
            raise ConfigError(f"Cannot append to the audit log {audit_path}: {error.strerror}.") from None

    def _open_db(self, path: Path) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
            db.execute("PRAGMA synchronous=FULL")
            (version,) = db.execute("PRAGMA user_version").fetchone()
            for number, sql in SQLITE:
                if number > version:
                    db.executescript(f"BEGIN IMMEDIATE; {sql}; PRAGMA user_version = {number}; COMMIT;")
            return db
        except sqlite3.DatabaseError as error:
            raise ConfigError(
                f"The state file {path} (refund ledger) is unreadable ({error}). It is not replaced, "
                "so today's refunds are not forgotten: restore it from a backup, or move it aside "
                f"(mv {path} {path}.broken) to start a new ledger knowingly."
            ) from None

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
        # The webhook store stays open: it is process-wide (webhooks.open_store), shared with
        # the HTTP receiver, which may outlive this server session.
        if self._db is not None:
            self._db.close()
            self._db = None

    async def ready(self) -> None:
        await asyncio.to_thread(lambda: self._conn().execute("SELECT 1").fetchone())

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

    async def take_token(self, token: str) -> tuple[str, float] | None:
        with self._lock:
            return self._tokens.pop(token, None)

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
        if self._audit is not None:
            self._audit.write(line)
