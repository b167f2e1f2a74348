"""Completions (`completion/complete`) through an MCP client, against the sandbox over HTTP:
the object template's types and recent ids, and the prompts' currencies, prices, PaymentIntents,
customers and intervals, on both protocol eras."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import stripe
from mcp.client import Client
from mcp.types import PromptReference, ResourceTemplateReference

from stripe_power.resources import OBJECTS
from stripe_power.server import create_server

from .conftest import settings_for

TEMPLATE = ResourceTemplateReference(type="ref/resource", uri="stripe://{object_type}/{id}")


def prompt(name: str) -> PromptReference:
    return PromptReference(type="ref/prompt", name=name)


@pytest.fixture
def account(sandbox: Any, sandbox_key: str) -> dict[str, Any]:
    """Objects made straight through the SDK, as a developer's own code would have."""
    sdk = stripe.StripeClient(sandbox_key, base_addresses={"api": sandbox.url})
    product = sdk.v1.products.create({"name": "Completion tee"})
    monthly = sdk.v1.prices.create({"product": product.id, "unit_amount": 900, "currency": "eur",
                                    "recurring": {"interval": "month"}})  # fmt: skip
    once = sdk.v1.prices.create({"product": product.id, "unit_amount": 2500, "currency": "gbp"})
    customers = [sdk.v1.customers.create({"email": f"{name}@example.com"}) for name in ("alice", "bob")]
    intent = sdk.v1.payment_intents.create({"amount": 1200, "currency": "usd"})
    return {
        "monthly": monthly.id,
        "once": once.id,
        "customers": [c.id for c in customers],
        "intent": intent.id,
    }


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_object_template_completes_types_then_recent_ids(
    sandbox: Any, sandbox_key: str, tmp_path: Path, account: dict[str, Any], mode: str
) -> None:
    alice, bob = account["customers"]
    async with Client(
        create_server(settings_for(sandbox.url, tmp_path, api_key=sandbox_key)), mode=mode
    ) as client:
        every = (await client.complete(TEMPLATE, {"name": "object_type", "value": ""})).completion
        pay = (await client.complete(TEMPLATE, {"name": "object_type", "value": "pay"})).completion
        customer_ids = (
            await client.complete(TEMPLATE, {"name": "id", "value": ""}, {"object_type": "customer"})
        ).completion
        one = (
            await client.complete(TEMPLATE, {"name": "id", "value": bob[:-2]}, {"object_type": "customer"})
        ).completion
        no_type = (await client.complete(TEMPLATE, {"name": "id", "value": "cus_"})).completion
    assert every.values == list(OBJECTS) and "payment_intent" in every.values  # the types read_object serves
    assert pay.values == ["payment_intent", "payout"] and pay.total == 2 and pay.has_more is False
    assert customer_ids.values == [bob, alice]  # newest first, as Stripe lists them
    assert one.values == [bob]
    assert no_type.values == []


async def test_prompt_arguments_complete_from_the_account(
    sandbox: Any, sandbox_key: str, tmp_path: Path, account: dict[str, Any]
) -> None:
    async def values(name: str, argument: str, typed: str) -> list[str]:
        return (await client.complete(prompt(name), {"name": argument, "value": typed})).completion.values

    async with Client(create_server(settings_for(sandbox.url, tmp_path, api_key=sandbox_key))) as client:
        currencies = await values("accept_one_time_payment", "currency", "")
        euro = await values("start_subscription", "currency", "E")
        prices = await values("start_subscription", "price", "")
        intents = await values("process_refund", "payment_intent", "pi_")
        emails = await values("save_payment_method", "customer_email", "al")
        intervals = await values("start_subscription", "interval", "")
        month = await values("start_subscription", "interval", "mo")
        not_completed = await values("accept_one_time_payment", "amount", "")
        not_a_parameter = await values("go_live_checklist", "currency", "")
        unknown_prompt = await values("test_prompt_with_arguments", "arg1", "test")
    assert currencies == ["usd", "gbp", "eur"]  # the account's default first, then recent prices'
    assert euro == ["eur"]
    assert prices == [account["monthly"]]  # only recurring prices start a subscription
    assert intents == [account["intent"]]
    assert emails == ["alice@example.com"]
    assert intervals == ["day", "month", "week", "year"] and month == ["month"]
    assert not_completed == not_a_parameter == unknown_prompt == []


async def test_keystrokes_reuse_one_list_call(
    sandbox: Any, sandbox_key: str, tmp_path: Path, account: dict[str, Any]
) -> None:
    before = len(sandbox.request_log(sandbox_key))
    async with Client(create_server(settings_for(sandbox.url, tmp_path, api_key=sandbox_key))) as client:
        for typed in ("", "c", "cu", "cus", "cus_"):
            completion = (
                await client.complete(TEMPLATE, {"name": "id", "value": typed}, {"object_type": "customer"})
            ).completion
            assert len(completion.values) == 2
    calls = [(r.method, r.path) for r in sandbox.request_log(sandbox_key)[before:]]
    assert calls == [("GET", "/v1/customers")]


async def test_a_stripe_error_completes_to_nothing(fake: Any, tmp_path: Path) -> None:
    fake.on("GET", "/v1/customers", {"error": {"type": "api_error", "message": "down"}}, status=400)
    async with Client(create_server(settings_for(fake.url, tmp_path))) as client:
        completion = (
            await client.complete(TEMPLATE, {"name": "id", "value": ""}, {"object_type": "customer"})
        ).completion
    assert completion.values == [] and [r.path for r in fake.requests] == ["/v1/customers"]
