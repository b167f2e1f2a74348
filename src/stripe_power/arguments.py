"""One validation pass per tool call: strict types, and unknown names refused at any depth.

`mcp` validates a call's arguments with the tool's argument model, leniently (`"2500"` and
`2500.0` become 2500, `true` becomes 1, `"no"` becomes false, JSON inside a string is parsed) and
drops names it does not know, so a misspelt parameter would silently do nothing. This module
replaces that pass through two public seams of the SDK, instead of adding a second one in
front: `StrictArguments` (a `FuncMetadata` whose `validate_arguments` is strict and forbids
unknown names at every depth) and `CheckedTool` (a `Tool` whose `run` words a refusal so that it
names the parameter and the fix). Nothing is sent to Stripe when validation fails.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.context_injection import find_context_parameter
from mcp.server.mcpserver.utilities.func_metadata import FuncMetadata, func_metadata
from pydantic import ValidationError

from .audit import redact_text
from .errors import token_for_payment_method
from .guardrails import rule
from .hints import call

if TYPE_CHECKING:
    from mcp.server.mcpserver.context import Context
    from mcp.types import ToolAnnotations


class StrictArguments(FuncMetadata):
    """The tool's argument model, applied strictly: no coercion between types, no JSON
    parsed out of strings, and a name the model does not declare refused wherever it is."""

    def validate_arguments(self, arguments_to_validate: dict[str, Any]) -> dict[str, Any]:
        model = self.arg_model.model_validate(arguments_to_validate, strict=True, extra="forbid")
        return model.model_dump_one_level()


class CheckedTool(Tool):
    """A tool whose argument refusals say which parameter is wrong and what to send instead."""

    async def run(
        self, arguments: dict[str, Any], context: Context[Any, Any], convert_result: bool = False
    ) -> Any:
        try:
            return await super().run(arguments, context, convert_result)
        except ToolError as error:
            # Only `validate_arguments` failing makes `Tool.run` raise a ToolError caused by a
            # ValidationError (a failure in the body is wrapped with its own exception as cause).
            cause = error.__cause__
            if isinstance(error, UnexpectedToolError) or not isinstance(cause, ValidationError):
                raise
            raise ToolError(describe_validation(self, cause, arguments)) from cause


class LazyTool(CheckedTool):
    """A tool listed from its published schema, whose argument model is built on first use.

    `fn_metadata` (the pydantic argument model the SDK validates a call with) is left unset
    and built the first time anything reads it: `tools/list` needs only the schema, which
    `published.published_schemas()` holds ready, byte for byte what the model would give.
    """

    @classmethod
    def published(
        cls,
        fn: Callable[..., Any],
        name: str,
        title: str,
        description: str,
        annotations: ToolAnnotations | None,
        parameters: dict[str, Any],
    ) -> LazyTool:
        tool = cls.model_construct(
            fn=fn,
            name=name,
            title=title,
            description=description,
            parameters=parameters,
            is_async=True,  # as_mcp_function wraps every tool in a coroutine function
            context_kwarg=find_context_parameter(fn),
            resolved_params={},
            resolver_plans={},
            annotations=annotations,
            icons=None,
            meta=None,
        )
        tool.__dict__["output_schema"] = None  # Tool.output_schema, a cached_property: no output model
        return tool

    def __getattr__(self, name: str) -> Any:
        if name != "fn_metadata":
            return super().__getattr__(name)  # type: ignore[misc]
        skip = [self.context_kwarg] if self.context_kwarg is not None else []
        metadata = strict(func_metadata(self.fn, skip_names=skip, structured_output=False))
        self.__dict__["fn_metadata"] = metadata
        return metadata


def strict(metadata: FuncMetadata) -> StrictArguments:
    """The same argument model and output schema, validated in one strict pass."""
    return StrictArguments(
        arg_model=metadata.arg_model,
        output_schema=metadata.output_schema,
        output_model=metadata.output_model,
        wrap_output=metadata.wrap_output,
    )


def describe_validation(tool: Tool, error: ValidationError, arguments: dict[str, Any] | None = None) -> str:
    """One line per problem, each naming the parameter by its path (`line_items.0.price`)."""
    problems = error.errors(include_url=False)
    for item in problems:
        if item["type"] == "extra_forbidden" and item["loc"][-1:] == ("payment_method_types",):
            known = set(names_at(tool.parameters, item["loc"][:-1]))
            advice = rule("payment-method-types").fitted(known.__contains__)
            # The typed tool already sends what dynamic payment methods need: the same call without it.
            kept = _without(arguments or {}, "payment_method_types")
            return advice.message(f"`{_path(item['loc'])}` passed to {tool.name}", call(tool.name, **kept))
    lines = []
    for item in problems:
        param = _path(item["loc"]) or "(arguments)"
        given = item.get("input")
        if _token_for_payment_method(item["loc"], given):
            lines.append(
                str(token_for_payment_method(param, given)).removesuffix(" Nothing was sent to Stripe.")
            )
        elif item["type"] == "extra_forbidden":
            lines.append(_unknown(tool, item["loc"]))
        elif item["type"] == "missing":
            lines.append(f"`{param}` is required")
        else:
            lines.append(f"`{param}` {item['msg']} (got {_shown(item.get('input'))})")
    return f"Invalid arguments for {tool.name}: " + "; ".join(lines) + ". Nothing was sent to Stripe."


def _without(arguments: dict[str, Any], name: str) -> dict[str, Any]:
    from .guardrail_fixes import without

    kept: dict[str, Any] = without(arguments, name)
    return kept


def _token_for_payment_method(loc: tuple[int | str, ...], given: Any) -> bool:
    return loc[-1:] in (("payment_method",), ("default_payment_method",)) and str(given).startswith("tok_")


def _path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _shown(value: Any) -> str:
    """The rejected value as JSON (so `true` and `"2500"` read as what was sent), short, redacted."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        try:
            text = repr(value)
        except ValueError:  # an integer of 4300 digits or more has no text Python will make
            text = "a number too long to show"
    return redact_text(text if len(text) <= 60 else text[:57] + "...")


def _unknown(tool: Tool, loc: tuple[int | str, ...]) -> str:
    import difflib  # only a refused call needs it

    name = str(loc[-1])
    known = names_at(tool.parameters, loc[:-1])
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f" Did you mean `{close[0]}`?" if close else ""
    where = "" if len(loc) == 1 else f" in `{_path(loc[:-1])}`"
    return f"Unknown parameter `{_path(loc)}`.{hint} Parameters{where}: {', '.join(known)}"


def names_at(schema: dict[str, Any], loc: tuple[int | str, ...]) -> list[str]:
    """The property names the JSON schema declares for the object at `loc` (list indexes
    step into `items`), following local `$ref`s and every branch of an `anyOf`/`oneOf`."""
    nodes = [schema]
    for part in loc:
        step: list[dict[str, Any]] = []
        for node in _branches(schema, nodes):
            if isinstance(part, int):
                child = node.get("items")
            else:
                child = node.get("properties", {}).get(part, node.get("additionalProperties"))
            if isinstance(child, dict):
                step.append(child)
        nodes = step
    names: dict[str, None] = {}
    for node in _branches(schema, nodes):
        names.update(dict.fromkeys(node.get("properties", {})))
    return list(names)


def _branches(root: dict[str, Any], nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    pending = list(nodes)
    while pending:
        node = pending.pop(0)
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            pending.append(root.get("$defs", {}).get(ref.removeprefix("#/$defs/"), {}))
            continue
        options = [*node.get("anyOf", []), *node.get("oneOf", [])]
        if options:
            pending.extend(option for option in options if isinstance(option, dict))
        found.append(node)
    return found
