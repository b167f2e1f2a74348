"""OAuth mode on the HTTP transport: the server is an OAuth 2.1 resource server (MCP
authorization spec, the revision mcp 2.3 implements).

- `GET /.well-known/oauth-protected-resource[/mcp]`: Protected Resource Metadata (RFC 9728)
  naming the authorization server, built with the SDK's model and handler.
- Every request under /mcp needs `Authorization: Bearer <access token>` (one such header):
  none or a bad one is answered 401 with `WWW-Authenticate: Bearer resource_metadata=...`
  (and `error="invalid_token"` with the reason when a token was sent); a token without the
  required scopes gets 403 `insufficient_scope`; a person no access rule matches gets 403
  with a line saying why.
- A verified request carries the SDK's `AuthenticatedUser` (so the SDK binds each MCP session to
  the person who opened it) and the person's `Access`, which `server_middleware` makes current
  for every MCP message: the tools listed and callable, the Stripe key, the books.

The access file is read again whenever it changes (a revocation applies to the next request);
a file that no longer reads refuses everyone (503) until it is fixed, rather than keep serving
rules someone meant to change.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mcp.server.auth.handlers.metadata import ProtectedResourceMetadataHandler
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.routes import build_resource_metadata_url, cors_middleware
from mcp.shared.auth import ProtectedResourceMetadata
from mcp.types import CallToolResult, TextContent
from pydantic import AnyHttpUrl
from starlette.authentication import AuthCredentials
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ..audit import audit_line
from ..errors import ConfigError
from .access import Access, Person, current_access
from .access_file import AccessFile, Denied, load_access_file
from .tokens import InvalidToken, JwksCache, ProviderUnavailable, TokenVerifier

if TYPE_CHECKING:
    from ..config import Settings
    from ..state import State

logger = logging.getLogger("stripe_power.oauth")

ACCESS = "stripe_power.access"  # where a verified request's Access sits in the ASGI scope
ToolsFor = Callable[[frozenset[str] | None, bool], frozenset[str]]
Audit = Callable[[str], Awaitable[None]]


class OAuthGuard:
    """The live access file, the token verifier, and the ASGI middleware that uses both."""

    def __init__(
        self,
        access_file: AccessFile,
        tools_for: ToolsFor,
        *,
        allow_live: bool,
        known_toolsets: frozenset[str] | None = None,
        audit: Audit | None = None,
        mcp_path: str = "/mcp",
    ) -> None:
        self.file = access_file
        self.tools_for = tools_for
        self.allow_live = allow_live
        self.known_toolsets = known_toolsets
        self.audit = audit
        self.mcp_path = mcp_path
        self.metadata_url = str(build_resource_metadata_url(AnyHttpUrl(access_file.resource)))
        self._stamp = _stamp(access_file.path)
        self._broken: str | None = None
        self.verifier = self._verifier(access_file)

    @staticmethod
    def _verifier(file: AccessFile) -> TokenVerifier:
        jwks = JwksCache(file.issuer, file.jwks_uri, cooldown_seconds=file.jwks_cooldown_seconds)
        return TokenVerifier(file.issuer, file.resource, jwks, leeway_seconds=file.leeway_seconds)

    def current(self) -> AccessFile:
        """The access file as it is now on disk (read again when it changed)."""
        stamp = _stamp(self.file.path)
        if stamp != self._stamp:
            self._stamp = stamp
            try:
                fresh = load_access_file(
                    self.file.path,
                    allow_live=self.allow_live,
                    known_toolsets=self.known_toolsets,
                    base_toolsets=self.file.base_toolsets,
                    env=self.file.env,
                )
                if fresh.resource != self.file.resource:
                    raise ConfigError("[oauth] resource changed; restart the server to serve another URL")
            except ConfigError as error:
                self._broken = str(error)
                logger.error("access file not applied, refusing every request until fixed: %s", error)
            else:
                if (fresh.issuer, fresh.jwks_uri) != (self.file.issuer, self.file.jwks_uri):
                    self.verifier = self._verifier(fresh)
                if (fresh.toolsets, fresh.any_confirms) != (self.file.toolsets, self.file.any_confirms):
                    logger.warning("access file: new toolsets or confirmation settings apply after a restart")
                self.file, self._broken = fresh, None
                logger.info("access file %s read again: %d rule(s)", fresh.path, len(fresh.rules))
        if self._broken is not None:
            raise ProviderUnavailable("the server's access file has an error; its operator has been told")
        return self.file

    def metadata(self) -> ProtectedResourceMetadata:
        # Validated from strings, so the model keeps the issuer exactly as written (no "/" added).
        return ProtectedResourceMetadata.model_validate(
            {
                "resource": self.file.resource,
                "authorization_servers": [self.file.issuer],
                "scopes_supported": list(self.file.scopes) or None,
                "resource_name": "stripe-power (guarded Stripe tools)",
            }
        )

    def routes(self) -> list[Route]:
        """Protected Resource Metadata at the RFC 9728 path for the resource (`.../mcp`) and at
        the root well-known path, which clients try next. The SDK's handler, with CORS."""
        endpoint = cors_middleware(
            ProtectedResourceMetadataHandler(self.metadata()).handle, ["GET", "OPTIONS"]
        )
        paths = dict.fromkeys([urlsplit(self.metadata_url).path, "/.well-known/oauth-protected-resource"])
        return [Route(path, endpoint=endpoint, methods=["GET", "OPTIONS"]) for path in paths]

    def protect(self, app: ASGIApp) -> ASGIApp:
        return _Middleware(app, self)

    async def authenticate(self, scope: Scope) -> Access:
        """The Access for this request, or raise Refusal with the answer to send."""
        values = [v for k, v in scope["headers"] if k == b"authorization"]
        if len(values) > 1:
            raise Refusal(400, "invalid_request", "Send one Authorization header, not several.")
        file = self.current()
        scheme, _, token = (values[0].decode("latin-1") if values else "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Refusal(
                401, None, "Sign in: this server takes OAuth access tokens (Authorization: Bearer)."
            )
        try:
            person = await self.verifier.verify(token.strip())
        except InvalidToken as error:
            logger.info("refused a bearer token: %s", error)
            raise Refusal(401, "invalid_token", f"The access token was refused: {error}.") from None
        missing = [s for s in file.scopes if s not in person.scopes]
        if missing:
            await self._audit(person, "insufficient_scope", f"missing scope {' '.join(missing)}")
            raise Refusal(
                403,
                "insufficient_scope",
                f"The access token lacks the scope {' '.join(missing)}; sign in again granting it.",
            )
        try:
            return file.grant(person, self.tools_for)
        except Denied as denied:
            await self._audit(person, "denied", str(denied))
            raise Refusal(403, "access_denied", str(denied)) from None

    def challenge(self, error: str | None, description: str) -> str:
        """The WWW-Authenticate value (RFC 6750 §3): no error code when no token was sent."""
        parts = [f'resource_metadata="{self.metadata_url}"']
        if self.file.scopes:
            parts.append(f'scope="{" ".join(self.file.scopes)}"')
        if error is not None:
            parts += [f'error="{error}"', f'error_description="{_quotable(description)}"']
        return "Bearer " + ", ".join(parts)

    async def _audit(self, person: Person, outcome: str, reason: str) -> None:
        logger.warning("refused %s (sub %s): %s", person.name, person.subject, reason)
        if self.audit is not None:
            await self.audit(
                audit_line(
                    {"access": outcome, "person": person.subject, "person_name": person.name, "error": reason}
                )
            )


class Refusal(Exception):
    def __init__(self, status: int, error: str | None, message: str) -> None:
        self.status, self.error, self.message = status, error, message
        super().__init__(message)


class _Middleware:
    def __init__(self, app: ASGIApp, guard: OAuthGuard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.guard.mcp_path):
            await self.app(scope, receive, send)
            return
        try:
            access = await self.guard.authenticate(scope)
        except Refusal as refusal:
            await self._refuse(send, refusal)
            return
        except ProviderUnavailable as error:
            await _send_json(
                send, 503, {"error": "temporarily_unavailable", "message": f"Cannot check tokens now: {error}."},
                [(b"retry-after", b"5")],
            )  # fmt: skip
            return
        person = access.person
        token = AccessToken(
            token="",  # the raw token stays out of the scope: nothing downstream needs it
            client_id=person.client_id,
            scopes=list(person.scopes),
            expires_at=_int(person.claims.get("exp")),
            resource=self.guard.file.resource,
            subject=person.subject,
            claims={"iss": person.issuer},
        )
        scope = {**scope, "user": AuthenticatedUser(token), "auth": AuthCredentials(list(person.scopes))}
        scope[ACCESS] = access
        await self.app(scope, receive, send)

    async def _refuse(self, send: Send, refusal: Refusal) -> None:
        headers = []
        if refusal.status in (401, 403) and refusal.error != "access_denied":
            challenge = self.guard.challenge(refusal.error, refusal.message)
            headers.append((b"www-authenticate", challenge.encode()))
        body = {"error": refusal.error or "unauthorized", "error_description": refusal.message}
        await _send_json(send, refusal.status, body, headers)


async def _send_json(
    send: Send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]]
) -> None:
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


def _quotable(text: str) -> str:
    """RFC 6750's error_description: printable ASCII without `"` and `\\`."""
    return "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\' else "'" if c == '"' else "?" for c in text)


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_mtime_ns, found.st_size, found.st_ino)


def access_of(request: Any) -> Access | None:
    """The Access the guard attached to this HTTP request (None: not an OAuth request)."""
    scope = getattr(request, "scope", None)
    found = scope.get(ACCESS) if isinstance(scope, dict) else None
    return found if isinstance(found, Access) else None


async def server_middleware(ctx: Any, call_next: Callable[[Any], Awaitable[Any]]) -> Any:
    """Per MCP message: make the sender's Access current, list only their tools, and refuse a
    call to any other (with an audit line) before it runs."""
    access = access_of(ctx.request)
    if access is None:
        return await call_next(ctx)
    token = current_access.set(access)
    try:
        if ctx.method == "tools/call":
            name = str((ctx.params or {}).get("name", ""))
            if name not in access.tools:
                return await _refuse_tool(ctx, access, name)
        result = await call_next(ctx)  # the wire form: a dict
        if ctx.method == "tools/list" and isinstance(result, dict) and isinstance(result.get("tools"), list):
            result = {**result, "tools": [t for t in result["tools"] if t.get("name") in access.tools]}
        return result
    finally:
        current_access.reset(token)


async def _refuse_tool(ctx: Any, access: Access, name: str) -> CallToolResult:
    why = " (read-only)" if access.read_only else ""
    message = (
        f"{name} is not available to {access.person.name}: access rule {access.rule!r}{why} does not "
        "grant it. Nothing was sent to Stripe. Ask the team lead who runs this server for it."
    )
    gateway = getattr(getattr(ctx, "lifespan_context", None), "gateway", None)
    if gateway is not None:
        await gateway.audit_entry(tool_call=name, outcome="refused", rule="access", error=message)
    return CallToolResult(content=[TextContent(type="text", text=message)], is_error=True)


def guard_for(settings: Settings, state: State | None = None) -> OAuthGuard:
    """The guard for a server started with an access file (`settings.oauth`)."""
    from ..tools import TOOLSET_NAMES, selected_tools

    if settings.oauth is None:
        raise ConfigError("OAuth mode needs --access-file.")
    flag = lambda name: bool(getattr(settings, name))  # noqa: E731  (tools that `requires` a setting)
    registered = frozenset(spec.name for spec in selected_tools(settings.toolsets, settings.read_only, flag))

    def tools_for(toolsets: frozenset[str] | None, read_only: bool) -> frozenset[str]:
        """A rule's tools: of those the server registered, its toolsets' (read-only or not)."""
        return registered & {
            spec.name for spec in selected_tools(toolsets, read_only or settings.read_only, flag)
        }

    return OAuthGuard(
        settings.oauth,
        tools_for,
        allow_live=settings.allow_live,
        known_toolsets=TOOLSET_NAMES,
        audit=state.audit if state is not None else None,
    )
