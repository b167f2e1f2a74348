"""Typed tools take Stripe's own parameter names and nesting (issue 14, item 1).

Generated from the registry and the spec index: every parameter a typed tool lists, at any
depth, must exist at the same place in Stripe's OpenAPI description of the endpoint the tool
calls. A tool may expose fewer parameters than Stripe, never a different shape; the few that
are this server's own are named here, each with why.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stripe_power import spec
from stripe_power.tools import TOOLSETS

from .conftest import mcp_client, payload, settings_for

# tool -> (method, path template) of the Stripe endpoint it calls
ENDPOINTS: dict[str, tuple[str, str]] = {
    "create_customer": ("POST", "/v1/customers"),
    "retrieve_customer": ("GET", "/v1/customers/{customer}"),
    "update_customer": ("POST", "/v1/customers/{customer}"),
    "list_customers": ("GET", "/v1/customers"),
    "search_customers": ("GET", "/v1/customers/search"),
    "create_product": ("POST", "/v1/products"),
    "list_products": ("GET", "/v1/products"),
    "create_price": ("POST", "/v1/prices"),
    "list_prices": ("GET", "/v1/prices"),
    "create_checkout_session": ("POST", "/v1/checkout/sessions"),
    "retrieve_checkout_session": ("GET", "/v1/checkout/sessions/{session}"),
    "list_checkout_sessions": ("GET", "/v1/checkout/sessions"),
    "list_checkout_session_line_items": ("GET", "/v1/checkout/sessions/{session}/line_items"),
    "expire_checkout_session": ("POST", "/v1/checkout/sessions/{session}/expire"),
    "create_payment_intent": ("POST", "/v1/payment_intents"),
    "retrieve_payment_intent": ("GET", "/v1/payment_intents/{intent}"),
    "confirm_payment_intent": ("POST", "/v1/payment_intents/{intent}/confirm"),
    "capture_payment_intent": ("POST", "/v1/payment_intents/{intent}/capture"),
    "cancel_payment_intent": ("POST", "/v1/payment_intents/{intent}/cancel"),
    "list_payment_intents": ("GET", "/v1/payment_intents"),
    "create_setup_intent": ("POST", "/v1/setup_intents"),
    "retrieve_setup_intent": ("GET", "/v1/setup_intents/{intent}"),
    "confirm_setup_intent": ("POST", "/v1/setup_intents/{intent}/confirm"),
    "cancel_setup_intent": ("POST", "/v1/setup_intents/{intent}/cancel"),
    "list_setup_intents": ("GET", "/v1/setup_intents"),
    "list_payment_methods": ("GET", "/v1/customers/{customer}/payment_methods"),
    "detach_payment_method": ("POST", "/v1/payment_methods/{payment_method}/detach"),
    "create_refund": ("POST", "/v1/refunds"),
    "retrieve_refund": ("GET", "/v1/refunds/{refund}"),
    "list_refunds": ("GET", "/v1/refunds"),
    "cancel_refund": ("POST", "/v1/refunds/{refund}/cancel"),
    "create_subscription": ("POST", "/v1/subscriptions"),
    "retrieve_subscription": ("GET", "/v1/subscriptions/{subscription_exposed_id}"),
    "update_subscription": ("POST", "/v1/subscriptions/{subscription_exposed_id}"),
    "cancel_subscription": ("DELETE", "/v1/subscriptions/{subscription_exposed_id}"),
    "resume_subscription": ("POST", "/v1/subscriptions/{subscription}/resume"),
    "list_subscriptions": ("GET", "/v1/subscriptions"),
    "create_invoice": ("POST", "/v1/invoices"),
    "create_invoice_item": ("POST", "/v1/invoiceitems"),
    "finalize_invoice": ("POST", "/v1/invoices/{invoice}/finalize"),
    "pay_invoice": ("POST", "/v1/invoices/{invoice}/pay"),
    "send_invoice": ("POST", "/v1/invoices/{invoice}/send"),
    "void_invoice": ("POST", "/v1/invoices/{invoice}/void"),
    "delete_invoice": ("DELETE", "/v1/invoices/{invoice}"),
    "retrieve_invoice": ("GET", "/v1/invoices/{invoice}"),
    "list_invoices": ("GET", "/v1/invoices"),
    "create_payment_link": ("POST", "/v1/payment_links"),
    "list_payment_links": ("GET", "/v1/payment_links"),
    "deactivate_payment_link": ("POST", "/v1/payment_links/{payment_link}"),
    "create_test_clock": ("POST", "/v1/test_helpers/test_clocks"),
    "advance_test_clock": ("POST", "/v1/test_helpers/test_clocks/{test_clock}/advance"),
    "list_test_clocks": ("GET", "/v1/test_helpers/test_clocks"),
    "delete_test_clock": ("DELETE", "/v1/test_helpers/test_clocks/{test_clock}"),
    "list_events": ("GET", "/v1/events"),
    "retrieve_event": ("GET", "/v1/events/{id}"),
    "get_account_info": ("GET", "/v1/account"),
    "retrieve_balance": ("GET", "/v1/balance"),
}

# Tools that are not one Stripe endpoint: events and webhooks handled here, the generic API
# tool and the API reference, the linter, and the sandbox's test helper.
NOT_ONE_ENDPOINT = {
    "search_stripe_api",
    "describe_stripe_api",
    "wait_for_event",
    "verify_webhook_signature",
    "send_test_webhook",
    "list_received_webhooks",
    "call_stripe_api",
    "check_integration_code",
    "pay_checkout_session",
}

# The name the tool gives a path parameter (Stripe's spec names some `{intent}`; tools name an
# id after its object, as the server instructions say).
PATH_NAMES = {"intent": ("payment_intent", "setup_intent"), "subscription_exposed_id": ("subscription",)}

# This server's own parameters, not Stripe's: request options and server-side conveniences.
OWN = {
    "*": {"idempotency_key"},
    "cancel_subscription": {"at_period_end"},  # chooses update (cancel_at_period_end) or DELETE
    "list_events": {"object_id"},  # filtered by this server over the events it pages through
    "advance_test_clock": {"days"},  # instead of frozen_time: converted from the clock's own time
}


def _walk(schema: dict[str, Any], defs: dict[str, Any], at: str = "") -> Iterator[str]:
    """Every parameter path in a tool's input schema (`line_items.price_data.product_data.name`)."""
    if "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    for branch in schema.get("anyOf", []):
        yield from _walk(branch, defs, at)
    if schema.get("type") == "array":
        yield from _walk(schema.get("items", {}), defs, at)
    for name, sub in (schema.get("properties") or {}).items():
        path = f"{at}.{name}" if at else name
        yield path
        if isinstance(sub, dict) and "additionalProperties" not in sub:
            yield from _walk(sub, defs, path)


def test_every_tool_is_mapped_to_its_endpoint_or_named_as_not_one() -> None:
    names = {tool.name for ts in TOOLSETS for tool in ts.tools}
    assert names - ENDPOINTS.keys() - NOT_ONE_ENDPOINT == set()
    assert ENDPOINTS.keys() - names == set(), "a mapped tool no longer exists"
    for method, template in ENDPOINTS.values():
        assert spec.operation(method, template) is not None, f"{method} {template} is not in Stripe's spec"


async def test_every_typed_parameter_is_stripes_own_name_and_nesting(tmp_path: Path) -> None:
    settings = settings_for("http://127.0.0.1:9", tmp_path)
    async with mcp_client(settings) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    wrong: list[str] = []
    checked = 0
    for name, (method, template) in ENDPOINTS.items():
        if name not in tools:
            continue  # listed only with a setting (none of the mapped tools today)
        op = spec.operation(method, template)
        assert op is not None
        schema = tools[name].input_schema
        own = OWN["*"] | OWN.get(name, set())
        path_names = {alias for p in op.path_params for alias in PATH_NAMES.get(p, (p,))}
        for param in _walk(schema, schema.get("$defs", {})):
            checked += 1
            top = param.split(".")[0]
            if top in own or (param in path_names):
                continue
            if not spec.lookup(op, param):
                wrong.append(f"{name}: `{param}` is not a parameter of {method} {template}")
    assert not wrong, "\n".join(wrong)
    assert checked > 150  # the walk reached the nested parameters


async def test_stripe_shapes_of_the_issue_are_accepted(sandbox: Any, tmp_path: Path) -> None:
    """The Stripe power's Workflow 1 line item, verbatim, and the other nested shapes of item 1."""
    async with mcp_client(settings_for(sandbox.url, tmp_path)) as client:
        session = payload(
            await client.call_tool(
                "create_checkout_session",
                {
                    "mode": "payment",
                    "line_items": [
                        {
                            "price_data": {
                                "currency": "usd",
                                "product_data": {"name": "T-shirt"},
                                "unit_amount": 2000,
                            },
                            "quantity": 1,
                        }
                    ],
                    "success_url": "https://example.com/success",
                },
            )
        )
        assert session["amount_total"] == 2000
        product = payload(await client.call_tool("create_product", {"name": "Pro"}))
        monthly = {"currency": "usd", "unit_amount": 1500, "recurring": {"interval": "month"}}
        sub_session = payload(
            await client.call_tool(
                "create_checkout_session",
                {
                    "mode": "subscription",
                    "line_items": [{"price_data": {**monthly, "product": product["id"]}, "quantity": 2}],
                    "success_url": "https://example.com/success",
                },
            )
        )
        assert sub_session["amount_total"] == 3000
        price = payload(
            await client.call_tool(
                "create_price",
                {**monthly, "product_data": {"name": "Team"}, "recurring": {"interval": "year"}},
            )
        )
        assert price["interval"] == "year"
        customer = payload(await client.call_tool("create_customer", {"email": "a@example.com"}))
        sub = payload(
            await client.call_tool(
                "create_subscription",
                {
                    "customer": customer["id"],
                    "items": [{"price": price["id"]}, {"price_data": {**monthly, "product": product["id"]}}],
                    # A trial: without one, a customer with no card leaves it `incomplete`, which takes
                    # metadata changes only (spec3.json subscription `status`).
                    "trial_period_days": 14,
                },
            )
        )
        assert len(sub["items"]) == 2
        first, second = sub["items"]
        changed = payload(
            await client.call_tool(
                "update_subscription",
                {
                    "subscription": sub["id"],
                    "items": [{"id": first["id"], "quantity": 3}, {"id": second["id"], "deleted": True}],
                },
            )
        )
        assert [(i["id"], i["quantity"]) for i in changed["items"]] == [(first["id"], 3)]
