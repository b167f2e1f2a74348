"""All toolsets, in the order tools are listed."""

from __future__ import annotations

from collections.abc import Callable

from .. import hints
from . import (
    account,
    api,
    catalog,
    checkout,
    clocks,
    customers,
    events,
    invoices,
    linting,
    payment_intents,
    payment_links,
    refunds,
    setup_intents,
    subscriptions,
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
    clocks.toolset,
    payment_links.toolset,
    events.toolset,
    account.toolset,
    api.toolset,
    linting.toolset,
)

# The `default` set: what is listed when no --toolsets is given. Every tool here earns its bytes
# in one of the four workflows Stripe's Kiro power documents (one-time payment and subscription
# with Checkout, refund, save a payment method then charge it off-session), in billing over time
# (a trial and its renewals on a test clock: the rest of billing goes through call_stripe_api,
# whose results are the same compact views), in waiting for the webhook event that follows, or in
# reaching the rest of the API: the whole `api` toolset (the guarded generic tool and its
# reference). tests/test_toolsets.py runs those workflows with only these tools, and holds the
# list to its byte budget; tests/test_replay.py runs the ten tasks of issue 28 with them.
DEFAULT = "default"
DEFAULT_TOOLSETS: tuple[str, ...] = ("api",)
DEFAULT_TOOLS: tuple[str, ...] = (
    "create_customer",
    "retrieve_customer",
    "list_customers",  # find an existing customer by email
    "create_checkout_session",
    "retrieve_checkout_session",
    "pay_checkout_session",  # listed only against the offline sandbox (`serve --sandbox`)
    "create_payment_intent",
    "retrieve_payment_intent",
    "create_setup_intent",
    "confirm_setup_intent",
    "retrieve_setup_intent",
    "list_payment_methods",
    "create_refund",
    "retrieve_refund",
    "list_refunds",  # what was refunded already
    "retrieve_subscription",
    "retrieve_invoice",
    "wait_for_event",
    "create_test_clock",  # billing over months: a trial and its renewals (issue 28)
    "advance_test_clock",
    "get_account_info",
    "retrieve_balance",
)

# The byte budget of `tools/list` (compact JSON, as a client receives it); tests hold every mode
# to it. The default list costs at most Stripe's remote MCP server's list (10 generic tools), and
# a tool at most half what one of `@stripe/mcp` 0.2.5's 22 tools costs (983 bytes).
DEFAULT_BUDGET_BYTES = 12_131
BYTES_PER_TOOL_BUDGET = 491


def in_default(spec: ToolSpec) -> bool:
    return spec.toolset in DEFAULT_TOOLSETS or spec.name in DEFAULT_TOOLS


# Names `--toolsets` accepts: each toolset, `default`; `all` (every tool) is handled by config.
TOOLSET_NAMES: frozenset[str] = frozenset(ts.name for ts in TOOLSETS) | {DEFAULT}


def selected_tools(
    toolsets: frozenset[str] | None, read_only: bool, flag: Callable[[str], bool] = lambda _: False
) -> list[ToolSpec]:
    """The tools to register: every tool (None), or the chosen toolsets plus the `default`
    tools when `default` is chosen; in read-only mode, the read tools and the tools that
    `allows_reads` (they refuse writes themselves); a tool that `requires` a settings flag
    only when `flag(name)` is true."""
    return [
        spec
        for ts in TOOLSETS
        for spec in ts.tools
        if toolsets is None or ts.name in toolsets or (DEFAULT in toolsets and in_default(spec))
        if not read_only or spec.read_only or spec.allows_reads
        if spec.requires is None or flag(spec.requires)
    ]


__all__ = [
    "BYTES_PER_TOOL_BUDGET",
    "DEFAULT",
    "DEFAULT_BUDGET_BYTES",
    "DEFAULT_TOOLS",
    "DEFAULT_TOOLSETS",
    "TOOLSETS",
    "TOOLSET_NAMES",
    "ToolSpec",
    "Toolset",
    "in_default",
    "selected_tools",
]


# Hints name tools from this registry (hints.py imports nothing of tools/).
hints.register(hints.Registry(TOOLSETS, selected_tools, DEFAULT))
