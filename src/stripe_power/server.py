"""create_server(settings) -> MCPServer: the lifespan builds the Gateway; toolsets are registered."""

from __future__ import annotations

import inspect
import json
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mcp.server import MCPServer
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel

from . import __version__, clients, hint_middleware, hints
from .arguments import CheckedTool, LazyTool, strict
from .audit import redact_result
from .client_log import ClientLog
from .completions import register_completions
from .config import Settings
from .confirm import ConfirmationRequired, ConfirmationTokens, confirmation_gate
from .gateway import Gateway
from .limits import SpendingLimits
from .prompts import register_prompts
from .published import published_schemas, variant
from .resources import register_resources
from .state import State, open_state
from .tools import selected_tools
from .tools._registry import as_mcp_function

if TYPE_CHECKING:
    from stripe import HTTPClient

logger = logging.getLogger("stripe_power")

INSTRUCTIONS = (
    "Prefer Checkout Sessions (⟦create_checkout_session⟧) for payments and subscriptions; Payment "
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
    Keys, webhook secrets and card numbers are redacted wherever they sit (client secrets stay:
    tools return them on purpose).
    """
    data = redact_result(summary.model_dump(mode="json", exclude_none=True))
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


# Bounds and patterns stay enforced by the server (every call is validated strictly with the full
# model, which names the parameter); publishing them doubled the tool list's size. So does
# `additionalProperties: false`: unknown names are refused at any depth with a did-you-mean.
_SERVER_SIDE_ONLY = frozenset(
    {"maxLength", "minLength", "pattern", "maxProperties", "minProperties",
     "maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum", "maxItems", "minItems"}
)  # fmt: skip
# An id parameter's pattern (`^cus_[A-Za-z0-9_]+$`, `^(?:ch|py)_...`): its prefix goes into the
# description, which is all an agent needs from the pattern the trimmed schema no longer shows.
_ID_PATTERN = re.compile(r"\^(?:\(\?:([a-z|]+)\)|([a-z]+))_\[[^\]]+\][+*]\$")


def id_prefixes(pattern: Any) -> str | None:
    """`^cus_[A-Za-z0-9_]+$` -> `cus_...`; `^(?:ch|py)_[A-Za-z0-9_]+$` -> `ch_... or py_...`."""
    found = _ID_PATTERN.fullmatch(pattern) if isinstance(pattern, str) else None
    if found is None:
        return None
    return " or ".join(f"{prefix}_..." for prefix in (found.group(1) or found.group(2)).split("|"))


def trim_schema(schema: Any) -> Any:
    """The schema clients see: types, enums, required and descriptions. Dropped: pydantic's
    `title`s, `null`, number and boolean defaults (a limit of 10, a quantity of 1, a flag off:
    what an omitted parameter obviously means; a string default such as a `payment_behavior`
    says what happens, so it stays), the `{"type": "null"}` branch of optionals, the bounds the
    server checks itself, and `$defs` used once (inlined where they are used). An id's
    pattern becomes its prefix in the description. The tool list is paid for in every
    agent's context.

    A property *named* `title` or `pattern` maps to a dict, so only scalar-valued keys go.
    """
    if isinstance(schema, dict) and isinstance(schema.get("$defs"), dict):
        schema = _inline_single_use_defs(schema)
    return _trim(schema)


def _trim(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_trim(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    options = schema.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options and len(options) == 2:
        (kept,) = [option for option in options if option != {"type": "null"}]
        schema = {**kept, **{k: v for k, v in schema.items() if k != "anyOf"}}
    ids = id_prefixes(schema.get("pattern"))
    if ids is not None:
        description = schema.get("description")
        if not isinstance(description, str):
            schema = {**schema, "description": ids}
        elif not any(word.removesuffix("...") in description for word in ids.split(" or ")):
            schema = {**schema, "description": f"{description} ({ids})"}
    trimmed = {
        key: _trim(value)
        for key, value in schema.items()
        if not (key == "title" and isinstance(value, str))
        and not (key == "default" and (value is None or isinstance(value, (bool, int, float))))
        and not (key in _SERVER_SIDE_ONLY and not isinstance(value, dict))
        and key != "propertyNames"
    }
    if _free_or_scalar(trimmed.get("additionalProperties")):
        del trimmed["additionalProperties"]
    return trimmed


def _free_or_scalar(value: Any) -> bool:
    """`additionalProperties` worth no bytes: `true` (the default), `false` (the server refuses
    unknown names itself, naming the closest), or a scalar type (metadata's string values; the
    server instructions say so once, and a non-string is refused naming its key)."""
    return isinstance(value, bool) or (isinstance(value, dict) and set(value) == {"type"})


def _inline_single_use_defs(schema: dict[str, Any]) -> dict[str, Any]:
    """Replace each `$ref` to a definition used exactly once (and not by itself) with the
    definition; keep `$defs` only for what is still referenced."""
    defs: dict[str, Any] = schema["$defs"]
    text = json.dumps(schema)
    once = {
        name
        for name, body in defs.items()
        if text.count(f'"#/$defs/{name}"') == 1 and f'"#/$defs/{name}"' not in json.dumps(body)
    }

    def inline(node: Any) -> Any:
        if isinstance(node, list):
            return [inline(item) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.removeprefix("#/$defs/") in once:
            target = inline(defs[ref.removeprefix("#/$defs/")])
            return {**target, **{k: inline(v) for k, v in node.items() if k != "$ref"}}
        return {k: inline(v) for k, v in node.items() if k != "$defs"}

    result = inline(schema)
    kept = {name: inline(body) for name, body in defs.items() if name not in once}
    return {**result, "$defs": kept} if kept else result


def build_tools(settings: Settings, *, structured_output: bool, published: bool = True) -> list[Tool]:
    """The tools for these settings. With `published` (and without structured output, whose
    output schemas are built from the models), each tool's schema comes from
    `published_schemas.json` and its argument model is built on its first call."""
    tools: list[Tool] = []
    schemas = published_schemas() if published and not structured_output else {}
    flag = lambda name: bool(getattr(settings, name))  # noqa: E731  (tools that `requires` a setting)
    listing = hints.Listing.of(settings)
    for spec in selected_tools(settings.toolsets, settings.read_only, flag):
        confirmation = settings.confirms and spec.confirmable
        fn = as_mcp_function(
            spec,
            lambda summary, replay: render(summary, replay, structured=structured_output),
            gate=confirmation_gate if confirmation else None,
            connect=settings.connect,
        )
        # Without the docstring's indent; a tool it names is written for this listing.
        description = hints.render(inspect.cleandoc(spec.fn.__doc__ or ""), listing)
        annotations = spec.annotations(read_only_mode=settings.read_only)
        parameters = schemas.get(variant(spec.fn, connect=settings.connect, confirmation=confirmation))
        if parameters is not None:
            tools.append(LazyTool.published(fn, spec.name, spec.title, description, annotations, parameters))
            continue
        tools.append(_built(fn, spec.name, spec.title, description, annotations, structured_output))
    return tools


def _built(
    fn: Any, name: str, title: str, description: str, annotations: Any, structured_output: bool
) -> Tool:
    """A tool with its argument model and trimmed schema built now, from the function."""
    tool = CheckedTool.from_function(
        fn,
        name=name,
        title=title,
        description=description,
        annotations=annotations,
        structured_output=structured_output,
    )
    tool.parameters = trim_schema(tool.parameters)
    tool.fn_metadata = strict(tool.fn_metadata)
    if tool.fn_metadata.output_schema is not None:
        # Results never carry nulls (they are dropped), so the trimmed schema still holds.
        tool.fn_metadata.output_schema = trim_schema(tool.fn_metadata.output_schema)
    return tool


def generate_published_schemas() -> dict[str, Any]:
    """Every tool's trimmed schema, with and without --connect and confirmation, built from
    the models (`scripts/gen_schemas.py` writes them; a test fails when the file differs)."""
    schemas: dict[str, Any] = {}
    for spec in selected_tools(None, False, lambda _: True):
        for connect in (False, True):
            for confirmation in (False, True) if spec.confirmable else (False,):
                fn = as_mcp_function(
                    spec,
                    lambda summary, replay: render(summary, replay, structured=False),
                    gate=confirmation_gate if confirmation else None,
                    connect=connect,
                )
                tool = _built(fn, spec.name, spec.title, "", None, False)
                schemas[variant(spec.fn, connect=connect, confirmation=confirmation)] = tool.parameters
    return schemas


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
    listing = hints.Listing.of(settings)
    server: MCPServer[AppState] = MCPServer(
        name="stripe-power",
        title="Stripe (guarded)",
        version=__version__,
        instructions=hints.render(INSTRUCTIONS, listing),
        tools=tools,
        lifespan=lifespan,
        **server_options,
    )
    register_resources(server)
    register_prompts(server)
    register_completions(server)
    ClientLog().install(server)
    clients.install(server, client_keys=settings.client_keys)
    if settings.oauth is not None:  # OAuth mode: each message runs as the person who sent it
        from .oauth.guard import server_middleware

        server.middleware.append(server_middleware)
    hint_middleware.install(server, listing)  # inside the OAuth guard: hints for the caller's own tools
    return server
