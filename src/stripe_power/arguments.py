"""Argument checks in front of every tool call.

`mcp` drops undeclared arguments silently; an agent that misspells a parameter would
never learn. This middleware refuses unknown arguments (with the guardrail message for
`payment_method_types`) and turns validation errors into one line per parameter.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult, TextContent
from pydantic import ValidationError

from .audit import redact_text
from .guardrails import rule

_PROBLEMS = {
    "extra_forbidden": "is not a parameter of this tool",
    "missing": "is required",
}


def error_result(message: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=message)], is_error=True)


def unknown_argument_message(tool: Tool, name: str) -> str:
    known = list(tool.parameters.get("properties", {}))
    if name == "payment_method_types":
        advice = rule("payment-method-types").fitted(lambda other: other in known)
        return advice.message(f"`payment_method_types` passed to {tool.name}")
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" Did you mean `{close[0]}`?" if close else ""
    return f"Unknown parameter `{name}` for {tool.name}.{hint} Parameters: {', '.join(known)}."


def describe_validation(tool: Tool, error: ValidationError) -> str:
    lines = []
    for item in error.errors(include_url=False):
        param = ".".join(str(part) for part in item["loc"]) or "(arguments)"
        problem = _PROBLEMS.get(item["type"], item["msg"])
        got = "" if item["type"] == "missing" else f" (got {redact_text(str(item.get('input'))[:60])!r})"
        lines.append(f"`{param}` {problem}{got}")
    return f"Invalid arguments for {tool.name}: " + "; ".join(lines) + ". Nothing was sent to Stripe."


class ArgumentCheck:
    """Server middleware: validate `tools/call` arguments strictly before the tool runs."""

    def __init__(self, tools: Mapping[str, Tool]) -> None:
        self.tools = tools

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method != "tools/call" or not isinstance(ctx.params, Mapping):
            return await call_next(ctx)
        tool = self.tools.get(str(ctx.params.get("name")))
        arguments = ctx.params.get("arguments") or {}
        if tool is None or not isinstance(arguments, Mapping):
            return await call_next(ctx)
        declared = tool.parameters.get("properties", {})
        if unknown := [name for name in arguments if name not in declared]:
            return error_result(unknown_argument_message(tool, unknown[0]))
        try:
            tool.fn_metadata.validate_arguments(dict(arguments))
        except ValidationError as error:
            return error_result(describe_validation(tool, error))
        return await call_next(ctx)
