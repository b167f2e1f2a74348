"""Confirmation before money moves or something is destroyed.

Policy: in live mode, or with --confirm-writes, a call of kind `money` or `destructive`
needs the user's yes. With a client that can be asked (MCP elicitation on a connection
that can carry a server request) the user is asked in place; otherwise the first call
returns a preview and a one-time token bound to those exact arguments, and a second
call with the same arguments and the token executes.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from typing import Any

from mcp.shared.exceptions import MCPError
from pydantic import BaseModel, Field
from pydantic_core import to_jsonable_python

from . import clock
from .errors import GuardrailRefusal, InputError
from .oauth.access import current_access
from .state import State
from .tools._registry import CONFIRMABLE, ToolSpec

TOKEN_TTL_SECONDS = 300


class Confirm(BaseModel):
    """What the user is asked in an elicitation: a single yes/no."""

    confirm: bool = Field(description="Go ahead?")


class ConfirmationRequired(BaseModel):
    """The first step of the two-step flow: nothing has happened yet."""

    status: str = "confirmation_required"
    preview: str
    confirmation_token: str
    expires_in_seconds: int = TOKEN_TTL_SECONDS
    next_step: str


def fingerprint(tool: str, arguments: dict[str, Any]) -> str:
    canonical = json.dumps({"tool": tool, "arguments": to_jsonable_python(arguments)}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


class ConfirmationTokens:
    """One-time tokens, each bound to one tool call's exact arguments and to the caller's scope
    (a keyed hash of its Stripe key and, in OAuth mode, of the person who was asked); expire
    after 5 minutes. Kept in the shared state, so a
    token issued by one instance is honoured, once, by any other."""

    def __init__(self, state: State, scope: Callable[[], str], ttl: float = TOKEN_TTL_SECONDS) -> None:
        self.state = state
        self.scope = scope
        self.ttl = ttl

    def _binding(self, tool: str, arguments: dict[str, Any]) -> str:
        return fingerprint(tool, {**arguments, "__scope": self.scope()})

    async def issue(self, tool: str, arguments: dict[str, Any]) -> str:
        token = "conf_" + secrets.token_urlsafe(18)
        await self.state.issue_token(token, self._binding(tool, arguments), clock.now() + self.ttl)
        return token

    async def redeem(self, token: str, tool: str, arguments: dict[str, Any]) -> None:
        """Consume the token or raise: unknown, used, expired, or issued for other arguments."""
        bound = await self.state.take_token(token)
        if bound is None:
            raise InputError(
                "confirmation_token",
                "is unknown or was already used.",
                "Call the tool again without it to get a fresh preview and token.",
            )
        expected, expires = bound
        if clock.now() > expires:
            raise InputError(
                "confirmation_token",
                "has expired (tokens last 5 minutes).",
                "Call again without it for a new one.",
            )
        if expected != self._binding(tool, arguments):
            raise InputError(
                "confirmation_token",
                f"was issued for different arguments of {tool}, so it was not used.",
                "Repeat the previewed call with exactly the same arguments, or get a new preview.",
            )


def describe_call(title: str, arguments: dict[str, Any]) -> str:
    """A fallback preview: the tool's title and the arguments that were given."""
    hidden = {"idempotency_key", "session"}
    shown = ", ".join(f"{k}={v!r}" for k, v in arguments.items() if v is not None and k not in hidden)
    return f"{title}: {shown}" if shown else title


def can_elicit(ctx: Any) -> bool:
    """Elicitation needs the client's capability and a channel that can carry a server request."""
    capabilities = ctx.client_capabilities
    if capabilities is None or capabilities.elicitation is None:
        return False
    return bool(getattr(ctx.session, "can_send_request", False))


async def confirmation_gate(
    spec: ToolSpec, ctx: Any, arguments: dict[str, Any], token: str | None
) -> BaseModel | None:
    """None to go ahead; a ConfirmationRequired to send back instead; raises if the user said no."""
    if spec.kind_for(arguments) not in CONFIRMABLE:
        return None
    state = ctx.request_context.lifespan_context
    access = current_access.get()  # OAuth mode: confirmation is per person (their rule, their key)
    if access is not None and not (access.confirm_writes or access.live or state.settings.confirm_writes):
        return None
    if token is not None:
        await state.tokens.redeem(token, spec.name, arguments)
        return None
    preview = (
        await spec.preview(state.gateway, arguments) if spec.preview else describe_call(spec.title, arguments)
    )
    if can_elicit(ctx):
        try:
            answer = await ctx.elicit(f"Confirm: {preview}", Confirm)
        except MCPError:
            pass  # the client could not answer after all: fall back to the two-step flow
        else:
            if answer.action == "accept" and answer.data.confirm:
                return None
            raise GuardrailRefusal(
                "confirmation",
                f"Not confirmed by the user ({answer.action}): {preview}. Nothing was sent to Stripe.",
            )
    return ConfirmationRequired(
        preview=preview,
        confirmation_token=await state.tokens.issue(spec.name, arguments),
        next_step=f"Show the preview to the user. If they agree, call {spec.name} again with exactly the "
        "same arguments plus confirmation_token (single use, 5 minutes).",
    )
