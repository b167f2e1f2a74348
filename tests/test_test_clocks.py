"""Test-clock tools through an MCP client against the sandbox: the simulate_billing_cycle prompt
followed literally, a failing renewal summarised, progress while advancing, and live keys refused."""

from __future__ import annotations

import re
from typing import Any

from .conftest import Connect, error_text, payload
from .fakes import RecordingStripe


async def _price(client: Any) -> str:
    price = payload(
        await client.call_tool(
            "call_stripe_api",
            {"method": "POST", "path": "/v1/prices",
             "params": {"unit_amount": 1500, "currency": "usd", "recurring": {"interval": "month"},
                        "product_data": {"name": "Pro plan"}}},
        )
    )  # fmt: skip
    return str(price["id"])


async def _follow_prompt(client: Any, price: str, card: str, **subscription: Any) -> tuple[str, str, str]:
    """Steps 1-3 of the simulate_billing_cycle prompt, with its own arguments."""
    clock = payload(await client.call_tool("create_test_clock", {"name": "billing simulation"}))
    customer = payload(
        await client.call_tool(
            "create_customer",
            {"email": "clock@example.com", "test_clock": clock["id"], "payment_method": card,
             "invoice_settings": {"default_payment_method": card}},
        )
    )  # fmt: skip
    sub = payload(
        await client.call_tool(
            "create_subscription",
            {"customer": customer["id"], "items": [{"price": price}], "payment_behavior": "allow_incomplete",
             **subscription},
        )
    )  # fmt: skip
    return clock["id"], customer["id"], sub["id"]


async def test_the_prompt_runs_two_paid_renewals_with_progress(connect_sandbox: Connect) -> None:
    progress: list[str | None] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append(message)

    async with connect_sandbox() as client:
        price = await _price(client)
        prompt = await client.get_prompt("simulate_billing_cycle", {"price": price, "months": "2"})
        text = prompt.messages[0].content.text  # type: ignore[union-attr]
        assert "`advance_test_clock`" in text and price in text
        clock, customer, _ = await _follow_prompt(client, price, "pm_card_visa")
        first = payload(
            await client.call_tool(
                "advance_test_clock", {"test_clock": clock, "days": 31}, progress_callback=on_progress
            )
        )
        second = payload(await client.call_tool("advance_test_clock", {"test_clock": clock, "days": 31}))
        invoices = payload(await client.call_tool("list_invoices", {"customer": customer}))
        listed = payload(await client.call_tool("list_test_clocks", {}))
        deleted = payload(await client.call_tool("delete_test_clock", {"test_clock": clock}))
    assert first["status"] == "ready" and len(first["happened"]["invoices_paid"]) == 1
    assert "$15.00" in first["happened"]["invoices_paid"][0]
    assert "subscription_cycle" in first["happened"]["invoices_created"][0]
    assert (
        len(second["happened"]["invoices_paid"]) == 1
        and second["frozen_time"] == first["frozen_time"] + 31 * 86400
    )
    assert progress and "advancing" in (progress[0] or "")
    assert len(invoices["data"]) == 3 and {i["status"] for i in invoices["data"]} == {"paid"}
    assert clock in [c["id"] for c in listed["data"]]
    assert deleted["status"] == "deleted"


async def test_a_failing_card_after_a_trial_is_summarised_through_past_due_to_canceled(
    connect_sandbox: Connect,
) -> None:
    async with connect_sandbox() as client:
        price = await _price(client)
        clock, _, sub = await _follow_prompt(client, price, "pm_card_chargeCustomerFail", trial_period_days=7)
        trial = payload(await client.call_tool("advance_test_clock", {"test_clock": clock, "days": 8}))
        retries = payload(await client.call_tool("advance_test_clock", {"test_clock": clock, "days": 20}))
        final = payload(await client.call_tool("retrieve_subscription", {"subscription": sub}))
    changes = trial["happened"]["subscriptions"]
    assert [re.sub(r" at .*", "", c) for c in changes] == [
        f"{sub}: trialing → active",
        f"{sub}: active → past_due",
    ]
    assert len(trial["happened"]["invoices_failed"]) == 1
    assert len(retries["happened"]["invoices_failed"]) == 3
    assert re.sub(r" at .*", "", retries["happened"]["subscriptions"][-1]) == f"{sub}: past_due → canceled"
    assert final["status"] == "canceled"


async def test_advance_needs_exactly_one_target_and_sends_nothing_otherwise(
    connect_sandbox: Connect, sandbox: Any, sandbox_key: str
) -> None:
    async with connect_sandbox() as client:
        message = error_text(await client.call_tool("advance_test_clock", {"test_clock": "clock_1"}))
    assert "exactly one of frozen_time and days" in message
    assert sandbox.request_log(sandbox_key) == []


async def test_test_clocks_are_refused_with_a_live_key(fake: RecordingStripe, connect: Connect) -> None:
    live = "rk_live_" + "L" * 24
    async with connect(api_key=live, allow_live=True) as client:
        created = error_text(await client.call_tool("create_test_clock", {"name": "x"}))
        advanced = error_text(
            await client.call_tool("advance_test_clock", {"test_clock": "clock_1", "days": 1})
        )
    for message in (created, advanced):
        assert "guardrail `live-key`" in message and "test mode" in message
        assert live not in message
    assert fake.requests == []
