"""Charges a test clock triggers (issue 24, item 14). Advancing a clock makes Stripe bill the
subscriptions whose renewal or trial end it passes and retry their open invoices: with
--max-amount the advance is checked against what it would bill (previewed before anything is
sent), and with --confirm-writes the user confirms an advance that bills, seeing that preview.
Against the sandbox through the MCP tools; the effect is read back from the clock and invoices."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import stripe

from .conftest import Connect, error_text, payload


@asynccontextmanager
async def sdk(sandbox: Any, key: str) -> AsyncIterator[stripe.StripeClient]:
    transport = stripe.HTTPXClient()
    try:
        yield stripe.StripeClient(key, base_addresses={"api": sandbox.url}, http_client=transport)
    finally:
        await transport.close_async()


async def trialing(
    sandbox: Any, key: str, unit_amount: int, card: str = "pm_card_visa"
) -> tuple[str, str, str]:
    """(clock, customer, subscription): a monthly subscription of `unit_amount` cents in a 7-day trial,
    on a new clock, the customer's card saved as default. Set up straight through the SDK."""
    async with sdk(sandbox, key) as client:
        clock = await client.v1.test_helpers.test_clocks.create_async({"frozen_time": 1_780_000_000})
        customer = await client.v1.customers.create_async(
            {
                "test_clock": clock.id,
                "payment_method": card,
                "invoice_settings": {"default_payment_method": card},
            }
        )
        price = await client.v1.prices.create_async(
            {"unit_amount": unit_amount, "currency": "usd", "recurring": {"interval": "month"},
             "product_data": {"name": f"Plan {unit_amount}"}}
        )  # fmt: skip
        sub = await client.v1.subscriptions.create_async(
            {"customer": customer.id, "items": [{"price": price.id}], "trial_period_days": 7}
        )
    assert sub.status == "trialing"
    return clock.id, customer.id, sub.id


async def state_of(sandbox: Any, key: str, clock: str, customer: str) -> tuple[int, list[tuple[str, int]]]:
    """The clock's frozen time and the customer's invoices (status, amount paid), read back."""
    async with sdk(sandbox, key) as client:
        found = await client.v1.test_helpers.test_clocks.retrieve_async(clock)
        invoices = await client.v1.invoices.list_async({"customer": customer, "limit": 100})
    return found.frozen_time, sorted((i.status or "", i.amount_paid) for i in invoices.data)


def advances(sandbox: Any, key: str) -> int:
    return sum(1 for r in sandbox.request_log(key) if r.path.endswith("/advance"))


async def test_an_advance_that_bills_over_the_limit_is_refused_and_nothing_moves(
    connect_sandbox: Connect, sandbox: Any, sandbox_key: str
) -> None:
    clock, customer, sub = await trialing(sandbox, sandbox_key, 500_000)
    before = await state_of(sandbox, sandbox_key, clock, customer)
    async with connect_sandbox(max_amount="usd:100000") as client:
        to_renewal = error_text(await client.call_tool("advance_test_clock", {"test_clock": clock}))
        by_days = error_text(await client.call_tool("advance_test_clock", {"test_clock": clock, "days": 8}))
        quiet = payload(await client.call_tool("advance_test_clock", {"test_clock": clock, "days": 3}))
        generic = error_text(await client.call_tool("call_stripe_api", {
            "method": "POST", "path": f"/v1/test_helpers/test_clocks/{clock}/advance",
            "params": {"frozen_time": before[0] + 8 * 86400},
        }))  # fmt: skip
    assert "guardrail `spending-limit`" in generic and "only the typed tools check" in generic
    for text in (to_renewal, by_days):
        assert "guardrail `spending-limit`" in text and "$5,000.00" in text and "$1,000.00" in text
        assert f"what advancing {clock} bills ({sub} at " in text
    assert quiet["happened"]["invoices_paid"] == []  # inside the trial: nothing billed, so allowed
    after = await state_of(sandbox, sandbox_key, clock, customer)
    assert after[0] == before[0] + 3 * 86400 and after[1] == before[1]
    assert advances(sandbox, sandbox_key) == 1


async def test_an_advance_under_the_limit_runs_and_one_over_two_renewals_is_refused(
    connect_sandbox: Connect, sandbox: Any, sandbox_key: str
) -> None:
    clock, customer, _ = await trialing(sandbox, sandbox_key, 1_000)
    async with connect_sandbox(max_amount="usd:100000") as client:
        months = error_text(await client.call_tool("advance_test_clock", {"test_clock": clock, "days": 70}))
        renewed = payload(await client.call_tool("advance_test_clock", {"test_clock": clock}))
    assert "guardrail `spending-limit`" in months and "renews again before" in months
    assert (
        len(renewed["happened"]["invoices_paid"]) == 1 and "$10.00" in renewed["happened"]["invoices_paid"][0]
    )
    _, invoices = await state_of(sandbox, sandbox_key, clock, customer)
    assert ("paid", 1_000) in invoices
    assert advances(sandbox, sandbox_key) == 1


async def test_confirmation_shows_what_the_advance_bills(
    connect_sandbox: Connect, sandbox: Any, sandbox_key: str
) -> None:
    clock, customer, sub = await trialing(sandbox, sandbox_key, 500_000)
    async with connect_sandbox(confirm_writes=True) as client:
        quiet = payload(await client.call_tool("advance_test_clock", {"test_clock": clock, "days": 2}))
        held = json.loads(error_text(await client.call_tool("advance_test_clock", {"test_clock": clock})))
        assert advances(sandbox, sandbox_key) == 1  # only the quiet one
        token = {"confirmation_token": held["confirmation_token"]}
        done = payload(await client.call_tool("advance_test_clock", {"test_clock": clock} | token))
    assert quiet["happened"]["invoices_paid"] == []
    assert held["status"] == "confirmation_required"
    assert (
        sub in held["preview"]
        and "$5,000.00" in held["preview"]
        and "charges the customers'" in held["preview"]
    )
    assert len(done["happened"]["invoices_paid"]) == 1 and "$5,000.00" in done["happened"]["invoices_paid"][0]
    _, invoices = await state_of(sandbox, sandbox_key, clock, customer)
    assert ("paid", 500_000) in invoices


async def test_a_retry_of_an_open_invoice_counts(
    connect_sandbox: Connect, sandbox: Any, sandbox_key: str
) -> None:
    """A card that fails after the trial leaves an open invoice; the next advance retries (charges)
    it, so under --max-amount that retry is checked too."""
    clock, _, _ = await trialing(sandbox, sandbox_key, 500_000, card="pm_card_chargeCustomerFail")
    async with connect_sandbox() as client:
        failed = payload(await client.call_tool("advance_test_clock", {"test_clock": clock, "days": 8}))
    assert len(failed["happened"]["invoices_failed"]) == 1
    async with connect_sandbox(max_amount="usd:100000") as client:
        retry = error_text(await client.call_tool("advance_test_clock", {"test_clock": clock, "days": 5}))
    assert "guardrail `spending-limit`" in retry and "(retry of in_" in retry and "$5,000.00" in retry
    assert advances(sandbox, sandbox_key) == 1
