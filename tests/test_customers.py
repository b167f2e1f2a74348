"""Customers toolset through the MCP protocol, with the exact requests sent to Stripe."""

from __future__ import annotations

from .conftest import Connect, error_text, payload
from .fakes import RecordingStripe

CUSTOMER = {
    "id": "cus_123",
    "object": "customer",
    "email": "jane@example.com",
    "name": "Jane Doe",
    "phone": None,
    "description": None,
    "metadata": {"plan": "pro"},
    "invoice_settings": {"default_payment_method": "pm_1"},
    "created": 1700000000,
    "livemode": False,
}


async def test_create_customer_sends_exact_form(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        fake.on("POST", "/v1/customers", CUSTOMER)
        result = await client.call_tool(
            "create_customer",
            {
                "email": "jane@example.com",
                "name": "Jane Doe",
                "metadata": {"plan": "pro"},
                "idempotency_key": "k-1",
            },
        )
        assert payload(result) == {
            "id": "cus_123",
            "email": "jane@example.com",
            "name": "Jane Doe",
            "default_payment_method": "pm_1",
            "metadata": {"plan": "pro"},
            "created": 1700000000,
        }
        sent = fake.only()
        assert (sent.method, sent.path) == ("POST", "/v1/customers")
        assert sent.form == [("email", "jane@example.com"), ("name", "Jane Doe"), ("metadata[plan]", "pro")]
        assert sent.headers["Idempotency-Key"] == "k-1"
        assert sent.headers["Authorization"].startswith("Bearer sk_test_")


async def test_write_without_key_gets_generated_idempotency_key(
    fake: RecordingStripe, connect: Connect
) -> None:
    async with connect() as client:
        fake.on("POST", "/v1/customers", CUSTOMER)
        payload(await client.call_tool("create_customer", {"email": "jane@example.com"}))
        assert fake.only().headers["Idempotency-Key"].startswith("stripe-power-")


async def test_retrieve_update_list_search(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        fake.on("GET", "/v1/customers/cus_123", CUSTOMER)
        fake.on("POST", "/v1/customers/cus_123", CUSTOMER)
        fake.on("GET", "/v1/customers", {"object": "list", "data": [CUSTOMER], "has_more": True})
        fake.on("GET", "/v1/customers/search", {"object": "search_result", "data": [CUSTOMER], "has_more": True,
                                                  "next_page": "pg_2"})  # fmt: skip

        assert (
            payload(await client.call_tool("retrieve_customer", {"customer": "cus_123"}))["id"] == "cus_123"
        )
        await client.call_tool(
            "update_customer",
            {
                "customer": "cus_123",
                "invoice_settings": {"default_payment_method": "pm_card_1"},
                "metadata": {"a": ""},
            },
        )
        page = payload(await client.call_tool("list_customers", {"email": "jane@example.com", "limit": 1}))
        found = payload(await client.call_tool("search_customers", {"query": "email:'jane@example.com'"}))

        assert page["has_more"] is True and page["next_starting_after"] == "cus_123"
        assert found["next_page"] == "pg_2"
        get, update, listing, search = fake.requests
        assert get.form == [] and get.method == "GET"
        assert update.form == [("metadata[a]", ""), ("invoice_settings[default_payment_method]", "pm_card_1")]
        assert "Idempotency-Key" in update.headers
        assert listing.form == [("email", "jane@example.com"), ("limit", "1")]
        assert search.form == [("query", "email:'jane@example.com'"), ("limit", "10")]
        assert "Idempotency-Key" not in get.headers


async def test_bad_input_names_the_parameter_and_sends_nothing(
    fake: RecordingStripe, connect: Connect
) -> None:
    async with connect() as client:
        cases = {
            "retrieve_customer": ({"customer": "pi_123"}, "`customer`"),
            "list_customers": ({"limit": 500}, "`limit`"),
            "create_customer": ({"email": "not-an-email"}, "`email`"),
            "update_customer": ({"customer": "cus_1", "metadata": {"k" * 41: "v"}}, "`metadata"),
        }
        for tool, (arguments, named) in cases.items():
            assert named in error_text(await client.call_tool(tool, arguments)), tool
        assert "`customer` is required" in error_text(await client.call_tool("retrieve_customer", {}))
        assert fake.requests == []


async def test_unknown_argument_is_refused_not_dropped(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        message = error_text(await client.call_tool("create_customer", {"emial": "jane@example.com"}))
        assert "Unknown parameter `emial`" in message and "Did you mean `email`?" in message
        message = error_text(await client.call_tool("create_customer", {"payment_method_types": ["card"]}))
        # The advice names only what create_customer takes (it has no excluded_payment_method_types).
        assert "payment-method-types" in message and "omit it to get dynamic payment methods" in message
        assert "`excluded_payment_method_types`" not in message
        assert fake.requests == []


async def test_stripe_error_is_mapped_with_request_id(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        fake.on(
            "GET",
            "/v1/customers/cus_404",
            {"error": {"type": "invalid_request_error", "code": "resource_missing", "param": "id",
                       "message": "No such customer: 'cus_404'"}},
            status=404,
        )  # fmt: skip
        message = error_text(await client.call_tool("retrieve_customer", {"customer": "cus_404"}))
        assert "code=resource_missing" in message and "param=id" in message
        assert "No such customer" in message and "Request id: req_fake1" in message
        assert "Traceback" not in message
