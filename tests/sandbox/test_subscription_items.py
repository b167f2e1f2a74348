"""Subscription items as their own API: add, change (with prorations), metadata and tax rates,
list, delete (never the last one)."""

from __future__ import annotations

import pytest
import stripe

from ..spec_objects import assert_matches_spec
from .billing_setup import monthly_prices, paying_customer


def test_subscription_items_api(client: stripe.StripeClient) -> None:
    cus = paying_customer(client)
    monthly, addon = monthly_prices(client, 1000, 500)
    sub = client.v1.subscriptions.create({"customer": cus.id, "items": [{"price": monthly.id}]})
    first = sub["items"].data[0]
    added = client.v1.subscription_items.create(
        {
            "subscription": sub.id,
            "price": addon.id,
            "quantity": 2,
            "metadata": {"kind": "addon"},
            "proration_behavior": "none",
        }
    )
    assert (added.quantity, added.price.id, added.metadata.to_dict()) == (2, addon.id, {"kind": "addon"})
    assert_matches_spec(
        "subscription_item", client.raw_request("get", f"/v1/subscription_items/{added.id}").data
    )
    listed = client.v1.subscription_items.list({"subscription": sub.id})
    assert {i.id for i in listed.data} == {first.id, added.id}
    changed = client.v1.subscription_items.update(first.id, {"quantity": 3})
    assert changed.quantity == 3
    # the quantity change prorated: pending invoice items for unused and remaining time
    pending = client.v1.invoice_items.list({"customer": cus.id}).data
    assert len(pending) == 2 and sum(ii.amount for ii in pending) > 0
    assert client.v1.subscriptions.retrieve(sub.id)["items"].data[0].quantity == 3
    tax = client.v1.tax_rates.create({"display_name": "Tax", "percentage": 20, "inclusive": False})
    taxed = client.v1.subscription_items.update(added.id, {"tax_rates": [tax.id]})
    assert [r.id for r in taxed.tax_rates or []] == [tax.id]
    preview = client.v1.invoices.create_preview({"subscription": sub.id})
    addon_line = next(
        line for line in preview.lines.data if line.amount == 1000 and not line.parent.invoice_item_details
    )  # type: ignore[union-attr]
    assert [(t.amount, t.tax_behavior) for t in addon_line.taxes or []] == [(200, "exclusive")]
    deleted = client.v1.subscription_items.delete(added.id)
    assert deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError) as last:
        client.v1.subscription_items.delete(first.id)
    assert "at least one active plan" in str(last.value)
    assert [i.id for i in client.v1.subscription_items.list({"subscription": sub.id}).data] == [first.id]
    types = [e.type for e in client.v1.events.list({"limit": 100}).data]
    assert types.count("customer.subscription.updated") >= 3
