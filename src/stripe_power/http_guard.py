"""The outermost layer of the HTTP app: each request is read once, then judged.

- Headers that something reads as one value (`Authorization`, `Host`, `Origin`,
  `Mcp-Session-Id`, ...) must appear once: two `Authorization` headers are a 400 before anyone
  reads either, so authentication and the tools can never see different credentials.
- The bearer credential is parsed once and checked by one verifier (the server's token, a
  client's Stripe key, or an OAuth access token: oauth/guard.py); what it proves (a
  `Credential`: the token and a principal name that reveals nothing about it) goes into the
  ASGI scope, where the tools read it (`credential_of`) and where the MCP SDK reads the
  session owner (`scope["user"]`): a session answers only to the principal that opened it.
  A verifier's `Refusal` is sent as it is, with its own headers (an OAuth challenge).
- Limits: request body size, sessions per client, requests in flight per session.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Headers read as a single value by this server or the MCP SDK. A second copy is refused:
# readers disagree on which one counts (Starlette's `headers.get` takes the first, `dict()` of
# the raw list the last), and a proxy may join them with a comma.
SINGLE_VALUED = (
    "authorization", "host", "origin", "mcp-session-id", "mcp-protocol-version", "content-type",
    "content-length", "transfer-encoding", "last-event-id", "stripe-signature",
)  # fmt: skip
_SINGLE_VALUED = frozenset(name.encode() for name in SINGLE_VALUED)
# RFC 6750 `Bearer b64token`: one scheme, one run of spaces, one token (no comma, no space).
_BEARER = re.compile(r"[Bb][Ee][Aa][Rr][Ee][Rr] +([A-Za-z0-9\-._~+/]+=*)")
CREDENTIAL = "stripe_power.credential"  # the scope key the guard writes and `credential_of` reads


@dataclass(frozen=True)
class Credential:
    """What a request's bearer token proved. `principal` names its holder without revealing the
    token (a keyed hash with a per-process secret): the session owner and the per-client counts."""

    token: str = field(repr=False)  # a Stripe key or an access token: never in a log line
    principal: str

    def access_token(self) -> AccessToken:
        """What the MCP SDK reads from `scope["user"]`: the principal, never the token."""
        return AccessToken(token=self.principal, client_id=self.principal, scopes=[])

    @cached_property
    def user(self) -> AuthenticatedUser:
        """`scope["user"]`, made once per credential (a verifier that accepts one token again
        hands back the same credential: the server's token is checked, not rebuilt, per request)."""
        return AuthenticatedUser(self.access_token())


@dataclass(frozen=True)
class Refusal:
    """An answer instead of the app's: JSON `{"error": ..., <message_key>: message}`."""

    status: int
    error: str
    message: str
    headers: tuple[tuple[str, str], ...] = ()
    message_key: str = "message"  # OAuth answers name it `error_description` (RFC 6750)


# Checks a bearer token (None: no usable `Authorization: Bearer` header): a Credential, or why not.
Verifier = Callable[[str | None], Awaitable[Credential | Refusal]]


@dataclass(frozen=True)
class HttpLimits:
    """Resource limits of the HTTP transport (flags in cli.py, defaults documented in README)."""

    max_request_bytes: int = 1024 * 1024
    session_idle_timeout: float = 30 * 60
    max_sessions: int = 1000
    max_sessions_per_client: int = 100
    max_requests_per_session: int = 16


class Principals:
    """Names credentials for sessions and counts: an HMAC with a secret made for this process,
    so a name says nothing about the key and is useless to anyone who reads it."""

    def __init__(self) -> None:
        self._secret = secrets.token_bytes(32)

    def name(self, token: str) -> str:
        return "client_" + hmac.new(self._secret, token.encode(), hashlib.sha256).hexdigest()[:24]


def bearer_token(value: str | None) -> str | None:
    """The token of one well-formed `Authorization: Bearer <token>` value, else None."""
    found = _BEARER.fullmatch(value or "")
    return found.group(1) if found else None


def single_values(headers: list[tuple[bytes, bytes]]) -> tuple[dict[str, str], str | None]:
    """The single-valued headers by lowercased name (all this guard reads), in one pass over the
    request's headers, and the first of them that appears more than once (any letter case)."""
    found: dict[bytes, bytes] = {}
    for name, value in headers:
        key = name.lower()
        if key in _SINGLE_VALUED:
            if key in found:
                return {}, key.decode("latin-1")
            found[key] = value
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in found.items()}, None


def credential_of(request: Any) -> Credential | None:
    """The credential the guard accepted for the HTTP request behind an MCP message (None on
    stdio or in memory). The one reading of it: nothing else parses `Authorization`."""
    scope = getattr(request, "scope", None)
    found = scope.get(CREDENTIAL) if isinstance(scope, Mapping) else None
    return found if isinstance(found, Credential) else None


def open_sessions(manager: StreamableHTTPSessionManager) -> Mapping[str, Any]:
    """Session id -> owner of every open session. mcp 2.3 keeps this registry (which its idle
    reaper and DELETE update) on no public attribute; tests count sessions through here too."""
    owners: Mapping[str, Any] = manager._session_owners
    return owners


class RequestGuard:
    """The ASGI middleware described in the module docstring. Every path: duplicates. Every path
    but the `public` ones (exact paths: /healthz, /readyz, the webhook receiver, which checks its
    own signature): body size, credential, session limits. Fail-closed: a path that only some
    router would read as /mcp (`//mcp`, `/mcp/`, `/%6dcp`) is no public path."""

    def __init__(
        self,
        app: ASGIApp,
        verify: Verifier,
        limits: HttpLimits,
        manager: Callable[[], StreamableHTTPSessionManager],
        public: frozenset[str] = frozenset(),
        protected: ASGIApp | None = None,
    ) -> None:
        self.app = app
        # What serves every other path once admitted (the MCP app: `app` would only route it
        # there through its own middleware and a catch-all Mount, once more per request).
        self.protected = protected or app
        self.verify = verify
        self.public = public
        self.limits = limits
        self.manager = manager
        # Requests being served: ("opening", principal) for each session being opened,
        # ("session", id) for each request on an open session.
        self.busy: Counter[tuple[str, str]] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = list(scope["headers"])
        values, twice = single_values(headers)
        if twice is not None:
            await _refuse(
                send,
                Refusal(
                    400,
                    "duplicate_header",
                    f"The {_title(twice)} header appears more than once; send it once.",
                ),
            )
            return
        if scope["path"] in self.public:
            await self.app(scope, receive, send)
            return
        too_big = _declared_too_big(values.get("content-length"), self.limits.max_request_bytes)
        if too_big is not None:
            await _refuse(send, too_big)
            return
        found = await self.verify(bearer_token(values.get("authorization")))
        if isinstance(found, Refusal):
            await _refuse(send, found)
            return
        scope[CREDENTIAL] = found
        scope["user"] = found.user
        body = await _read_body(receive, self.limits.max_request_bytes)
        if isinstance(body, Refusal):
            await _refuse(send, body)
            return
        refusal, slot = self._admit(found.principal, values, scope["method"])
        if refusal is not None:
            await _refuse(send, refusal)
            return
        if slot is not None:
            self.busy[slot] += 1
        try:
            await self.protected(scope, _replay(body, receive), send)
        finally:
            if slot is not None:
                self.busy[slot] -= 1
                if self.busy[slot] <= 0:
                    del self.busy[slot]

    def _admit(
        self, principal: str, headers: Mapping[str, str], method: str
    ) -> tuple[Refusal | None, tuple[str, str] | None]:
        """A refusal when a limit is reached, else the slot the request holds while it runs:
        ("opening", principal) for a request that opens a session, ("session", id) for one on
        a session of its own principal. A request naming another principal's session holds
        nothing (the SDK answers it 404, as for a session that does not exist)."""
        limits = self.limits
        session = headers.get("mcp-session-id")
        owners = open_sessions(self.manager())
        if session is None and method == "POST" and _handshake(headers.get("mcp-protocol-version")):
            owned = sum(1 for owner in owners.values() if owner["client_id"] == principal)
            if owned + self.busy[("opening", principal)] >= limits.max_sessions_per_client:
                return Refusal(
                    429,
                    "too_many_sessions",
                    f"This client has {limits.max_sessions_per_client} sessions open "
                    "(--max-sessions-per-client). End one (DELETE /mcp with its Mcp-Session-Id) or "
                    f"let idle ones expire (--session-idle-timeout, {limits.session_idle_timeout:g} s).",
                    _RETRY,
                ), None
            return None, ("opening", principal)
        owner = owners.get(session or "")
        if owner is None or owner["client_id"] != principal:
            return None, None
        if self.busy[("session", session or "")] >= limits.max_requests_per_session:
            return Refusal(
                429,
                "too_many_requests",
                f"This session already has {limits.max_requests_per_session} requests in flight "
                "(--max-requests-per-session); wait for one to finish.",
                _RETRY,
            ), None
        return None, ("session", session or "")


_RETRY = (("Retry-After", "1"),)


def _handshake(version: str | None) -> bool:
    """Whether the request is served by the handshake-era transport (which opens sessions)."""
    return version is None or version in HANDSHAKE_PROTOCOL_VERSIONS


def _title(header: str) -> str:
    return "-".join(part.capitalize() for part in header.split("-"))


def _too_big(limit: int) -> Refusal:
    return Refusal(
        413,
        "request_too_large",
        f"The request body is over {limit} bytes (--max-request-bytes); nothing in it was read or sent.",
    )


def _declared_too_big(length: str | None, limit: int) -> Refusal | None:
    """Refused from the header alone, before a byte of the body is read."""
    if length is None:
        return None
    if not length.isdigit():
        return Refusal(400, "bad_content_length", "Content-Length must be a number of bytes.")
    return _too_big(limit) if len(length) > 18 or int(length) > limit else None


async def _read_body(receive: Receive, limit: int) -> list[Message] | Refusal:
    """The request's body messages, counted as they arrive (a chunked body has no length)."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages
        size += len(message.get("body", b""))
        if size > limit:
            return _too_big(limit)
        if not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


async def _refuse(send: Send, refusal: Refusal) -> None:
    body = json.dumps({"error": refusal.error, refusal.message_key: refusal.message}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in refusal.headers]
    await send({"type": "http.response.start", "status": refusal.status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
