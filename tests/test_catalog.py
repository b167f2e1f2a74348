"""Catalog toolset: exact requests against the recording fake, and products/prices in the sandbox."""

from __future__ import annotations

from typing import Any

from .conftest import Connect, error_text, payload
from .fakes import RecordingStripe

PRODUCT = {
    "id": "prod_1",
    "object": "product",
    "name": "Pro plan",
    "description": "Everything",
    "active": True,
    "default_price": None,
    "metadata": {"tier": "pro"},
}
PRICE = {
    "id": "price_1",
    "object": "price",
    "product": "prod_1",
    "unit_amount": 2999,
    "currency": "usd",
    "type": "recurring",
    "active": True,
    "nickname": None,
    "lookup_key": "pro_monthly",
    "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed", "meter": None},
}


async def test_create_product_sends_exact_form(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        fake.on("POST", "/v1/products", PRODUCT)
        result = await client.call_tool(
            "create_product",
            {"name": "Pro plan", "description": "Everything", "active": True, "metadata": {"tier": "pro"},
             "idempotency_key": "k-prod"},
        )  # fmt: skip
        assert payload(result) == {
            "id": "prod_1",
            "name": "Pro plan",
            "description": "Everything",
            "active": True,
            "metadata": {"tier": "pro"},
        }
        sent = fake.only()
        assert (sent.method, sent.path) == ("POST", "/v1/products")
        assert sent.form == [
            ("name", "Pro plan"),
            ("description", "Everything"),
            ("active", "true"),
            ("metadata[tier]", "pro"),
        ]
        assert sent.headers["Idempotency-Key"] == "k-prod"


async def test_create_recurring_price_sends_exact_form(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        fake.on("POST", "/v1/prices", PRICE)
        result = payload(
            await client.call_tool(
                "create_price",
                {"product": "prod_1", "unit_amount": 2999, "currency": "usd", "nickname": "Monthly",
                 "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed"},
                 "lookup_key": "pro_monthly", "metadata": {"a": "b"}, "idempotency_key": "k-price"},
            )
        )  # fmt: skip
        assert result == {
            "id": "price_1",
            "product": "prod_1",
            "unit_amount": 2999,
            "unit_amount_display": "$29.99",
            "currency": "usd",
            "type": "recurring",
            "interval": "month",
            "interval_count": 1,
            "usage_type": "licensed",
            "active": True,
            "lookup_key": "pro_monthly",
        }
        sent = fake.only()
        assert (sent.method, sent.path) == ("POST", "/v1/prices")
        assert sent.form == [
            ("product", "prod_1"),
            ("unit_amount", "2999"),
            ("currency", "usd"),
            ("recurring[interval]", "month"),
            ("recurring[interval_count]", "1"),
            ("recurring[usage_type]", "licensed"),
            ("nickname", "Monthly"),
            ("lookup_key", "pro_monthly"),
            ("metadata[a]", "b"),
        ]
        assert sent.headers["Idempotency-Key"] == "k-price"


async def test_one_time_price_with_new_product_and_metered_note(
    fake: RecordingStripe, connect: Connect
) -> None:
    metered = {**PRICE, "recurring": {**PRICE["recurring"], "usage_type": "metered", "meter": "mtr_1"}}  # type: ignore[dict-item]
    one_time = {**PRICE, "type": "one_time", "recurring": None, "unit_amount": 500, "currency": "jpy"}
    answers = iter([one_time, metered])
    async with connect() as client:
        fake.on("POST", "/v1/prices", lambda _r: (200, next(answers)))
        first = payload(
            await client.call_tool(
                "create_price", {"product_data": {"name": "Sticker"}, "unit_amount": 500, "currency": "jpy"}
            )
        )
        second = payload(
            await client.call_tool(
                "create_price",
                {"product": "prod_1", "unit_amount": 10, "currency": "usd",
                 "recurring": {"interval": "month", "usage_type": "metered", "meter": "mtr_1"}},
            )
        )  # fmt: skip
        assert first["unit_amount_display"] == "¥500" and first["type"] == "one_time"
        assert "interval" not in first and "next_step" not in first
        assert second["usage_type"] == "metered"
        assert "meter" in second["next_step"] and "sandbox cannot bill metered usage" in second["next_step"]
        inline, meter = fake.requests
        assert inline.form == [("product_data[name]", "Sticker"), ("unit_amount", "500"), ("currency", "jpy")]
        assert meter.form == [
            ("product", "prod_1"),
            ("unit_amount", "10"),
            ("currency", "usd"),
            ("recurring[interval]", "month"),
            ("recurring[usage_type]", "metered"),
            ("recurring[meter]", "mtr_1"),
        ]
        assert inline.headers["Idempotency-Key"].startswith("stripe-power-")


async def test_list_products_and_prices(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        fake.on("GET", "/v1/products", {"object": "list", "data": [PRODUCT], "has_more": True})
        fake.on("GET", "/v1/prices", {"object": "list", "data": [PRICE], "has_more": False})
        products = payload(await client.call_tool("list_products", {"active": True, "limit": 1}))
        prices = payload(
            await client.call_tool(
                "list_prices",
                {"product": "prod_1", "active": False, "type": "recurring", "starting_after": "price_0"},
            )
        )
        assert products["has_more"] is True and products["next_starting_after"] == "prod_1"
        assert prices == {"data": [payload_price()], "has_more": False}
        listing, price_listing = fake.requests
        assert listing.method == "GET" and listing.form == [("active", "true"), ("limit", "1")]
        assert price_listing.form == [
            ("product", "prod_1"),
            ("active", "false"),
            ("type", "recurring"),
            ("limit", "10"),
            ("starting_after", "price_0"),
        ]


def payload_price() -> dict[str, Any]:
    return {
        "id": "price_1",
        "product": "prod_1",
        "unit_amount": 2999,
        "unit_amount_display": "$29.99",
        "currency": "usd",
        "type": "recurring",
        "interval": "month",
        "interval_count": 1,
        "usage_type": "licensed",
        "active": True,
        "lookup_key": "pro_monthly",
    }


async def test_bad_price_input_is_refused_and_nothing_sent(fake: RecordingStripe, connect: Connect) -> None:
    base = {"unit_amount": 100, "currency": "usd"}
    cases: list[tuple[dict[str, Any], str]] = [
        (base, "Invalid `product`: pass exactly one of `product` and `product_data`"),
        ({**base, "product": "prod_1", "product_data": {"name": "X"}}, "Invalid `product`"),
        ({**base, "product": "prod_1", "interval_count": 3}, "Unknown parameter `interval_count`"),
        (
            {**base, "product": "prod_1", "recurring": {"usage_type": "metered"}},
            "`recurring.interval` is required",
        ),
        ({**base, "product": "prod_1", "unit_amount": 19.99}, "`unit_amount`"),
        ({**base, "product": "prod_1", "currency": "USD"}, "`currency`"),
        ({**base, "product": "prod_1", "recurring": {"interval": "fortnight"}}, "`recurring.interval`"),
        ({**base, "product": "price_1"}, "`product`"),
    ]
    async with connect() as client:
        for arguments, expected in cases:
            assert expected in error_text(await client.call_tool("create_price", arguments)), arguments
        assert "`name` is required" in error_text(await client.call_tool("create_product", {}))
        assert "`type`" in error_text(await client.call_tool("list_prices", {"type": "tiered"}))
    assert fake.requests == []


# -- end to end against the offline sandbox ----------------------------------------------------------


async def test_products_and_prices_in_sandbox(
    connect_sandbox: Connect, sandbox: Any, sandbox_key: str
) -> None:
    async with connect_sandbox() as client:
        product = payload(
            await client.call_tool("create_product", {"name": "Pro plan", "metadata": {"t": "1"}})
        )
        monthly = payload(
            await client.call_tool(
                "create_price",
                {"product": product["id"], "unit_amount": 2999, "currency": "usd",
                 "recurring": {"interval": "month", "interval_count": 3}, "lookup_key": "pro_quarterly"},
            )
        )  # fmt: skip
        one_time = payload(
            await client.call_tool(
                "create_price", {"product_data": {"name": "Sticker"}, "unit_amount": 500, "currency": "jpy"}
            )
        )
        assert product["id"].startswith("prod_") and product["active"] is True
        assert monthly["product"] == product["id"] and monthly["type"] == "recurring"
        assert (monthly["interval"], monthly["interval_count"]) == ("month", 3)
        assert monthly["unit_amount_display"] == "$29.99"
        assert one_time["type"] == "one_time" and one_time["unit_amount_display"] == "¥500"
        assert one_time["product"] != product["id"]

        recurring = payload(await client.call_tool("list_prices", {"type": "recurring"}))
        of_product = payload(await client.call_tool("list_prices", {"product": one_time["product"]}))
        products = payload(await client.call_tool("list_products", {"limit": 1}))
        assert [p["id"] for p in recurring["data"]] == [monthly["id"]]
        assert [p["id"] for p in of_product["data"]] == [one_time["id"]]
        assert products["has_more"] is True and len(products["data"]) == 1
        rest = payload(
            await client.call_tool("list_products", {"starting_after": products["next_starting_after"]})
        )
        assert {p["name"] for p in products["data"] + rest["data"]} == {"Pro plan", "Sticker"}

        missing = error_text(
            await client.call_tool(
                "create_price", {"product": "prod_nope", "unit_amount": 1, "currency": "usd"}
            )
        )
        assert "prod_nope" in missing
    assert len(sandbox.objects(sandbox_key, "price")) == 2
