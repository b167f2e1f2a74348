"""The Gateway: the only door to Stripe, and the only module that imports `stripe`.

Every request goes through `Gateway.request(method, path, params)`, in wire terms:
the guardrails and a check against Stripe's OpenAPI description (the packaged spec index)
first (nothing is sent when either refuses), then an idempotency key on every
POST, then the SDK's `StripeClient` (async; the Gateway retries, reusing that key), then
error mapping and one audit line with secrets redacted. Refusals, retries and replays are
also told to the MCP client that asked for log notifications (client_log.py).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import random
import re
import time
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import anyio

from . import __version__, clock
from .audit import (
    audit_line,
    current_account,
    current_call,
    current_session,
    current_tool,
    redact_text,
    replayed,
    warn,
)
from .client_log import notify
from .clients import current_key
from .config import KeyInfo, Settings, inspect_key
from .errors import (
    DECLINE_MEANINGS,
    NEXT_STEPS,
    GuardrailRefusal,
    InputError,
    StripeAPIError,
    token_for_payment_method,
)
from .guardrails import violation
from .hints import call, render
from .oauth.access import current_access
from .state import State
from .wire import Pairs, Wire, canonical

logger = logging.getLogger("stripe_power.gateway")

Method = Literal["GET", "POST", "DELETE"]
StripeObject = dict[str, Any]

# Names the SDK would read as request options (or its own arguments) rather than parameters.
_OPTION_NAMES = frozenset(
    {"api_key", "stripe_account", "stripe_context", "max_network_retries", "idempotency_key",
     "content_type", "headers", "base", "method_", "url_"}
)  # fmt: skip
_PATH = re.compile(r"/v1(/[A-Za-z0-9_\-]+)+")
# Stripe's answer to these is final: the same write with the same key would get it again,
# so a retry after the caller fixed something needs a new key. 409 and 429 are transient.
_FINAL_CLIENT_ERRORS = frozenset(range(400, 500)) - {409, 429}

if TYPE_CHECKING:
    import stripe


def check_path(path: str) -> str:
    """A Stripe v1 path: no host, no `..`, no query string, no encoded tricks."""
    if not _PATH.fullmatch(path) or any(seg in (".", "..") for seg in path.split("/")):
        raise InputError(
            "path",
            f"{path[:80]!r} is not a Stripe API path.",
            "Pass a path like /v1/customers/cus_123 (no host, query string or '..'; params go in `params`).",
        )
    return path


# Parameters that take a PaymentMethod id wherever they sit (top level or nested).
_PAYMENT_METHOD_PARAMS = frozenset({"payment_method", "default_payment_method"})


def check_payment_method_ids(params: Mapping[str, Any], at: str = "params") -> None:
    """A card token (`tok_visa`) where a PaymentMethod id goes: Stripe answers "No such
    PaymentMethod"; this says which PaymentMethod to pass instead (`pm_card_visa`)."""
    for key, value in params.items():
        if isinstance(value, Mapping):
            check_payment_method_ids(value, f"{at}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, Mapping):
                    check_payment_method_ids(item, f"{at}.{key}.{index}")
        elif key in _PAYMENT_METHOD_PARAMS and isinstance(value, str) and value.startswith("tok_"):
            raise token_for_payment_method(f"{at}.{key}", value)


def check_spec(wire: Wire) -> None:
    """Refuse what Stripe would refuse for its shape: a method the path does not have, or
    parameters the operation does not take (at any depth, with a did-you-mean), lack, or
    cannot read, judged on the pairs as sent. A path the index does not know passes: the index
    is a subset of Stripe's API."""
    from . import spec  # the index loads on first use, not at start-up

    method, path, op = wire.method, wire.path, wire.op
    if op is None:
        others = [m for m in ("GET", "POST", "DELETE") if m != method and spec.resolve(m, path)]
        if others:
            raise InputError(
                "method",
                f"{method} is not an operation on {path}.",
                f"Stripe has {' and '.join(others)} there; see "
                f"{call('describe_stripe_api', method=others[0], path=path)}. Nothing was sent to Stripe.",
            )
        return
    problems = spec.check(op, wire.form, wire=True)
    if problems:
        lines = [_problem_line(problem) for problem in problems]
        shown = lines if len(lines) == 1 else [f"({n}) {line}" for n, line in enumerate(lines, 1)]
        count = "1 problem" if len(lines) == 1 else f"{len(lines)} problems"
        raise InputError(
            f"params.{problems[0].dotted}" if len(problems) == 1 else "params",
            f"{count} for {op.key}: " + " ".join(shown),
            f"Fix {'it' if len(lines) == 1 else 'them all'} "
            f"({call('describe_stripe_api', method=op.method, path=op.path)} lists the parameters). "
            "Nothing was sent to Stripe.",
        )


def _problem_line(problem: Any) -> str:
    """Stripe's message for one problem, with where the name is now if it moved deeper (a
    did-you-mean Stripe's message lacks), e.g. `coupon` -> `promotion.coupon`."""
    text = redact_text(problem.message)
    if problem.suggestion:
        text = text.replace(f". Did you mean {problem.suggestion}?", "")
    text = text.rstrip(".") + "."
    nested = " or ".join(f"`{path}`" for path in problem.moved_to)
    if problem.suggestion:
        text += f" Did you mean `{problem.suggestion}`?" + (f" Or, nested: {nested}." if nested else "")
    elif nested:
        text += f" Did you mean {nested}? (Stripe takes it nested there.)"
    return text if problem.param in text else f"`{problem.dotted}`: {text}"


class Gateway:
    """One `StripeClient` per Stripe key (the server's, or with client keys each client's,
    made on first use and kept); `request` is the single entry point. Replay window and
    audit log live in `state`, so they hold across instances that share it."""

    def __init__(
        self, settings: Settings, *, state: State, http_client: stripe.HTTPClient | None = None
    ) -> None:
        self.settings = settings
        self.state = state
        # `stripe` and its HTTP client load with the first request (see `_client`): they are a
        # third of start-up, and listing tools needs neither.
        self._http_client: stripe.HTTPClient | None = http_client
        self._own_http_client = http_client is None
        self._clients: dict[str, stripe.StripeClient] = {}

    @property
    def key(self) -> str:
        """The Stripe key of the running call: the client's (client-keys mode) or the server's."""
        key = current_key.get() if self.settings.client_keys else self.settings.api_key
        if self.settings.oauth is not None:  # OAuth mode: the key the signed-in person's rule names
            access = current_access.get()
            key = access.stripe_key if access is not None else ""
        if not key:
            raise InputError(
                "Authorization", "carries no Stripe key.", "Send Authorization: Bearer <rk_test_... key>."
            )
        return key

    @property
    def key_info(self) -> KeyInfo:
        """Kind, mode and masked form of the running call's key."""
        if self.settings.key is not None:
            return self.settings.key
        return inspect_key(self.key, allow_live=self.settings.allow_live)

    @property
    def scope(self) -> str:
        """Whose state this call reads and writes: a keyed hash of the key (and, in OAuth mode,
        of the person), never the key."""
        access = current_access.get()
        return self.state.scope_of(self.key if access is None else access.scope_material)

    def _client(self) -> stripe.StripeClient:
        import stripe

        key = self.key
        client = self._clients.get(key)
        if client is None:
            if self._http_client is None:
                self._http_client = stripe.HTTPXClient(timeout=self.settings.timeout_seconds)
                stripe.set_app_info("stripe-power", version=__version__)
            if len(self._clients) >= 1024:  # many clients over a long run: start the cache again
                self._clients.clear()
            client = self._clients[key] = stripe.StripeClient(
                key,
                stripe_account=self.settings.stripe_account,
                base_addresses={"api": self.settings.api_base} if self.settings.api_base else None,
                max_network_retries=0,  # the Gateway retries (see _send), so it can say so
                http_client=self._http_client,
            )
        return client

    @property
    def api_version(self) -> str:
        """The API version every request uses: the SDK's pinned one (overrides are refused)."""
        import stripe

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
        account = stripe_account or current_account.get() or self.settings.stripe_account
        check_path(path)
        # Encoded once: every check below, the audit line and the request itself read these pairs.
        wire = canonical(method, path, params)
        if method != "GET" and (access := current_access.get()) is not None and access.read_only:
            read_only = GuardrailRefusal(
                "read-only",
                f"{method} {path} is a write and access rule {access.rule!r} gives {access.person.name} "
                "read-only access; only GET is allowed. Nothing was sent to Stripe.",
            )
            await self._log_refusal(tool, wire, read_only)
            raise read_only
        refusal = violation(wire, stripe_account=account)
        if refusal is not None:
            await self._log_refusal(tool, wire, refusal)
            await notify(
                "warning",
                f"Guardrail {refusal.rule_id} refused {method} {path}; nothing was sent to Stripe.",
                rule=refusal.rule_id, tool=tool, method=method, path=path, reason=render(str(refusal)),
            )  # fmt: skip
            raise refusal
        # After the guardrails: a deprecated call gets the rule's lesson, not a list of its parameters.
        check_payment_method_ids(wire.params)
        check_spec(wire)
        if reserved := sorted(_OPTION_NAMES & wire.form.keys()):
            raise InputError(
                f"params.{reserved[0]}", "is a request option, not a Stripe parameter.", "Remove it."
            )
        options: dict[str, Any] = {}
        fingerprint: str | None = None
        if method == "POST" and idempotency_key:
            options["idempotency_key"] = idempotency_key
        elif method == "POST":
            options["idempotency_key"], fingerprint = await self._write_key(tool, wire, account)
        if account:
            options["stripe_account"] = account
        call = current_call.get()
        if self.settings.api_base and call:
            # Only to a Stripe stand-in (the sandbox): lets its dashboard link the request to the tool call.
            options["headers"] = {"X-Stripe-Power-Call": call, "X-Stripe-Power-Tool": tool}
            if (access := current_access.get()) is not None:  # the dashboard shows who
                options["headers"]["X-Stripe-Power-Person"] = printable(access.person.name)
        started = time.perf_counter()
        status: int | None = None
        request_id: str | None = None
        import stripe  # loaded with the first client (see `_client`)

        try:
            response = await self._send(method, path, wire.pairs, options)
            status, request_id = response.code, response.headers.get("request-id")
            # Parsed once, by the SDK (an OrderedDict: a dict with the same keys in the same order).
            body: StripeObject = response.data
            if response.headers.get("idempotent-replayed") == "true":
                replayed.set(True)
                await _replay_notice(method, path, request_id)
                return await self._current(path, wire.form, body, tool)
            return body
        except stripe.StripeError as error:
            status, request_id = error.http_status, error.request_id
            if fingerprint is not None and status in _FINAL_CLIENT_ERRORS:
                await self._forget(fingerprint)
            mapped = map_stripe_error(error)
            if (error.headers or {}).get("idempotent-replayed") == "true":
                await _replay_notice(method, path, request_id)
                mapped.args = (
                    f"{mapped} (This is Stripe's stored answer to an identical call moments ago; "
                    "pass a new idempotency_key to try again for real.)",
                )
            raise mapped from None
        finally:
            await self.audit_entry(
                tool=tool,
                method=method,
                path=path,
                params=wire.form,
                status=status,
                request_id=request_id,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
                idempotency_key=options.get("idempotency_key"),
                stripe_account=account,
                call=call,
            )

    async def _send(self, method: str, path: str, pairs: Pairs, options: dict[str, Any]) -> Any:
        """Up to `max_network_retries` retries of what `retryable` allows, with the same
        idempotency key. Here rather than in the SDK (which would skip 429) so the client
        can be told why a call is taking longer. The SDK gets the flat pairs: it sends them as
        they are, so what goes out is what was judged."""
        import stripe

        for attempt in itertools.count():
            try:
                return await self._client().raw_request_async(method.lower(), path, **dict(pairs), **options)
            except stripe.StripeError as error:
                if attempt >= self.settings.max_network_retries or not retryable(error):
                    raise
                delay = retry_delay(error, attempt)
                logger.warning(
                    "%s %s: %s; retry %d in %.1f s", method, path, retry_reason(error), attempt + 1, delay
                )
                await notify(
                    "warning",
                    f"{retry_reason(error)}; retrying {method} {path} in {delay:.1f} s "
                    f"(retry {attempt + 1} of {self.settings.max_network_retries}, same idempotency key).",
                    method=method, path=path, status=error.http_status, request_id=error.request_id,
                    retry=attempt + 1, delay_seconds=round(delay, 2),
                )  # fmt: skip
                await anyio.sleep(delay)
        raise AssertionError("itertools.count() never ends")

    async def _forget(self, fingerprint: str) -> None:
        """End a refused write's replay window, so a corrected retry gets a new key. A state that
        cannot be reached only keeps the window (a retry then gets Stripe's stored answer)."""
        try:
            with anyio.CancelScope(shield=True):
                await self.state.forget_write(fingerprint)
        except Exception as error:
            warn(
                f"could not end the replay window of this refused write ({type(error).__name__}); an "
                "identical retry in the next minutes gets the same answer: pass a new idempotency_key."
            )

    async def _current(
        self, path: str, params: Mapping[str, Any], stored: StripeObject, tool: str
    ) -> StripeObject:
        """A replayed write's object as it is now: Stripe's stored first answer can be stale (an
        invoice shown as draft that has been paid since). The stored answer if it cannot be re-read."""
        found = retrieve_path(path, stored)
        if found is None:
            return stored
        expand = {"expand": params["expand"]} if params.get("expand") else None
        try:
            return await self.request("GET", found, expand, tool=tool)
        except StripeAPIError:
            return stored

    async def _write_key(self, tool: str, wire: Wire, account: str | None) -> tuple[str, str | None]:
        """(idempotency key, fingerprint): a fresh key, or, for the same write repeated within
        the replay window in the same session (an agent retrying), the first one's key, so
        Stripe returns the first result instead of making a second object.

        A different write to the same path ends the window of earlier ones: after cancel,
        resume, cancel, the second cancel must reach Stripe, not replay the first.
        """
        window = self.settings.replay_window_seconds
        if window <= 0:
            return f"stripe-power-{uuid.uuid4()}", None
        scope = self.scope
        request = json.dumps([scope, current_session.get(), tool, wire.path, wire.pairs, account])
        fingerprint = hashlib.sha256(request.encode()).hexdigest()
        key = await self.state.before_sending(
            "find this write's idempotency key (the replay window)",
            self.state.replay_key(
                f"{scope} {wire.path}", fingerprint, f"stripe-power-{uuid.uuid4()}", clock.now() + window
            ),
        )
        return key, fingerprint

    async def _log_refusal(self, tool: str, wire: Wire, refusal: GuardrailRefusal) -> None:
        await self.audit_entry(
            tool=tool,
            method=wire.method,
            path=wire.path,
            params=wire.form,
            refused=refusal.rule_id,
            call=current_call.get(),
        )
        logger.info("refused %s %s by %s", wire.method, wire.path, refusal.rule_id)

    async def audit_entry(self, **entry: Any) -> None:
        """One audit line; with client keys it names the client by scope (never by key). Shielded:
        a call cancelled after it was sent still leaves its line. Never raises: the request it
        records may have moved money, so a line the state refuses is kept elsewhere
        (State.keep_audit) and the agent is warned, with the result it is owed."""
        if self.settings.client_keys:
            entry["client"] = self.scope
        if (access := current_access.get()) is not None:  # OAuth mode: the person, not only the key
            entry.update(access.audit_fields(), client=self.scope)
        with anyio.CancelScope(shield=True):
            kept = await self.state.keep_audit(audit_line(entry))
        if kept is not None:
            warn(f"{'Stripe answered; ' if entry.get('status') else ''}{kept}.")

    async def aclose(self) -> None:
        """Close the HTTP client this Gateway made (an injected one belongs to its owner)."""
        if self._own_http_client and self._http_client is not None:
            await self._http_client.close_async()


def printable(text: str) -> str:
    """A header-safe copy: printable ASCII only (a claim can hold anything)."""
    return "".join(c if " " <= c <= "~" else "?" for c in text)[:200]


def retrieve_path(path: str, obj: Mapping[str, Any]) -> str | None:
    """Where the object a write answered with is read: POST /v1/invoices/in_1/pay or POST
    /v1/invoices (which made in_1) -> /v1/invoices/in_1, if Stripe has that endpoint."""
    from . import spec  # loads the index on first use; replays are rare

    oid = obj.get("id")
    if not isinstance(oid, str) or obj.get("deleted"):
        return None
    head, found, _ = path.partition(f"/{oid}")
    candidate = f"{head}/{oid}" if found else f"{path}/{oid}"
    return candidate if spec.resolve("GET", candidate) is not None else None


def object_id(value: Any) -> str | None:
    """An expandable field's id, whether Stripe sent the id or the expanded object."""
    found = value.get("id") if isinstance(value, Mapping) else value
    return found if isinstance(found, str) else None


async def _replay_notice(method: str, path: str, request_id: str | None) -> None:
    await notify(
        "info",
        f"Stripe answered {method} {path} from its idempotency cache: an identical call moments ago "
        "already did this, so nothing new happened. Pass a new idempotency_key to do it again.",
        method=method, path=path, request_id=request_id,
    )  # fmt: skip


def retryable(error: stripe.StripeError) -> bool:
    """The SDK's rule plus 429: Stripe-Should-Retry decides when Stripe sends it; otherwise
    a failed connection, 409 (a lock), 429 (rate limited) and 5xx are retried."""
    import stripe

    advice = (error.headers or {}).get("stripe-should-retry")
    if advice in ("true", "false"):
        return bool(advice == "true")
    if isinstance(error, stripe.APIConnectionError):
        return bool(error.should_retry)
    status = error.http_status or 0
    return status in (409, 429) or status >= 500


def retry_reason(error: stripe.StripeError) -> str:
    import stripe

    if isinstance(error, stripe.APIConnectionError):
        return "The connection to Stripe failed"
    if error.http_status == 429:
        return "Stripe rate-limited the request (429)"
    return f"Stripe answered {error.http_status}"


def retry_delay(error: stripe.StripeError, attempt: int) -> float:
    """Seconds before retry n: Retry-After when Stripe sends it, else 0.5 s x 2^n with
    jitter, like the SDK's own backoff; never more than 5 s."""
    try:
        seconds = float((error.headers or {}).get("retry-after", ""))
    except ValueError:
        seconds = 0.5 * 2**attempt * (0.5 + random.random() / 2)
    return min(max(seconds, 0.0), 5.0)


def map_stripe_error(error: stripe.StripeError) -> StripeAPIError:
    """A message an agent can act on: what Stripe said, its codes, the request id, the next step."""
    import stripe

    if isinstance(error, stripe.APIConnectionError):
        return StripeAPIError(
            "Could not reach Stripe (connection failed after retries); the request may or may not "
            "have been applied. Retry the identical call: within the replay window it reuses the "
            "same idempotency key (or pass your own idempotency_key), so it cannot apply twice."
        )
    body = error.json_body if isinstance(error.json_body, dict) else {}
    detail: dict[str, Any] = body.get("error") or {}
    kind, code = detail.get("type"), detail.get("code") or error.code
    param, decline = detail.get("param"), detail.get("decline_code")
    message = redact_text(str(detail.get("message") or error.user_message or "Stripe returned an error."))
    # A decline names the PaymentIntent/SetupIntent it left behind: the agent can retry that one.
    intent = object_id(detail.get("payment_intent")) or object_id(detail.get("setup_intent"))
    tags = [f"{name}={value}" for name, value in
            (("type", kind), ("code", code), ("decline_code", decline), ("param", param), ("intent", intent))
            if value]  # fmt: skip
    parts = [f"Stripe error ({', '.join(tags)}): {message}" if tags else f"Stripe error: {message}"]
    if decline and decline in DECLINE_MEANINGS:
        parts.append(f"Meaning: {DECLINE_MEANINGS[decline]}.")
    if isinstance(error, stripe.AuthenticationError):
        parts.append("The API key was rejected: check STRIPE_SECRET_KEY.")
    elif isinstance(error, stripe.PermissionError):
        parts.append("The restricted key lacks a permission for this call: grant it in the Dashboard.")
    elif code and code in NEXT_STEPS:
        parts.append(f"Next: {NEXT_STEPS[code]}")
    elif (error.http_status or 0) >= 500:
        parts.append("Next: Stripe had a problem; retry the identical call (it reuses the idempotency key).")
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
