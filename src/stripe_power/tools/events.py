"""Toolset `events`: list and wait for events, verify webhook signatures, send test webhooks."""

from __future__ import annotations

import difflib
import json
import time
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import anyio
from pydantic import Field

from .. import clock
from ..audit import redact_text
from ..errors import InputError
from ..hints import call
from ..webhooks import (
    WEBHOOK_PATH,
    build_test_event,
    event_types,
    is_about,
    object_of,
    sign,
    verify,
)
from ._models import Summary
from ._params import Ctx, Cursor, Limit, Url, form, gateway, ident, settings, webhooks
from ._registry import Toolset
from ._shapes import Created

toolset = Toolset("events", "Events and webhooks: list and wait for events, verify and send test webhooks")

EventId = Annotated[str, ident("evt"), Field(description="Event id (evt_...)")]
EventType = Annotated[str, Field(pattern=r"^[a-z_]+(\.[a-z_]+)+$")]
TypePattern = Annotated[
    str, Field(pattern=r"^(\*|[a-z_]+(\.[a-z_]+)*(\.\*)?)$", description="payment_intent.*")
]
ObjectId = Annotated[str, Field(pattern=r"^[a-z]+_\w+$", description="Related object id")]
Since = Annotated[int, Field(ge=0, description="Unix s")]
# No pattern or bound: a validation message would quote the value.
Secret = Annotated[str, Field(description="whsec_...; default: configured")]

OBJECT_SCAN_PAGES = 5  # object_id filters client-side over at most this many pages of 100
MAX_CHANGES = 5
MAX_TIMEOUT = 300
# Without object_id or created_gte, only events from this long before the call count: an older
# one is not what the caller is waiting for.
RECENT_SECONDS = 300
RESPONSE_CHARS = 500


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return text if len(text) <= 40 else text[:39] + "…"


def changes(event: Mapping[str, Any]) -> dict[str, str] | None:
    """`previous_attributes` as "old → new", one level deep, at most MAX_CHANGES keys."""
    data = event.get("data")
    previous = data.get("previous_attributes") if isinstance(data, Mapping) else None
    if not isinstance(previous, Mapping) or not previous:
        return None
    obj = object_of(event)
    pairs: list[tuple[str, Any, Any]] = []
    for key, old in previous.items():
        new = obj.get(key)
        if isinstance(old, Mapping) and isinstance(new, Mapping) and old:
            pairs.extend((f"{key}.{k}", v, new.get(k)) for k, v in old.items())
        else:
            pairs.append((key, old, new))
    shown = {key: f"{_short(old)} → {_short(new)}" for key, old, new in pairs[:MAX_CHANGES]}
    if len(pairs) > MAX_CHANGES:
        shown["…"] = f"{len(pairs) - MAX_CHANGES} more"
    return shown


class EventSummary(Summary):
    id: str
    type: str
    created: int | None = None
    object: str | None = None
    object_id: str | None = None
    status: str | None = None
    changes: dict[str, str] | None = None
    pending_webhooks: int | None = None

    @classmethod
    def of(cls, event: Mapping[str, Any], *, detail: bool = False) -> EventSummary:
        obj = object_of(event)
        status = obj.get("status")
        return cls(
            id=event["id"],
            type=event["type"],
            created=event.get("created"),
            object=obj.get("object"),
            object_id=obj.get("id"),
            status=status if isinstance(status, str) else None,
            changes=changes(event),
            pending_webhooks=event.get("pending_webhooks") if detail else None,
        )


class EventPage(Summary):
    data: list[EventSummary]
    has_more: bool
    next_starting_after: str | None = None
    note: str | None = None


@toolset.tool("List events", kind="read")
async def list_events(
    ctx: Ctx,
    types: Annotated[
        list[TypePattern] | None, Field(min_length=1, max_length=20, description="Wildcard only if alone")
    ] = None,
    created: Created | None = None,
    object_id: ObjectId | None = None,
    limit: Limit = 10,
    starting_after: Cursor | None = None,
) -> EventPage:
    """List events of the last 30 days, newest first (object_id scans up to 500)."""
    if types and len(types) > 1 and any("*" in t for t in types):
        raise InputError(
            "types", "a wildcard works only as the only type.", "Pass one pattern, or exact types."
        )
    one = types[0] if types and len(types) == 1 else None
    several = types if types and len(types) > 1 else None
    params = form(
        type=None if one == "*" else one, types=several, created=created.wire() or None if created else None
    )
    if object_id is None:
        body = await gateway(ctx).request(
            "GET", "/v1/events", {**params, **form(limit=limit, starting_after=starting_after)}
        )
        events = body.get("data", [])
        has_more = bool(body.get("has_more"))
        return EventPage(
            data=[EventSummary.of(e) for e in events],
            has_more=has_more,
            next_starting_after=events[-1]["id"] if has_more and events else None,
        )
    found, cursor, scanned, more = await _events_about(ctx, params, object_id, limit, starting_after)
    note = f"object_id is filtered by this server, not Stripe: {scanned} events scanned"
    note += f"; pass starting_after={cursor} to scan older ones." if more else "."
    return EventPage(
        data=[EventSummary.of(e) for e in found],
        has_more=more,
        next_starting_after=cursor if more else None,
        note=note,
    )


async def _events_about(
    ctx: Ctx, params: dict[str, Any], object_id: str, limit: int, starting_after: str | None = None
) -> tuple[list[Mapping[str, Any]], str | None, int, bool]:
    """Events about `object_id`, newest first, filtered here over at most OBJECT_SCAN_PAGES pages:
    (found, last id scanned, how many scanned, whether older ones remain)."""
    found: list[Mapping[str, Any]] = []
    cursor, scanned, more = starting_after, 0, False
    for _ in range(OBJECT_SCAN_PAGES):
        query = {**params, **form(limit=100, starting_after=cursor)}
        body = await gateway(ctx).request("GET", "/v1/events", query)
        page = body.get("data", [])
        more = bool(page) and bool(body.get("has_more"))
        for index, event in enumerate(page):
            scanned, cursor = scanned + 1, event["id"]
            if is_about(event, object_id):
                found.append(event)
                if len(found) == limit:
                    more = more or index < len(page) - 1
                    break
        if len(found) == limit or not more:
            break
    return found, cursor, scanned, more


@toolset.tool("Retrieve an event", kind="read")
async def retrieve_event(ctx: Ctx, id: EventId) -> EventSummary:
    """Get one event, with what changed."""
    return EventSummary.of(await gateway(ctx).request("GET", f"/v1/events/{id}"), detail=True)


class WaitResult(Summary):
    found: bool
    event: EventSummary | None = None
    source: Literal["events_api", "webhook"] | None = None
    waited_seconds: float
    seen: list[str] | None = None
    message: str | None = None
    next_step: str | None = None


@toolset.tool("Wait for an event", kind="read")
async def wait_for_event(
    ctx: Ctx,
    type: TypePattern,
    object_id: ObjectId | None = None,
    timeout_seconds: Annotated[int, Field(ge=1, le=MAX_TIMEOUT)] = 30,
    created_gte: Annotated[
        Since | None, Field(description="Ignore older; default 5 min ago without object_id")
    ] = None,
) -> WaitResult:
    """Wait for a matching event (newest wins; one about object_id that exists counts), with progress."""
    config = settings(ctx)
    store = webhooks(ctx) if config.receives_webhooks else None
    about = f" about {object_id}" if object_id else ""
    started, started_wall = time.monotonic(), int(clock.now())
    since = created_gte or started_wall - 2  # what "seen meanwhile" covers on a timeout
    if created_gte is None and object_id is None:
        created_gte = started_wall - RECENT_SECONDS
    params = form(type=None if type == "*" else type, limit=100, created=form(gte=created_gte) or None)
    interval, checks = 0.5, 0
    while True:
        checks += 1
        version = store.signal.version if store else 0
        if store is not None:
            stored = await store.find(type, object_id=object_id, created_gte=created_gte)
            if stored:
                return _found(stored[0].event(), "webhook", started)
        body = await gateway(ctx).request("GET", "/v1/events", params)
        matches = [
            e
            for e in body.get("data", [])
            if (object_id is None or is_about(e, object_id))
            and (created_gte is None or int(e.get("created") or 0) >= created_gte)
        ]
        if matches:
            return _found(matches[0], "events_api", started)
        elapsed = time.monotonic() - started
        remaining = timeout_seconds - elapsed
        await ctx.report_progress(
            round(elapsed, 1), timeout_seconds, f"Waiting for {type}{about}: {checks} checks, not yet"
        )
        if remaining <= 0:
            break
        delay = min(interval, remaining)
        if store is not None:
            await store.signal.wait(version, delay)
        else:
            await anyio.sleep(delay)
        interval = min(interval * 1.5, 2.0)
    recent = await gateway(ctx).request("GET", "/v1/events", {"limit": 100, "created": {"gte": since}})
    seen = list(
        dict.fromkeys(
            e["type"] for e in reversed(recent.get("data", [])) if object_id is None or is_about(e, object_id)
        )
    )
    sources = "the events API" + (" and the webhook store" if store else "")
    message = f"No {type} event{about} within {timeout_seconds} s ({checks} checks of {sources}). "
    message += (
        f"Seen meanwhile{about}: {', '.join(seen)}."
        if seen
        else f"No other events{about} appeared meanwhile."
    )
    return WaitResult(
        found=False,
        waited_seconds=round(time.monotonic() - started, 1),
        seen=seen or None,
        message=message,
        next_step="Retrieve the object to see its status (a payment may still need the customer, e.g. "
        f"requires_action), then {call('wait_for_event', type=type, object_id=object_id)} again to keep waiting.",
    )


def _found(event: Mapping[str, Any], source: Literal["events_api", "webhook"], started: float) -> WaitResult:
    return WaitResult(
        found=True,
        event=EventSummary.of(event),
        source=source,
        waited_seconds=round(time.monotonic() - started, 1),
    )


class VerifyResult(Summary):
    valid: bool
    event_id: str | None = None
    event_type: str | None = None
    age_seconds: int | None = None
    reason: str | None = None


def _secrets(ctx: Ctx, secret: str | None) -> tuple[str, ...]:
    if secret:
        return (secret,)
    configured = settings(ctx).webhook_secrets
    if not configured:
        raise InputError(
            "secret",
            "none given and STRIPE_WEBHOOK_SECRET is not set.",
            "Pass the endpoint's signing secret (whsec_...).",
        )
    return configured


@toolset.tool("Verify a webhook signature", kind="read")
async def verify_webhook_signature(
    ctx: Ctx,
    event: Annotated[
        EventId | None, Field(description="A webhook received here; or payload+signature")
    ] = None,
    # `str` with "" for absent, not `str | None`: mcp would parse a JSON body given to an optional.
    payload: Annotated[str, Field(max_length=1_048_576, description="Raw body, exact")] = "",
    signature: Annotated[str, Field(max_length=4096, description="Stripe-Signature header")] = "",
    secret: Secret | None = None,
) -> VerifyResult:
    """Check a webhook's Stripe-Signature; says why it fails."""
    secrets = _secrets(ctx, secret)
    if event is not None:
        if payload or signature:
            raise InputError(
                "event", "cannot be combined with payload or signature.", "Pass one or the other."
            )
        stored = await webhooks(ctx).get(event)
        if stored is None:
            raise InputError(
                "event",
                f"{event} was not received at this server's {WEBHOOK_PATH} (deliveries that fail "
                "verification are refused there, not kept).",
                f"Pass the delivery's payload and signature instead, or pick one from {call('list_received_webhooks')}.",
            )
        payload, signature = stored.payload, stored.signature or ""
        # Re-checked now, as delivered; how old it is is reported, not held against it.
        result = verify(payload, signature, secrets, tolerance=0)
    elif not payload or not signature:
        raise InputError(
            "signature" if payload else "payload",
            "is required without `event`.",
            "Pass event=evt_... for a webhook received here, or both payload and signature.",
        )
    else:
        result = verify(payload, signature, secrets)
    return VerifyResult(
        valid=result.valid,
        event_id=result.event_id,
        event_type=result.event_type,
        age_seconds=result.age_seconds,
        reason=result.reason,
    )


class DeliveryResult(Summary):
    event_id: str
    type: str
    built_from: str
    status: int
    elapsed_ms: float
    response: str | None = None
    location: str | None = None
    next_step: str | None = None


def _next_step(status: int) -> str | None:
    if 200 <= status < 300:
        return None
    if 300 <= status < 400:
        return "The handler redirected; Stripe does not follow redirects: register the final URL."
    if status in (400, 401, 403):
        return (
            "The handler refused the delivery: check it verifies the raw body with this same signing "
            "secret, and that it answers 2xx for event types it ignores."
        )
    if status == 404:
        return "Nothing handles this path: check the handler's route and the URL."
    return "The handler failed (Stripe would retry for up to 3 days): check its logs."


def _known_type(type: str | None) -> str:
    if type is None:
        raise InputError("type", "is required without `event`.", "Pass an event type, or event=evt_....")
    known = event_types()
    if type not in known:
        close = difflib.get_close_matches(type, known, n=1)
        hint = f"Did you mean {close[0]}?" if close else "Use a Stripe event type name."
        raise InputError("type", f"{type!r} is not a Stripe event type.", hint)
    return type


@toolset.tool("Send a signed test webhook", kind="write")
async def send_test_webhook(
    ctx: Ctx,
    url: Annotated[Url, Field(description="Your handler (loopback)")],
    type: Annotated[EventType | None, Field(description="e.g. checkout.session.completed")] = None,
    object_id: Annotated[ObjectId | None, Field(description="With type: its newest event about this")] = None,
    event: Annotated[EventId | None, Field(description="Resend this event as is; instead of type")] = None,
    secret: Secret | None = None,
) -> DeliveryResult:
    """POST a realistic event, signed as Stripe does, to your webhook handler."""
    from ..webhook_targets import check_target, post

    target = await check_target(url, settings(ctx))
    secrets = _secrets(ctx, secret)
    if event is not None:
        if type is not None or object_id is not None:
            raise InputError("event", "cannot be combined with type or object_id.", "The event has both.")
        to_send: dict[str, Any] | None = dict(await gateway(ctx).request("GET", f"/v1/events/{event}"))
        built_from = f"{event}, resent as is (same id, as Stripe resends)"
    else:
        type = _known_type(type)
        if object_id is not None:
            about, _, scanned, _ = await _events_about(ctx, {"type": type}, object_id, 1)
            if not about:
                raise InputError(
                    "object_id",
                    f"no {type} event about {object_id} among the newest {scanned} {type} events.",
                    f"Pick one by id (event=evt_..., see {call('list_events', types=[type])}), or omit object_id.",
                )
            newest = about
        else:
            query = {"type": type, "limit": 1}
            newest = (await gateway(ctx).request("GET", "/v1/events", query)).get("data", [])
        to_send = build_test_event(type, gateway(ctx).api_version, newest[0] if newest else None)
        built_from = f"newest {type} in the account ({newest[0]['id']})" if newest else "bundled example"
    if to_send is None:
        raise InputError(
            "type",
            f"no {type} event exists in the account and no example object ships for it.",
            "Trigger one in the account first (its newest event is then used as the template).",
        )
    payload = json.dumps(to_send, indent=2)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        "Stripe-Signature": sign(payload, secrets),
    }
    started = time.perf_counter()
    response = await post(target, payload.encode(), headers)
    return DeliveryResult(
        event_id=to_send["id"],
        type=to_send["type"],
        built_from=built_from,
        status=response.status_code,
        elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
        response=redact_text(response.text[:RESPONSE_CHARS]) or None,
        location=response.headers.get("location"),
        next_step=_next_step(response.status_code),
    )


class ReceivedWebhook(Summary):
    id: str
    type: str
    object_id: str | None = None
    received_at: int
    delivery_count: int


class ReceivedPage(Summary):
    data: list[ReceivedWebhook]
    has_more: bool
    next_starting_after: str | None = None


@toolset.tool("List received webhooks", kind="read", requires="receives_webhooks")
async def list_received_webhooks(
    ctx: Ctx,
    limit: Limit = 20,
    starting_after: EventId | None = None,
) -> ReceivedPage:
    """Verified events received at /webhooks/stripe, newest first."""
    store = webhooks(ctx)
    before = None
    if starting_after is not None:
        anchor = await store.get(starting_after)
        if anchor is None:
            raise InputError("starting_after", f"{starting_after} was not received here.", "Omit it.")
        before = anchor.seq
    rows = await store.recent(limit=limit + 1, before_seq=before)
    has_more = len(rows) > limit
    rows = rows[:limit]
    return ReceivedPage(
        data=[
            ReceivedWebhook(
                id=row.id,
                type=row.type,
                object_id=row.object_id,
                received_at=int(row.first_received_at),
                delivery_count=row.delivery_count,
            )
            for row in rows
        ],
        has_more=has_more,
        next_starting_after=rows[-1].id if has_more else None,
    )
