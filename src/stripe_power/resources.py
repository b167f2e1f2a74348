"""Resources: offline guidance (best practices, guardrails, test cards) and one object by URI.

The guardrails and test-card pages are generated from the data the server enforces and the
sandbox serves, so they cannot drift from the behaviour they describe.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError
from pydantic import BaseModel

from .errors import StripePowerError
from .guardrails import RULES
from .tools.checkout import SessionSummary
from .tools.customers import CustomerSummary
from .tools.invoices import InvoiceSummary
from .tools.payment_intents import EXPAND as PI_EXPAND
from .tools.payment_intents import PaymentIntentSummary
from .tools.refunds import RefundSummary
from .tools.subscriptions import SubscriptionSummary


def best_practices() -> str:
    """The integration guide; POWER.md carries the same text (a test keeps them equal)."""
    return resources.files("stripe_power.guide").joinpath("best-practices.md").read_text(encoding="utf-8")


def guardrails_table() -> str:
    lines = [
        "# Guardrails",
        "",
        "Refused before anything reaches Stripe. Ids are shared with `stripe-power lint`.",
        "",
        "| rule | refuses | why | use instead | docs |",
        "|---|---|---|---|---|",
    ]
    for rule in RULES:
        lines.append(f"| `{rule.id}` | {rule.refuses} | {rule.why} | {rule.instead} | {rule.doc_url} |")
    return "\n".join(lines) + "\n"


def test_cards_table() -> str:
    from .sandbox.cards import TEST_PAYMENT_METHODS  # the sandbox's data; imported on use, not at start-up

    lines = [
        "# Test payment methods",
        "",
        "Use the PaymentMethod id server-side (`payment_method=pm_card_visa`); type the number only in",
        "a hosted or test checkout page. Works in test mode and in the offline sandbox.",
        "",
        "| payment_method | card number | brand | outcome | decline_code | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for card in TEST_PAYMENT_METHODS:
        lines.append(
            f"| `{card.id}` | {card.number} | {card.brand} | {card.outcome} | {card.decline_code or ''} | {card.meaning} |"
        )
    return "\n".join(lines) + "\n"


OBJECT_TEMPLATE = "stripe://{object_type}/{id}"
# object type in the URI -> (API path prefix, summary)
OBJECTS: dict[str, tuple[str, Callable[[Mapping[str, Any]], BaseModel]]] = {
    "customer": ("/v1/customers", CustomerSummary.of),
    "payment_intent": ("/v1/payment_intents", PaymentIntentSummary.of),
    "checkout_session": ("/v1/checkout/sessions", SessionSummary.of),
    "subscription": ("/v1/subscriptions", SubscriptionSummary.of),
    "invoice": ("/v1/invoices", InvoiceSummary.of),
    "refund": ("/v1/refunds", RefundSummary.of),
}


# What a summary needs expanded (a payment's refunds and dispute live on its charge).
EXPAND = {"payment_intent": PI_EXPAND}


def register_resources(server: MCPServer[Any]) -> None:
    server.resource(
        "stripe://guide/best-practices",
        name="best-practices",
        title="Stripe integration best practices",
        description="Checkout first, dynamic payment methods, webhooks, idempotency, go-live checklist",
        mime_type="text/markdown",
    )(best_practices)
    server.resource(
        "stripe://guide/guardrails",
        name="guardrails",
        title="Guardrail rules",
        description="What this server refuses, why, and what to use instead",
        mime_type="text/markdown",
    )(guardrails_table)
    server.resource(
        "stripe://testing/cards",
        name="test-cards",
        title="Test cards and PaymentMethods",
        description="pm_card_* ids and card numbers with their outcomes",
        mime_type="text/markdown",
    )(test_cards_table)

    async def read_object(object_type: str, id: str, ctx: Context[Any]) -> str:
        found = OBJECTS.get(object_type)
        if found is None:
            raise ResourceError(f"Unknown object type {object_type!r}; use one of {', '.join(OBJECTS)}.")
        if not id.replace("_", "").isalnum():
            raise ResourceError(f"{id!r} is not a Stripe id.")
        path, summary = found
        gateway = ctx.request_context.lifespan_context.gateway
        try:
            obj = await gateway.request(
                "GET",
                f"{path}/{id}",
                {"expand": EXPAND[object_type]} if object_type in EXPAND else None,
                tool="resource",
            )
        except StripePowerError as error:
            raise ResourceError(str(error)) from None
        return summary(obj).model_dump_json(exclude_none=True)

    server.resource(
        OBJECT_TEMPLATE,
        name="stripe-object",
        title="One Stripe object, compact",
        description=f"object_type: {', '.join(OBJECTS)}",
        mime_type="application/json",
    )(read_object)
