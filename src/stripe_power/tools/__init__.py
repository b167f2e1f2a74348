"""All toolsets, in the order tools are listed."""

from __future__ import annotations

from collections.abc import Callable

from . import (
    account,
    api,
    catalog,
    checkout,
    customers,
    events,
    invoices,
    linting,
    payment_intents,
    payment_links,
    refunds,
    setup_intents,
    subscriptions,
    test_clocks,
)
from ._registry import Toolset, ToolSpec

TOOLSETS: tuple[Toolset, ...] = (
    customers.toolset,
    catalog.toolset,
    checkout.toolset,
    payment_intents.toolset,
    setup_intents.toolset,
    refunds.toolset,
    subscriptions.toolset,
    invoices.toolset,
    test_clocks.toolset,
    payment_links.toolset,
    events.toolset,
    account.toolset,
    api.toolset,
    linting.toolset,
)

TOOLSET_NAMES: frozenset[str] = frozenset(ts.name for ts in TOOLSETS)


def selected_tools(
    toolsets: frozenset[str] | None, read_only: bool, flag: Callable[[str], bool] = lambda _: False
) -> list[ToolSpec]:
    """The tools to register: the chosen toolsets; in read-only mode, the read tools and the
    tools that `allows_reads` (they refuse writes themselves); a tool that
    `requires` a settings flag only when `flag(name)` is true."""
    return [
        spec
        for ts in TOOLSETS
        if toolsets is None or ts.name in toolsets
        for spec in ts.tools
        if not read_only or spec.read_only or spec.allows_reads
        if spec.requires is None or flag(spec.requires)
    ]


__all__ = ["TOOLSETS", "TOOLSET_NAMES", "ToolSpec", "Toolset", "selected_tools"]
