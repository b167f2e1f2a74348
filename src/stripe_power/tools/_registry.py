"""Toolsets as plain data, and the one place a tool function becomes an MCP tool.

A tool's `kind` says what it does to the account; annotations, read-only mode and
(later) confirmation are derived from it here, once, instead of per tool.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel

from ..audit import current_tool
from ..errors import StripePowerError

# read: only reads. write: creates or changes, nothing irreversible. money: moves money.
# destructive: cancels, voids, detaches or deletes something that cannot be undone.
ToolKind = Literal["read", "write", "money", "destructive"]

ToolFn = Callable[..., Awaitable[BaseModel]]


@dataclass(frozen=True)
class ToolSpec:
    fn: ToolFn
    name: str
    title: str
    toolset: str
    kind: ToolKind
    idempotent: bool

    @property
    def read_only(self) -> bool:
        return self.kind == "read"

    def annotations(self) -> ToolAnnotations:
        return ToolAnnotations(
            read_only_hint=self.read_only,
            destructive_hint=self.kind in ("money", "destructive"),
            idempotent_hint=self.read_only or self.idempotent,
            open_world_hint=True,
        )


@dataclass
class Toolset:
    """A named group of tools; `--toolsets` selects groups by this name."""

    name: str
    description: str
    tools: list[ToolSpec] = field(default_factory=list)

    def tool(self, title: str, *, kind: ToolKind, idempotent: bool = False) -> Callable[[ToolFn], ToolFn]:
        def register(fn: ToolFn) -> ToolFn:
            self.tools.append(ToolSpec(fn, fn.__name__, title, self.name, kind, idempotent))
            return fn

        return register


def as_mcp_function(spec: ToolSpec, render: Callable[[BaseModel], Any]) -> Callable[..., Awaitable[Any]]:
    """Wrap a tool function: name it for the audit log, render its summary, and turn
    this package's errors into tool errors (anything else stays an opaque failure)."""

    @functools.wraps(spec.fn)
    async def run(**kwargs: Any) -> Any:
        token = current_tool.set(spec.name)
        try:
            return render(await spec.fn(**kwargs))
        except StripePowerError as error:
            raise ToolError(str(error)) from None
        finally:
            current_tool.reset(token)

    run.__signature__ = inspect.signature(spec.fn, eval_str=True)  # type: ignore[attr-defined]
    return run
