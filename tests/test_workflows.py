"""The four workflows of Stripe's own Kiro power, replayed through an MCP client against the
sandbox (issue 14, "Done when"): one-time payment with Checkout, subscription with Checkout,
refund, and saving a card with a SetupIntent then charging it off-session.

Only Stripe-documented parameter shapes are sent, and after the first call of a flow every call
is one the previous result's `next_step` (or the workflow's prompt) names, with the parameters
it names; a `tool {"a": x, ...}` next step is parsed and run as written. Zero calls fail.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from mcp.client import Client

from stripe_power import prompts, spec
from stripe_power.server import create_server

from .conftest import settings_for

SUCCESS = "https://example.com/success?session_id={CHECKOUT_SESSION_ID}"
CANCEL = "https://example.com/cart"
RETURN = "https://example.com/saved"


class Agent:
    """Calls tools the way a careful agent would, and keeps score."""

    def __init__(self, client: Client, prompt: str) -> None:
        self.client, self.prompt = client, prompt
        self.calls: list[str] = []
        self.failed: list[str] = []
        self.hint: str | None = None  # the previous result's next_step

    async def call(self, tool: str, args: dict[str, Any], *, first: bool = False) -> dict[str, Any]:
        """One call; unless it starts the flow, the previous next_step (or the prompt) must name it."""
        if not first:
            told = f"{self.hint or ''} {self.prompt}"
            assert re.search(rf"\b{tool}\b", told), f"nothing told the agent to call {tool}: {told!r}"
        result = await self.client.call_tool(tool, args)
        text = result.content[0].text  # type: ignore[union-attr]
        self.calls.append(tool)
        if result.is_error:
            self.failed.append(f"{tool}({args}): {text}")
        assert not result.is_error, text
        data: dict[str, Any] = json.loads(text)
        self.hint = data.get("next_step")
        return data

    def told(self, *words: str) -> None:
        """The current next step names these (parameters, values)."""
        for word in words:
            assert word in (self.hint or ""), f"{word!r} not in next_step {self.hint!r}"

    async def follow_call(self, given: dict[str, Any]) -> dict[str, Any]:
        """Run a `tool {"a": x, ...}` next step as written; `given` replaces what the step leaves
        to the caller (its example amount and currency)."""
        found = re.search(r"(\w+) (\{)", self.hint or "")
        assert found, f"no tool {{...}} in next_step {self.hint!r}"
        args, _ = json.JSONDecoder().raw_decode(self.hint or "", found.start(2))
        return await self.call(found.group(1), {**args, **given})


def stripe_shaped(method: str, path: str, args: dict[str, Any]) -> None:
    """The arguments are Stripe's own names and nesting for that endpoint (spec index)."""
    op = spec.operation(method, path)
    assert op is not None

    def walk(value: Any, at: str) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                name = f"{at}.{key}" if at else key
                assert spec.lookup(op, name), f"{name} is not Stripe's on {method} {path}"
                if key not in ("metadata",):
                    walk(sub, name)
        elif isinstance(value, list):
            for item in value:
                walk(item, at)

    walk(args, "")


def _client(sandbox: Any, tmp_path: Path) -> Client:
    """A server in sandbox mode (as `serve --sandbox` runs it), so its test helper is listed."""
    return Client(create_server(settings_for(sandbox.url, tmp_path, sandbox=True)))


async def _pay_one_time(agent: Agent) -> dict[str, Any]:
    """Workflow 1, Stripe's shape verbatim: price_data with product_data."""
    args = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {"currency": "usd", "product_data": {"name": "T-shirt"}, "unit_amount": 2000},
                "quantity": 1,
            }
        ],
        "success_url": SUCCESS,
        "cancel_url": CANCEL,
    }
    stripe_shaped("POST", "/v1/checkout/sessions", args)
    session = await agent.call("create_checkout_session", args, first=True)
    agent.told("url", "pay_checkout_session")
    paid = await agent.call("pay_checkout_session", {"session": session["id"]})
    assert (paid["status"], paid["payment_status"]) == ("complete", "paid")
    agent.told('wait_for_event {"type": "checkout.session.completed"')
    seen = await agent.call("wait_for_event", {"type": "checkout.session.completed"})
    assert seen["found"] is True and seen["event"]["object_id"] == session["id"]
    checked = await agent.call("retrieve_checkout_session", {"session": session["id"]})
    assert checked["payment_status"] == "paid" and checked["amount_total"] == 2000
    return checked


async def test_workflow_1_one_time_payment_with_checkout(sandbox: Any, tmp_path: Path) -> None:
    prompt = prompts.accept_one_time_payment("T-shirt", 2000)
    async with _client(sandbox, tmp_path) as client:
        agent = Agent(client, prompt)
        await _pay_one_time(agent)
    assert agent.failed == []
    assert agent.calls == [
        "create_checkout_session",
        "pay_checkout_session",
        "wait_for_event",
        "retrieve_checkout_session",
    ]


async def test_workflow_2_subscription_with_checkout(sandbox: Any, tmp_path: Path) -> None:
    prompt = prompts.start_subscription("jane@example.com", amount=1500)
    async with _client(sandbox, tmp_path) as client:
        agent = Agent(client, prompt)
        product = await agent.call("create_product", {"name": "Pro plan"}, first=True)
        price_args = {
            "product": product["id"],
            "unit_amount": 1500,
            "currency": "usd",
            "recurring": {"interval": "month"},
        }
        stripe_shaped("POST", "/v1/prices", price_args)
        price = await agent.call("create_price", price_args)
        found = await agent.call("list_customers", {"email": "jane@example.com"})
        assert found["data"] == []
        customer = await agent.call("create_customer", {"email": "jane@example.com"})
        session_args = {
            "mode": "subscription",
            "customer": customer["id"],
            "line_items": [{"price": price["id"], "quantity": 1}],
            "success_url": SUCCESS,
        }
        stripe_shaped("POST", "/v1/checkout/sessions", session_args)
        session = await agent.call("create_checkout_session", session_args)
        agent.told("pay_checkout_session")
        await agent.call("pay_checkout_session", {"session": session["id"]})
        done = await agent.call("retrieve_checkout_session", {"session": session["id"]})
        subscription = await agent.call("retrieve_subscription", {"subscription": done["subscription"]})
    assert agent.failed == []
    assert subscription["status"] == "active" and subscription["customer"] == customer["id"]
    assert subscription["items"][0]["price"] == price["id"]
    assert subscription["next_invoice_amount_display"] == "$15.00"


async def test_workflow_3_refund(sandbox: Any, tmp_path: Path) -> None:
    prompt = prompts.accept_one_time_payment("T-shirt", 2000)
    async with _client(sandbox, tmp_path) as client:
        agent = Agent(client, prompt)
        paid = await _pay_one_time(agent)
        intent = paid["payment_intent"]
        agent.prompt = prompts.process_refund(intent)
        before = await agent.call("retrieve_payment_intent", {"payment_intent": intent})
        assert (before["status"], before["remaining_refundable"]) == ("succeeded", 2000)
        refunds = await agent.call("list_refunds", {"payment_intent": intent})
        assert refunds["data"] == []
        refund = await agent.call(
            "create_refund", {"payment_intent": intent, "reason": "requested_by_customer"}
        )
        assert (refund["status"], refund["amount"], refund["remaining_refundable"]) == ("succeeded", 2000, 0)
        after = await agent.call("retrieve_payment_intent", {"payment_intent": intent})
        agent.told(f'list_refunds {{"payment_intent": "{intent}"}}')
        listed = await agent.call("list_refunds", {"payment_intent": intent})
        seen = await agent.call("wait_for_event", {"type": "charge.refunded"})
    assert agent.failed == []
    assert (after["amount_refunded"], after["remaining_refundable"]) == (2000, 0)
    assert after["next_step"].startswith("Fully refunded")
    assert [r["id"] for r in listed["data"]] == [refund["id"]] and seen["found"] is True


async def test_workflow_4_save_a_card_then_charge_it_off_session(sandbox: Any, tmp_path: Path) -> None:
    prompt = prompts.save_payment_method("sam@example.com")
    async with _client(sandbox, tmp_path) as client:
        agent = Agent(client, prompt)
        found = await agent.call("list_customers", {"email": "sam@example.com"}, first=True)
        assert found["data"] == []
        customer = await agent.call("create_customer", {"email": "sam@example.com"})
        intent_args = {"customer": customer["id"], "usage": "off_session"}
        stripe_shaped("POST", "/v1/setup_intents", intent_args)
        setup = await agent.call("create_setup_intent", intent_args)
        assert setup["status"] == "requires_payment_method" and setup["client_secret"]
        agent.told("confirm_setup_intent", "payment_method", "pm_card_visa", "return_url")
        confirm_args = {"setup_intent": setup["id"], "payment_method": "pm_card_visa", "return_url": RETURN}
        saved = await agent.call("confirm_setup_intent", confirm_args)
        assert saved["status"] == "succeeded"
        agent.told("create_payment_intent {", '"off_session": true', '"confirm": true', customer["id"])
        charged = await agent.follow_call({"amount": 4900, "currency": "usd"})
        methods = await agent.call("list_payment_methods", {"customer": customer["id"]})
    assert agent.failed == []
    assert (charged["status"], charged["amount_received"]) == ("succeeded", 4900)
    assert charged["payment_method"] == saved["payment_method"] == methods["data"][0]["id"]
    assert agent.calls[-2] == "create_payment_intent"


async def test_the_server_told_the_off_session_step_with_its_own_ids(sandbox: Any, tmp_path: Path) -> None:
    """The same flow with the SetupIntent confirmed at creation (Stripe's server-side test shape)."""
    prompt = prompts.save_payment_method("kim@example.com")
    async with _client(sandbox, tmp_path) as client:
        agent = Agent(client, prompt)
        customer = await agent.call("create_customer", {"email": "kim@example.com"}, first=True)
        args = {
            "customer": customer["id"],
            "payment_method": "pm_card_visa",
            "confirm": True,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        }
        stripe_shaped("POST", "/v1/setup_intents", args)
        saved = await agent.call("create_setup_intent", args)
        charged = await agent.follow_call({"amount": 1200, "currency": "eur"})
    assert agent.failed == []
    assert saved["status"] == "succeeded" and charged["status"] == "succeeded"
    assert charged["customer"] == customer["id"] and charged["currency"] == "eur"


async def test_after_a_decline_the_next_step_works_as_written(sandbox: Any, tmp_path: Path) -> None:
    """Not one of the four: a declined charge leaves an intent whose next step, followed, pays."""
    async with _client(sandbox, tmp_path) as client:
        declined = await client.call_tool(
            "create_payment_intent",
            {"amount": 700, "currency": "usd", "payment_method": "pm_card_chargeDeclined", "confirm": True},
        )
        text = declined.content[0].text  # type: ignore[union-attr]
        assert declined.is_error and "card_declined" in text
        intent = re.search(r"intent=(pi_\w+)", text).group(1)  # type: ignore[union-attr]
        agent = Agent(client, "")
        failed = await agent.call("retrieve_payment_intent", {"payment_intent": intent}, first=True)
        assert failed["status"] == "requires_payment_method"
        agent.told("confirm_payment_intent", "another payment method")
        assert "return_url" not in (agent.hint or "")  # redirects are off: none is needed
        paid = await agent.call(
            "confirm_payment_intent", {"payment_intent": intent, "payment_method": "pm_card_visa"}
        )
    assert agent.failed == [] and paid["status"] == "succeeded"
