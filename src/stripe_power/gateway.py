"""The Gateway: the only door to Stripe, and the only module that imports `stripe`.

Every request goes through `Gateway.request(method, path, params)`, in wire terms:
guardrails first (nothing is sent when one refuses), then an idempotency key on every
POST, then the SDK's `StripeClient` (async, with retries that reuse that key), then
error mapping and one audit line with secrets redacted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import uuid
from collections.abc import Mapping
from typing import Any, Literal

import stripe

from . import __version__
from .audit import AuditLog, current_account, current_tool, redact_text, replayed
from .config import Settings
from .errors import DECLINE_MEANINGS, NEXT_STEPS, GuardrailRefusal, InputError, StripeAPIError
from .guardrails import rule, violation

logger = logging.getLogger("stripe_power.gateway")

Method = Literal["GET", "POST", "DELETE"]
StripeObject = dict[str, Any]

# Names the SDK would read as request options rather than parameters.
_OPTION_NAMES = frozenset(
    {"api_key", "stripe_account", "stripe_context", "max_network_retries", "idempotency_key",
     "content_type", "headers", "base"}
)  # fmt: skip
_PATH = re.compile(r"/v1(/[A-Za-z0-9_.\-]+)+")


def check_path(path: str) -> str:
    """A Stripe v1 path: no host, no `..`, no query string, no encoded tricks."""
    if not _PATH.fullmatch(path) or any(seg in (".", "..") for seg in path.split("/")):
        raise InputError(
            "path",
            f"{path[:80]!r} is not a Stripe API path.",
            "Pass a path like /v1/customers/cus_123 (no host, query string or '..'; params go in `params`).",
        )
    return path


class Gateway:
    """One `StripeClient` for the server's lifetime; `request` is the single entry point."""

    def __init__(
        self,
        settings: Settings,
        *,
        audit: AuditLog | None = None,
        http_client: stripe.HTTPClient | None = None,
    ) -> None:
        self.settings = settings
        self.audit = audit or AuditLog(None)
        self._client = stripe.StripeClient(
            settings.api_key,
            stripe_account=settings.stripe_account,
            base_addresses={"api": settings.api_base} if settings.api_base else None,
            max_network_retries=settings.max_network_retries,
            http_client=http_client or stripe.HTTPXClient(timeout=settings.timeout_seconds),
        )
        stripe.set_app_info("stripe-power", version=__version__)
        # fingerprint of a recent write -> (idempotency key, monotonic expiry, path)
        self._recent_writes: dict[str, tuple[str, float, str]] = {}

    @property
    def api_version(self) -> str:
        """The API version every request uses: the SDK's pinned one (overrides are refused)."""
        return str(stripe.api_version)

    async def request(
        self,
        method: Method,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        tool: str | None = None,
        idempotency_key: str | None = None,
        stripe_account: str | None = None,
    ) -> StripeObject:
        """Send one request; `tool` names the caller in the audit log (default: the running tool)."""
        tool = tool or current_tool.get()
        params = dict(params or {})
        account = stripe_account or current_account.get() or self.settings.stripe_account
        check_path(path)
        refusal = violation(method, path, params, stripe_account=account)
        if refusal is not None:
            self._log_refusal(tool, method, path, params, refusal)
            raise refusal
        if reserved := sorted(_OPTION_NAMES & params.keys()):
            raise InputError(
                f"params.{reserved[0]}", "is a request option, not a Stripe parameter.", "Remove it."
            )
        options: dict[str, Any] = {}
        if method == "POST":
            options["idempotency_key"] = idempotency_key or self._write_key(tool, path, params, account)
        if account:
            options["stripe_account"] = account
        started = time.perf_counter()
        status: int | None = None
        request_id: str | None = None
        try:
            response = await self._client.raw_request_async(method.lower(), path, **params, **options)
            status, request_id = response.code, response.headers.get("request-id")
            if response.headers.get("idempotent-replayed") == "true":
                replayed.set(True)
            body: StripeObject = json.loads(response.body)
            return body
        except stripe.StripeError as error:
            status, request_id = error.http_status, error.request_id
            raise map_stripe_error(error) from None
        finally:
            self.audit.record(
                tool=tool,
                method=method,
                path=path,
                params=params,
                status=status,
                request_id=request_id,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
                idempotency_key=options.get("idempotency_key"),
                stripe_account=account,
            )

    def _write_key(self, tool: str, path: str, params: Mapping[str, Any], account: str | None) -> str:
        """A fresh idempotency key, or, for the same write repeated within the replay window
        (an agent retrying), the first one's key: Stripe then returns the first result.

        A different write to the same path ends the window of earlier ones: after cancel,
        resume, cancel, the second cancel must reach Stripe, not replay the first.
        """
        window = self.settings.replay_window_seconds
        if window <= 0:
            return f"stripe-power-{uuid.uuid4()}"
        canonical = json.dumps([tool, path, params, account], sort_keys=True, default=str)
        fingerprint = hashlib.sha256(canonical.encode()).hexdigest()
        now = time.monotonic()
        live = {k: v for k, v in self._recent_writes.items() if v[1] > now}
        if fingerprint not in live:
            live = {k: v for k, v in live.items() if v[2] != path}
        key = live[fingerprint][0] if fingerprint in live else f"stripe-power-{uuid.uuid4()}"
        live[fingerprint] = (key, now + window, path)
        self._recent_writes = live
        return key

    def _log_refusal(
        self, tool: str, method: str, path: str, params: Mapping[str, Any], refusal: GuardrailRefusal
    ) -> None:
        self.audit.record(tool=tool, method=method, path=path, params=params, refused=refusal.rule_id)
        logger.info("refused %s %s by %s", method, path, refusal.rule_id)

    async def aclose(self) -> None:
        http_client = getattr(self._client._requestor, "_client", None)
        close = getattr(http_client, "close_async", None)
        if close is not None:
            await close()


def map_stripe_error(error: stripe.StripeError) -> StripeAPIError:
    """A message an agent can act on: what Stripe said, its codes, the request id, the next step."""
    if isinstance(error, stripe.APIConnectionError):
        return StripeAPIError(
            "Could not reach Stripe (connection failed after retries). Nothing is known to have "
            "changed; retry the same call with the same idempotency_key to be safe."
        )
    body = error.json_body if isinstance(error.json_body, dict) else {}
    detail: dict[str, Any] = body.get("error") or {}
    kind, code = detail.get("type"), detail.get("code") or error.code
    param, decline = detail.get("param"), detail.get("decline_code")
    message = redact_text(str(detail.get("message") or error.user_message or "Stripe returned an error."))
    tags = [f"{name}={value}" for name, value in
            (("type", kind), ("code", code), ("decline_code", decline), ("param", param)) if value]  # fmt: skip
    parts = [f"Stripe error ({', '.join(tags)}): {message}" if tags else f"Stripe error: {message}"]
    if decline and decline in DECLINE_MEANINGS:
        parts.append(f"Meaning: {DECLINE_MEANINGS[decline]}.")
    if isinstance(error, stripe.AuthenticationError):
        parts.append("The API key was rejected: check STRIPE_SECRET_KEY.")
    elif isinstance(error, stripe.PermissionError):
        parts.append("The restricted key lacks a permission for this call: grant it in the Dashboard.")
    elif code and code in NEXT_STEPS:
        parts.append(f"Next: {NEXT_STEPS[code]}")
    elif code == "payment_method_types_no_longer_supported":
        parts.append(rule("payment-method-types").instead)
    if error.request_id:
        parts.append(f"Request id: {error.request_id}.")
    return StripeAPIError(
        " ".join(parts),
        http_status=error.http_status,
        type=kind,
        code=code,
        param=param,
        decline_code=decline,
        request_id=error.request_id,
    )
