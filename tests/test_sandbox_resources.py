"""The sandbox's resources through an MCP client (`call_stripe_api` and typed tools), and its
limits relayed as limits of the sandbox, not gaps of Stripe."""

from __future__ import annotations

from typing import Any

import httpx
from mcp.client import Client

from .conftest import Connect, error_text, payload


async def api(client: Client, method: str, path: str, params: dict[str, Any] | None = None) -> Any:
    """One `call_stripe_api` call that must succeed; its JSON, the whole object (`full`): these tests
    read the sandbox's fields as Stripe sends them (tests/test_views.py tests the views)."""
    arguments: dict[str, Any] = {"method": method, "path": path, "full": True}
    if params is not None:
        arguments["params"] = params
    return payload(await client.call_tool("call_stripe_api", arguments))


async def monthly_price(client: Client, amount: int) -> dict[str, Any]:
    params = {
        "currency": "usd",
        "unit_amount": amount,
        "recurring": {"interval": "month"},
        "product_data": {"name": "Plan"},
    }
    return dict(await api(client, "POST", "/v1/prices", params))


async def paid_invoice(client: Client, amount: int = 5000) -> dict[str, Any]:
    customer = await api(client, "POST", "/v1/customers", {"email": "mcp@example.com"})
    await api(
        client, "POST", "/v1/invoiceitems", {"customer": customer["id"], "amount": amount, "currency": "usd"}
    )
    invoice = await api(
        client,
        "POST",
        "/v1/invoices",
        {
            "customer": customer["id"],
            "collection_method": "send_invoice",
            "days_until_due": 7,
            "pending_invoice_items_behavior": "include",
        },
    )
    await api(client, "POST", f"/v1/invoices/{invoice['id']}/finalize")
    return dict(
        await api(client, "POST", f"/v1/invoices/{invoice['id']}/pay", {"payment_method": "pm_card_visa"})
    )


async def test_call_stripe_api_relays_a_sandbox_limit(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        text = error_text(
            await client.call_tool("call_stripe_api", {"method": "GET", "path": "/v1/quotes/qt_123/pdf"})
        )
    assert "limit of the sandbox, not of Stripe" in text, text
    assert "Unrecognized request URL" not in text


async def test_tax_rates_and_tax_ids_through_call_stripe_api(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        rate = payload(
            await client.call_tool(
                "call_stripe_api",
                {
                    "method": "POST",
                    "path": "/v1/tax_rates",
                    "params": {"display_name": "VAT", "percentage": 19, "inclusive": False},
                },
            )
        )
        assert rate["id"].startswith("txr_") and rate["percentage"] == 19
        listed = payload(
            await client.call_tool("call_stripe_api", {"method": "GET", "path": "/v1/tax_rates"})
        )
        assert [r["id"] for r in listed["data"]] == [rate["id"]]


async def test_describe_stripe_api_tells_emulated_from_sandbox_limits(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        generic = payload(
            await client.call_tool("describe_stripe_api", {"method": "POST", "path": "/v1/tax_rates"})
        )
        limit = payload(
            await client.call_tool("describe_stripe_api", {"method": "GET", "path": "/v1/quotes/{quote}/pdf"})
        )
    assert generic["sandbox"] == "emulated"
    assert limit["sandbox"] == "not emulated offline"


async def test_coupons_promotion_codes_and_invoice_discounts_through_mcp(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        coupon = await api(client, "POST", "/v1/coupons", {"percent_off": 20, "duration": "once"})
        promo = await api(
            client,
            "POST",
            "/v1/promotion_codes",
            {"promotion": {"type": "coupon", "coupon": coupon["id"]}, "code": "MCP20"},
        )
        assert promo["code"] == "MCP20"
        customer = await api(client, "POST", "/v1/customers", {})
        await api(
            client,
            "POST",
            "/v1/invoiceitems",
            {"customer": customer["id"], "amount": 5000, "currency": "usd"},
        )
        invoice = await api(
            client,
            "POST",
            "/v1/invoices",
            {
                "customer": customer["id"],
                "pending_invoice_items_behavior": "include",
                "discounts": [{"promotion_code": promo["id"]}],
            },
        )
    assert (invoice["subtotal"], invoice["total"]) == (5000, 4000)
    assert [d["amount"] for d in invoice["total_discount_amounts"]] == [1000]


async def test_invoice_preview_and_mark_uncollectible_through_mcp(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        customer = await api(client, "POST", "/v1/customers", {})
        await api(
            client, "POST", "/v1/invoiceitems", {"customer": customer["id"], "amount": 700, "currency": "usd"}
        )
        preview = await api(client, "POST", "/v1/invoices/create_preview", {"customer": customer["id"]})
        assert preview["id"].startswith("upcoming_in_") and preview["total"] == 700
        assert (await api(client, "GET", "/v1/invoices"))["data"] == []  # a preview is not an invoice
        invoice = await api(
            client,
            "POST",
            "/v1/invoices",
            {
                "customer": customer["id"],
                "collection_method": "send_invoice",
                "days_until_due": 7,
                "pending_invoice_items_behavior": "include",
            },
        )
        await api(client, "POST", f"/v1/invoices/{invoice['id']}/finalize")
        marked = await api(client, "POST", f"/v1/invoices/{invoice['id']}/mark_uncollectible")
    assert marked["status"] == "uncollectible"


async def test_credit_notes_and_balance_transactions_through_mcp(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        invoice = await paid_invoice(client)
        note = await api(
            client,
            "POST",
            "/v1/credit_notes",
            {"invoice": invoice["id"], "amount": 2000, "refund_amount": 2000},
        )
        assert note["type"] == "post_payment" and note["refunds"][0]["amount_refunded"] == 2000
        txns = await api(client, "GET", "/v1/balance_transactions")
    assert [(t["type"], t["amount"], t["fee"]) for t in txns["data"]] == [
        ("refund", -2000, 0),
        ("charge", 5000, 175),
    ]


async def test_disputes_through_mcp(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        payload(
            await client.call_tool(
                "create_payment_intent",
                {
                    "amount": 3000,
                    "currency": "usd",
                    "payment_method": "pm_card_createDispute",
                    "confirm": True,
                },
            )
        )
        disputes = await api(client, "GET", "/v1/disputes")
        assert [d["status"] for d in disputes["data"]] == ["needs_response"]
        won = await api(
            client,
            "POST",
            f"/v1/disputes/{disputes['data'][0]['id']}",
            {"evidence": {"uncategorized_text": "winning_evidence"}},
        )
    assert won["status"] == "won"


async def test_payment_method_tokens_and_increment_authorization_through_mcp(
    connect_sandbox: Connect,
) -> None:
    async with connect_sandbox() as client:
        pm = await api(
            client, "POST", "/v1/payment_methods", {"type": "card", "card": {"token": "tok_mastercard"}}
        )
        assert pm["card"]["brand"] == "mastercard"
        intent = await api(
            client,
            "POST",
            "/v1/payment_intents",
            {
                "amount": 1000,
                "currency": "usd",
                "payment_method": pm["id"],
                "capture_method": "manual",
                "confirm": True,
                "payment_method_options": {"card": {"request_incremental_authorization": "if_available"}},
                "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
            },
        )
        grown = await api(
            client, "POST", f"/v1/payment_intents/{intent['id']}/increment_authorization", {"amount": 1500}
        )
    assert (grown["amount"], grown["status"]) == (1500, "requires_capture")


async def test_subscription_items_and_setup_attempts_through_mcp(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        customer = await api(client, "POST", "/v1/customers", {})
        price = await monthly_price(client, 900)
        setup = await api(
            client,
            "POST",
            "/v1/setup_intents",
            {
                "customer": customer["id"],
                "payment_method": "pm_card_visa",
                "confirm": True,
                "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
            },
        )
        attempts = await api(client, "GET", "/v1/setup_attempts", {"setup_intent": setup["id"]})
        assert [a["status"] for a in attempts["data"]] == ["succeeded"]
        sub = await api(
            client,
            "POST",
            "/v1/subscriptions",
            {
                "customer": customer["id"],
                "items": [{"price": price["id"]}],
                "default_payment_method": setup["payment_method"],
            },
        )
        item = await api(
            client,
            "POST",
            f"/v1/subscription_items/{sub['items']['data'][0]['id']}",
            {"quantity": 4, "proration_behavior": "none"},
        )
    assert item["quantity"] == 4


async def test_customer_sessions_and_shipping_rates_through_mcp(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        customer = await api(client, "POST", "/v1/customers", {})
        session = await api(
            client,
            "POST",
            "/v1/customer_sessions",
            {"customer": customer["id"], "components": {"pricing_table": {"enabled": True}}},
        )
        rate = await api(
            client,
            "POST",
            "/v1/shipping_rates",
            {
                "display_name": "Express",
                "type": "fixed_amount",
                "fixed_amount": {"amount": 1500, "currency": "usd"},
            },
        )
    assert session["customer"] == customer["id"]
    assert session["client_secret"] == "[redacted]"  # client secrets stay out of tool results
    assert rate["fixed_amount"]["amount"] == 1500


async def test_customer_portal_through_mcp(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        customer = await api(client, "POST", "/v1/customers", {})
        session = await api(
            client,
            "POST",
            "/v1/billing_portal/sessions",
            {"customer": customer["id"], "return_url": "https://example.com"},
        )
    assert session["url"].startswith("http://127.0.0.1:") and "/p/session/bps_" in session["url"]
    async with httpx.AsyncClient() as http:
        page = await http.get(session["url"])
    assert page.status_code == 200 and customer["id"] in page.text


async def test_subscription_schedules_through_mcp(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        customer = await api(client, "POST", "/v1/customers", {})
        await api(client, "POST", "/v1/payment_methods/pm_card_visa/attach", {"customer": customer["id"]})
        price = await monthly_price(client, 1200)
        schedule = await api(
            client,
            "POST",
            "/v1/subscription_schedules",
            {
                "customer": customer["id"],
                "start_date": "now",
                "phases": [
                    {
                        "items": [{"price": price["id"]}],
                        "duration": {"interval": "month", "interval_count": 2},
                    }
                ],
            },
        )
        assert schedule["status"] == "active" and schedule["subscription"].startswith("sub_")
        released = await api(client, "POST", f"/v1/subscription_schedules/{schedule['id']}/release")
    assert released["status"] == "released"
