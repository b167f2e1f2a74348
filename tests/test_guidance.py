"""Offline guidance: resources, prompts, server instructions, and the account tools."""

from __future__ import annotations

import re
from typing import Any

import pytest
from mcp.shared.exceptions import MCPError
from mcp.types import TextResourceContents

from stripe_power import spec
from stripe_power.guardrails import RULES
from stripe_power.hints import Listing, render
from stripe_power.prompts import PROMPTS
from stripe_power.resources import OBJECTS, STRIPE_TYPE, best_practices
from stripe_power.sandbox.payments.cards import TEST_PAYMENT_METHODS
from stripe_power.server import INSTRUCTIONS
from stripe_power.tools import TOOLSETS

from .conftest import ROOT, Connect, payload

TOOL_NAMES = {spec.name for ts in TOOLSETS for spec in ts.tools}
PROMPT_ARGS: dict[str, dict[str, str]] = {
    "accept_one_time_payment": {"product_name": "T-shirt", "amount": "2500", "currency": "eur"},
    "start_subscription": {"customer_email": "jane@example.com", "amount": "900", "interval": "month"},
    "process_refund": {"payment_intent": "pi_123", "amount": "500"},
    "save_payment_method": {"customer_email": "jane@example.com"},
    "go_live_checklist": {},
    "debug_failed_payment": {"payment_intent": "pi_123"},
    "simulate_billing_cycle": {"price": "price_123", "months": "2"},
}


def text_of(contents: Any) -> str:
    (item,) = contents
    assert isinstance(item, TextResourceContents)
    return item.text


async def test_static_resources_list_and_read(connect: Connect) -> None:
    async with connect() as client:
        listed = {str(r.uri) for r in (await client.list_resources()).resources}
        templates = [t.uri_template for t in (await client.list_resource_templates()).resource_templates]
        guide = text_of((await client.read_resource("stripe://guide/best-practices")).contents)
        rules = text_of((await client.read_resource("stripe://guide/guardrails")).contents)
        cards = text_of((await client.read_resource("stripe://testing/cards")).contents)
    assert listed == {"stripe://guide/best-practices", "stripe://guide/guardrails", "stripe://testing/cards"}
    assert templates == ["stripe://{object_type}/{id}"]
    everything = Listing.everything()
    assert guide == render(best_practices(), everything) and "Checkout Sessions first" in guide
    table_rows = [line for line in rules.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in table_rows] == list(dict.fromkeys(r.id for r in RULES))
    for rule in RULES:
        assert render(rule.instead, everything) in rules and rule.doc_url in rules
    for card in TEST_PAYMENT_METHODS:
        assert f"`{card.id}`" in cards and card.number in cards


def test_power_md_carries_the_same_guide() -> None:
    """As the power's agent gets it from its server: written for the default listing."""
    assert render(best_practices(), Listing.default()) in (ROOT / "POWER.md").read_text()


async def test_prompts_render_and_name_only_real_tools(connect: Connect) -> None:
    async with connect() as client:
        listed = {p.name: p for p in (await client.list_prompts()).prompts}
        rendered = {name: await client.get_prompt(name, args) for name, args in PROMPT_ARGS.items()}
    assert set(listed) == {p.__name__ for p in PROMPTS} == set(PROMPT_ARGS)
    for name, result in rendered.items():
        text = result.messages[0].content.text  # type: ignore[union-attr]
        named = set(re.findall(r"`([a-z]+(?:_[a-z]+)+)[ `]", text))
        assert named, name
        assert named <= TOOL_NAMES, (name, named - TOOL_NAMES)
    assert "€25.00" in rendered["accept_one_time_payment"].messages[0].content.text  # type: ignore[union-attr]


async def test_instructions_are_short_and_point_to_the_guide(connect: Connect) -> None:
    async with connect() as client:
        assert client.server_info is not None
    assert len(INSTRUCTIONS) < 600
    assert "create_checkout_session" in INSTRUCTIONS and "stripe://guide/best-practices" in INSTRUCTIONS


async def test_account_tools_against_sandbox(connect_sandbox: Connect, sandbox_key: str) -> None:
    async with connect_sandbox() as client:
        info = payload(await client.call_tool("get_account_info", {}))
        balance = payload(await client.call_tool("retrieve_balance", {}))
    assert info["mode"] == "test" and info["key_kind"] == "secret"
    assert info["id"].startswith("acct_") and re.fullmatch(r"\d{4}-\d{2}-\d{2}\.\w+", info["api_version"])
    assert sandbox_key not in str(info) and sandbox_key[-4:] in info["key"]
    assert isinstance(balance["available"], list)


async def test_object_resource_reads_a_sandbox_object(connect_sandbox: Connect, sandbox_key: str) -> None:
    async with connect_sandbox() as client:
        customer = payload(await client.call_tool("create_customer", {"email": "res@example.com"}))
        read = text_of((await client.read_resource(f"stripe://customer/{customer['id']}")).contents)
        with pytest.raises(MCPError, match="No such customer"):
            await client.read_resource("stripe://customer/cus_doesnotexist")
        with pytest.raises(MCPError, match="Unknown object type"):
            await client.read_resource("stripe://plan/plan_123")
    assert '"email":"res@example.com"' in read
    # Each type's path is one Stripe has, and reads one object of that type (from the spec).
    for object_type, path in OBJECTS.items():
        read_one = spec.resolve("GET", f"{path}/x_1")
        assert read_one is not None and read_one.returns == STRIPE_TYPE.get(object_type, object_type)
