"""Webhooks: Stripe-Signature checks, a durable event store, and the HTTP receiver.

- `verify(payload, header, secrets)` checks a `Stripe-Signature` header as Stripe's SDKs do
  (HMAC-SHA256 of `f"{t}.{payload}"`, every `v1=` value, constant-time compare, 300 s
  tolerance) and says precisely why a delivery is refused. `sign(...)` builds the header.
- `WebhookStore` keeps verified events in SQLite under the state directory, deduplicated by
  event id (Stripe delivers at least once) with received times and a delivery count; it is
  thread-safe, survives a restart, and wakes `wait()`ers when an event arrives.
- `webhook_routes(settings)` is the Starlette route `POST /webhooks/stripe`.

No secret ever appears in a result, a response, a log line or an error message.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import json
import logging
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from secrets import token_hex
from typing import TYPE_CHECKING, Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import clock
from .config import Settings

if TYPE_CHECKING:
    from .state import Webhooks

logger = logging.getLogger("stripe_power.webhooks")

TOLERANCE_SECONDS = 300
MAX_BODY_BYTES = 1024 * 1024
WEBHOOK_PATH = "/webhooks/stripe"
STORE_FILE = "webhooks.sqlite3"


# -- signatures -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """The outcome of a signature check. `reason` says why when `valid` is false."""

    valid: bool
    reason: str | None = None
    timestamp: int | None = None
    age_seconds: int | None = None
    event: Mapping[str, Any] | None = None

    @property
    def event_id(self) -> str | None:
        return str(self.event["id"]) if self.event and "id" in self.event else None

    @property
    def event_type(self) -> str | None:
        return str(self.event["type"]) if self.event and "type" in self.event else None


def _as_bytes(payload: bytes | str) -> bytes:
    return payload.encode("utf-8") if isinstance(payload, str) else payload


def compute_signature(payload: bytes | str, secret: str, timestamp: int) -> str:
    """Hex HMAC-SHA256 of `f"{timestamp}.{payload}"` keyed with the whole secret (whsec_ included)."""
    message = f"{timestamp}.".encode() + _as_bytes(payload)
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(payload: bytes | str, secrets: str | Sequence[str], timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header Stripe sends: `t=<ts>,v1=<hex>`, one v1 per active secret."""
    timestamp = int(clock.now()) if timestamp is None else timestamp
    keys = [secrets] if isinstance(secrets, str) else list(secrets)
    return ",".join([f"t={timestamp}", *(f"v1={compute_signature(payload, k, timestamp)}" for k in keys)])


def parse_signature_header(header: str) -> tuple[int | None, list[str]]:
    """`t=` (the last valid one) and every `v1=` value; other schemes (v0, ...) are ignored."""
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t" and value.strip().isdigit():
            timestamp = int(value.strip())
        elif key == "v1" and value.strip():
            signatures.append(value.strip())
    return timestamp, signatures


def verify(
    payload: bytes | str,
    header: str | None,
    secrets: Sequence[str],
    *,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> Verification:
    """Check a delivery against one or more secrets (several during a secret rollover)."""
    if not secrets:
        return Verification(False, "No webhook signing secret is configured: set STRIPE_WEBHOOK_SECRET.")
    if header is None or not header.strip():
        return Verification(
            False,
            "Missing Stripe-Signature header: the request did not come from Stripe "
            "(or a proxy dropped the header).",
        )
    timestamp, signatures = parse_signature_header(header)
    if timestamp is None:
        return Verification(False, "The Stripe-Signature header has no t= timestamp.")
    age = int((clock.now() if now is None else now) - timestamp)
    if not signatures:
        return Verification(
            False,
            "The Stripe-Signature header has no v1= signature (only v1 counts; v0 and other schemes "
            "are ignored).",
            timestamp,
            age,
        )
    raw = _as_bytes(payload)
    matched = False
    for secret in secrets:
        expected = compute_signature(raw, secret, timestamp)
        for candidate in signatures:  # every v1 value, each in constant time
            matched = hmac.compare_digest(expected, candidate) or matched
    if not matched:
        tried = f" Tried {len(secrets)} secrets (rollover); none matched." if len(secrets) > 1 else ""
        stale = f" (The timestamp is also {age} s old.)" if age > tolerance else ""
        return Verification(
            False,
            f"No v1 signature matches the payload ({len(signatures)} checked): either the secret is "
            "wrong (use this endpoint's whsec_ signing secret; `stripe listen` prints its own) or the "
            "body was modified (verify the raw request bytes before any JSON parsing or re-encoding)."
            f"{tried}{stale}",
            timestamp,
            age,
        )
    if tolerance and age > tolerance:
        return Verification(
            False,
            f"Timestamp outside the tolerance: the signature is {age} s old (limit {tolerance} s). "
            "A replayed or long-delayed delivery; check the clock, or re-send the event.",
            timestamp,
            age,
        )
    try:
        event = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return Verification(False, "The signature is valid but the payload is not JSON.", timestamp, age)
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not event.get("type"):
        return Verification(
            False,
            "The signature is valid but the payload is not a Stripe event (no id/type).",
            timestamp,
            age,
        )
    return Verification(True, None, timestamp, age, event)


# -- event matching ---------------------------------------------------------------------------


def type_matches(pattern: str, event_type: str) -> bool:
    """`payment_intent.*` matches every payment_intent event; `*` matches all."""
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


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


# -- the store --------------------------------------------------------------------------------


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


_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    object_id TEXT,
    created INTEGER,
    payload TEXT NOT NULL,
    first_received_at REAL NOT NULL,
    last_received_at REAL NOT NULL,
    delivery_count INTEGER NOT NULL DEFAULT 1,
    signature TEXT
);
CREATE INDEX IF NOT EXISTS events_type ON events (type);
CREATE INDEX IF NOT EXISTS events_object ON events (object_id);
"""
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
        import sqlite3  # only a server that receives webhooks opens the store: not a start-up import

        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(events)")}
            if "signature" not in columns:  # a store written before signatures were kept
                self._db.execute("ALTER TABLE events ADD COLUMN signature TEXT")
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
        received_at = clock.now() if received_at is None else received_at
        obj = object_of(event)
        object_id = obj.get("id") if isinstance(obj.get("id"), str) else None
        created = event.get("created") if isinstance(event.get("created"), int) else None
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                updated = self._db.execute(
                    "UPDATE events SET delivery_count = delivery_count + 1, last_received_at = ? WHERE id = ?",
                    (received_at, event["id"]),
                ).rowcount
                if not updated:
                    self._db.execute(
                        "INSERT INTO events (id, type, object_id, created, payload, first_received_at, "
                        "last_received_at, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
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
        clauses, args = type_clause(type)
        if before_seq is not None:
            clauses.append("seq < ?")
            args.append(before_seq)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        return self._select(f"{where} ORDER BY seq DESC LIMIT ?", (*args, limit))

    def find(
        self, type: str, *, object_id: str | None = None, created_gte: int | None = None
    ) -> list[StoredEvent]:
        """Stored events matching `type` (and about `object_id`), newest first (at most 100 looked at)."""
        clauses, args = type_clause(type)
        if created_gte is not None:
            clauses.append("created >= ?")
            args.append(created_gte)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._select(f"{where} ORDER BY seq DESC LIMIT 100", tuple(args))
        if object_id is None:
            return rows
        return [row for row in rows if row.object_id == object_id or is_about(row.event(), object_id)]

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


def store_for(settings: Settings) -> WebhookStore:
    return open_store(settings.state_dir / STORE_FILE)


# -- the receiver -----------------------------------------------------------------------------


def _refuse(status: int, error: str, message: str) -> Response:
    return JSONResponse({"error": error, "message": message}, status_code=status)


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is larger than `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def webhook_routes(
    settings: Settings,
    store: WebhookStore | Webhooks | None = None,
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
    on_received: Callable[[Mapping[str, Any], bool], Awaitable[object]] | None = None,
) -> list[Route]:
    """`POST /webhooks/stripe`: verify with `settings.webhook_secrets`, store once per event id
    (in the server's state: the same store every instance on one database writes to), then call
    `on_received(event, duplicate)` (the server tells its MCP clients)."""
    from .state.embedded import ThreadedWebhooks

    secrets = settings.webhook_secrets
    found = store or store_for(settings)
    target = ThreadedWebhooks(found) if isinstance(found, WebhookStore) else found

    async def receive(request: Request) -> Response:
        try:
            body = await _read_limited(request, max_body_bytes)
        except ClientDisconnect:
            return Response(status_code=400)
        if body is None:
            logger.warning("webhook refused: body larger than %d bytes", max_body_bytes)
            return _refuse(413, "payload_too_large", f"Webhook bodies are limited to {max_body_bytes} bytes.")
        if not secrets:
            return _refuse(
                503, "not_configured", "The receiver has no signing secret: set STRIPE_WEBHOOK_SECRET."
            )
        result = verify(body, request.headers.get("stripe-signature"), secrets)
        if not result.valid or result.event is None:
            logger.warning("webhook refused: %s", result.reason)
            return _refuse(400, "invalid_signature", result.reason or "Invalid signature.")
        event = result.event
        payload = body.decode("utf-8")
        signature = request.headers.get("stripe-signature")
        duplicate = await target.record(event, payload, signature=signature)
        logger.info(
            "webhook %s %s received%s", event["id"], event["type"], " (duplicate)" if duplicate else ""
        )
        if on_received is not None:
            await on_received(event, duplicate)
        return JSONResponse({"received": True, "duplicate": duplicate})

    return [Route(WEBHOOK_PATH, receive, methods=["POST"])]


# -- test events -------------------------------------------------------------------------------

# How a fixture object looks after the event happened (fixtures are one neutral example each).
_AFTER: dict[str, dict[str, Any]] = {
    "payment_intent.created": {"status": "requires_payment_method"},
    "payment_intent.processing": {"status": "processing"},
    "payment_intent.requires_action": {"status": "requires_action"},
    "payment_intent.amount_capturable_updated": {"status": "requires_capture"},
    "payment_intent.succeeded": {"status": "succeeded", "canceled_at": None},
    "payment_intent.canceled": {"status": "canceled", "cancellation_reason": "requested_by_customer"},
    "payment_intent.payment_failed": {
        "status": "requires_payment_method",
        "canceled_at": None,
        "last_payment_error": {
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "generic_decline",
            "message": "Your card was declined.",
        },
    },
    "checkout.session.completed": {"status": "complete", "payment_status": "paid"},
    "checkout.session.async_payment_succeeded": {"status": "complete", "payment_status": "paid"},
    "checkout.session.async_payment_failed": {"status": "complete", "payment_status": "unpaid"},
    "checkout.session.expired": {"status": "expired", "payment_status": "unpaid"},
    "charge.succeeded": {"status": "succeeded", "paid": True},
    "charge.failed": {"status": "failed", "paid": False},
    "charge.refunded": {"refunded": True},
    "invoice.paid": {"status": "paid"},
    "invoice.payment_succeeded": {"status": "paid"},
    "invoice.payment_failed": {"status": "open"},
    "invoice.finalized": {"status": "open"},
    "invoice.voided": {"status": "void"},
    "customer.subscription.created": {"status": "active"},
    "customer.subscription.deleted": {"status": "canceled"},
    "customer.subscription.paused": {"status": "paused"},
    "setup_intent.succeeded": {"status": "succeeded"},
    "setup_intent.setup_failed": {"status": "requires_payment_method"},
    "setup_intent.canceled": {"status": "canceled"},
}


@functools.cache
def _fixtures() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        resources.files("stripe_power").joinpath("data/event_fixtures.json").read_text("utf-8")
    )
    return data


def event_types() -> frozenset[str]:
    """Every event type a webhook endpoint can subscribe to (from Stripe's OpenAPI description)."""
    return frozenset(_fixtures()["event_types"])


def build_test_event(
    event_type: str, api_version: str, base: Mapping[str, Any] | None = None
) -> dict[str, Any] | None:
    """A fresh event of `event_type`: a copy of `base` (a real event) with a new id and time, else
    one built from the bundled example object; None when there is neither. `api_version` (the
    Gateway's) is stamped on events built from the example, and on copies of events without one."""
    now = int(clock.now())
    envelope: dict[str, Any] = {
        "id": "evt_" + token_hex(12),
        "object": "event",
        "api_version": api_version,
        "created": now,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }
    if base is not None:
        envelope["api_version"] = base.get("api_version") or api_version
        envelope["data"] = json.loads(json.dumps(base.get("data") or {}))
        envelope["livemode"] = bool(base.get("livemode"))
        return envelope
    resource = _fixtures()["event_types"].get(event_type)
    if resource is None:
        return None
    obj = json.loads(json.dumps(_fixtures()["objects"][resource]))
    obj.update(_AFTER.get(event_type, {}))
    if obj.get("object") == "payment_intent" and obj.get("status") == "succeeded":
        obj["amount_received"] = obj.get("amount")
    envelope["data"] = {"object": obj}
    if event_type.endswith(".updated"):
        envelope["data"]["previous_attributes"] = {"metadata": {}}
    return envelope


__all__ = [
    "MAX_BODY_BYTES",
    "TOLERANCE_SECONDS",
    "WEBHOOK_PATH",
    "StoredEvent",
    "Verification",
    "WebhookStore",
    "build_test_event",
    "close_all_stores",
    "close_store",
    "event_types",
    "is_about",
    "open_store",
    "parse_signature_header",
    "sign",
    "store_for",
    "type_matches",
    "verify",
    "webhook_routes",
]
