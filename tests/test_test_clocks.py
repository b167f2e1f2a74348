"""Test-clock tools through an MCP client against the sandbox: the simulate_billing_cycle prompt
followed literally, a failing renewal summarised, progress while advancing, and live keys refused."""

from __future__ import annotations

import re
from typing import Any

import pytest

from stripe_power import clock as wall_clock
from stripe_power.sandbox.billing.subscriptions import add_interval
from stripe_power.tools._advance import FINALIZATION_WINDOW
from stripe_power.tools._advance import next_renewal as _next_renewal

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


# Dates that stress a calendar: the first of a 31-day month, a month-end anchor (January 31, then
# a 28- and a 29-day February), February 28 and 29, December into the next year, and the date the
# old `days=31` advice failed on (December 4: the period ends exactly 31 days later).
STRESS_DATES = (
    "2026-03-01T09:00:00Z",
    "2026-01-31T12:00:00Z",
    "2027-01-31T23:30:00Z",
    "2027-02-28T08:00:00Z",
    "2028-02-29T08:00:00Z",
    "2026-12-04T17:25:00Z",
    "2026-12-31T23:59:00Z",
)


def _at(date: str) -> int:
    return int(wall_clock.parse(date))


@pytest.mark.parametrize("date", STRESS_DATES)
async def test_the_prompt_runs_two_paid_renewals_with_progress(connect_sandbox: Connect, date: str) -> None:
    """The prompt followed literally: two advances with no day counting, two paid renewals, each
    one period after the last, whatever the calendar."""
    progress: list[str | None] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append(message)

    with wall_clock.started_at(_at(date)):
        async with connect_sandbox() as client:
            price = await _price(client)
            prompt = await client.get_prompt("simulate_billing_cycle", {"price": price, "months": "2"})
            text = prompt.messages[0].content.text  # type: ignore[union-attr]
            assert '`advance_test_clock {"test_clock": "clock_..."}` (no days' in text and price in text
            frozen = int(re.search(r'"frozen_time": (\d+)', text).group(1))  # type: ignore[union-attr]
            assert 0 <= frozen - _at(date) < 60  # the clock the prompt makes starts at its "now"
            clock, customer, sub = await _follow_prompt(client, price, "pm_card_visa")
            first = payload(
                await client.call_tool(
                    "advance_test_clock", {"test_clock": clock}, progress_callback=on_progress
                )
            )
            second = payload(await client.call_tool("advance_test_clock", {"test_clock": clock}))
            invoices = payload(await client.call_tool("list_invoices", {"customer": customer}))
            subscription = payload(
                await client.call_tool(
                    "call_stripe_api",
                    {"method": "GET", "path": f"/v1/subscriptions/{sub}", "fields": ["billing_cycle_anchor"]},
                )
            )
            listed = payload(await client.call_tool("list_test_clocks", {}))
            deleted = payload(await client.call_tool("delete_test_clock", {"test_clock": clock}))
    start = int(subscription["billing_cycle_anchor"])
    assert 0 <= start - _at(date) < 60  # the clock (and so the subscription) started on that date
    renewals = [add_interval(start, "month", n) for n in (1, 2, 3)]
    assert first["status"] == "ready" and len(first["happened"]["invoices_paid"]) == 1
    assert first["frozen_time"] == renewals[0] + FINALIZATION_WINDOW
    assert second["status"] == "ready" and len(second["happened"]["invoices_paid"]) == 1
    assert second["frozen_time"] == renewals[1] + FINALIZATION_WINDOW
    # The subscription now runs in its third period, which starts on the anchor's day of month
    # (or the month's last day when it is shorter).
    # (the view shows the items' period: in this API version periods live on the items)
    assert (subscription["current_period_start"], subscription["current_period_end"]) == (
        renewals[1],
        renewals[2],
    )
    assert progress and "advancing" in (progress[0] or "")
    assert len(invoices["data"]) == 3 and {i["status"] for i in invoices["data"]} == {"paid"}
    assert clock in [c["id"] for c in listed["data"]]
    assert deleted["status"] == "deleted"


@pytest.mark.parametrize(
    ("start", "interval", "count", "expected"),
    [
        ("2026-01-31T12:00:00Z", "month", 1, "2026-02-28T12:00:00Z"),
        ("2026-01-31T12:00:00Z", "month", 2, "2026-03-31T12:00:00Z"),
        ("2028-01-31T12:00:00Z", "month", 1, "2028-02-29T12:00:00Z"),
        ("2026-12-04T17:25:00Z", "month", 1, "2027-01-04T17:25:00Z"),
        ("2026-12-31T23:59:00Z", "month", 2, "2027-02-28T23:59:00Z"),
        ("2028-02-29T08:00:00Z", "year", 1, "2029-02-28T08:00:00Z"),
        ("2026-03-01T09:00:00Z", "week", 1, "2026-03-08T09:00:00Z"),
    ],
)
def test_periods_keep_the_anchor_day_or_the_months_last_day(
    start: str, interval: str, count: int, expected: str
) -> None:
    """Stripe: a monthly subscription anchored on the 31st bills on the last day of shorter months
    (docs.stripe.com/billing/subscriptions/billing-cycle)."""
    assert add_interval(_at(start), interval, count) == _at(expected)


def test_the_next_renewal_is_the_earliest_period_end_trial_end_or_cancellation() -> None:
    subs: list[dict[str, Any]] = [
        {"status": "active", "items": {"data": [{"current_period_end": 500}, {"current_period_end": 400}]}},
        {"status": "trialing", "trial_end": 300, "items": {"data": [{"current_period_end": 300}]}},
        {"status": "canceled", "items": {"data": [{"current_period_end": 100}]}},
        {"status": "active", "cancel_at": 350, "items": {"data": [{"current_period_end": 900}]}},
    ]
    assert _next_renewal(subs, 0) == 300
    assert _next_renewal(subs, 300) == 350
    assert _next_renewal(subs, 900) is None


async def test_advance_to_the_next_renewal_needs_a_subscription_and_says_so(
    connect_sandbox: Connect, sandbox: Any, sandbox_key: str
) -> None:
    async with connect_sandbox() as client:
        clock = payload(await client.call_tool("create_test_clock", {"name": "empty"}))
        before = len(sandbox.request_log(sandbox_key))
        message = error_text(await client.call_tool("advance_test_clock", {"test_clock": clock["id"]}))
        after = payload(
            await client.call_tool(
                "call_stripe_api", {"method": "GET", "path": f"/v1/test_helpers/test_clocks/{clock['id']}"}
            )
        )
    assert "nothing on" in message and "renews" in message and "days" in message
    assert after["frozen_time"] == clock["frozen_time"]
    advances = [r for r in sandbox.request_log(sandbox_key)[before:] if r.path.endswith("/advance")]
    assert advances == []


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


async def test_advance_takes_one_target_and_sends_nothing_otherwise(
    connect_sandbox: Connect, sandbox: Any, sandbox_key: str
) -> None:
    async with connect_sandbox() as client:
        message = error_text(
            await client.call_tool(
                "advance_test_clock", {"test_clock": "clock_1", "days": 3, "frozen_time": 9}
            )
        )
    assert "frozen_time or days, not both" in message
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
