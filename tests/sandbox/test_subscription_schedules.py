"""Subscription schedules: phases and their dates, starting now or later, from a subscription,
changing later phases, release and cancel, with Stripe's events."""

from __future__ import annotations

import time

import pytest
import stripe

from ..spec_objects import assert_matches_spec
from .billing_setup import DAY, T0, clock, event_types, monthly_prices, paying_customer


def _setup(client: stripe.StripeClient) -> tuple[stripe.Customer, stripe.Price, stripe.Price]:
    intro, full = monthly_prices(client, 500, 2000)
    return paying_customer(client), intro, full


def test_schedule_starting_now_with_two_phases(client: stripe.StripeClient) -> None:
    cus, intro, full = _setup(client)
    schedule = client.v1.subscription_schedules.create(
        {
            "customer": cus.id,
            "start_date": "now",
            "end_behavior": "release",
            "phases": [
                {"items": [{"price": intro.id}], "duration": {"interval": "month", "interval_count": 3}},
                {"items": [{"price": full.id}]},
            ],
        }
    )
    assert schedule.status == "active" and schedule.subscription
    first, second = schedule.phases
    assert first.end_date == second.start_date and second.end_date > second.start_date
    assert schedule.current_phase is not None and schedule.current_phase.end_date == first.end_date
    # three monthly periods: between 89 and 92 days
    assert 89 * 86400 <= first.end_date - first.start_date <= 92 * 86400
    assert_matches_spec(
        "subscription_schedule", client.raw_request("get", f"/v1/subscription_schedules/{schedule.id}").data
    )
    sub = client.v1.subscriptions.retrieve(str(schedule.subscription))
    assert (
        sub.schedule == schedule.id and sub["items"].data[0].price.id == intro.id and sub.status == "active"
    )
    assert "subscription_schedule.created" in event_types(client)
    released = client.v1.subscription_schedules.release(schedule.id)
    assert (released.status, released.released_subscription, released.subscription) == (
        "released",
        sub.id,
        None,
    )
    assert client.v1.subscriptions.retrieve(sub.id).schedule is None
    assert "subscription_schedule.released" in event_types(client)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscription_schedules.cancel(schedule.id)


def test_schedule_in_the_future_waits(client: stripe.StripeClient) -> None:
    cus, intro, _ = _setup(client)
    start = int(time.time()) + 7 * 86400
    schedule = client.v1.subscription_schedules.create(
        {
            "customer": cus.id,
            "start_date": start,
            "phases": [{"items": [{"price": intro.id}], "duration": {"interval": "week"}}],
        }
    )
    assert (schedule.status, schedule.subscription, schedule.current_phase) == ("not_started", None, None)
    assert schedule.phases[0].end_date == start + 7 * 86400
    assert client.v1.subscriptions.list({"customer": cus.id}).data == []
    canceled = client.v1.subscription_schedules.cancel(schedule.id)
    assert canceled.status == "canceled" and canceled.canceled_at


def test_from_subscription_then_plan_a_change_and_cancel(client: stripe.StripeClient) -> None:
    cus, intro, full = _setup(client)
    sub = client.v1.subscriptions.create({"customer": cus.id, "items": [{"price": intro.id}]})
    schedule = client.v1.subscription_schedules.create({"from_subscription": sub.id})
    phase = schedule.phases[0]
    assert phase.items[0].price == intro.id and phase.end_date == sub["items"].data[0].current_period_end
    with pytest.raises(stripe.InvalidRequestError) as twice:
        client.v1.subscription_schedules.create({"from_subscription": sub.id})
    assert "already attached" in str(twice.value)
    updated = client.v1.subscription_schedules.update(
        schedule.id,
        {
            "phases": [
                {
                    "items": [{"price": intro.id, "quantity": 1}],
                    "start_date": phase.start_date,
                    "end_date": phase.end_date,
                },
                {"items": [{"price": full.id, "quantity": 1}], "duration": {"interval": "month"}},
            ]
        },
    )
    assert [p.items[0].price for p in updated.phases] == [intro.id, full.id]
    with pytest.raises(stripe.InvalidRequestError) as current:
        client.v1.subscription_schedules.update(schedule.id, {"phases": [{"items": [{"price": full.id}]}]})
    assert current.value.code == "sandbox_limit"
    canceled = client.v1.subscription_schedules.cancel(schedule.id)
    assert canceled.status == "canceled"
    assert client.v1.subscriptions.retrieve(sub.id).status == "canceled"
    assert {"subscription_schedule.canceled", "customer.subscription.deleted"} <= set(event_types(client))


@pytest.mark.parametrize("end_behavior", ["release", "cancel"])
def test_phases_move_on_as_a_test_clock_passes(client: stripe.StripeClient, end_behavior: str) -> None:
    test_clock = clock(client)
    cus = paying_customer(client, test_clock.id)
    intro, full = monthly_prices(client, 500, 2000)
    schedule = client.v1.subscription_schedules.create(
        {
            "customer": cus.id,
            "start_date": "now",
            "end_behavior": end_behavior,  # type: ignore[typeddict-item]
            "phases": [{"items": [{"price": intro.id}]}, {"items": [{"price": full.id}]}],
        }
    )
    sub_id = str(schedule.subscription)
    client.v1.test_helpers.test_clocks.advance(test_clock.id, {"frozen_time": T0 + 32 * DAY})  # into phase 2
    sub = client.v1.subscriptions.retrieve(sub_id)
    assert sub["items"].data[0].price.id == full.id
    totals = [i.total for i in client.v1.invoices.list({"subscription": sub_id}).data]
    assert sorted(totals) == [500, 2000]  # intro month, then the first full-price month, no prorations
    assert client.v1.subscription_schedules.retrieve(schedule.id).status == "active"
    client.v1.test_helpers.test_clocks.advance(
        test_clock.id, {"frozen_time": T0 + 60 * DAY}
    )  # past the last phase
    ended = client.v1.subscription_schedules.retrieve(schedule.id)
    sub = client.v1.subscriptions.retrieve(sub_id)
    if end_behavior == "release":
        assert (ended.status, ended.released_subscription, sub.status, sub.schedule) == (
            "released",
            sub_id,
            "active",
            None,
        )
    else:
        assert (ended.status, sub.status) == ("completed", "canceled")


def test_a_future_schedule_starts_when_its_test_clock_gets_there(client: stripe.StripeClient) -> None:
    test_clock = clock(client)
    cus = paying_customer(client, test_clock.id)
    (price,) = monthly_prices(client, 700)
    start = T0 + 10 * DAY
    schedule = client.v1.subscription_schedules.create(
        {"customer": cus.id, "start_date": start, "phases": [{"items": [{"price": price.id, "quantity": 2}]}]}
    )
    assert schedule.status == "not_started"
    client.v1.test_helpers.test_clocks.advance(test_clock.id, {"frozen_time": start + 3600})
    started = client.v1.subscription_schedules.retrieve(schedule.id)
    assert started.status == "active" and started.subscription
    sub = client.v1.subscriptions.retrieve(str(started.subscription))
    assert (sub.status, sub.start_date, sub["items"].data[0].quantity) == ("active", start, 2)
    assert client.v1.invoices.list({"subscription": sub.id}).data[0].amount_paid == 1400
