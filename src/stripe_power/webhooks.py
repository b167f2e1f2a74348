"""Webhooks: Stripe-Signature checks, the HTTP receiver, and test events.

- `verify(payload, header, secrets)` checks a `Stripe-Signature` header as Stripe's SDKs do
  (HMAC-SHA256 of `f"{t}.{payload}"`, every `v1=` value, constant-time compare, 300 s
  tolerance) and says precisely why a delivery is refused. `sign(...)` builds the header.
- `webhook_routes(settings, store)` is the Starlette route `POST /webhooks/stripe`: it verifies
  each delivery and hands it to the state's webhook store (state/webhook_store.py), which owns
  the rows.
- `build_test_event(...)` makes the events `send_test_webhook` signs and posts.

No secret ever appears in a result, a response, a log line or an error message.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from secrets import token_hex
from typing import TYPE_CHECKING, Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import clock
from .config import Settings
from .state.webhook_store import ThreadedWebhooks, WebhookStore, store_for

if TYPE_CHECKING:
    from .state import Webhooks

logger = logging.getLogger("stripe_power.webhooks")

TOLERANCE_SECONDS = 300
MAX_BODY_BYTES = 1024 * 1024
WEBHOOK_PATH = "/webhooks/stripe"


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
    secrets = settings.webhook_secrets
    found = store or store_for(settings.state_dir)
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
    "Verification",
    "build_test_event",
    "event_types",
    "parse_signature_header",
    "sign",
    "type_matches",
    "verify",
    "webhook_routes",
]
