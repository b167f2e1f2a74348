"""Toolsets as plain data, and the one place a tool function becomes an MCP tool.

A tool's `kind` says what it does to the account; annotations, read-only mode and
confirmation are derived from it here, once, instead of per tool.
"""

from __future__ import annotations

import functools
import inspect
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, Field
from pydantic_core import to_jsonable_python

from ..audit import current_account, current_call, current_session, current_tool, redact_text, replayed
from ..clients import session_id_of
from ..errors import GuardrailRefusal, StripePowerError
from ..hints import render as render_hints

# read: only reads. write: creates or changes, nothing irreversible. money: moves money.
# destructive: cancels, voids, detaches or deletes something that cannot be undone.
ToolKind = Literal["read", "write", "money", "destructive"]
CONFIRMABLE: frozenset[ToolKind] = frozenset({"money", "destructive"})

ToolFn = Callable[..., Awaitable[BaseModel]]
# Says what one call does, when that depends on its arguments (the generic API tool).
KindOf = Callable[[dict[str, Any]], ToolKind]
# Describes one call for a confirmation prompt ("refund $25.00 of $80.00 on pi_..."); may read Stripe.
Preview = Callable[[Any, dict[str, Any]], Awaitable[str]]

ConfirmationToken = Annotated[
    str, Field(pattern=r"^conf_[A-Za-z0-9_-]+$", description="From a confirmation_required result")
]
StripeAccount = Annotated[
    str, Field(pattern=r"^acct_[A-Za-z0-9]+$", description="Connected account to act as (Stripe-Account)")
]


@dataclass(frozen=True)
class ToolSpec:
    fn: ToolFn
    name: str
    title: str
    toolset: str
    kind: ToolKind
    idempotent: bool
    kind_of: KindOf | None = None
    preview: Preview | None = None
    # A `Settings` flag that must be true for the tool to be listed (e.g. "receives_webhooks").
    requires: str | None = None
    local: bool = False  # works offline, without Stripe (open_world_hint false)
    allows_reads: bool = False  # some calls only read: listed in read-only mode, refuses writes there

    @property
    def read_only(self) -> bool:
        return self.kind == "read"

    @property
    def confirmable(self) -> bool:
        return self.kind in CONFIRMABLE or self.kind_of is not None

    def kind_for(self, arguments: dict[str, Any]) -> ToolKind:
        return self.kind_of(arguments) if self.kind_of else self.kind

    def annotations(self, *, read_only_mode: bool = False) -> ToolAnnotations | None:
        """The hints, decided here from `kind`. On the wire a hint equal to the MCP spec's
        default is left out (readOnlyHint false, destructiveHint true, idempotentHint false,
        openWorldHint true; destructive and idempotent mean nothing on a read-only tool): they
        were a fifth of the tool list's bytes and told a client nothing. So a money-moving or
        destructive tool carries no annotations at all, which the spec reads as the most
        careful case; a tool that writes harmlessly says `destructiveHint: false`; a read
        says `readOnlyHint: true`. In read-only mode a tool that `allows_reads` refuses every
        write, so it is read-only there."""
        read_only = self.read_only or (read_only_mode and self.allows_reads)
        hints = ToolAnnotations(
            read_only_hint=True if read_only else None,
            destructive_hint=False if not read_only and self.kind not in CONFIRMABLE else None,
            idempotent_hint=True if self.idempotent and not read_only else None,
            open_world_hint=False if self.local else None,
        )
        return None if hints == ToolAnnotations() else hints

    def hints(self, *, read_only_mode: bool = False) -> dict[str, bool]:
        """All four hints with the spec's defaults filled in: what a client understands."""
        wire = self.annotations(read_only_mode=read_only_mode) or ToolAnnotations()
        read_only = bool(wire.read_only_hint)
        return {
            "read_only": read_only,
            "destructive": not read_only and wire.destructive_hint is not False,
            "idempotent": not read_only and bool(wire.idempotent_hint),
            "open_world": wire.open_world_hint is not False,
        }


@dataclass
class Toolset:
    """A named group of tools; `--toolsets` selects groups by this name."""

    name: str
    description: str
    tools: list[ToolSpec] = field(default_factory=list)

    def tool(
        self,
        title: str,
        *,
        kind: ToolKind,
        idempotent: bool = False,
        kind_of: KindOf | None = None,
        preview: Preview | None = None,
        requires: str | None = None,
        local: bool = False,
        allows_reads: bool = False,
    ) -> Callable[[ToolFn], ToolFn]:
        def register(fn: ToolFn) -> ToolFn:
            self.tools.append(
                ToolSpec(
                    fn,
                    fn.__name__,
                    title,
                    self.name,
                    kind,
                    idempotent,
                    kind_of,
                    preview,
                    requires,
                    local,
                    allows_reads,
                )
            )
            return fn

        return register


# Runs before the tool body: returns a result to send instead (a confirmation request), or None to go on.
Gate = Callable[[ToolSpec, Any, dict[str, Any], str | None], Awaitable[BaseModel | None]]


Render = Callable[[BaseModel, bool], CallToolResult]  # (summary, was it an idempotent replay)


def as_mcp_function(
    spec: ToolSpec,
    render: Render,
    *,
    gate: Gate | None = None,
    connect: bool = False,
) -> Callable[..., Awaitable[CallToolResult]]:
    """Wrap a tool function: name it for the audit log, add the server-wide parameters
    (`stripe_account` with --connect, `confirmation_token` when calls need confirmation),
    pass it through the gate, render its summary, and turn this package's errors into tool
    errors (anything else stays an opaque failure: no traceback reaches the agent)."""
    extra: dict[str, Any] = {}
    if connect:
        extra["stripe_account"] = StripeAccount | None
    if gate is not None:
        extra["confirmation_token"] = ConfirmationToken | None
    signature = inspect.signature(spec.fn, eval_str=True)
    added = [
        inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=a)
        for n, a in extra.items()
    ]
    signature = signature.replace(parameters=[*signature.parameters.values(), *added])

    @functools.wraps(spec.fn)
    async def run(**kwargs: Any) -> CallToolResult:
        call_id = "call_" + secrets.token_hex(8)
        call_token = current_call.set(call_id)
        tool_token = current_tool.set(spec.name)
        account_token = current_account.set(kwargs.pop("stripe_account", None))
        # The replay window and confirmation tokens are scoped to the session: two clients never share them.
        session_token = current_session.set(session_id_of(kwargs.get("ctx")))
        replay_token = replayed.set(False)
        started = time.perf_counter()
        outcome: dict[str, Any] = {"outcome": "error"}
        try:
            confirmation = kwargs.pop("confirmation_token", None)
            if gate is not None:
                arguments = {k: v for k, v in kwargs.items() if k != "ctx"}
                arguments["stripe_account"] = current_account.get()
                arguments["session"] = current_session.get()
                held = await gate(spec, kwargs["ctx"], arguments, confirmation)
                if held is not None:
                    outcome = {"outcome": "confirmation_required"}
                    return render(held, False)
            summary = await spec.fn(**kwargs)
            outcome = {"outcome": "ok"}
            return render(summary, replayed.get())
        except GuardrailRefusal as refusal:
            message = render_hints(str(refusal))  # the tools it names, as this server lists them
            outcome = {"outcome": "refused", "rule": refusal.rule_id, "error": message}
            raise ToolError(redact_text(message)) from None
        except StripePowerError as error:
            # Messages quote what the caller sent (a parameter name, a value): never a secret in it.
            message = render_hints(str(error))
            outcome = {"outcome": "error", "error": message}
            raise ToolError(redact_text(message)) from None
        finally:
            gateway = _gateway_of(kwargs.get("ctx"))
            if gateway is not None:
                await gateway.audit_entry(
                    call=call_id,
                    tool_call=spec.name,
                    arguments=_loggable(kwargs),
                    duration_ms=round((time.perf_counter() - started) * 1000, 1),
                    **outcome,
                )
            current_call.reset(call_token)
            replayed.reset(replay_token)
            current_session.reset(session_token)
            current_account.reset(account_token)
            current_tool.reset(tool_token)

    run.__signature__ = signature  # type: ignore[attr-defined]
    # Evaluated once here: the SDK reads the hints several times per tool at start-up, and
    # string annotations (`from __future__ import annotations`) would be compiled each time.
    run.__annotations__ = {
        name: param.annotation
        for name, param in signature.parameters.items()
        if param.annotation is not inspect.Parameter.empty
    } | {"return": signature.return_annotation}
    return run


def _gateway_of(ctx: Any) -> Any:
    """The server's Gateway (which writes the audit log), through the call's context (None outside
    a server). Not imported here: the registry loads before the Gateway is needed."""
    state = getattr(getattr(ctx, "request_context", None), "lifespan_context", None)
    gateway = getattr(state, "gateway", None)
    return gateway if hasattr(gateway, "audit_entry") else None


def _loggable(arguments: dict[str, Any]) -> Any:
    """A tool call's arguments as JSON (AuditLog.record redacts secrets and card numbers)."""
    kept = {k: v for k, v in arguments.items() if k != "ctx" and v is not None}
    return to_jsonable_python(kept, fallback=str, exclude_none=True)
