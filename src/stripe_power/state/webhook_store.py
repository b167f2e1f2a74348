"""The webhook store: verified events, one row per event id (Stripe delivers at least once),
with received times and a delivery count. `WebhookStore` keeps them in SQLite under the state
directory (thread-safe, survives a restart, wakes `wait()`ers when an event arrives; schema
versions in migrations.WEBHOOKS); `ThreadedWebhooks` is the async face the server uses. The
PostgreSQL backend keeps the same rows in its database (postgres.PostgresWebhooks).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import clock
from ..errors import ConfigError
from .files import secure_dir, secure_file
from .migrations import WEBHOOKS, migrate_sqlite

STORE_FILE = "webhooks.sqlite3"


# -- reading events -------------------------------------------------------------------------


def object_of(event: Mapping[str, Any]) -> Mapping[str, Any]:
    data = event.get("data")
    obj = data.get("object") if isinstance(data, Mapping) else None
    return obj if isinstance(obj, Mapping) else {}


def is_about(event: Mapping[str, Any], object_id: str) -> bool:
    """The event's object is `object_id`, or refers to it in a top-level field (customer, payment_intent...)."""
    obj = object_of(event)
    if obj.get("id") == object_id:
        return True
    for value in obj.values():
        if value == object_id or (isinstance(value, Mapping) and value.get("id") == object_id):
            return True
    return False


@dataclass(frozen=True)
class StoredEvent:
    id: str
    type: str
    object_id: str | None
    created: int | None
    first_received_at: float
    last_received_at: float
    delivery_count: int
    seq: int
    payload: str
    signature: str | None = None  # the Stripe-Signature header it came with (re-checked by id)

    def event(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.payload)
        return loaded


_COLUMNS = "id, type, object_id, created, first_received_at, last_received_at, delivery_count, seq, payload, signature"


def type_clause(type: str | None, mark: str = "?") -> tuple[list[str], list[Any]]:
    """SQL conditions for an event-type pattern (`*`, `payment_intent.*`, an exact type);
    `mark` is the driver's placeholder (`?` for SQLite, `%s` for PostgreSQL)."""
    if not type or type == "*":
        return [], []
    if type.endswith(".*"):
        prefix = type[:-1].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return [f"type LIKE {mark} ESCAPE '\\'"], [prefix + "%"]
    return [f"type = {mark}"], [type]


def event_row(
    event: Mapping[str, Any], payload: str, received_at: float | None, signature: str | None
) -> tuple[Any, ...]:
    """One row's values, in the order of both backends' INSERT: id, type, object_id, created,
    payload, first and last received time, signature."""
    received_at = clock.now() if received_at is None else received_at
    oid = object_of(event).get("id")
    created = event.get("created")
    return (
        event["id"],
        event["type"],
        oid if isinstance(oid, str) else None,
        created if isinstance(created, int) else None,
        payload,
        received_at,
        received_at,
        signature,
    )


def _query(type: str | None, extra: str, value: Any, tail: str, mark: str) -> tuple[str, tuple[Any, ...]]:
    clauses, args = type_clause(type, mark)
    if value is not None:
        clauses.append(f"{extra} {mark}")
        args.append(value)
    where = f"WHERE {' AND '.join(clauses)} " if clauses else ""
    return where + tail, tuple(args)


def recent_query(
    type: str | None, before_seq: int | None, limit: int, mark: str = "?"
) -> tuple[str, tuple[Any, ...]]:
    """The SQL tail and arguments of `recent`: newest first, before a sequence number."""
    tail, args = _query(type, "seq <", before_seq, f"ORDER BY seq DESC LIMIT {mark}", mark)
    return tail, (*args, limit)


def found_query(type: str, created_gte: int | None, mark: str = "?") -> tuple[str, tuple[Any, ...]]:
    """The SQL tail and arguments of `find`: the newest 100 of a type, created since a time."""
    return _query(type, "created >=", created_gte, "ORDER BY seq DESC LIMIT 100", mark)


def about(rows: list[StoredEvent], object_id: str | None) -> list[StoredEvent]:
    """The rows whose event is about `object_id` (all of them when it is None)."""
    if object_id is None:
        return rows
    return [row for row in rows if row.object_id == object_id or is_about(row.event(), object_id)]


class Signal:
    """A version counter whose waiters wake when it moves, from any thread or event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version = 0
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    @property
    def version(self) -> int:
        return self._version

    def notify(self) -> None:
        with self._lock:
            self._version += 1
            waiters = list(self._waiters)
        for loop, event in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(event.set)

    async def wait(self, since: int, seconds: float) -> bool:
        """True as soon as the version is past `since`; False after `seconds`."""
        event = asyncio.Event()
        entry = (asyncio.get_running_loop(), event)
        with self._lock:
            if self._version > since:
                return True
            self._waiters.add(entry)
        try:
            await asyncio.wait_for(event.wait(), seconds)
            return True
        except TimeoutError:
            return self._version > since
        finally:
            with self._lock:
                self._waiters.discard(entry)


class WebhookStore:
    """Verified events in SQLite, one row per event id; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        try:
            with self._lock:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
                migrate_sqlite(self._db, WEBHOOKS, path, adopt=_adopt_unversioned)
        except BaseException:
            self._db.close()
            raise
        self.signal = Signal()

    def record(
        self,
        event: Mapping[str, Any],
        payload: str,
        *,
        received_at: float | None = None,
        signature: str | None = None,
    ) -> bool:
        """Store a verified event; True if it was already stored (a duplicate delivery)."""
        row = event_row(event, payload, received_at, signature)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                updated = self._db.execute(
                    "UPDATE events SET delivery_count = delivery_count + 1, last_received_at = ? WHERE id = ?",
                    (row[-2], event["id"]),
                ).rowcount
                if not updated:
                    self._db.execute(
                        "INSERT INTO events (id, type, object_id, created, payload, first_received_at, "
                        "last_received_at, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        row,
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        self.signal.notify()
        return bool(updated)

    def get(self, event_id: str) -> StoredEvent | None:
        rows = self._select("WHERE id = ?", (event_id,))
        return rows[0] if rows else None

    def recent(
        self, *, limit: int = 20, type: str | None = None, before_seq: int | None = None
    ) -> list[StoredEvent]:
        """Newest first; `type` may be a wildcard pattern."""
        return self._select(*recent_query(type, before_seq, limit))

    def find(
        self, type: str, *, object_id: str | None = None, created_gte: int | None = None
    ) -> list[StoredEvent]:
        """Stored events matching `type` (and about `object_id`), newest first (at most 100 looked at)."""
        return about(self._select(*found_query(type, created_gte)), object_id)

    def count(self) -> int:
        with self._lock:
            (total,) = self._db.execute("SELECT COUNT(*) FROM events").fetchone()
        return int(total)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _select(self, tail: str, args: Iterable[Any]) -> list[StoredEvent]:
        with self._lock:
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM events {tail}", tuple(args)).fetchall()
        return [StoredEvent(*row) for row in rows]


_stores: dict[Path, WebhookStore] = {}
_stores_lock = threading.Lock()


def open_store(path: Path) -> WebhookStore:
    """The process-wide store for `path`: the receiver and the tools share one (and its signal)."""
    key = path.resolve()
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            store = _stores[key] = WebhookStore(key)
        return store


def close_store(path: Path) -> None:
    with _stores_lock:
        store = _stores.pop(path.resolve(), None)
    if store is not None:
        store.close()


def close_all_stores() -> None:
    """Close every shared store (tests; process shutdown)."""
    with _stores_lock:
        stores = list(_stores.values())
        _stores.clear()
    for store in stores:
        store.close()


def store_for(state_dir: Path) -> WebhookStore:
    """The shared store of a state directory (webhooks.sqlite3 in it)."""
    return open_store(state_dir / STORE_FILE)


def _adopt_unversioned(db: sqlite3.Connection) -> None:
    """A store written before it had versions: version 2 if it keeps signatures, else 1."""
    (version,) = db.execute("PRAGMA user_version").fetchone()
    columns = {row[1] for row in db.execute("PRAGMA table_info(events)")}
    if version == 0 and columns:
        db.execute(f"PRAGMA user_version = {2 if 'signature' in columns else 1}")


class ThreadedWebhooks:
    """The async Webhooks interface over a WebhookStore (calls run in a worker thread).
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


__all__ = [
    "STORE_FILE",
    "Signal",
    "StoredEvent",
    "ThreadedWebhooks",
    "WebhookStore",
    "about",
    "close_all_stores",
    "close_store",
    "event_row",
    "found_query",
    "is_about",
    "object_of",
    "open_store",
    "open_webhook_store",
    "recent_query",
    "store_for",
    "type_clause",
]
