"""Errors and refusals that show the fix, and advice that works on the path it is given on
(issue 28, items 4 and 5).

- A spec check lists every problem in one answer, with a did-you-mean for a name Stripe takes
  nested (`coupon` -> `promotion.coupon`, found from the spec's nested parameters).
- A test token where a PaymentMethod id goes names the test PaymentMethod (`tok_visa` ->
  `pm_card_visa`), on the generic path and on typed tools.
- A refusal gives the request to send instead; followed literally, on the path it was given on
  (`call_stripe_api` on the default list, or a typed tool), it succeeds against the sandbox, and
  the state read back shows it did what was meant. Generated for `payment_method_types` from
  every operation Stripe's spec has it on.

Every refusal is proven by the sandbox's request log: the refused call sent nothing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import stripe

from stripe_power import spec

from .conftest import Connect, error_text, payload


def sent(sandbox: Any, key: str) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in sandbox.request_log(key)]


def instead(message: str) -> tuple[str, dict[str, Any]]:
    """The call a refusal says to send instead: `Send instead: <tool> {json}`."""
    found = re.search(r"Send instead: ([a-z_]+) (\{)", message)
    assert found, message
    arguments, _ = json.JSONDecoder().raw_decode(message, found.start(2))
    return found.group(1), arguments


async def test_every_spec_problem_in_one_answer_with_nested_names(
    connect_sandbox: Connect, sandbox: Any, sandbox_key: str
) -> None:
    async with connect_sandbox(toolsets="default") as client:
        before = len(sent(sandbox, sandbox_key))
        message = error_text(
            await client.call_tool(
                "call_stripe_api",
                {
                    "method": "POST",
                    "path": "/v1/promotion_codes",
                    "params": {"coupon": "co_1", "code": "SPRING", "active": "yes"},
                },
            )
        )
        assert len(sent(sandbox, sandbox_key)) == before
        coupon = payload(
            await client.call_tool(
                "call_stripe_api",
                {"method": "POST", "path": "/v1/coupons", "params": {"percent_off": 10, "duration": "once"}},
            )
        )
        fixed = payload(
            await client.call_tool(
                "call_stripe_api",
                {
                    "method": "POST",
                    "path": "/v1/promotion_codes",
                    "params": {
                        "promotion": {"type": "coupon", "coupon": coupon["id"]},
                        "code": "SPRING",
                        "active": True,
                    },
                },
            )
        )
    assert "3 problems for POST /v1/promotion_codes" in message
    assert "(1) Received unknown parameter: coupon. Did you mean `promotion.coupon`?" in message
    assert "(2) `active`: Invalid boolean: yes." in message
    assert "(3) Missing required param: promotion." in message
    assert "more problem" not in message
    assert fixed["promotion"]["coupon"] == coupon["id"] and fixed["code"] == "SPRING"


def test_nested_names_come_from_the_spec() -> None:
    """`_deeper` finds a name wherever the operation takes it below, with list indexes kept."""
    op = spec.resolve("POST", "/v1/checkout/sessions")
    assert op is not None
    line = {"price_data": {"currency": "usd", "unit_amount": 100, "name": "Tee"}, "quantity": 1}
    (problem,) = spec.check(op, {"mode": "payment", "line_items": [line], "success_url": "https://e.com"})
    assert problem.moved_to == ("line_items.0.price_data.product_data.name",)
    customers = spec.resolve("POST", "/v1/customers")
    assert customers is not None
    (problem,) = spec.check(customers, {"default_payment_method": "pm_1"})
    assert "invoice_settings.default_payment_method" in problem.moved_to


@pytest.mark.parametrize(
    ("tool", "arguments", "param"),
    [
        (
            "create_payment_intent",
            {"amount": 500, "currency": "usd", "payment_method": "tok_visa", "confirm": True},
            "payment_method",
        ),
        (
            "create_customer",
            {"email": "t@example.com", "invoice_settings": {"default_payment_method": "tok_mastercard"}},
            "invoice_settings.default_payment_method",
        ),
        (
            "call_stripe_api",
            {
                "method": "POST",
                "path": "/v1/payment_intents",
                "params": {"amount": 500, "currency": "usd", "payment_method": "tok_visa"},
            },
            "params.payment_method",
        ),
        (
            "call_stripe_api",
            {
                "method": "POST",
                "path": "/v1/subscriptions",
                "params": {
                    "customer": "cus_1",
                    "items": [{"price": "price_1"}],
                    "default_payment_method": "tok_chargeDeclined",
                },
            },
            "params.default_payment_method",
        ),
        ("pay_checkout_session", {"session": "cs_test_1", "payment_method": "tok_visa"}, "payment_method"),
    ],
)
async def test_a_test_token_where_a_payment_method_goes_names_its_payment_method(
    connect_sandbox: Connect, sandbox: Any, sandbox_key: str, tool: str, arguments: dict[str, Any], param: str
) -> None:
    async with connect_sandbox(sandbox=True) as client:
        message = error_text(await client.call_tool(tool, arguments))
    token = re.search(r"tok_\w+", json.dumps(arguments)).group(0)  # type: ignore[union-attr]
    assert f"`{param}`" in message and f"pm_card_{token.removeprefix('tok_')}" in message, message
    assert sent(sandbox, sandbox_key) == []


# --- payment_method_types, on every operation that has it ---------------------------------------
def monthly_price(v1: Any, unit_amount: int) -> str:
    """A recurring USD price with its product inline, made through Stripe's SDK."""
    params = {"currency": "usd", "unit_amount": unit_amount, "recurring": {"interval": "month"}}
    return str(v1.prices.create(params={**params, "product_data": {"name": "Plan"}}).id)


class Account:
    """What the base requests need, made through Stripe's SDK on the test's own account."""

    def __init__(self, sandbox: Any, key: str) -> None:
        v1 = stripe.StripeClient(key, base_addresses={"api": sandbox.url}).v1
        never = {"enabled": True, "allow_redirects": "never"}
        self.customer = v1.customers.create(
            params={
                "payment_method": "pm_card_visa",
                "invoice_settings": {"default_payment_method": "pm_card_visa"},
            }
        ).id
        self.price = monthly_price(v1, 800)
        self.one_time = v1.prices.create(
            params={"currency": "usd", "unit_amount": 300, "product_data": {"name": "T"}}
        ).id
        # Created with Stripe's default (redirect-based methods on): confirming it needs a return_url.
        self.intent = v1.payment_intents.create(params={"amount": 1200, "currency": "usd"}).id
        self.setup = v1.setup_intents.create(
            params={"customer": self.customer, "automatic_payment_methods": never}
        ).id
        self.invoice = v1.invoices.create(params={"customer": self.customer, "auto_advance": False}).id
        self.subscription = v1.subscriptions.create(
            params={"customer": self.customer, "items": [{"price": self.price}]}
        ).id
        self.link = v1.payment_links.create(
            params={"line_items": [{"price": self.one_time, "quantity": 1}]}
        ).id

    def base(self, key: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """(path, params that work without payment_method_types, what the fixed call must show)."""
        line = {
            "price_data": {"currency": "usd", "unit_amount": 2500, "product_data": {"name": "Tee"}},
            "quantity": 1,
        }
        table: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
            "POST /v1/checkout/sessions": (
                "/v1/checkout/sessions",
                {"mode": "payment", "line_items": [line], "success_url": "https://example.com/ok"},
                {"status": "open"},
            ),
            "POST /v1/customers/{customer}/subscriptions": (
                f"/v1/customers/{self.customer}/subscriptions",
                {"items": [{"price": self.price}]},
                {"status": "active"},
            ),
            "POST /v1/customers/{customer}/subscriptions/{subscription_exposed_id}": (
                f"/v1/customers/{self.customer}/subscriptions/{self.subscription}",
                {"metadata": {"fixed": "yes"}},
                {"status": "active"},
            ),
            "POST /v1/invoices": (
                "/v1/invoices",
                {"customer": self.customer, "auto_advance": False},
                {"status": "draft"},
            ),
            "POST /v1/invoices/{invoice}": (
                f"/v1/invoices/{self.invoice}",
                {"description": "fixed"},
                {"description": "fixed"},
            ),
            "POST /v1/payment_intents": (
                "/v1/payment_intents",
                {"amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True},
                {"status": "succeeded", "amount_received": 2000},
            ),
            "POST /v1/payment_intents/{intent}": (
                f"/v1/payment_intents/{self.intent}",
                {"description": "fixed"},
                {"description": "fixed"},
            ),
            "POST /v1/payment_intents/{intent}/confirm": (
                f"/v1/payment_intents/{self.intent}/confirm",
                {"payment_method": "pm_card_visa"},
                {"status": "succeeded"},
            ),
            "POST /v1/payment_links": (
                "/v1/payment_links",
                {"line_items": [{"price": self.one_time, "quantity": 2}]},
                {"active": True},
            ),
            "POST /v1/payment_links/{payment_link}": (
                f"/v1/payment_links/{self.link}",
                {"metadata": {"fixed": "yes"}},
                {"active": True},
            ),
            "POST /v1/setup_intents": (
                "/v1/setup_intents",
                {"customer": self.customer, "payment_method": "pm_card_visa", "confirm": True},
                {"status": "succeeded"},
            ),
            "POST /v1/setup_intents/{intent}": (
                f"/v1/setup_intents/{self.setup}",
                {"metadata": {"fixed": "yes"}},
                {},
            ),
            "POST /v1/subscriptions": (
                "/v1/subscriptions",
                {"customer": self.customer, "items": [{"price": self.price}]},
                {"status": "active"},
            ),
            "POST /v1/subscriptions/{subscription_exposed_id}": (
                f"/v1/subscriptions/{self.subscription}",
                {"metadata": {"fixed": "yes"}},
                {"status": "active"},
            ),
        }
        return table[key]


def _with(params: dict[str, Any], place: tuple[str, ...], value: Any) -> dict[str, Any]:
    head, *rest = place
    if not rest:
        return {**params, head: value}
    return {**params, head: _with(dict(params.get(head) or {}), tuple(rest), value)}


def _shows(result: Any, expected: Any) -> bool:
    """`expected` is a subset of `result`, at any depth."""
    if isinstance(expected, dict):
        return isinstance(result, dict) and all(
            k in result and _shows(result[k], v) for k, v in expected.items()
        )
    return bool(result == expected)


# Where the offline sandbox cannot apply the base request, the advice is checked against the spec
# and the sandbox's answer must be that named limit, and only that. (None today: the legacy
# /v1/customers/{customer}/subscriptions routes now run the /v1/subscriptions handlers.)
SANDBOX_LIMITS: dict[str, str] = {}


@pytest.mark.parametrize("operation", sorted(spec.holders("payment_method_types")))
async def test_payment_method_types_advice_works_on_the_generic_path(
    connect_sandbox: Connect, sandbox: Any, sandbox_key: str, operation: str
) -> None:
    account = Account(sandbox, sandbox_key)
    path, base, expected = account.base(operation)
    (place,) = spec.holders("payment_method_types")[operation]
    refused_call = {"method": "POST", "path": path, "params": _with(base, place, ["card"])}
    async with connect_sandbox(toolsets="default") as client:
        before = sent(sandbox, sandbox_key)
        message = error_text(await client.call_tool("call_stripe_api", refused_call))
        assert "Refused by guardrail `payment-method-types`" in message
        assert sent(sandbox, sandbox_key) == before, "the refused call reached Stripe"
        tool, arguments = instead(message)
        answer = await client.call_tool(tool, arguments)
    assert "payment_method_types" not in json.dumps(arguments)
    if operation in SANDBOX_LIMITS:
        op = spec.resolve("POST", arguments["path"])
        assert op is not None and spec.check(op, arguments.get("params", {})) == []
        assert f"code=sandbox_limit, param={SANDBOX_LIMITS[operation]})" in error_text(answer)
        return
    result = payload(answer)
    assert _shows(result, expected), (operation, tool, arguments, result)


@pytest.mark.parametrize(
    ("tool", "arguments", "expected"),
    [
        (
            "create_payment_intent",
            {"amount": 1500, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True},
            {"status": "succeeded"},
        ),
        (
            "create_checkout_session",
            {
                "mode": "payment",
                "success_url": "https://example.com/ok",
                "line_items": [
                    {
                        "price_data": {
                            "currency": "usd",
                            "unit_amount": 900,
                            "product_data": {"name": "Cap"},
                        },
                        "quantity": 1,
                    }
                ],
            },
            {"status": "open"},
        ),
        ("create_setup_intent", {"payment_method": "pm_card_visa", "confirm": True}, {"status": "succeeded"}),
    ],
)
async def test_payment_method_types_advice_works_on_typed_tools(
    connect_sandbox: Connect,
    sandbox: Any,
    sandbox_key: str,
    tool: str,
    arguments: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    async with connect_sandbox(toolsets="default") as client:
        message = error_text(await client.call_tool(tool, {**arguments, "payment_method_types": ["card"]}))
        assert sent(sandbox, sandbox_key) == []
        again, fixed = instead(message)
        result = payload(await client.call_tool(again, fixed))
    assert (again, fixed) == (tool, arguments)
    assert _shows(result, expected), result


# --- the other rules with a one-request fix ------------------------------------------------------
@pytest.mark.parametrize(
    ("refused", "check"),
    [
        (  # Charges: source (a test token) -> payment_method, capture=false -> capture_method=manual
            {"method": "POST", "path": "/v1/charges",
             "params": {"amount": 4200, "currency": "usd", "source": "tok_mastercard", "capture": False, "description": "Order 7"}},
            {"status": "requires_capture", "amount_capturable": 4200, "description": "Order 7"},
        ),
        (  # Sources on a new customer: the test token's PaymentMethod, made its default
            {"method": "POST", "path": "/v1/customers", "params": {"email": "src@example.com", "source": "tok_visa"}},
            {"email": "src@example.com"},
        ),
        (  # Plans: a recurring Price
            {"method": "POST", "path": "/v1/plans",
             "params": {"amount": 1900, "currency": "usd", "interval": "month", "product": {"name": "Gold"}}},
            {"unit_amount": 1900, "recurring": {"interval": "month"}},
        ),
        (  # An API-version override: the same request on the pinned version
            {"method": "GET", "path": "/v1/customers", "params": {"stripe_version": "2020-08-27", "limit": 3}},
            {},
        ),
    ],
    ids=["charges", "sources", "plans", "api-version"],
)  # fmt: skip
async def test_each_refusal_with_a_fix_works_when_followed(
    connect_sandbox: Connect, sandbox: Any, sandbox_key: str, refused: dict[str, Any], check: dict[str, Any]
) -> None:
    async with connect_sandbox(toolsets="default") as client:
        message = error_text(await client.call_tool("call_stripe_api", refused))
        assert sent(sandbox, sandbox_key) == [], "the refused call reached Stripe"
        tool, arguments = instead(message)
        result = payload(await client.call_tool(tool, arguments))
        if refused["path"] == "/v1/customers" and refused["method"] == "POST":
            methods = payload(await client.call_tool("list_payment_methods", {"customer": result["id"]}))
            saved = {m["id"]: m for m in methods["data"]}
            assert result["default_payment_method"] in saved  # the token's card, saved and the default
            assert "visa" in json.dumps(saved[result["default_payment_method"]])
    assert _shows(result, check), (message, result)
    if refused["path"] == "/v1/charges":
        assert "source (a test token tok_X) becomes payment_method" in message
        assert (
            arguments.get("payment_method") == "pm_card_mastercard"
            or arguments.get("params", {}).get("payment_method") == "pm_card_mastercard"
        )


def test_the_fixes_are_the_rules_data(tmp_path: Path) -> None:
    """Which rules carry a fix: every request rule whose refused request has a one-request
    equivalent; the others advise in words (a token, a card number, a mixed Connect call)."""
    from stripe_power.guardrails import RULES

    with_fix = {rule.id for rule in RULES if rule.fix is not None}
    assert with_fix == {"charges-api", "sources-api", "payment-method-types", "api-version-pin", "plans-api"}
