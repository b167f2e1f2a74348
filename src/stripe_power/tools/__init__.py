"""All toolsets, in the order tools are listed."""

from __future__ import annotations

from . import customers
from ._registry import Toolset, ToolSpec

TOOLSETS: tuple[Toolset, ...] = (customers.toolset,)

TOOLSET_NAMES: frozenset[str] = frozenset(ts.name for ts in TOOLSETS)


def selected_tools(toolsets: frozenset[str] | None, read_only: bool) -> list[ToolSpec]:
    """The tools to register: the chosen toolsets, and only read tools in read-only mode."""
    return [
        spec
        for ts in TOOLSETS
        if toolsets is None or ts.name in toolsets
        for spec in ts.tools
        if not read_only or spec.read_only
    ]


__all__ = ["TOOLSETS", "TOOLSET_NAMES", "ToolSpec", "Toolset", "selected_tools"]
