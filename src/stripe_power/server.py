"""create_server(settings) -> MCPServer: the lifespan builds the Gateway; toolsets are registered."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel

from . import __version__
from .arguments import ArgumentCheck
from .client_log import ClientLog
from .completions import register_completions
from .config import Settings
from .confirm import ConfirmationRequired, ConfirmationTokens, confirmation_gate
from .gateway import Gateway, HTTPClient
from .limits import SpendingLimits
from .prompts import register_prompts
from .resources import register_resources
from .state import State, open_state
from .tools import selected_tools
from .tools._registry import as_mcp_function

logger = logging.getLogger("stripe_power")

INSTRUCTIONS = (
    "Prefer Checkout Sessions (create_checkout_session) for payments and subscriptions; Payment "
    "Intents only for custom flows. Deprecated APIs (Charges, Sources, Tokens) and hardcoded "
    "payment_method_types are refused. Guide: stripe://guide/best-practices. Conventions: amounts "
    "are integers in the currency's minor unit (2999 usd = $29.99); currency is lowercase ISO; an id "
    "parameter is named after its object (customer=cus_..., payment_intent=pi_...); idempotency_key "
    "makes a retry safe; lists page with limit and starting_after; metadata is string pairs."
)


REPLAY_NOTE = (
    "Not done again: an identical call ran moments ago (same tool and arguments, or the same "
    "idempotency_key), so Stripe answered with its result and nothing new was made. Shown: the "
    "object as it is now. To make another one on purpose, repeat the call with a new idempotency_key."
)


@dataclass
class AppState:
    settings: Settings
    gateway: Gateway
    limits: SpendingLimits
    tokens: ConfirmationTokens
    state: State


def render(summary: BaseModel, replay: bool, *, structured: bool) -> CallToolResult:
    """Compact JSON text without nulls; the same object as structured content if asked.

    A confirmation request is an error result: the call did not happen (yet). A write that
    Stripe answered from its idempotency cache says so in words (REPLAY_NOTE).
    """
    data = summary.model_dump(mode="json", exclude_none=True)
    if isinstance(summary, ConfirmationRequired):
        return CallToolResult(content=[TextContent(type="text", text=json.dumps(data))], is_error=True)
    text = json.dumps(
        {**data, "replayed": True, "replay_note": REPLAY_NOTE} if replay else data,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=data if structured else None
    )


# Bounds and patterns stay enforced by the server (ArgumentCheck validates every call with the
# full model and names the parameter); publishing them doubled the tool list's size.
_SERVER_SIDE_ONLY = frozenset(
    {"maxLength", "minLength", "pattern", "maxProperties", "minProperties",
     "maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum", "maxItems", "minItems"}
)  # fmt: skip


def trim_schema(schema: Any) -> Any:
    """The schema clients see: types, enums, required and descriptions. Dropped: pydantic's
    `title`s, `default: null`, the `{"type": "null"}` branch of optionals, and the bounds the
    server checks itself. The tool list is paid for in every agent's context.

    A property *named* `title` or `pattern` maps to a dict, so only scalar-valued keys go.
    """
    if isinstance(schema, list):
        return [trim_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    options = schema.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options and len(options) == 2:
        (kept,) = [option for option in options if option != {"type": "null"}]
        schema = {**kept, **{k: v for k, v in schema.items() if k != "anyOf"}}
    return {
        key: trim_schema(value)
        for key, value in schema.items()
        if not (key == "title" and isinstance(value, str))
        and not (key == "default" and value is None)
        and not (key in _SERVER_SIDE_ONLY and not isinstance(value, dict))
        and key != "propertyNames"
    }


def build_tools(settings: Settings, *, structured_output: bool) -> list[Tool]:
    tools = []
    flag = lambda name: bool(getattr(settings, name))  # noqa: E731  (tools that `requires` a setting)
    for spec in selected_tools(settings.toolsets, settings.read_only, flag):
        fn = as_mcp_function(
            spec,
            lambda summary, replay: render(summary, replay, structured=structured_output),
            gate=confirmation_gate if settings.confirms and spec.confirmable else None,
            connect=settings.connect,
            client_keys=settings.client_keys,
        )
        tool = Tool.from_function(
            fn,
            name=spec.name,
            title=spec.title,
            annotations=spec.annotations(),
            structured_output=structured_output,
        )
        tool.parameters = trim_schema(tool.parameters)
        if tool.fn_metadata.output_schema is not None:
            # Results never carry nulls (they are dropped), so the trimmed schema still holds.
            tool.fn_metadata.output_schema = trim_schema(tool.fn_metadata.output_schema)
        tools.append(tool)
    return tools


def create_server(
    settings: Settings,
    *,
    http_client: HTTPClient | None = None,
    structured_output: bool = False,
    state: State | None = None,
    **server_options: Any,
) -> MCPServer[AppState]:
    """The MCP server for these settings. `http_client` lets tests inject the SDK's transport;
    `state` is shared with the HTTP app's webhook receiver and readiness check (default: the
    backend the settings name, started and stopped with the server)."""
    store = state or open_state(settings)

    @asynccontextmanager
    async def lifespan(_: MCPServer[AppState]) -> AsyncIterator[AppState]:
        await store.start()
        gateway = Gateway(settings, state=store, http_client=http_client)
        try:
            yield AppState(
                settings=settings,
                gateway=gateway,
                limits=SpendingLimits(
                    settings.max_amount, settings.max_daily_refunds, store, lambda: gateway.scope
                ),
                tokens=ConfirmationTokens(store, lambda: gateway.scope),
                state=store,
            )
        finally:
            await gateway.aclose()
            await store.stop()

    tools = build_tools(settings, structured_output=structured_output)
    server: MCPServer[AppState] = MCPServer(
        name="stripe-power",
        title="Stripe (guarded)",
        version=__version__,
        instructions=INSTRUCTIONS,
        tools=tools,
        lifespan=lifespan,
        middleware=[ArgumentCheck({tool.name: tool for tool in tools})],
        **server_options,
    )
    register_resources(server)
    register_prompts(server)
    register_completions(server)
    ClientLog().install(server)
    return server
