"""Resources: offline guidance (best practices, guardrails, test cards) and one object by URI.

The guardrails and test-card pages are generated from the data the server enforces and the
sandbox serves, so they cannot drift from the behaviour they describe.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError

from .audit import redact
from .errors import StripePowerError
from .guardrails import RULES
from .views import expand_for, related, view_dict


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
    from .sandbox.payments.cards import (
        TEST_PAYMENT_METHODS,  # the sandbox's data; imported on use, not at start-up
    )

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
# object type in the URI -> the API path of its objects (`{path}/{id}` reads one, `{path}` lists them).
# The result is the view of the type Stripe answers with (`stripe_power.views`).
OBJECTS: dict[str, str] = {
    "customer": "/v1/customers",
    "payment_intent": "/v1/payment_intents",
    "checkout_session": "/v1/checkout/sessions",
    "subscription": "/v1/subscriptions",
    "invoice": "/v1/invoices",
    "refund": "/v1/refunds",
    "charge": "/v1/charges",
    "setup_intent": "/v1/setup_intents",
    "price": "/v1/prices",
    "product": "/v1/products",
    "credit_note": "/v1/credit_notes",
    "coupon": "/v1/coupons",
    "promotion_code": "/v1/promotion_codes",
    "dispute": "/v1/disputes",
    "payout": "/v1/payouts",
    "transfer": "/v1/transfers",
    "balance_transaction": "/v1/balance_transactions",
    "event": "/v1/events",
    "test_clock": "/v1/test_helpers/test_clocks",
}
# The `object` Stripe sends for a URI type whose name differs.
STRIPE_TYPE = {"checkout_session": "checkout.session", "test_clock": "test_helpers.test_clock"}


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
        gateway = ctx.request_context.lifespan_context.gateway
        expand = expand_for(STRIPE_TYPE.get(object_type, object_type))
        try:
            obj = await gateway.request(
                "GET", f"{found}/{id}", {"expand": list(expand)} if expand else None, tool="resource"
            )
            more = await related(lambda *read: gateway.request(*read, tool="resource"), obj)
        except StripePowerError as error:
            raise ResourceError(str(error)) from None
        return json.dumps(redact(view_dict(obj, **more)), separators=(",", ":"), ensure_ascii=False)

    server.resource(
        OBJECT_TEMPLATE,
        name="stripe-object",
        title="One Stripe object, compact",
        description=f"object_type: {', '.join(OBJECTS)}",
        mime_type="application/json",
    )(read_object)
