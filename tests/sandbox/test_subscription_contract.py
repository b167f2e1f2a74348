"""Subscriptions, as Stripe documents them: each test names its source and reads the state back.

Time comes from test clocks starting at T0 (2026-01-15 12:00 UTC); nothing reads the wall clock.
"""

from __future__ import annotations

import calendar
from typing import Any

import pytest
import stripe

from .billing_setup import DAY, T0, clock, event_types, monthly_prices

FEB15 = calendar.timegm((2026, 2, 15, 12, 0, 0))
HOUR = 3600


def _customer(
    client: stripe.StripeClient, clock_id: str, card: str | None = "pm_card_visa"
) -> tuple[str, str | None]:
    """A customer on ``clock_id``, with ``card`` attached and set as default (or none)."""
    cust = client.v1.customers.create({"test_clock": clock_id})
    if card is None:
        return cust.id, None
    pm = client.v1.payment_methods.attach(card, {"customer": cust.id})
    client.v1.customers.update(cust.id, {"invoice_settings": {"default_payment_method": pm.id}})
    return cust.id, pm.id


def _advance(client: stripe.StripeClient, clock_id: str, to: int) -> None:
    client.v1.test_helpers.test_clocks.advance(clock_id, {"frozen_time": to})


def _invoices(client: stripe.StripeClient, sub_id: str) -> list[stripe.Invoice]:
    return list(reversed(client.v1.invoices.list({"subscription": sub_id, "limit": 100}).data))


def _sub(client: stripe.StripeClient, params: dict[str, Any]) -> stripe.Subscription:
    return client.v1.subscriptions.create(params)  # type: ignore[arg-type]


def _start(
    client: stripe.StripeClient, amount: int = 2000, card: str | None = "pm_card_visa", **params: Any
) -> tuple[str, str, stripe.Subscription]:
    """A clock at T0, a customer on it (paying with ``card``), a monthly subscription to ``amount``."""
    clk = clock(client)
    cust, _ = _customer(client, clk.id, card=card)
    (price,) = monthly_prices(client, amount)
    return clk.id, cust, _sub(client, {"customer": cust, "items": [{"price": price.id}], **params})


def _item(sub: stripe.Subscription) -> Any:
    return sub["items"].data[0]


# -- cancellation -------------------------------------------------------------------------------


def test_cancel_at_period_end_on_create_cancels_instead_of_renewing(client: stripe.StripeClient) -> None:
    # spec3.json POST /v1/subscriptions `cancel_at_period_end`: "Indicate whether this subscription
    # should cancel at the end of the current period".
    clk_id, _cust, sub = _start(client, 2000, cancel_at_period_end=True)
    assert sub.status == "active" and sub.cancel_at_period_end is True
    assert sub.cancel_at == _item(sub).current_period_end == FEB15
    assert sub.canceled_at == T0 and sub.cancellation_details.reason == "cancellation_requested"
    _advance(client, clk_id, FEB15 + HOUR)
    after = client.v1.subscriptions.retrieve(sub.id)
    assert after.status == "canceled" and after.ended_at == FEB15
    assert len(_invoices(client, sub.id)) == 1  # no renewal invoice


def test_cancel_at_in_a_later_period_charges_that_period_prorated(client: stripe.StripeClient) -> None:
    # spec3.json `cancel_at`: "If set during a future period, this will always cause a proration
    # for that period."
    clk = clock(client)
    cust, _ = _customer(client, clk.id)
    (price,) = monthly_prices(client, 3100)
    cancel_at = FEB15 + 14 * DAY  # half of the 28-day February period
    sub = _sub(client, {"customer": cust, "items": [{"price": price.id}], "cancel_at": cancel_at})
    assert sub.cancel_at == cancel_at and sub.cancel_at_period_end is False
    _advance(client, clk.id, FEB15 + HOUR * 2)
    renewal = _invoices(client, sub.id)[-1]
    assert renewal.billing_reason == "subscription_cycle" and renewal.status == "paid"
    assert renewal.total == 3100 // 2  # 14 of the 28 days from February 15 to March 15
    line = renewal.lines.data[0]
    assert line.period.end == cancel_at and line.parent.subscription_item_details.proration is True
    _advance(client, clk.id, cancel_at + HOUR)
    assert client.v1.subscriptions.retrieve(sub.id).status == "canceled"


def test_cancel_at_before_the_period_ends_credits_the_rest(client: stripe.StripeClient) -> None:
    # spec3.json `cancel_at`: "If set to a date before the current period ends, this will cause a
    # proration if prorations have been enabled using proration_behavior."
    clk = clock(client)
    cust, _ = _customer(client, clk.id)
    (price,) = monthly_prices(client, 3100)  # January 15 -> February 15: 31 days
    sub = _sub(client, {"customer": cust, "items": [{"price": price.id}]})
    cancel_at = T0 + 10 * DAY
    sub = client.v1.subscriptions.update(sub.id, {"cancel_at": cancel_at})
    assert sub.cancel_at == cancel_at
    (credit,) = client.v1.invoice_items.list({"customer": cust, "pending": True}).data
    assert credit.amount == -round(3100 * 21 / 31) and credit.proration is True
    _advance(client, clk.id, cancel_at + HOUR)
    assert client.v1.subscriptions.retrieve(sub.id).status == "canceled"
    # Undoing it charges the credited time back: nothing is owed either way.
    other = _sub(client, {"customer": cust, "items": [{"price": price.id}]})
    client.v1.subscriptions.update(other.id, {"cancel_at": cancel_at + DAY})
    client.v1.subscriptions.update(other.id, {"cancel_at": ""})
    pending = client.v1.invoice_items.list({"customer": cust, "pending": True}).data
    mine = [ii for ii in pending if ii.parent and ii.parent.subscription_details.subscription == other.id]
    assert len(mine) == 2 and sum(ii.amount for ii in mine) == 0
    assert client.v1.subscriptions.retrieve(other.id).cancel_at is None


# -- billing cycle anchors ---------------------------------------------------------------------


def test_a_future_billing_cycle_anchor_prorates_the_first_invoice(client: stripe.StripeClient) -> None:
    # docs.stripe.com/billing/subscriptions/billing-cycle#new-subscriptions: a future anchor bills
    # a prorated amount up to it (proration_behavior=none: nothing until then), then full periods.
    clk = clock(client)
    cust, _ = _customer(client, clk.id)
    (price,) = monthly_prices(client, 3100)
    anchor = calendar.timegm((2026, 2, 1, 12, 0, 0))  # 17 days of the January 1 -> February 1 period
    sub = _sub(client, {"customer": cust, "items": [{"price": price.id}], "billing_cycle_anchor": anchor})
    assert sub.billing_cycle_anchor == anchor and _item(sub).current_period_end == anchor
    (first,) = _invoices(client, sub.id)
    assert first.total == round(3100 * 17 / 31) and first.status == "paid"
    assert first.lines.data[0].parent.subscription_item_details.proration is True
    free = _sub(
        client,
        {
            "customer": cust,
            "items": [{"price": price.id}],
            "billing_cycle_anchor": anchor,
            "proration_behavior": "none",
        },
    )
    assert _invoices(client, free.id)[0].total == 0 and free.status == "active"
    _advance(client, clk.id, anchor + 2 * HOUR)
    renewal = _invoices(client, sub.id)[-1]
    assert renewal.total == 3100 and renewal.lines.data[0].period.start == anchor
    assert renewal.lines.data[0].period.end == calendar.timegm((2026, 3, 1, 12, 0, 0))


def test_billing_cycle_anchor_config_keeps_the_31st(client: stripe.StripeClient) -> None:
    # spec3.json `billing_cycle_anchor_config`: "the billing_cycle_anchor is set to the next
    # occurrence of the day_of_month at the hour, minute, and second UTC"; docs.stripe.com/billing/
    # subscriptions/billing-cycle: a 31st anchor bills on the last day of shorter months.
    clk_id, _cust, sub = _start(client, 1000, billing_cycle_anchor_config={"day_of_month": 31, "hour": 9})
    jan31 = calendar.timegm((2026, 1, 31, 9, 0, 0))
    assert sub.billing_cycle_anchor == jan31
    assert sub.billing_cycle_anchor_config.day_of_month == 31 and sub.billing_cycle_anchor_config.hour == 9
    feb28, mar31 = calendar.timegm((2026, 2, 28, 9, 0, 0)), calendar.timegm((2026, 3, 31, 9, 0, 0))
    _advance(client, clk_id, jan31 + HOUR * 2)
    _advance(client, clk_id, feb28 + HOUR * 2)
    _advance(client, clk_id, mar31 + HOUR * 2)
    starts = [inv.lines.data[0].period.start for inv in _invoices(client, sub.id)]
    assert starts == [T0, jan31, feb28, mar31]


def test_billing_cycle_anchor_now_credits_unused_time_and_bills_a_new_period(
    client: stripe.StripeClient,
) -> None:
    # spec3.json POST /v1/subscriptions/{id} `billing_cycle_anchor`: "Setting the value to now resets
    # the subscription's billing cycle anchor to the current time"; docs.stripe.com/billing/
    # subscriptions/billing-cycle#changing: an invoice at once, with credit for the unused time.
    clk_id, _cust, sub = _start(client, 3100)
    now = T0 + 10 * DAY
    _advance(client, clk_id, now)
    sub = client.v1.subscriptions.update(sub.id, {"billing_cycle_anchor": "now"})
    assert sub.billing_cycle_anchor == now and _item(sub).current_period_start == now
    reset = _invoices(client, sub.id)[-1]
    assert reset.billing_reason == "subscription_update" and reset.status == "paid"
    assert sorted(line.amount for line in reset.lines.data) == [-round(3100 * 21 / 31), 3100]


# -- trials ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("behavior", "status", "event"),
    [
        ("pause", "paused", "customer.subscription.paused"),
        ("cancel", "canceled", "customer.subscription.deleted"),
        ("create_invoice", "past_due", "invoice.payment_failed"),
    ],
)
def test_a_trial_ending_without_a_payment_method(
    client: stripe.StripeClient, behavior: str, status: str, event: str
) -> None:
    # docs.stripe.com/billing/subscriptions/trials#create-free-trials-without-payment:
    # trial_settings.end_behavior.missing_payment_method pauses, cancels or invoices.
    clk_id, _cust, sub = _start(
        client,
        2000,
        card=None,
        trial_period_days=7,
        trial_settings={"end_behavior": {"missing_payment_method": behavior}},
    )
    assert sub.trial_settings.end_behavior.missing_payment_method == behavior
    _advance(client, clk_id, T0 + 8 * DAY)
    after = client.v1.subscriptions.retrieve(sub.id)
    assert after.status == status and event in event_types(client)
    invoices = _invoices(client, sub.id)
    assert len(invoices) == (2 if behavior == "create_invoice" else 1)


def test_a_paused_subscription_resumes_with_a_paid_invoice(client: stripe.StripeClient) -> None:
    # spec3.json POST /v1/subscriptions/{id}/resume: with billing_cycle_anchor=now (the default) the
    # resumption invoice is finalized at once; paid, the subscription becomes active.
    clk_id, cust, sub = _start(
        client,
        2000,
        card=None,
        trial_period_days=7,
        trial_settings={"end_behavior": {"missing_payment_method": "pause"}},
    )
    _advance(client, clk_id, T0 + 8 * DAY)
    pm = client.v1.payment_methods.attach("pm_card_visa", {"customer": cust})
    client.v1.customers.update(cust, {"invoice_settings": {"default_payment_method": pm.id}})
    resumed = client.v1.subscriptions.resume(sub.id)
    assert resumed.status == "active" and resumed.billing_cycle_anchor == T0 + 8 * DAY
    last = _invoices(client, sub.id)[-1]
    assert last.status == "paid" and last.total == 2000
    assert "customer.subscription.resumed" in event_types(client)


def test_trial_end_now_resets_the_anchor_and_bills(client: stripe.StripeClient) -> None:
    # spec3.json POST /v1/subscriptions/{id} `trial_end`: "The billing_cycle_anchor will be updated
    # to the trial_end value. The special value now can be provided to end the customer's trial
    # immediately."
    clk_id, _cust, sub = _start(client, 2000, trial_period_days=14)
    now = T0 + 3 * DAY
    _advance(client, clk_id, now)
    sub = client.v1.subscriptions.update(sub.id, {"trial_end": "now"})
    assert sub.status == "active" and sub.trial_end == now and sub.billing_cycle_anchor == now
    assert _item(sub).current_period_start == now
    bill = _invoices(client, sub.id)[-1]
    assert bill.total == 2000 and bill.status == "paid"


# -- payment ------------------------------------------------------------------------------------


def test_save_default_payment_method_on_subscription(client: stripe.StripeClient) -> None:
    # spec3.json subscription `payment_settings.save_default_payment_method`: "on_subscription"
    # sets the payment method that pays the invoice as the subscription's default.
    _clk_id, cust, sub = _start(
        client,
        2000,
        card=None,
        payment_behavior="default_incomplete",
        payment_settings={"save_default_payment_method": "on_subscription"},
        expand=["latest_invoice.confirmation_secret"],
    )
    assert sub.status == "incomplete" and sub.default_payment_method is None
    secret = sub.latest_invoice.confirmation_secret.client_secret  # type: ignore[union-attr]
    pm = client.v1.payment_methods.attach("pm_card_visa", {"customer": cust})
    client.v1.payment_intents.confirm(secret.split("_secret_")[0], {"payment_method": pm.id})
    after = client.v1.subscriptions.retrieve(sub.id)
    assert after.status == "active" and after.default_payment_method == pm.id


def test_an_incomplete_subscription_takes_metadata_only(
    client: stripe.StripeClient, sandbox: Any, api_key: str
) -> None:
    # spec3.json subscription `status`: "A subscription in this status can only have metadata and
    # default_source updated."
    _clk_id, _cust, sub = _start(client, 2000, card=None, payment_behavior="default_incomplete")
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.subscriptions.update(sub.id, {"items": [{"id": _item(sub).id, "quantity": 3}]})
    assert refused.value.param == "items" and "incomplete" in str(refused.value.user_message)
    assert _item(client.v1.subscriptions.retrieve(sub.id)).quantity == 1
    ok = client.v1.subscriptions.update(sub.id, {"metadata": {"order": "42"}})
    assert ok.metadata["order"] == "42"


def test_a_failing_first_invoice_sends_payment_failed_and_expires_after_23_hours(
    client: stripe.StripeClient,
) -> None:
    # spec3.json subscription `status`: "If the first invoice is not paid within 23 hours, the
    # subscription transitions to incomplete_expired ... the open invoice will be voided".
    # docs.stripe.com/billing/subscriptions/webhooks: invoice.payment_failed on a failed payment.
    clk_id, _cust, sub = _start(client, 2000, card="pm_card_chargeCustomerFail")
    assert sub.status == "incomplete"
    assert "invoice.payment_failed" in event_types(client)
    _advance(client, clk_id, T0 + 22 * HOUR)
    assert client.v1.subscriptions.retrieve(sub.id).status == "incomplete"
    _advance(client, clk_id, T0 + 23 * HOUR + 1)
    expired = client.v1.subscriptions.retrieve(sub.id)
    assert expired.status == "incomplete_expired" and expired.ended_at == T0 + 23 * HOUR
    assert client.v1.invoices.retrieve(str(expired.latest_invoice)).status == "void"
    _advance(client, clk_id, FEB15 + DAY)
    assert len(_invoices(client, sub.id)) == 1  # no further invoices


def test_pending_if_incomplete_keeps_the_change_until_paid(client: stripe.StripeClient) -> None:
    # docs.stripe.com/billing/subscriptions/pending-updates: a failed payment leaves the
    # subscription as it was with the change in `pending_update`; paying applies it.
    _clk_id, cust, sub = _start(client, 2000)
    failing = client.v1.payment_methods.attach("pm_card_chargeCustomerFail", {"customer": cust})
    client.v1.subscriptions.update(sub.id, {"default_payment_method": failing.id})
    sub = client.v1.subscriptions.update(
        sub.id,
        {
            "items": [{"id": _item(sub).id, "quantity": 3}],
            "proration_behavior": "always_invoice",
            "payment_behavior": "pending_if_incomplete",
            "metadata": {"plan": "pro"},  # carried by the pending update (2026-05-27.dahlia changelog)
        },
    )
    assert _item(sub).quantity == 1 and sub.status == "active"
    assert "plan" not in sub.metadata and sub.pending_update.metadata["plan"] == "pro"  # type: ignore[union-attr]
    noted = client.v1.subscriptions.update(sub.id, {"metadata": {"note": "now"}})
    assert noted.metadata["note"] == "now" and noted.pending_update is not None
    assert sub.pending_update is not None and sub.pending_update.subscription_items[0].quantity == 3
    assert sub.pending_update.expires_at == T0 + 23 * HOUR
    open_invoice = client.v1.invoices.retrieve(str(sub.latest_invoice))
    assert open_invoice.status == "open" and open_invoice.total == 4000
    good = client.v1.payment_methods.attach("pm_card_visa", {"customer": cust})
    client.v1.invoices.pay(open_invoice.id, {"payment_method": good.id})
    applied = client.v1.subscriptions.retrieve(sub.id)
    assert applied.pending_update is None and _item(applied).quantity == 3
    assert (applied.metadata["plan"], applied.metadata["note"]) == ("pro", "now")
    assert "customer.subscription.pending_update_applied" in event_types(client)


def test_a_pending_update_expires_after_23_hours(client: stripe.StripeClient) -> None:
    # docs.stripe.com/billing/subscriptions/pending-updates-reference#expiration.
    clk_id, cust, sub = _start(client, 2000)
    failing = client.v1.payment_methods.attach("pm_card_chargeCustomerFail", {"customer": cust})
    client.v1.subscriptions.update(sub.id, {"default_payment_method": failing.id})
    now = T0 + 10 * DAY
    _advance(client, clk_id, now)
    pending = client.v1.subscriptions.update(
        sub.id, {"billing_cycle_anchor": "now", "payment_behavior": "pending_if_incomplete"}
    )
    assert pending.billing_cycle_anchor == T0 and pending.pending_update.billing_cycle_anchor == now
    _advance(client, clk_id, now + 22 * HOUR)
    assert client.v1.subscriptions.retrieve(sub.id).pending_update is not None
    _advance(client, clk_id, now + 24 * HOUR)
    after = client.v1.subscriptions.retrieve(sub.id)
    assert after.pending_update is None and after.billing_cycle_anchor == T0
    assert "customer.subscription.pending_update_expired" in event_types(client)


def test_an_unpaid_send_invoice_subscription_goes_past_due(client: stripe.StripeClient) -> None:
    # spec3.json subscription `status`: "If subscription collection_method=send_invoice it becomes
    # past_due when its invoice is not paid by the due date".
    clk_id, _cust, sub = _start(client, 2000, card=None, collection_method="send_invoice", days_until_due=7)
    assert sub.status == "active"
    first = _invoices(client, sub.id)[0]
    assert first.status == "open" and first.due_date == T0 + 7 * DAY
    _advance(client, clk_id, T0 + 6 * DAY)
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"
    _advance(client, clk_id, T0 + 8 * DAY)
    assert client.v1.subscriptions.retrieve(sub.id).status == "past_due"
    client.v1.invoices.pay(first.id, {"paid_out_of_band": True})
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"


# -- listing and updating -----------------------------------------------------------------------


def test_a_plain_list_leaves_out_test_clock_subscriptions(client: stripe.StripeClient) -> None:
    # spec3.json GET /v1/subscriptions `test_clock`: "The response will not include subscriptions
    # with test clocks if this and the customer parameter is not set."
    clk = clock(client)
    clocked, _ = _customer(client, clk.id)
    plain = client.v1.customers.create(
        {"payment_method": "pm_card_visa", "invoice_settings": {"default_payment_method": "pm_card_visa"}}
    )
    (price,) = monthly_prices(client, 2000)
    on_clock = _sub(client, {"customer": clocked, "items": [{"price": price.id}]})
    off_clock = _sub(client, {"customer": plain.id, "items": [{"price": price.id}]})
    assert on_clock.test_clock == clk.id and off_clock.test_clock is None
    assert [s.id for s in client.v1.subscriptions.list().data] == [off_clock.id]
    assert [s.id for s in client.v1.subscriptions.list({"test_clock": clk.id}).data] == [on_clock.id]
    assert [s.id for s in client.v1.subscriptions.list({"customer": clocked}).data] == [on_clock.id]


def test_collection_settings_on_update_are_stored_and_used(client: stripe.StripeClient) -> None:
    # spec3.json POST /v1/subscriptions/{id}: collection_method, days_until_due, invoice_settings,
    # billing_thresholds, cancellation_details; the next invoice is sent with its due date.
    clk_id, _cust, sub = _start(client, 2000)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.subscriptions.update(sub.id, {"collection_method": "send_invoice"})
    assert refused.value.param == "days_until_due"
    sub = client.v1.subscriptions.update(
        sub.id,
        {
            "collection_method": "send_invoice",
            "days_until_due": 10,
            "invoice_settings": {"issuer": {"type": "self"}},
            "billing_thresholds": {"amount_gte": 50000},
            "cancellation_details": {"comment": "moving", "feedback": "too_expensive"},
        },
    )
    again = client.v1.subscriptions.retrieve(sub.id)
    assert again.collection_method == "send_invoice" and again.days_until_due == 10
    assert again.billing_thresholds.amount_gte == 50000
    assert (
        again.cancellation_details.comment == "moving"
        and again.cancellation_details.feedback == "too_expensive"
    )
    _advance(client, clk_id, FEB15 + 2 * HOUR)
    renewal = _invoices(client, sub.id)[-1]
    assert renewal.collection_method == "send_invoice" and renewal.due_date == FEB15 + 10 * DAY
    assert renewal.status == "open"


def test_pause_collection_acts_on_renewals_and_resumes(client: stripe.StripeClient) -> None:
    # docs.stripe.com/billing/subscriptions/pause-payment: keep_as_draft (drafts with auto_advance
    # false), mark_uncollectible, void; the subscription stays active; resumes_at ends the pause.
    clk = clock(client)
    cust, _ = _customer(client, clk.id)
    prices = monthly_prices(client, 1000, 2000, 3000)
    subs = {
        behavior: _sub(client, {"customer": cust, "items": [{"price": price.id}]})
        for behavior, price in zip(("keep_as_draft", "mark_uncollectible", "void"), prices, strict=True)
    }
    resumes = FEB15 + 5 * DAY
    for behavior, sub in subs.items():
        updated = client.v1.subscriptions.update(
            sub.id, {"pause_collection": {"behavior": behavior, "resumes_at": resumes}}
        )
        assert (
            updated.pause_collection.behavior == behavior and updated.pause_collection.resumes_at == resumes
        )
    _advance(client, clk.id, FEB15 + 2 * HOUR)
    expected = {"keep_as_draft": "draft", "mark_uncollectible": "uncollectible", "void": "void"}
    for behavior, sub in subs.items():
        renewal = _invoices(client, sub.id)[-1]
        assert renewal.status == expected[behavior], behavior
        assert renewal.auto_advance is False
        assert client.v1.subscriptions.retrieve(sub.id).status == "active"
    _advance(client, clk.id, resumes + HOUR)
    for sub in subs.values():
        assert client.v1.subscriptions.retrieve(sub.id).pause_collection is None
    _advance(client, clk.id, calendar.timegm((2026, 3, 15, 14, 0, 0)))
    for sub in subs.values():
        assert _invoices(client, sub.id)[-1].status == "paid"  # collected again


def test_add_invoice_items_land_on_the_first_and_next_invoices(client: stripe.StripeClient) -> None:
    # spec3.json `add_invoice_items`: "A list of prices and quantities that will generate invoice
    # items appended to the next invoice for this subscription."
    clk = clock(client)
    cust, _ = _customer(client, clk.id)
    (price,) = monthly_prices(client, 2000)
    setup_fee = client.v1.prices.create(
        {"currency": "usd", "unit_amount": 500, "product_data": {"name": "Setup"}}
    )
    sub = _sub(
        client,
        {
            "customer": cust,
            "items": [{"price": price.id}],
            "add_invoice_items": [{"price": setup_fee.id, "quantity": 2}],
        },
    )
    assert _invoices(client, sub.id)[0].total == 3000
    client.v1.subscriptions.update(sub.id, {"add_invoice_items": [{"price": setup_fee.id}]})
    _advance(client, clk.id, FEB15 + 2 * HOUR)
    assert _invoices(client, sub.id)[-1].total == 2500
    with pytest.raises(stripe.InvalidRequestError) as refused:
        _sub(client, {"customer": cust, "items": [{"price": setup_fee.id}]})
    assert refused.value.param == "items[0][price]"
