"""Completions (`completion/complete`): what an IDE offers while the user types an argument.

- Resource template `stripe://{object_type}/{id}`: the object types, then the ids of the most
  recent objects of the type already chosen.
- Prompts: `currency` (the account's default currency, then those of its recent prices),
  `price` (recent active recurring prices), `payment_intent` (recent PaymentIntents),
  `customer_email` (recent customers' emails), `interval` (Stripe's enum, from the spec index).

Account data is read through the Gateway, one list call of the 100 most recent objects,
kept for a few seconds because an IDE asks again on every keystroke. A reference or argument
this server does not have completes to nothing: a completion is a hint, never an error.
"""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from mcp.server import MCPServer
from mcp.server.context import ServerRequestContext
from mcp.types import (
    CompleteRequestParams,
    CompleteResult,
    Completion,
    PromptReference,
    ResourceTemplateReference,
)

from . import spec
from .errors import StripePowerError
from .gateway import Gateway
from .prompts import PROMPTS
from .resources import OBJECT_TEMPLATE, OBJECTS

logger = logging.getLogger("stripe_power.completions")

MAX_VALUES = 100  # the protocol's cap on values per response
FRESH_SECONDS = 10.0  # how long a fetched list answers further keystrokes

Values = Callable[[Gateway, dict[str, str]], Awaitable[list[str]]]


class RecentObjects:
    """Recent Stripe objects by list path and filters, fetched through the Gateway, briefly cached."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[float, list[dict[str, Any]]]] = {}

    async def fetch(self, gateway: Gateway, path: str, **filters: Any) -> list[dict[str, Any]]:
        # Per account: with client keys one server completes for many Stripe accounts.
        key = f"{gateway.scope} {path}?{sorted(filters.items())}"
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        page = await gateway.request("GET", path, {"limit": 100, **filters}, tool="completion")
        objects = [item for item in page.get("data", []) if isinstance(item, dict)]
        self._cache[key] = (now + FRESH_SECONDS, objects)
        return objects


def _strings(values: Iterable[Any]) -> list[str]:
    """Distinct non-empty strings, first occurrence first."""
    return list(dict.fromkeys(v for v in values if isinstance(v, str) and v))


class Completer:
    def __init__(self) -> None:
        self.recent = RecentObjects()
        self.prompt_arguments: dict[str, Values] = {
            "currency": self.currencies,
            "price": self.field("/v1/prices", "id", active=True, type="recurring"),
            "payment_intent": self.field("/v1/payment_intents", "id"),
            "customer_email": self.field("/v1/customers", "email"),
            "interval": self.enum("POST", "/v1/prices", "recurring.interval"),
        }
        self.prompt_parameters = {p.__name__: set(inspect.signature(p).parameters) for p in PROMPTS}

    def field(self, path: str, name: str, **filters: Any) -> Values:
        async def values(gateway: Gateway, _: dict[str, str]) -> list[str]:
            return _strings(obj.get(name) for obj in await self.recent.fetch(gateway, path, **filters))

        return values

    @staticmethod
    def enum(method: str, path: str, parameter: str) -> Values:
        """A parameter's enum from the spec index, read on first use (the index is large)."""

        @functools.cache
        def choices() -> list[str]:
            operation = spec.operation(method, path)
            schema = spec.lookup(operation, parameter) if operation is not None else None
            return sorted((schema or {}).get("enum", []))

        async def values(_gateway: Gateway, _context: dict[str, str]) -> list[str]:
            return choices()

        return values

    async def currencies(self, gateway: Gateway, _: dict[str, str]) -> list[str]:
        account = await gateway.request("GET", "/v1/account", tool="completion")
        prices = await self.recent.fetch(gateway, "/v1/prices")
        return _strings([account.get("default_currency"), *(p.get("currency") for p in prices)])

    async def object_ids(self, gateway: Gateway, context: dict[str, str]) -> list[str]:
        found = OBJECTS.get(context.get("object_type", ""))
        if found is None:
            return []  # the type comes first; without it there is nothing to list
        return await self.field(found[0], "id")(gateway, context)

    def source(self, ref: PromptReference | ResourceTemplateReference, argument: str) -> Values | None:
        if isinstance(ref, ResourceTemplateReference):
            if ref.uri != OBJECT_TEMPLATE:
                return None
            if argument == "object_type":
                return constant(list(OBJECTS))
            return self.object_ids if argument == "id" else None
        if argument not in self.prompt_parameters.get(ref.name, set()):
            return None
        return self.prompt_arguments.get(argument)

    async def handle(
        self, ctx: ServerRequestContext[Any, Any], params: CompleteRequestParams
    ) -> CompleteResult:
        values = self.source(params.ref, params.argument.name)
        if values is None:
            return CompleteResult(completion=Completion(values=[], total=0, has_more=False))
        context = dict(params.context.arguments or {}) if params.context else {}
        gateway: Gateway = ctx.lifespan_context.gateway
        try:  # with client keys, the completing client's own key (clients.install), as for a tool call
            offered = await values(gateway, context)
        except StripePowerError as error:
            logger.warning("no completions for %s: %s", params.argument.name, error)
            offered = []
        typed = params.argument.value.lower()
        matches = [value for value in offered if value.lower().startswith(typed)]
        return CompleteResult(
            completion=Completion(
                values=matches[:MAX_VALUES], total=len(matches), has_more=len(matches) > MAX_VALUES
            )
        )


def constant(choices: list[str]) -> Values:
    async def values(_gateway: Gateway, _context: dict[str, str]) -> list[str]:
        return choices

    return values


def register_completions(server: MCPServer[Any]) -> None:
    """Serve `completion/complete` (which declares the completions capability).

    Through the low-level server: MCPServer's `completion()` decorator does not pass the
    request context, and the Gateway lives in it.
    """
    completer = Completer()
    server._lowlevel_server.add_request_handler(
        "completion/complete", CompleteRequestParams, completer.handle
    )
