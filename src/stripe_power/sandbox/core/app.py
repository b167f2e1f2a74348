"""The sandbox ASGI app: auth, Request-Id, routing, param checks, idempotency, errors, faults."""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import json
import logging
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route as StarletteRoute

from ... import spec
from ..billing import (
    catalog,
    credit_grants,
    credit_notes,
    customer_balance,
    discounts,
    invoice_adjustments,
    invoice_items,
    invoice_preview,
    invoices,
    subscription_items,
    subscription_schedules,
    subscriptions,
)
from ..checkout import checkout, payment_links
from ..connect import (
    account_links,
    application_fees,
    connect_accounts,
    connect_scope,
    external_accounts,
    payouts,
    transfers,
)
from ..dashboard import AuditTail
from ..pages import portal
from ..payments import (
    accounts,
    authorizations,
    balance_transactions,
    charges,
    customer_legacy,
    customer_sessions,
    customers,
    disputes,
    payment_intents,
    payment_method_tokens,
    payment_methods,
    refunds,
    setup_intents,
)
from . import accepted, clocks, constraints, events, generic
from .errors import StripeError, invalid
from .faults import DROP_KEY, DropConnectionMiddleware, FaultConfig, FaultInjector
from .forms import FormError, Params, parse_body, parse_query
from .ids import new_id
from .router import Ctx, Router
from .store import Account, IdempotentResult, RecordedRequest, State, at_time, expand_paths
from .validation import check_expand, check_params, check_urls, check_version

logger = logging.getLogger("stripe_power.sandbox")

DEFAULT_API_VERSION = "2026-10-28.endive"
RECORDED_HEADERS = (
    "idempotency-key", "stripe-account", "stripe-version", "user-agent", "content-type",
    # Sent by stripe-power's Gateway: the MCP tool call that made the request (see the dashboard).
    "x-stripe-power-call", "x-stripe-power-tool", "x-stripe-power-person",
)  # fmt: skip


def _json(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def build_router() -> Router:
    """Hand-written routes, then every other operation of the spec through the generic layer."""
    router = Router(fallback=generic.handler, fallback_consumes=generic.consumes)
    for module in (
        customers,
        catalog,
        checkout,
        payment_methods,
        payment_intents,
        charges,
        balance_transactions,
        disputes,
        refunds,
        setup_intents,
        subscriptions,
        invoices,
        invoice_items,
        invoice_preview,
        invoice_adjustments,
        payment_links,
        events,
        accounts,
        connect_accounts,
        external_accounts,
        account_links,
        transfers,
        application_fees,
        payouts,
        authorizations,
        customer_sessions,
        payment_method_tokens,
        discounts,
        credit_notes,
        credit_grants,
        customer_balance,
        subscription_items,
        portal,
        subscription_schedules,
        clocks,
        customer_legacy,  # after the subscription routes it serves through
    ):
        module.register(router)
    return router


@functools.cache
def _routes() -> Router:
    return build_router()


def serves(method: str, path: str) -> bool:
    """Whether the sandbox emulates this operation (a concrete path or a spec template): by hand,
    or generically from the spec; not where it answers a `sandbox_limit` error."""
    router = _routes()
    matched = router.match(method.upper(), path)
    if matched is None:
        return False
    route = matched[0]
    if f"{route.method} {route.template}" in router.hand_written():
        return True
    op = spec.operation(route.method, route.template)
    return op is not None and generic.classify(op).name != "limit"


class Sandbox:
    """State, routes, faults and webhook delivery for one sandbox app."""

    def __init__(self, faults: FaultConfig | None = None) -> None:
        self.state = State()
        self.faults = FaultInjector(faults)
        self.router = build_router()
        self.webhooks = events.WebhookDispatcher(self.state)
        # api key -> the audit log of an MCP server using that key (the dashboard's agent timeline)
        self.audit_logs: dict[str, AuditTail] = {}

    # -- introspection used by SandboxServer ---------------------------------------------
    def request_log(self, api_key: str) -> list[RecordedRequest]:
        with self.state.lock:
            acct = self.state.accounts.get(api_key)
            return list(acct.requests) if acct else []

    def objects(
        self, api_key: str, object_type: str, stripe_account: str | None = None
    ) -> list[dict[str, Any]]:
        with self.state.lock:
            acct = self.state.accounts.get(api_key)
            if acct is not None and stripe_account is not None:
                acct = acct.connected.get(stripe_account)
            if acct is None:
                return []
            return [json.loads(json.dumps(o)) for o in acct.of_type(object_type)]

    # -- request handling ----------------------------------------------------------------
    def authenticate(self, authorization: str | None) -> str:
        key = _extract_key(authorization)
        if not key:
            raise StripeError(
                401,
                "You did not provide an API key. You need to provide your API key in the Authorization "
                "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
                "https://stripe.com/docs/api#authentication for details, or we can help at "
                "https://support.stripe.com/.",
            )
        if key.startswith(("sk_live_", "rk_live_")):
            raise StripeError(
                401,
                "This sandbox accepts test keys only (sk_test_... or rk_test_...); live keys are refused.",
                code="api_key_invalid",
            )
        if not key.startswith(("sk_test_", "rk_test_")) or len(key) < 9:
            raise StripeError(
                401,
                f"Invalid API Key provided: {_redact(key)}",
                code="api_key_invalid",
            )
        return key

    def process(
        self,
        acct: Account,
        method: str,
        path: str,
        params: dict[str, Any],
        raw_params: str,
        headers: dict[str, str],
        request_id: str,
        base_url: str,
    ) -> tuple[int, bytes, dict[str, str]]:
        """Run one API request against ``acct`` (caller holds the state lock), or with a
        ``Stripe-Account`` header against that connected account of ``acct``."""
        extra: dict[str, str] = {}
        try:
            acct = connect_scope.scope(acct, headers.get("stripe-account"), _redact(acct.api_key))
        except StripeError as denied:
            return denied.status, _json(denied.body(request_id)), extra
        idem_key = headers.get("idempotency-key") if method == "POST" else None
        fingerprint = ""
        if idem_key:
            fingerprint = _fingerprint(method, path, params)
            prev = acct.idempotency.get(idem_key)
            if prev is not None:
                if prev.fingerprint != fingerprint:
                    err = StripeError(
                        400,
                        "Keys for idempotent requests can only be used with the same parameters they were "
                        f"first used with. Try using a key other than '{idem_key}' if you meant to execute "
                        "a different request.",
                        type="idempotency_error",
                    )
                    return 400, _json(err.body(request_id)), extra
                return (
                    prev.status,
                    prev.body,
                    {"Idempotent-Replayed": "true", "Original-Request": prev.request_id},
                )
        acct.current_request = (request_id, idem_key)
        acct.api_version = headers.get("stripe-version") or DEFAULT_API_VERSION
        saved = True
        try:
            if "stripe-version" in headers:
                check_version(headers["stripe-version"], max(DEFAULT_API_VERSION, spec.version()))
            status, body = 200, self._dispatch(acct, method, path, params, request_id, base_url)
        except StripeError as err:
            status, body = err.status, err.body(request_id)
            extra.update(err.headers)
            # Stripe saves no result for a request that failed validation (a 400 before anything
            # ran): the corrected retry with the same key is a new request.
            saved = not err.validation
        finally:
            # Events after this request (hosted pages, clocks) are not caused by it.
            acct.current_request = ("", None)
        payload = _json(body)
        if idem_key and status < 500 and saved:
            acct.idempotency[idem_key] = IdempotentResult(fingerprint, status, payload, request_id)
        return status, payload, extra

    def _dispatch(
        self, acct: Account, method: str, path: str, params: dict[str, Any], request_id: str, base_url: str
    ) -> dict[str, Any]:
        # Stripe validates the request against the operation before anything else: every operation
        # in the spec gets the same checks, whichever module (or generic fallback) serves it.
        op = spec.resolve(method, path)
        matched = self.router.match(method, path)
        if matched is None:
            raise unrecognized(method, path)
        route, path_params = matched
        ctx = Ctx(self, acct, Params(params), path_params, base_url, request_id, method, path)
        first_event = len(acct.order.get("event", ()))
        # A customer on a test clock, and all it owns, lives at the clock's frozen time.
        with at_time(clocks.time_for(acct, params, path_params)):
            if op is not None:
                try:
                    check_params(op, params)
                    check_urls(op, params)
                    check_expand(op, expand_paths(params))
                    # Rules Stripe states only in descriptions (at the request's time): Stripe's own
                    # refusal comes before the sandbox's limits.
                    constraints.check(op.key, params, acct)
                    if method == "POST":
                        # Accepted means applied: refuse, before anything happens, what would be dropped.
                        ctx.rest = accepted.split(op, route.consumes, params)
                except StripeError as err:
                    err.validation = True
                    raise
            result = route.handler(ctx)
            if op is not None:
                accepted.store(acct, op, result, ctx.rest, first_event)
        return ctx.render(result)


def _fingerprint(method: str, path: str, params: dict[str, Any]) -> str:
    """The request's parameters in one canonical form: the same request encoded another way
    (metadata keys in another order) is the same request to an idempotency key."""
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def unrecognized(method: str, path: str) -> StripeError:
    return StripeError(
        404,
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we can "
        "help at https://support.stripe.com/.",
    )


def _extract_key(authorization: str | None) -> str:
    if not authorization:
        return ""
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip()).decode()
        except (ValueError, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[0]
    return ""


def _redact(key: str) -> str:
    if len(key) <= 12:
        return "*" * len(key)
    return key[:8] + "*" * (len(key) - 12) + key[-4:]


def _response(status: int, body: bytes, request_id: str, extra: dict[str, str] | None = None) -> Response:
    headers = {"Request-Id": request_id, "Stripe-Version": DEFAULT_API_VERSION}
    if extra:
        headers.update(extra)
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def create_app(faults: FaultConfig | None = None, sandbox: Sandbox | None = None) -> Starlette:
    """The sandbox as a Starlette app; ``app.state.sandbox`` is its :class:`Sandbox`."""
    from .. import dashboard
    from ..pages import assets, page

    sb = sandbox or Sandbox(faults)

    async def api(request: Request) -> Response:
        request_id = new_id("req", 14)
        method = request.method
        path = request.url.path
        try:
            key = sb.authenticate(request.headers.get("authorization"))
        except StripeError as err:
            return _response(err.status, _json(err.body()), request_id)
        body = await request.body() if method == "POST" else b""
        raw = request.url.query
        try:
            params = parse_query(raw) if raw else {}
            if body:
                params.update(parse_body(body))
                raw = f"{raw}&{body.decode('utf-8', 'replace')}" if raw else body.decode("utf-8", "replace")
        except FormError as exc:
            bad = invalid(exc.message, param=exc.key)
            return _response(400, _json(bad.body(request_id)), request_id)
        headers = {h: v for h in RECORDED_HEADERS if (v := request.headers.get(h)) is not None}
        record = RecordedRequest(request_id, method, path, params, headers)
        with sb.state.lock:
            acct = sb.state.account(key)
            acct.requests.append(record)
        fault = sb.faults.decide() if path.startswith("/v1/") else None
        if sb.faults.config.latency_ms:
            await asyncio.sleep(sb.faults.config.latency_ms / 1000)
        if fault == "drop_before_commit":
            record.fault = fault
            request.scope[DROP_KEY]["drop"] = True
            return Response(b"")
        if fault == "error_500":
            record.fault, record.status = fault, 500
            e500 = StripeError(500, "An unknown error occurred", type="api_error")
            return _response(500, _json(e500.body(request_id)), request_id)
        if fault == "error_429":
            record.fault, record.status = fault, 429
            e429 = StripeError(
                429,
                "Too many requests hit the API too quickly. We recommend an exponential backoff of your "
                "requests.",
                code="rate_limit",
            )
            return _response(429, _json(e429.body(request_id)), request_id)
        base_url = str(request.base_url).rstrip("/")
        try:
            with sb.state.lock:
                status, payload, extra = sb.process(
                    acct, method, path, params, raw, headers, request_id, base_url
                )
                pending, acct.pending_events = acct.pending_events, []
        except Exception:
            logger.exception("sandbox: unexpected error on %s %s", method, path)
            crash = StripeError(500, "An unknown error occurred", type="api_error")
            status, payload, extra, pending = 500, _json(crash.body(request_id)), {}, []
        record.finish(status, payload, extra.get("Idempotent-Replayed") == "true")
        for event in pending:
            sb.webhooks.schedule(acct, event)
        if fault == "drop_after_commit":
            record.fault = fault
            request.scope[DROP_KEY]["drop"] = True
        return _response(status, payload, request_id, extra)

    async def introspect(request: Request) -> Response:
        request_id = new_id("req", 14)
        try:
            key = sb.authenticate(request.headers.get("authorization"))
        except StripeError as err:
            return _response(err.status, _json(err.body()), request_id)
        with sb.state.lock:
            acct = sb.state.account(key)
            if request.method == "DELETE":
                acct.requests.clear()
                body: Any = {"deleted": True}
            else:
                body = {"object": "list", "data": [r.as_dict() for r in acct.requests]}
        return _response(200, _json(body), request_id)

    async def not_found(request: Request) -> Response:
        request_id = new_id("req", 14)
        err = unrecognized(request.method, request.url.path)
        return _response(404, _json(err.body()), request_id)

    routes = [
        StarletteRoute("/v1/{rest:path}", api, methods=["GET", "POST", "DELETE", "PUT", "PATCH"]),
        StarletteRoute("/_sandbox/requests", introspect, methods=["GET", "DELETE"]),
        *assets.routes(),
        *page.routes(sb),
        *portal.routes(sb),
        *account_links.routes(sb),
        *dashboard.routes(sb),
        StarletteRoute("/{rest:path}", not_found, methods=["GET", "POST", "DELETE", "PUT", "PATCH"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(DropConnectionMiddleware), Middleware(assets.ContentSecurityPolicy)],
    )
    app.state.sandbox = sb
    return app
