"""Invoice preview (`POST /v1/invoices/create_preview`): the next invoice, prorations of a
price or quantity change, and nothing changed in the account."""

from __future__ import annotations

import pytest
import stripe

from ..spec_objects import assert_matches_spec
from .billing_setup import monthly_prices, paying_customer


def _subscribed(client: stripe.StripeClient) -> tuple[stripe.Subscription, stripe.Price]:
    cust = paying_customer(client)
    basic, pro = monthly_prices(client, 1000, 3000)
    sub = client.v1.subscriptions.create({"customer": cust.id, "items": [{"price": basic.id}]})
    assert sub.status == "active"
    return sub, pro


def test_preview_of_the_next_renewal(client: stripe.StripeClient) -> None:
    sub, _ = _subscribed(client)
    preview = client.v1.invoices.create_preview({"subscription": sub.id})
    assert preview.id and preview.id.startswith("upcoming_in_")
    assert preview.billing_reason == "upcoming" and preview.status == "draft"
    assert [line.amount for line in preview.lines.data] == [1000] and preview.amount_due == 1000
    item = sub["items"].data[0]
    assert preview.lines.data[0].period.start == item.current_period_end
    assert_matches_spec(
        "invoice", client.raw_request("post", "/v1/invoices/create_preview", subscription=sub.id).data
    )


def test_preview_prorates_a_price_change_and_changes_nothing(client: stripe.StripeClient) -> None:
    sub, pro = _subscribed(client)
    events_before = [e.id for e in client.v1.events.list({"limit": 100}).data]
    item = sub["items"].data[0]
    preview = client.v1.invoices.create_preview(
        {"subscription": sub.id, "subscription_details": {"items": [{"id": item.id, "price": pro.id}]}}
    )
    amounts = [line.amount for line in preview.lines.data]
    # Unused time on basic (about -10.00), remaining time on pro (about +30.00), next month of pro.
    assert len(amounts) == 3 and -1000 <= amounts[0] < -990 and 2970 < amounts[1] <= 3000, amounts
    assert amounts[2] == 3000 and preview.total == sum(amounts)
    assert [line.parent.invoice_item_details.proration for line in preview.lines.data[:2]] == [True, True]
    after = client.v1.subscriptions.retrieve(sub.id)
    assert after["items"].data[0].price.id != pro.id
    assert client.v1.invoice_items.list({"customer": str(sub.customer)}).data == []
    assert [e.id for e in client.v1.events.list({"limit": 100}).data] == events_before


def test_preview_of_a_quantity_change_invoiced_now(client: stripe.StripeClient) -> None:
    sub, _ = _subscribed(client)
    item = sub["items"].data[0]
    preview = client.v1.invoices.create_preview(
        {
            "subscription": sub.id,
            "subscription_details": {
                "items": [{"id": item.id, "quantity": 3}],
                "proration_behavior": "always_invoice",
            },
        }
    )
    # Two more seats for (almost) the whole period, and no renewal line.
    assert preview.billing_reason == "subscription_update" and 1980 < preview.total <= 2000
    assert (preview.status, preview.amount_paid, preview.amount_remaining) == ("draft", 0, preview.total)
    assert client.v1.invoices.list({"subscription": sub.id}).data[0].billing_reason == "subscription_create"


def test_preview_needs_a_customer_or_subscription(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.invoices.create_preview({})
    assert err.value.http_status == 400 and err.value.param == "customer"
