"""Events, webhook endpoints, and signed webhook delivery to loopback URLs."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from ... import clock
from ...webhooks import sign
from .accepted import refusal
from .errors import invalid
from .ids import new_id
from .router import Ctx, Router
from .store import (
    JSON,
    Account,
    State,
    apply_metadata,
    as_bool,
    as_list,
    as_str,
    listening,
    now,
    paginate,
    skeleton,
    snapshot,
)

logger = logging.getLogger("stripe_power.sandbox")

_EVENT_NAME = re.compile(r"^(\*|[a-z_]+(\.[a-z_]+)*(\.\*)?)$")


def is_loopback_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    host = parts.hostname
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# -- events --------------------------------------------------------------------------------


def _type_matcher(ctx: Ctx) -> Any:
    p = ctx.params
    patterns: list[str] = []
    if "type" in p:
        patterns.append(as_str(p["type"], "type"))
    if "types" in p:
        if "type" in p:
            raise invalid("You may only specify one of these parameters: type, types.", param="types")
        patterns.extend(as_str(t, "types") for t in as_list(p["types"], "types"))
    if not patterns:
        return None
    exact = {t for t in patterns if not t.endswith("*")}
    prefixes = tuple(t[:-1] for t in patterns if t.endswith("*"))

    def pred(o: JSON) -> bool:
        return o["type"] in exact or (bool(prefixes) and o["type"].startswith(prefixes))

    return pred


def list_events(ctx: Ctx) -> JSON:
    return paginate(ctx.acct, "event", ctx.params, "/v1/events", _type_matcher(ctx))


def retrieve_event(ctx: Ctx) -> JSON:
    return ctx.acct.get("event", ctx.path_params["id"])


# -- webhook endpoints ---------------------------------------------------------------------


def _enabled_events(value: Any) -> list[str]:
    events = [as_str(e, "enabled_events") for e in as_list(value, "enabled_events")]
    if not events:
        raise invalid("enabled_events must contain at least one event type.", param="enabled_events")
    for e in events:
        if not _EVENT_NAME.match(e):
            raise invalid(f"Invalid event type: {e}", param="enabled_events")
    return events


_OFF_MACHINE = refusal(
    ("POST /v1/webhook_endpoints", "POST /v1/webhook_endpoints/{webhook_endpoint}"),
    "`url` on a host other than 127.0.0.1, ::1 or localhost",
    "the offline sandbox delivers webhooks only to this machine",
)


def _url(ctx: Ctx, value: Any) -> str:
    """An http(s) URL (else Stripe's "Invalid URL"); one off this machine is a sandbox limit."""
    url = as_str(value, "url")
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        valid = False
    if not valid:
        raise invalid(f"Invalid URL: {url}", param="url", code="url_invalid")
    if not is_loopback_url(url):
        raise _OFF_MACHINE.error(ctx.method, ctx.path, ("url",))
    return url


def create_endpoint(ctx: Ctx) -> JSON:
    p = ctx.params
    we: JSON = skeleton("webhook_endpoint")
    secret = "whsec_" + new_id("x", 32)[2:]
    we.update(
        id=new_id("we", 24),
        object="webhook_endpoint",
        api_version=as_str(p["api_version"], "api_version") if "api_version" in p else None,
        created=now(),
        description=as_str(p["description"], "description") if p.get("description") else None,
        enabled_events=_enabled_events(p["enabled_events"]),
        livemode=False,
        metadata=apply_metadata({}, p.get("metadata", {})),
        status="enabled",
        url=_url(ctx, p["url"]),
    )
    ctx.acct.add(we)
    ctx.acct.priv(we)["secret"] = secret
    # `connect=true`: the endpoint receives the events of connected accounts, not the platform's own,
    # and names the platform's Connect application (`application`).
    ctx.acct.priv(we)["connect"] = as_bool(p.get("connect", False), "connect")
    if ctx.acct.priv(we)["connect"]:
        we["application"] = ctx.acct.application
    return {**we, "secret": secret}


def retrieve_endpoint(ctx: Ctx) -> JSON:
    return ctx.acct.get("webhook_endpoint", ctx.path_params["webhook_endpoint"], param="webhook_endpoint")


def update_endpoint(ctx: Ctx) -> JSON:
    we = ctx.acct.get("webhook_endpoint", ctx.path_params["webhook_endpoint"], param="webhook_endpoint")
    p = ctx.params
    if "url" in p:
        we["url"] = _url(ctx, p["url"])
    if "enabled_events" in p:
        we["enabled_events"] = _enabled_events(p["enabled_events"])
    if "description" in p:
        we["description"] = as_str(p["description"], "description") or None
    if "disabled" in p:
        we["status"] = "disabled" if as_bool(p["disabled"], "disabled") else "enabled"
    if "metadata" in p:
        we["metadata"] = apply_metadata(we["metadata"], p["metadata"])
    return we


def delete_endpoint(ctx: Ctx) -> JSON:
    we = ctx.acct.get("webhook_endpoint", ctx.path_params["webhook_endpoint"], param="webhook_endpoint")
    stub: JSON = {"id": we["id"], "object": "webhook_endpoint", "deleted": True}
    ctx.acct.objects[we["id"]] = stub
    return stub


def list_endpoints(ctx: Ctx) -> JSON:
    return paginate(ctx.acct, "webhook_endpoint", ctx.params, "/v1/webhook_endpoints")


def register(router: Router) -> None:
    router.add("GET", "/v1/events", list_events)
    router.add("GET", "/v1/events/{id}", retrieve_event)
    router.add(
        "POST",
        "/v1/webhook_endpoints",
        create_endpoint,
        consumes=("api_version", "connect", "description", "enabled_events", "metadata", "url"),
    )
    router.add("GET", "/v1/webhook_endpoints", list_endpoints)
    router.add("GET", "/v1/webhook_endpoints/{webhook_endpoint}", retrieve_endpoint)
    router.add(
        "POST",
        "/v1/webhook_endpoints/{webhook_endpoint}",
        update_endpoint,
        consumes=("description", "disabled", "enabled_events", "metadata", "url"),
    )
    router.add("DELETE", "/v1/webhook_endpoints/{webhook_endpoint}", delete_endpoint)


# -- delivery ------------------------------------------------------------------------------


@dataclass
class Attempt:
    """One POST of an event to an endpoint: when, the HTTP status (None: no answer), the error."""

    time: float
    status: int | None
    error: str | None


@dataclass
class Delivery:
    """One webhook delivery attempt chain, kept for introspection."""

    event_id: str
    event_type: str
    url: str
    attempts: int = 0
    status: int | None = None
    delivered: bool = False
    errors: list[str] = field(default_factory=list)
    log: list[Attempt] = field(default_factory=list)


class WebhookDispatcher:
    """Delivers events to registered endpoints in background tasks, retrying with backoff.

    The API never waits for a delivery: ``schedule`` only starts a task, after the response is
    decided. Each attempt is bounded (``connect_s`` to connect, ``timeout_s`` in all), a delivery
    makes at most ``max_attempts``, and at most ``max_concurrent`` deliveries are in flight, so a
    dead or hanging endpoint costs a bounded number of sockets and never the API's time."""

    def __init__(
        self,
        state: State,
        max_attempts: int = 4,
        backoff_s: float = 0.05,
        timeout_s: float = 5.0,
        connect_s: float = 2.0,
        max_concurrent: int = 16,
    ) -> None:
        self.state = state
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s
        self.connect_s = connect_s
        self._slots = asyncio.Semaphore(max_concurrent)
        self.deliveries: list[Delivery] = []
        self.by_event: dict[str, list[Delivery]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None

    def schedule(self, acct: Account, event: JSON) -> None:
        with self.state.lock:
            targets = [(we["url"], acct.priv(we).get("secret", "")) for we in listening(acct, event)]
            payload = json.dumps(event, indent=2)
        for url, secret in targets:
            delivery = Delivery(event["id"], event["type"], url)
            self.deliveries.append(delivery)
            self.by_event.setdefault(delivery.event_id, []).append(delivery)
            task = asyncio.get_running_loop().create_task(
                self._deliver(acct, event, delivery, secret, payload)
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(
        self, acct: Account, event: JSON, delivery: Delivery, secret: str, payload: str
    ) -> None:
        if self._client is None:
            timeout = httpx.Timeout(self.timeout_s, connect=min(self.connect_s, self.timeout_s))
            self._client = httpx.AsyncClient(timeout=timeout, trust_env=False)
        for attempt in range(self.max_attempts):
            delivery.attempts = attempt + 1
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Stripe-Signature": sign(payload, secret),
            }
            sent = clock.now()
            try:
                async with self._slots:
                    resp = await asyncio.wait_for(
                        self._client.post(delivery.url, content=payload.encode(), headers=headers),
                        self.timeout_s,
                    )
                delivery.status = resp.status_code
                if 200 <= resp.status_code < 300:
                    delivery.delivered = True
                    delivery.log.append(Attempt(sent, resp.status_code, None))
                    with self.state.lock:
                        event["pending_webhooks"] = max(0, int(event["pending_webhooks"]) - 1)
                    return
                delivery.errors.append(f"HTTP {resp.status_code}")
                delivery.log.append(Attempt(sent, resp.status_code, None))
            except (httpx.HTTPError, TimeoutError) as exc:
                delivery.errors.append(f"{type(exc).__name__}: {exc}")
                delivery.log.append(Attempt(sent, None, f"{type(exc).__name__}: {exc}"))
            if attempt + 1 < self.max_attempts:
                await asyncio.sleep(self.backoff_s * (2**attempt))
        logger.warning(
            "sandbox: webhook %s to %s failed after %d attempts", event["id"], delivery.url, self.max_attempts
        )

    async def wait_idle(self, limit_s: float = 5.0) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=limit_s)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None


__all__ = ["WebhookDispatcher", "snapshot"]
