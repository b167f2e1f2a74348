"""create_server(settings) -> MCPServer: the lifespan builds the Gateway; toolsets are registered."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import stripe
from mcp.server import MCPServer
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel

from . import __version__
from .arguments import ArgumentCheck
from .audit import AuditLog
from .config import Settings
from .gateway import Gateway
from .tools import selected_tools
from .tools._registry import as_mcp_function

logger = logging.getLogger("stripe_power")

INSTRUCTIONS = (
    "Stripe tools with guardrails. Prefer Checkout Sessions (create_checkout_session) for payments; "
    "use Payment Intents only for custom flows. Deprecated APIs (Charges, Sources, Tokens) and "
    "hardcoded payment_method_types are refused. Amounts are integers in minor units (2999 = $29.99)."
)


@dataclass
class AppState:
    settings: Settings
    gateway: Gateway


def render(summary: BaseModel, *, structured: bool) -> CallToolResult:
    """Compact JSON text without nulls; the same object as structured content if asked."""
    data = summary.model_dump(mode="json", exclude_none=True)
    text = summary.model_dump_json(exclude_none=True)
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=data if structured else None
    )


def trim_schema(schema: Any) -> Any:
    """Shrink a generated schema without changing what it accepts from a client that omits
    optional parameters: drop pydantic's `title`s, `default: null`, and the `{"type": "null"}`
    branch of optionals. The tool list is paid for in every agent's context.

    A property *named* `title` maps to a dict, so only string-valued `title` keys go.
    """
    if isinstance(schema, list):
        return [trim_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    options = schema.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options and len(options) == 2:
        (kept,) = [option for option in options if option != {"type": "null"}]
        schema = {**{k: v for k, v in schema.items() if k != "anyOf"}, **kept}
    return {
        key: trim_schema(value)
        for key, value in schema.items()
        if not (key == "title" and isinstance(value, str)) and not (key == "default" and value is None)
    }


def build_tools(settings: Settings, *, structured_output: bool) -> list[Tool]:
    tools = []
    for spec in selected_tools(settings.toolsets, settings.read_only):
        fn = as_mcp_function(spec, lambda s: render(s, structured=structured_output))
        tool = Tool.from_function(
            fn,
            name=spec.name,
            title=spec.title,
            annotations=spec.annotations(),
            structured_output=structured_output,
        )
        tool.parameters = trim_schema(tool.parameters)
        tools.append(tool)
    return tools


def create_server(
    settings: Settings,
    *,
    http_client: stripe.HTTPClient | None = None,
    structured_output: bool = False,
    **server_options: Any,
) -> MCPServer[AppState]:
    """The MCP server for these settings. `http_client` lets tests inject the SDK's transport."""

    @asynccontextmanager
    async def lifespan(_: MCPServer[AppState]) -> AsyncIterator[AppState]:
        audit = AuditLog(settings.state_dir / "audit.jsonl")
        gateway = Gateway(settings, audit=audit, http_client=http_client)
        try:
            yield AppState(settings=settings, gateway=gateway)
        finally:
            await gateway.aclose()

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
    return server
