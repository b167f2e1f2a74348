"""The default tool list (issue 21): what `--toolsets` selects, the byte budget in every mode,
and the four workflows Stripe's Kiro power documents, run with only the default tools against
the sandbox (a tool outside the list would be an "Unknown tool" error)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp.client import Client

from stripe_power.config import load_settings
from stripe_power.errors import ConfigError
from stripe_power.tools import (
    BYTES_PER_TOOL_BUDGET,
    DEFAULT_BUDGET_BYTES,
    DEFAULT_TOOLS,
    DEFAULT_TOOLSETS,
    TOOLSET_NAMES,
    TOOLSETS,
    in_default,
)

from .conftest import Connect, payload

KEY = {"STRIPE_SECRET_KEY": "sk_test_" + "0" * 24}
ALL_NAMES = {spec.name for ts in TOOLSETS for spec in ts.tools}
DEFAULT_NAMES = [s.name for ts in TOOLSETS for s in ts.tools if in_default(s) and s.requires is None]
TOOL_NAME = re.compile(r"\b(?:create|retrieve|list|update|cancel|confirm|capture|expire|search|describe|"
                       r"finalize|pay|send|void|resume|deactivate|detach|wait|verify|get|call|check)_[a-z_]+\b")  # fmt: skip


def selected(value: str | None, env: dict[str, str] | None = None) -> frozenset[str] | None:
    return load_settings({**KEY, **(env or {})}, toolsets=value, known_toolsets=TOOLSET_NAMES).toolsets


def test_toolsets_flag_and_environment() -> None:
    assert selected(None) == frozenset({"default"})
    assert selected("all") is None
    assert selected(None, {"STRIPE_POWER_TOOLSETS": "all"}) is None
    assert selected("default,invoices") == frozenset({"default", "invoices"})
    assert selected("invoices", {"STRIPE_POWER_TOOLSETS": "all"}) == frozenset({"invoices"})  # flag wins
    with pytest.raises(ConfigError, match=r"unknown toolset.*nope.*Known: all, .*default"):
        selected("default,nope")


def test_default_names_are_registered_tools() -> None:
    assert set(DEFAULT_TOOLS) <= ALL_NAMES
    assert set(DEFAULT_TOOLSETS) <= {ts.name for ts in TOOLSETS}


@pytest.mark.parametrize(
    ("toolsets", "expected"),
    [
        ("default", DEFAULT_NAMES),
        (
            "default,invoices",
            [
                s.name
                for ts in TOOLSETS
                for s in ts.tools
                if (in_default(s) and s.requires is None) or ts.name == "invoices"
            ],
        ),
        ("invoices", [s.name for ts in TOOLSETS if ts.name == "invoices" for s in ts.tools]),
        ("all", [s.name for ts in TOOLSETS for s in ts.tools if s.requires is None]),
    ],
)
async def test_listed_tools_follow_the_toolsets(connect: Connect, toolsets: str, expected: list[str]) -> None:
    async with connect(toolsets=toolsets) as client:
        assert [tool.name for tool in (await client.list_tools()).tools] == expected


def compact(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


@pytest.mark.parametrize(
    ("options", "total_budget"),
    [
        ({"toolsets": "default"}, DEFAULT_BUDGET_BYTES),
        ({"toolsets": "default", "read_only": True}, None),
        ({"toolsets": "all"}, None),
        ({"toolsets": "all", "read_only": True}, None),
        ({"toolsets": "default", "sandbox": True}, DEFAULT_BUDGET_BYTES),  # adds pay_checkout_session
        ({"toolsets": "all", "sandbox": True}, None),
    ],
)
async def test_tool_list_stays_within_its_byte_budget(
    connect: Connect, options: dict[str, Any], total_budget: int | None
) -> None:
    """The budget is designed, not trimmed after the fact: a change that adds schema bytes
    fails here with the figure (bench/context_cost.py prints the per-tool breakdown)."""
    async with connect(**options) as client:
        tools = [
            tool.model_dump(by_alias=True, exclude_none=True, mode="json")
            for tool in (await client.list_tools()).tools
        ]
    total = compact(tools)
    largest = sorted(((compact(tool), tool["name"]) for tool in tools), reverse=True)[:5]
    over = total - BYTES_PER_TOOL_BUDGET * len(tools)
    assert over <= 0, (
        f"{options}: {len(tools)} tools, {total:,} bytes, {over:,} over budget; largest {largest}"
    )
    if total_budget is not None:
        assert total <= total_budget, f"{options}: {total:,} bytes > {total_budget:,}; largest {largest}"


async def pay_hosted_page(url: str) -> None:
    """The customer pays on the sandbox's hosted Checkout page, as a browser would."""
    async with httpx.AsyncClient() as browser:
        paid = await browser.post(url, data={"card_number": "4242424242424242"})
    assert paid.status_code == 303, paid.text


class Agent:
    """Calls tools and keeps every tool name the server's results and next steps mention."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.mentioned: set[str] = set()

    async def __call__(self, tool: str, arguments: dict[str, Any]) -> Any:
        result = await self.client.call_tool(tool, arguments)
        text = result.content[0].text  # type: ignore[union-attr]
        self.mentioned |= set(TOOL_NAME.findall(text)) & ALL_NAMES
        return payload(result)


async def test_the_four_workflows_with_only_the_default_tools(
    connect_sandbox: Connect, sandbox: Any, sandbox_key: str, tmp_path: Path
) -> None:
    async with connect_sandbox(toolsets="default") as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        assert listed == set(DEFAULT_NAMES)
        call = Agent(client)

        # Prices in Stripe's own shape, through the guarded generic tool (the typed tools' inline
        # `line_items` shapes are tested with those tools).
        async def price(**recurring: str) -> str:
            params: dict[str, Any] = {
                "currency": "usd",
                "unit_amount": 2500,
                "product_data": {"name": "T-shirt"},
            }
            made = await call(
                "call_stripe_api",
                {
                    "method": "POST",
                    "path": "/v1/prices",
                    "params": {**params, **({"recurring": recurring} if recurring else {})},
                },
            )
            return str(made["id"])

        # 1. One-time payment with Checkout, then the webhook event.
        item = {"price": await price(), "quantity": 1}
        session = await call(
            "create_checkout_session",
            {"mode": "payment", "line_items": [item], "success_url": "https://example.com/ok"},
        )
        await pay_hosted_page(session["url"])
        paid = await call("retrieve_checkout_session", {"session": session["id"]})
        assert (paid["status"], paid["payment_status"]) == ("complete", "paid")
        event = await call(
            "wait_for_event",
            {"type": "checkout.session.completed", "object_id": session["id"], "timeout_seconds": 5},
        )
        assert event["found"] and event["event"]["type"] == "checkout.session.completed"
        assert (await call("retrieve_event", {"id": event["event"]["id"]}))["id"] == event["event"]["id"]
        payment = await call("retrieve_payment_intent", {"payment_intent": paid["payment_intent"]})
        assert payment["status"] == "succeeded"

        # 2. Subscription with Checkout (a recurring price given inline).
        customer = await call("create_customer", {"email": "subscriber@example.com"})
        assert (await call("retrieve_customer", {"customer": customer["id"]}))["email"] == customer["email"]
        monthly = {"price": await price(interval="month"), "quantity": 1}
        subscribe = await call(
            "create_checkout_session",
            {
                "mode": "subscription",
                "customer": customer["id"],
                "line_items": [monthly],
                "success_url": "https://example.com/ok",
            },
        )
        await pay_hosted_page(subscribe["url"])
        done = await call("retrieve_checkout_session", {"session": subscribe["id"]})
        subscription = await call("retrieve_subscription", {"subscription": done["subscription"]})
        assert subscription["status"] == "active" and subscription["customer"] == customer["id"]
        created = await call(
            "wait_for_event",
            {
                "type": "customer.subscription.created",
                "object_id": done["subscription"],
                "timeout_seconds": 5,
            },
        )
        assert created["found"]

        # 3. Refund the one-time payment.
        refund = await call("create_refund", {"payment_intent": paid["payment_intent"], "amount": 1000})
        assert (await call("retrieve_refund", {"refund": refund["id"]}))["status"] == "succeeded"

        # 4. Save a payment method (SetupIntent), then charge it off-session.
        saver = (await call("create_customer", {"email": "saver@example.com"}))["id"]
        started = await call("create_setup_intent", {"customer": saver})
        saved = await call(
            "confirm_setup_intent",
            {
                "setup_intent": started["id"],
                "payment_method": "pm_card_visa",
                "return_url": "https://ex.com/r",
            },
        )
        assert (await call("retrieve_setup_intent", {"setup_intent": started["id"]}))["status"] == "succeeded"
        (card,) = (await call("list_payment_methods", {"customer": saver}))["data"]
        assert card["id"] == saved["payment_method"]
        charged = await call(
            "create_payment_intent",
            {
                "amount": 1999,
                "currency": "usd",
                "customer": saver,
                "payment_method": card["id"],
                "confirm": True,
                "off_session": True,
            },
        )
        assert charged["status"] == "succeeded"
        succeeded = await call(
            "wait_for_event",
            {"type": "payment_intent.succeeded", "object_id": charged["id"], "timeout_seconds": 5},
        )
        assert succeeded["found"]

        # The rest of the API: find the endpoint, read its parameters, call it through the guard.
        found = await call("search_stripe_api", {"query": "list products"})
        assert ("GET", "/v1/products") in {(hit["method"], hit["path"]) for hit in found["results"]}
        described = await call("describe_stripe_api", {"method": "GET", "path": "/v1/products"})
        assert "limit" in json.dumps(described)
        products = await call(
            "call_stripe_api", {"method": "GET", "path": "/v1/products", "params": {"limit": 3}}
        )
        assert products["object"] == "list" and len(products["data"]) >= 2  # the two made above

    # Every tool the results and next steps pointed at is one the agent has.
    assert call.mentioned <= listed, call.mentioned - listed
    posted = [r.path for r in sandbox.request_log(sandbox_key) if r.method == "POST"]
    assert posted.count("/v1/checkout/sessions") == 2 and "/v1/refunds" in posted
