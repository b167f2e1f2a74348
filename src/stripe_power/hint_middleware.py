"""The one place every answer passes before it leaves: hints rendered for this server's listing.

A middleware around every MCP request: it makes the server's `Listing` the current one (so code
inside a request renders references for it), answers a call of a tool this server does not list
with where that tool is and the call that does the same here, answers an unknown prompt or a
prompt argument it cannot take with JSON-RPC -32602 naming it, and renders every reference left in
the result (tool results and errors, prompts, resources, tool descriptions, instructions).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mcp.server import MCPServer
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, CallToolResult, TextContent
from pydantic import BaseModel

from . import hints
from .audit import redact_text

# What can carry a reference at run time; tool descriptions and the instructions are rendered
# once, when the server is made (tools/list is not walked on every call).
_RENDERED = frozenset({"tools/call", "prompts/get", "resources/read"})


def install(server: MCPServer[Any], listing: hints.Listing) -> None:
    async def middleware(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        mine = for_caller(listing)
        token = hints.using(mine)
        try:
            early = _answer_unknown(server, ctx, mine)
            if early is not None:
                return early
            result = await call_next(ctx)
            return rendered(result, mine) if ctx.method in _RENDERED else result
        finally:
            hints.reset(token)

    server.middleware.append(middleware)


def for_caller(listing: hints.Listing) -> hints.Listing:
    """With OAuth, each person may list and call only the tools their access rule grants (set by
    the OAuth guard, which runs outside this middleware): hints name only those."""
    from .oauth.access import current_access

    access = current_access.get()
    if access is None:
        return listing
    return hints.Listing(listing.tools & access.tools, listing.read_only or access.read_only, listing.sandbox)


def _answer_unknown(
    server: MCPServer[Any], ctx: ServerRequestContext[Any, Any], listing: hints.Listing
) -> HandlerResult:
    params: Mapping[str, Any] = ctx.params if isinstance(ctx.params, Mapping) else {}
    name = params.get("name")
    if not isinstance(name, str):
        return None
    if ctx.method == "tools/call" and server._tool_manager.get_tool(name) is None:
        arguments = params.get("arguments")
        text = hints.unknown_tool(name, arguments if isinstance(arguments, Mapping) else {}, listing)
        return CallToolResult(content=[TextContent(type="text", text=redact_text(text))], is_error=True)
    if ctx.method == "prompts/get":
        check_prompt_call(server, name, params.get("arguments"))
    return None


def check_prompt_call(server: MCPServer[Any], name: str, arguments: Any) -> None:
    """An unknown prompt, a missing required argument or an argument the prompt does not take
    is the caller's mistake (-32602, naming it), not an internal error."""
    prompts = {prompt.name: prompt for prompt in server._prompt_manager.list_prompts()}
    prompt = prompts.get(name)
    if prompt is None:
        raise MCPError(
            code=INVALID_PARAMS,
            message=f"Unknown prompt: {name!r}. Prompts: {', '.join(sorted(prompts))}.",
            data={"prompt": name},
        )
    given = dict(arguments) if isinstance(arguments, Mapping) else {}
    takes = {argument.name: argument for argument in prompt.arguments or []}
    missing = [n for n, argument in takes.items() if argument.required and n not in given]
    unknown = sorted(set(given) - set(takes))
    if missing or unknown:
        parts = [f"missing required argument `{n}` ({takes[n].description})" for n in missing]
        parts += [f"no argument `{n}`" for n in unknown]
        raise MCPError(
            code=INVALID_PARAMS,
            message=f"Prompt {name}: {'; '.join(parts)}. It takes: {_arguments_of(takes)}.",
            data={"prompt": name, "missing": missing, "unknown": unknown},
        )


def _arguments_of(takes: Mapping[str, Any]) -> str:
    return ", ".join(f"{n}{'' if a.required else ' (optional)'}" for n, a in takes.items()) or "no arguments"


def rendered(result: HandlerResult, listing: hints.Listing) -> HandlerResult:
    """`result` with every reference in its strings written for `listing` (unchanged objects
    are returned as they are: most results carry none)."""
    if isinstance(result, BaseModel):
        return _model(result, listing)
    if isinstance(result, dict):
        out: dict[str, Any] = _value(result, listing)
        return out
    return result


def _text(text: str, listing: hints.Listing) -> str:
    """A tool result or resource is JSON text: its strings are rendered and it is encoded again
    (a rendered reference holds quotes); any other text is rendered as it is."""
    try:
        data = json.loads(text)
    except ValueError:
        return hints.render(text, listing)
    if not isinstance(data, dict | list):
        return hints.render(text, listing)
    return json.dumps(hints.render_data(data, listing), separators=(",", ":"), ensure_ascii=False)


def _model(model: BaseModel, listing: hints.Listing) -> BaseModel:
    changes = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        new = _value(value, listing)
        if new is not value:
            changes[name] = new
    return model.model_copy(update=changes) if changes else model


def _value(value: Any, listing: hints.Listing) -> Any:
    if isinstance(value, str):
        return _text(value, listing) if hints.OPEN in value else value
    if isinstance(value, BaseModel):
        return _model(value, listing)
    if isinstance(value, list):
        items = [_value(item, listing) for item in value]
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    if isinstance(value, dict):
        pairs = {k: _value(v, listing) for k, v in value.items()}
        return pairs if any(pairs[k] is not value[k] for k in value) else value
    return value
