"""Invoices toolset: exact requests against the recording fake, and the invoice lifecycle
(draft, item, finalize, pay; void) end to end against the offline sandbox."""

from __future__ import annotations

from typing import Any

import stripe

from .conftest import Connect, error_text, payload, understood
from .fakes import RecordingStripe

INVOICE = {
    "id": "in_1",
    "object": "invoice",
    "status": "draft",
    "customer": "cus_1",
    "number": None,
    "description": "Consulting",
    "collection_method": "send_invoice",
    "currency": "usd",
    "total": 12500,
    "amount_due": 12500,
    "amount_paid": 0,
    "amount_remaining": 12500,
    "due_date": 1702592000,
    "hosted_invoice_url": None,
    "metadata": {"job": "42"},
    "parent": {"type": "subscription_details", "subscription_details": {"subscription": "sub_1"}},
}
ITEM = {
    "id": "ii_1",
    "object": "invoiceitem",
    "invoice": "in_1",
    "customer": "cus_1",
    "amount": 12500,
    "currency": "usd",
    "quantity": 1,
    "description": "Setup fee",
    "pricing": {"type": "price_details", "price_details": {"price": "price_1", "product": "prod_1"}},
}


def invoice(**changes: Any) -> dict[str, Any]:
    return {**INVOICE, **changes}


async def test_create_invoice_exact_form_and_summary(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        fake.on("POST", "/v1/invoices", INVOICE)
        result = payload(
            await client.call_tool(
                "create_invoice",
                {
                    "customer": "cus_1",
                    "collection_method": "send_invoice",
                    "days_until_due": 30,
                    "auto_advance": False,
                    "description": "Consulting",
                    "metadata": {"job": "42"},
                    "idempotency_key": "inv-1",
                },
            )
        )
        sent = fake.only()
        assert (sent.method, sent.path) == ("POST", "/v1/invoices")
        assert sent.headers["Idempotency-Key"] == "inv-1"
        assert sent.form == [
            ("customer", "cus_1"),
            ("collection_method", "send_invoice"),
            ("days_until_due", "30"),
            ("auto_advance", "false"),
            ("description", "Consulting"),
            ("metadata[job]", "42"),
        ]
        assert result == {
            "id": "in_1",
            "status": "draft",
            "customer": "cus_1",
            "subscription": "sub_1",
            "description": "Consulting",
            "collection_method": "send_invoice",
            "currency": "usd",
            "total": 12500,
            "total_display": "$125.00",
            "amount_due": 12500,
            "amount_due_display": "$125.00",
            "amount_paid": 0,
            "amount_paid_display": "$0.00",
            "amount_remaining": 12500,
            "amount_remaining_display": "$125.00",
            "due_date": 1702592000,
            "metadata": {"job": "42"},
            "next_step": 'Add items (create_invoice_item {"invoice": "in_1", "customer": "cus_1", '
            '"pricing": {"price": "price_..."}}), then finalize_invoice {"invoice": "in_1"}.',
        }


async def test_create_invoice_item_by_price_or_amount(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        fake.on("POST", "/v1/invoiceitems", ITEM)
        item = payload(
            await client.call_tool(
                "create_invoice_item",
                {
                    "customer": "cus_1",
                    "invoice": "in_1",
                    "pricing": {"price": "price_1"},
                    "quantity": 2,
                    "idempotency_key": "ii-1",
                },
            )
        )
        payload(
            await client.call_tool(
                "create_invoice_item",
                {"customer": "cus_1", "amount": 5000, "currency": "eur", "description": "Setup fee"},
            )
        )
        by_price, by_amount = fake.requests
        assert (by_price.method, by_price.path) == ("POST", "/v1/invoiceitems")
        assert by_price.headers["Idempotency-Key"] == "ii-1"
        # In this API version a price goes in pricing[price], not price.
        assert by_price.form == [
            ("customer", "cus_1"),
            ("invoice", "in_1"),
            ("pricing[price]", "price_1"),
            ("quantity", "2"),
        ]
        assert by_amount.form == [
            ("customer", "cus_1"),
            ("amount", "5000"),
            ("currency", "eur"),
            ("description", "Setup fee"),
        ]
        assert item == {
            "id": "ii_1",
            "invoice": "in_1",
            "customer": "cus_1",
            "price": "price_1",
            "quantity": 1,
            "amount": 12500,
            "currency": "usd",
            "amount_display": "$125.00",
            "description": "Setup fee",
        }


async def test_invoice_item_and_invoice_bad_input_sends_nothing(
    fake: RecordingStripe, connect: Connect
) -> None:
    async with connect() as client:
        cases: list[tuple[str, dict[str, Any], str]] = [
            ("create_invoice_item", {"pricing": {"price": "price_1"}}, "`customer`"),
            ("create_invoice_item", {"customer": "cus_1"}, "exactly one"),
            (
                "create_invoice_item",
                {"customer": "cus_1", "pricing": {"price": "price_1"}, "amount": 5, "currency": "usd"},
                "exactly one",
            ),
            ("create_invoice_item", {"customer": "cus_1", "amount": 500}, "`currency`"),
            (
                "create_invoice_item",
                {"customer": "cus_1", "pricing": {"price": "price_1"}, "currency": "usd"},
                "`currency`",
            ),
            (
                "create_invoice_item",
                {"customer": "cus_1", "amount": 500, "currency": "usd", "quantity": 2},
                "`quantity`",
            ),
            ("create_invoice_item", {"customer": "cus_1", "amount": -5, "currency": "usd"}, "`amount`"),
            (
                "create_invoice",
                {"customer": "cus_1", "collection_method": "send_invoice"},
                "`days_until_due`",
            ),
            ("create_invoice", {"customer": "cus_1", "days_until_due": 10}, "`days_until_due`"),
            ("pay_invoice", {"invoice": "in_1", "payment_method": "card_1"}, "`payment_method`"),
            ("void_invoice", {"invoice": "sub_1"}, "`invoice`"),
        ]
        for tool, arguments, named in cases:
            assert named in error_text(await client.call_tool(tool, arguments)), (tool, arguments)
        assert fake.requests == []


async def test_finalize_pay_send_void_exact_requests(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        open_invoice = invoice(
            status="open", number="ABC-0001", hosted_invoice_url="https://invoice.stripe.com/i/1"
        )
        fake.on("POST", "/v1/invoices/in_1/finalize", open_invoice)
        fake.on(
            "POST", "/v1/invoices/in_1/pay", invoice(status="paid", amount_paid=12500, amount_remaining=0)
        )
        fake.on("POST", "/v1/invoices/in_1/send", open_invoice)
        fake.on("POST", "/v1/invoices/in_1/void", invoice(status="void"))
        final = payload(
            await client.call_tool(
                "finalize_invoice", {"invoice": "in_1", "auto_advance": False, "idempotency_key": "f-1"}
            )
        )
        paid = payload(
            await client.call_tool(
                "pay_invoice", {"invoice": "in_1", "payment_method": "pm_1", "idempotency_key": "p-1"}
            )
        )
        payload(await client.call_tool("send_invoice", {"invoice": "in_1", "idempotency_key": "s-1"}))
        void = payload(await client.call_tool("void_invoice", {"invoice": "in_1", "idempotency_key": "v-1"}))
        assert [(r.method, r.path, r.form, r.headers["Idempotency-Key"]) for r in fake.requests] == [
            ("POST", "/v1/invoices/in_1/finalize", [("auto_advance", "false")], "f-1"),
            ("POST", "/v1/invoices/in_1/pay", [("payment_method", "pm_1")], "p-1"),
            ("POST", "/v1/invoices/in_1/send", [], "s-1"),
            ("POST", "/v1/invoices/in_1/void", [], "v-1"),
        ]
        assert final["number"] == "ABC-0001" and final["hosted_invoice_url"].startswith("https://")
        assert "send_invoice" in final["next_step"]
        assert paid["status"] == "paid" and paid["amount_remaining_display"] == "$0.00"
        assert "next_step" not in paid
        assert void["status"] == "void"


async def test_invoice_tool_annotations(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        pay, void, final = tools["pay_invoice"], tools["void_invoice"], tools["finalize_invoice"]
        assert understood(pay).destructive_hint is True
        assert understood(pay).idempotent_hint is False
        assert understood(void).destructive_hint is True
        # finalizing can charge the customer (auto_advance on a charge_automatically invoice): money
        assert understood(final).destructive_hint is True
        assert understood(tools["retrieve_invoice"]).read_only_hint is True


async def test_retrieve_and_list_with_filters(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        fake.on("GET", "/v1/invoices/in_1", INVOICE)
        fake.on("GET", "/v1/invoices", {"object": "list", "data": [INVOICE], "has_more": True})
        assert (
            payload(await client.call_tool("retrieve_invoice", {"invoice": "in_1"}))["total_display"]
            == "$125.00"
        )
        page = payload(
            await client.call_tool(
                "list_invoices",
                {
                    "customer": "cus_1",
                    "status": "open",
                    "subscription": "sub_1",
                    "limit": 5,
                    "starting_after": "in_0",
                },
            )
        )
        assert page["has_more"] is True and page["next_starting_after"] == "in_1"
        get, listing = fake.requests
        assert (get.method, get.path, get.form) == ("GET", "/v1/invoices/in_1", [])
        assert listing.form == [
            ("customer", "cus_1"),
            ("status", "open"),
            ("subscription", "sub_1"),
            ("limit", "5"),
            ("starting_after", "in_0"),
        ]


# -- end to end against the offline sandbox -------------------------------------------------------


def setup_customer(sandbox: Any, key: str) -> tuple[stripe.StripeClient, str, str, str]:
    """A customer with a saved pm_card_visa, and a $40.00 one-time price."""
    client = stripe.StripeClient(key, base_addresses={"api": sandbox.url})
    customer = client.v1.customers.create({"email": "billing@example.com"})
    setup = client.v1.setup_intents.create(
        {
            "customer": customer.id,
            "payment_method": "pm_card_visa",
            "confirm": True,
            "usage": "off_session",
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        }
    )
    assert setup.status == "succeeded"
    product = client.v1.products.create({"name": "Workshop"})
    price = client.v1.prices.create({"product": product.id, "currency": "usd", "unit_amount": 4000})
    return client, customer.id, str(setup.payment_method), price.id


async def test_e2e_invoice_create_item_finalize_pay(
    sandbox: Any, sandbox_key: str, connect_sandbox: Connect
) -> None:
    _client, customer, pm, price = setup_customer(sandbox, sandbox_key)
    async with connect_sandbox() as mcp:
        draft = payload(
            await mcp.call_tool("create_invoice", {"customer": customer, "description": "Workshop"})
        )
        assert draft["status"] == "draft"
        payload(
            await mcp.call_tool(
                "create_invoice_item",
                {"customer": customer, "invoice": draft["id"], "pricing": {"price": price}, "quantity": 2},
            )
        )
        fee = payload(
            await mcp.call_tool(
                "create_invoice_item",
                {
                    "customer": customer,
                    "invoice": draft["id"],
                    "amount": 1250,
                    "currency": "usd",
                    "description": "Travel",
                },
            )
        )
        assert fee["invoice"] == draft["id"] and fee["amount_display"] == "$12.50"

        final = payload(await mcp.call_tool("finalize_invoice", {"invoice": draft["id"]}))
        assert final["status"] == "open"
        assert final["number"] and final["hosted_invoice_url"]
        assert final["total"] == 9250 and final["amount_due_display"] == "$92.50"
        assert "pay_invoice" in final["next_step"]

        paid = payload(await mcp.call_tool("pay_invoice", {"invoice": draft["id"], "payment_method": pm}))
        assert paid["status"] == "paid"
        assert paid["amount_paid"] == 9250 and paid["amount_remaining"] == 0

        page = payload(await mcp.call_tool("list_invoices", {"customer": customer, "status": "paid"}))
        assert [i["id"] for i in page["data"]] == [draft["id"]]
        assert (
            payload(await mcp.call_tool("list_invoices", {"customer": customer, "status": "open"}))["data"]
            == []
        )
    pays = [r for r in sandbox.request_log(sandbox_key) if r.path.endswith("/pay")]
    assert [r.params for r in pays] == [{"payment_method": pm}]


async def test_e2e_void_finalized_invoice_and_pagination(
    sandbox: Any, sandbox_key: str, connect_sandbox: Connect
) -> None:
    _client, customer, _pm, price = setup_customer(sandbox, sandbox_key)
    async with connect_sandbox() as mcp:
        ids = []
        for n in range(3):  # distinct arguments: an identical write would be replayed
            draft = payload(
                await mcp.call_tool(
                    "create_invoice",
                    {"customer": customer, "collection_method": "send_invoice", "days_until_due": 14 + n},
                )
            )
            payload(
                await mcp.call_tool(
                    "create_invoice_item",
                    {"customer": customer, "invoice": draft["id"], "pricing": {"price": price}},
                )
            )
            ids.append(draft["id"])
        final = payload(await mcp.call_tool("finalize_invoice", {"invoice": ids[0]}))
        assert final["status"] == "open" and final["due_date"]
        assert "send_invoice" in final["next_step"]
        sent = payload(await mcp.call_tool("send_invoice", {"invoice": ids[0]}))
        assert sent["status"] == "open"

        void = payload(await mcp.call_tool("void_invoice", {"invoice": ids[0]}))
        assert void["status"] == "void"
        again = error_text(await mcp.call_tool("pay_invoice", {"invoice": ids[0]}))
        assert "Stripe error" in again

        first = payload(await mcp.call_tool("list_invoices", {"customer": customer, "limit": 2}))
        assert first["has_more"] is True
        rest = payload(
            await mcp.call_tool(
                "list_invoices",
                {"customer": customer, "limit": 2, "starting_after": first["next_starting_after"]},
            )
        )
        assert [i["id"] for i in first["data"] + rest["data"]] == ids[::-1]
        assert [
            i["id"] for i in payload(await mcp.call_tool("list_invoices", {"status": "void"}))["data"]
        ] == [ids[0]]


async def test_pay_invoice_checks_spending_limits_on_what_remains(
    fake: RecordingStripe, connect: Connect
) -> None:
    fake.on("GET", "/v1/invoices/in_1", invoice(status="open", amount_remaining=12500))
    async with connect(max_amount="usd:10000") as client:
        message = error_text(await client.call_tool("pay_invoice", {"invoice": "in_1"}))
    assert "spending-limit" in message and "`amount_remaining` $125.00" in message
    assert [(r.method, r.path) for r in fake.requests] == [("GET", "/v1/invoices/in_1")]


async def test_pay_and_void_previews_name_amount_number_and_customer(
    fake: RecordingStripe, connect: Connect
) -> None:
    open_invoice = invoice(status="open", number="INV-0042", customer_email="jane@example.com")
    fake.on("GET", "/v1/invoices/in_1", open_invoice)
    async with connect(confirm_writes=True) as client:
        pay = error_text(await client.call_tool("pay_invoice", {"invoice": "in_1"}))
        void = error_text(await client.call_tool("void_invoice", {"invoice": "in_1"}))
    assert "Pay $125.00 of invoice in_1 (INV-0042), customer jane@example.com (cus_1)" in pay
    assert "Void invoice in_1 (INV-0042), customer jane@example.com (cus_1): $125.00" in void
    assert [(r.method, r.path) for r in fake.requests] == [("GET", "/v1/invoices/in_1")] * 2
