"""Customers (incl. search), products and prices."""

from __future__ import annotations

import pytest
import stripe


def test_customer_crud_list_search(client: stripe.StripeClient) -> None:
    a = client.v1.customers.create(
        {"email": "ann@example.com", "name": "Ann Lee", "metadata": {"tier": "gold"}}
    )
    b = client.v1.customers.create({"email": "bob@example.com", "name": "Bob Stone"})
    assert a.id.startswith("cus_") and a.livemode is False and a.created > 0
    a = client.v1.customers.update(a.id, {"name": "Ann Leigh", "phone": "+15555550100"})
    assert client.v1.customers.retrieve(a.id).name == "Ann Leigh"
    assert [c.id for c in client.v1.customers.list({"email": "bob@example.com"}).data] == [b.id]
    res = client.v1.customers.search({"query": "email:'ann@example.com'"})
    assert res.object == "search_result" and [c.id for c in res.data] == [a.id]
    assert [c.id for c in client.v1.customers.search({"query": "metadata['tier']:'gold'"}).data] == [a.id]
    assert {
        c.id for c in client.v1.customers.search({"query": "name:'Ann Leigh' OR name:'Bob Stone'"}).data
    } == {a.id, b.id}
    assert client.v1.customers.search({"query": "name~'Ann' AND email:'bob@example.com'"}).data == []
    assert [c.id for c in client.v1.customers.search({"query": "name~'Sto'"}).data] == [b.id]
    page = client.v1.customers.search({"query": "email~'example.com'", "limit": 1})
    assert page.has_more is True and page.next_page
    page2 = client.v1.customers.search({"query": "email~'example.com'", "limit": 1, "page": page.next_page})
    assert page2.data[0].id != page.data[0].id and page2.has_more is False
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.search({"query": "bogus"})
    deleted = client.v1.customers.delete(b.id)
    assert deleted.deleted is True
    assert client.v1.customers.retrieve(b.id).to_dict().get("deleted") is True
    assert [c.id for c in client.v1.customers.list().data] == [a.id]


def test_products_and_prices(client: stripe.StripeClient) -> None:
    prod = client.v1.products.create({"name": "Pro", "description": "Pro plan"})
    assert prod.active is True and prod.id.startswith("prod_")
    one = client.v1.prices.create({"currency": "usd", "unit_amount": 1500, "product": prod.id})
    assert one.type == "one_time" and one.recurring is None and str(one.unit_amount_decimal) == "1500"
    monthly = client.v1.prices.create(
        {"currency": "usd", "unit_amount": 900, "product": prod.id, "recurring": {"interval": "month"}}
    )
    assert monthly.type == "recurring" and monthly.recurring and monthly.recurring.interval == "month"
    assert monthly.recurring.interval_count == 1 and monthly.recurring.usage_type == "licensed"
    quarterly = client.v1.prices.create(
        {
            "currency": "usd",
            "unit_amount": 5,
            "product_data": {"name": "API calls"},
            "recurring": {"interval": "month", "interval_count": 3},
        }
    )
    assert quarterly.recurring and quarterly.recurring.interval_count == 3
    with pytest.raises(stripe.InvalidRequestError) as usage:  # billing usage is a sandbox limit
        client.v1.prices.create(
            {
                "currency": "usd",
                "unit_amount": 5,
                "product": prod.id,
                "recurring": {"interval": "month", "usage_type": "metered"},
            }
        )
    assert usage.value.code == "sandbox_limit"
    assert {p.id for p in client.v1.prices.list({"product": prod.id}).data} == {one.id, monthly.id}
    assert [p.id for p in client.v1.prices.list({"type": "one_time"}).data] == [one.id]
    client.v1.prices.update(one.id, {"active": False})
    assert [p.id for p in client.v1.prices.list({"product": prod.id, "active": True}).data] == [monthly.id]
    archived = client.v1.products.create({"name": "Old"})
    client.v1.products.update(archived.id, {"active": False})
    assert [p.id for p in client.v1.products.list({"active": False}).data] == [archived.id]
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.prices.create({"currency": "usd", "unit_amount": 100, "product": "prod_missing"})
    assert exc.value.param == "product"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.prices.create(
            {
                "currency": "usd",
                "unit_amount": 100,
                "product": prod.id,
                "recurring": {"interval": "fortnight"},
            }
        )  # type: ignore[typeddict-item]
    assert exc.value.param == "recurring[interval]"
    with_default = client.v1.products.create(
        {"name": "D", "default_price_data": {"currency": "eur", "unit_amount": 700}}
    )
    assert (
        with_default.default_price
        and client.v1.prices.retrieve(str(with_default.default_price)).currency == "eur"
    )
