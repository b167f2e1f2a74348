"""One strict validation pass per tool call (issues 13.7, 14.2): wrong types are refused, never
coerced; unknown names are refused at any depth with a did-you-mean; `payment_method_types`
anywhere gets its guardrail message. Each refusal names the parameter and nothing reaches the
sandbox (its request log for this test's key stays empty)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp.server.mcpserver.utilities.func_metadata import FuncMetadata

from stripe_power.arguments import StrictArguments, names_at

from .conftest import Connect, error_text, payload

PAYMENT = {"amount": 2500, "currency": "usd"}
ITEM = {"price": "price_1Tshirt", "quantity": 1}  # the line-item form every version of the tool takes
SESSION = {"mode": "payment", "success_url": "https://example.com/ok", "line_items": [ITEM]}


async def refusal(
    connect_sandbox: Connect, sandbox: Any, key: str, tool: str, arguments: dict[str, Any]
) -> str:
    """The refusal's message, after checking that nothing reached the sandbox."""
    async with connect_sandbox() as client:
        message = error_text(await client.call_tool(tool, arguments))
    assert sandbox.request_log(key) == [], message
    return message


@pytest.mark.parametrize(
    ("tool", "arguments", "param", "shown"),
    [
        ("create_payment_intent", {**PAYMENT, "amount": True}, "amount", "true"),
        ("create_payment_intent", {**PAYMENT, "amount": "2500"}, "amount", '"2500"'),
        ("create_payment_intent", {**PAYMENT, "amount": 2500.0}, "amount", "2500.0"),
        ("create_payment_intent", {**PAYMENT, "confirm": "no"}, "confirm", '"no"'),
        ("create_payment_intent", {**PAYMENT, "currency": 840}, "currency", "840"),
        ("create_refund", {"payment_intent": "pi_1", "amount": "100"}, "amount", '"100"'),
        ("create_customer", {"metadata": {"order": 42}}, "metadata.order", "42"),
        (
            "create_checkout_session",
            {**SESSION, "line_items": [{**ITEM, "quantity": "2"}]},
            "line_items.0.quantity",
            '"2"',
        ),
        # JSON inside a string is not parsed into a list (the SDK's lenient pass would).
        ("create_checkout_session", {**SESSION, "line_items": json.dumps([ITEM])}, "line_items", '"[{'),
        (
            "wait_for_event",
            {"type": "payment_intent.succeeded", "timeout_seconds": 1.5},
            "timeout_seconds",
            "1.5",
        ),
    ],
)
async def test_wrong_types_are_refused_by_name_and_nothing_is_sent(
    connect_sandbox: Connect,
    sandbox: Any,
    sandbox_key: str,
    tool: str,
    arguments: dict[str, Any],
    param: str,
    shown: str,
) -> None:
    message = await refusal(connect_sandbox, sandbox, sandbox_key, tool, arguments)
    assert f"`{param}`" in message and f"(got {shown}" in message, message
    assert "Nothing was sent to Stripe" in message


async def test_strict_values_of_the_right_type_still_work(
    connect_sandbox: Connect, sandbox: Any, sandbox_key: str
) -> None:
    async with connect_sandbox() as client:
        created = payload(
            await client.call_tool(
                "create_payment_intent", {**PAYMENT, "confirm": False, "metadata": {"order": "42"}}
            )
        )
    assert created["amount"] == 2500 and created["status"] == "requires_payment_method"
    (sent,) = [r for r in sandbox.request_log(sandbox_key) if r.method == "POST"]
    assert sent.params["amount"] == "2500" and sent.params["metadata"] == {"order": "42"}


@pytest.mark.parametrize(
    ("tool", "arguments", "unknown", "suggestion"),
    [
        ("create_customer", {"emial": "a@example.com"}, "emial", "email"),
        (
            "create_checkout_session",
            {**SESSION, "line_items": [{**ITEM, "quantiy": 2}]},
            "line_items.0.quantiy",
            "quantity",
        ),
        (
            "create_checkout_session",
            {**SESSION, "line_items": [ITEM, {**ITEM, "pricee": "price_2"}]},
            "line_items.1.pricee",
            "price",
        ),
    ],
)
async def test_unknown_names_at_any_depth_get_a_did_you_mean(
    connect_sandbox: Connect,
    sandbox: Any,
    sandbox_key: str,
    tool: str,
    arguments: dict[str, Any],
    unknown: str,
    suggestion: str,
) -> None:
    message = await refusal(connect_sandbox, sandbox, sandbox_key, tool, arguments)
    assert f"Unknown parameter `{unknown}`. Did you mean `{suggestion}`?" in message, message
    assert "Nothing was sent to Stripe" in message


async def test_nested_unknown_lists_the_names_valid_at_that_depth(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        message = error_text(
            await client.call_tool("create_checkout_session", {**SESSION, "line_items": [{**ITEM, "zzz": 1}]})
        )
    assert "Unknown parameter `line_items.0.zzz`. Parameters in `line_items.0`:" in message
    listed = message.split("Parameters in `line_items.0`: ")[1].split(".")[0].split(", ")
    assert "quantity" in listed and "mode" not in listed


@pytest.mark.parametrize(
    ("tool", "arguments", "where"),
    [
        ("create_payment_intent", {**PAYMENT, "payment_method_types": ["card"]}, "payment_method_types"),
        (
            "create_checkout_session",
            {**SESSION, "line_items": [{**ITEM, "payment_method_types": ["card"]}]},
            "line_items.0.payment_method_types",
        ),
    ],
)
async def test_payment_method_types_anywhere_keeps_its_guardrail_message(
    connect_sandbox: Connect, sandbox: Any, sandbox_key: str, tool: str, arguments: dict[str, Any], where: str
) -> None:
    message = await refusal(connect_sandbox, sandbox, sandbox_key, tool, arguments)
    assert "payment-method-types" in message and f"`{where}` passed to {tool}" in message, message


async def test_each_call_is_validated_once(connect_sandbox: Connect, monkeypatch: pytest.MonkeyPatch) -> None:
    """One pass per call: the strict one, in the SDK's own place; the SDK's lenient pre-parse
    (JSON inside strings) never runs."""
    passes: list[str] = []
    strict_pass = StrictArguments.validate_arguments

    def counted(self: StrictArguments, arguments: dict[str, Any]) -> dict[str, Any]:
        passes.append("strict")
        return strict_pass(self, arguments)

    def lenient(*_: Any) -> Any:
        passes.append("lenient")
        raise AssertionError("the lenient pre-parse ran")

    monkeypatch.setattr(StrictArguments, "validate_arguments", counted)
    monkeypatch.setattr(FuncMetadata, "pre_parse_json", lenient)
    async with connect_sandbox() as client:
        customer = payload(await client.call_tool("create_customer", {"email": "once@example.com"}))
        assert passes == ["strict"]
        payload(await client.call_tool("retrieve_customer", {"customer": customer["id"]}))
        error_text(await client.call_tool("retrieve_customer", {"customer": 7}))
    assert passes == ["strict"] * 3


def test_names_at_follows_items_refs_and_unions() -> None:
    schema = {
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}},
            "choice": {"anyOf": [{"properties": {"a": {}}}, {"properties": {"b": {}}}]},
        },
        "$defs": {"Item": {"properties": {"price": {}, "quantity": {}}}},
    }
    assert names_at(schema, ()) == ["items", "choice"]
    assert names_at(schema, ("items", 0)) == ["price", "quantity"]
    assert names_at(schema, ("choice",)) == ["a", "b"]
    assert names_at(schema, ("nothing", 0)) == []
