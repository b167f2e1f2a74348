"""Checkout toolset: exact requests against the recording fake, and paid, declined, expired,
setup and embedded sessions in the offline sandbox."""

from __future__ import annotations

from typing import Any

import httpx

from .conftest import Connect, error_text, payload
from .fakes import RecordingStripe

SUCCESS = "https://example.com/ok?session_id={CHECKOUT_SESSION_ID}"
SESSION = {
    "id": "cs_test_1",
    "object": "checkout.session",
    "mode": "payment",
    "status": "open",
    "payment_status": "unpaid",
    "ui_mode": "hosted_page",
    "url": "https://checkout.stripe.com/c/pay/cs_test_1",
    "client_secret": None,
    "amount_total": 4998,
    "currency": "usd",
    "customer": None,
    "customer_email": "jane@example.com",
    "customer_details": None,
    "payment_intent": None,
    "subscription": None,
    "setup_intent": None,
    "expires_at": 1700086400,
}


async def test_create_payment_session_sends_exact_nested_form(
    fake: RecordingStripe, connect: Connect
) -> None:
    async with connect() as client:
        fake.on("POST", "/v1/checkout/sessions", SESSION)
        result = await client.call_tool(
            "create_checkout_session",
            {
                "mode": "payment",
                "line_items": [
                    {"price": "price_1", "quantity": 2},
                    {
                        "price_data": {
                            "currency": "usd",
                            "unit_amount": 999,
                            "product_data": {"name": "Gift wrap"},
                        }
                    },
                ],
                "customer_email": "jane@example.com",
                "success_url": SUCCESS,
                "cancel_url": "https://example.com/cart",
                "allow_promotion_codes": True,
                "excluded_payment_method_types": ["klarna", "affirm"],
                "expires_at": 1700003600,
                "metadata": {"order": "42"},
                "idempotency_key": "k-cs",
            },
        )
        assert payload(result) == {
            "id": "cs_test_1",
            "mode": "payment",
            "status": "open",
            "payment_status": "unpaid",
            "ui_mode": "hosted_page",
            "url": "https://checkout.stripe.com/c/pay/cs_test_1",
            "amount_total": 4998,
            "amount_total_display": "$49.98",
            "currency": "usd",
            "customer_email": "jane@example.com",
            "expires_at": 1700086400,
            "next_step": "Send the customer to url.",
        }
        sent = fake.only()
        assert (sent.method, sent.path) == ("POST", "/v1/checkout/sessions")
        assert sent.headers["Idempotency-Key"] == "k-cs"
        assert sent.form == [
            ("mode", "payment"),
            ("line_items[0][price]", "price_1"),
            ("line_items[0][quantity]", "2"),
            ("line_items[1][price_data][currency]", "usd"),
            ("line_items[1][price_data][unit_amount]", "999"),
            ("line_items[1][price_data][product_data][name]", "Gift wrap"),
            ("line_items[1][quantity]", "1"),
            ("customer_email", "jane@example.com"),
            ("success_url", SUCCESS),
            ("cancel_url", "https://example.com/cart"),
            ("allow_promotion_codes", "true"),
            ("excluded_payment_method_types[0]", "klarna"),
            ("excluded_payment_method_types[1]", "affirm"),
            ("expires_at", "1700003600"),
            ("metadata[order]", "42"),
        ]


async def test_subscription_embedded_and_setup_forms(fake: RecordingStripe, connect: Connect) -> None:
    embedded = {**SESSION, "mode": "subscription", "ui_mode": "embedded_page", "url": None,
                "client_secret": "cs_test_1_secret_abc", "customer": "cus_1"}  # fmt: skip
    setup = {**SESSION, "id": "cs_test_2", "mode": "setup", "amount_total": None, "setup_intent": "seti_1"}
    answers = iter([embedded, setup])
    async with connect() as client:
        fake.on("POST", "/v1/checkout/sessions", lambda _r: (200, next(answers)))
        sub = payload(
            await client.call_tool(
                "create_checkout_session",
                {"mode": "subscription", "ui_mode": "embedded_page", "customer": "cus_1",
                 "return_url": "https://example.com/return?session_id={CHECKOUT_SESSION_ID}",
                 "line_items": [{"price_data": {"currency": "eur", "unit_amount": 1500, "product_data": {"name": "Club"},
                                                "recurring": {"interval": "month"}}, "quantity": 3}]},
            )
        )  # fmt: skip
        saved = payload(
            await client.call_tool(
                "create_checkout_session",
                {"mode": "setup", "currency": "usd", "customer": "cus_1", "success_url": SUCCESS},
            )
        )
        assert sub["client_secret"] == "cs_test_1_secret_abc" and "url" not in sub
        assert "client only" in sub["next_step"] and "never log" in sub["next_step"]
        assert saved["setup_intent"] == "seti_1" and saved["mode"] == "setup"
        first, second = fake.requests
        assert first.form == [
            ("mode", "subscription"),
            ("line_items[0][price_data][currency]", "eur"),
            ("line_items[0][price_data][unit_amount]", "1500"),
            ("line_items[0][price_data][product_data][name]", "Club"),
            ("line_items[0][price_data][recurring][interval]", "month"),
            ("line_items[0][quantity]", "3"),
            ("customer", "cus_1"),
            ("ui_mode", "embedded_page"),
            ("return_url", "https://example.com/return?session_id={CHECKOUT_SESSION_ID}"),
        ]
        assert second.form == [("mode", "setup"), ("customer", "cus_1"), ("success_url", SUCCESS),
                               ("currency", "usd")]  # fmt: skip
        assert first.headers["Idempotency-Key"] != second.headers["Idempotency-Key"]


async def test_expire_retrieve_list_and_line_items(fake: RecordingStripe, connect: Connect) -> None:
    expired = {**SESSION, "status": "expired", "url": None}
    complete = {**SESSION, "status": "complete", "payment_status": "paid", "url": None, "customer": "cus_1",
                "payment_intent": {"id": "pi_1", "object": "payment_intent"}}  # fmt: skip
    line = {"id": "li_1", "object": "item", "description": "Pro plan", "quantity": 2, "currency": "usd",
            "amount_total": 4998, "price": {"id": "price_1", "object": "price"}}  # fmt: skip
    async with connect() as client:
        fake.on("POST", "/v1/checkout/sessions/cs_test_1/expire", expired)
        fake.on("GET", "/v1/checkout/sessions/cs_test_1", complete)
        fake.on("GET", "/v1/checkout/sessions", {"object": "list", "data": [complete], "has_more": True})
        fake.on("GET", "/v1/checkout/sessions/cs_test_1/line_items", {"object": "list", "data": [line],
                                                                       "has_more": False})  # fmt: skip
        gone = payload(
            await client.call_tool(
                "expire_checkout_session", {"session": "cs_test_1", "idempotency_key": "k-x"}
            )
        )
        done = payload(await client.call_tool("retrieve_checkout_session", {"session": "cs_test_1"}))
        page = payload(
            await client.call_tool(
                "list_checkout_sessions",
                {"customer": "cus_1", "status": "complete", "payment_intent": "pi_1", "limit": 1},
            )
        )
        items = payload(await client.call_tool("list_checkout_session_line_items", {"session": "cs_test_1"}))

        assert gone["status"] == "expired" and gone["next_step"] == "Create a new session."
        assert done["payment_intent"] == "pi_1" and done["customer"] == "cus_1"
        assert done["next_step"] == (
            "Fulfil the order on the checkout.session.completed webhook (see it: wait_for_event "
            '{"type": "checkout.session.completed", "object_id": "cs_test_1"}).'
        )
        assert page["has_more"] is True and page["next_starting_after"] == "cs_test_1"
        assert items == {
            "data": [{"id": "li_1", "description": "Pro plan", "quantity": 2, "price": "price_1",
                      "amount_total": 4998, "amount_total_display": "$49.98", "currency": "usd"}],
            "has_more": False,
        }  # fmt: skip
        expire, get, listing, lines = fake.requests
        assert (expire.method, expire.form, expire.headers["Idempotency-Key"]) == ("POST", [], "k-x")
        assert (get.method, get.form) == ("GET", [])
        assert listing.form == [("customer", "cus_1"), ("status", "complete"), ("payment_intent", "pi_1"),
                                ("limit", "1")]  # fmt: skip
        assert (lines.method, lines.form) == ("GET", [("limit", "10")])


async def test_bad_combinations_are_refused_and_nothing_sent(fake: RecordingStripe, connect: Connect) -> None:
    item = [{"price": "price_1"}]
    pay = {"mode": "payment", "line_items": item, "success_url": SUCCESS}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"mode": "payment", "success_url": SUCCESS}, "Invalid `line_items`: is required in payment mode"),
        ({"mode": "subscription", "success_url": SUCCESS, "line_items": []}, "Invalid `line_items`"),
        ({"mode": "setup", "currency": "usd", "success_url": SUCCESS, "line_items": item},
         "Invalid `line_items`: is not allowed in setup mode"),
        ({"mode": "setup", "success_url": SUCCESS}, "Invalid `currency`: is required in setup mode"),
        ({**pay, "customer": "cus_1", "customer_email": "a@b.co"}, "Invalid `customer_email`"),
        ({"mode": "payment", "line_items": item}, "Invalid `success_url`: is required"),
        ({**pay, "return_url": "https://example.com/r"}, "Invalid `return_url`"),
        ({**pay, "ui_mode": "embedded_page", "return_url": "https://example.com/r"}, "Invalid `success_url`"),
        ({"mode": "payment", "line_items": item, "ui_mode": "embedded_page"}, "Invalid `return_url`: is required"),
        ({**pay, "line_items": [{"price": "price_1", "unit_amount": 5}]}, "Unknown parameter `line_items.0.unit_amount`"),
        ({**pay, "line_items": [{"quantity": 1}]}, "Invalid `line_items[0].price`: pass exactly one"),
        ({**pay, "line_items": [{"price": "price_1", "price_data": {"currency": "usd", "unit_amount": 5,
                                 "product": "prod_1"}}]}, "Invalid `line_items[0].price`: pass exactly one"),
        ({**pay, "line_items": [{"price_data": {"currency": "usd", "unit_amount": 5}}]},
         "`line_items.0.price_data` Value error, pass exactly one of product or product_data"),
        ({**pay, "line_items": [{"price_data": {"currency": "usd"}}]}, "`line_items.0.price_data.unit_amount` is required"),
        ({**pay, "line_items": [{"price": "price_1", "quantity": 0}]}, "`line_items.0.quantity`"),
        ({**pay, "mode": "donation"}, "`mode`"),
        ({**pay, "ui_mode": "embedded"}, "`ui_mode`"),
        ({**pay, "success_url": "javascript:alert(1)"}, "`success_url`"),
    ]  # fmt: skip
    async with connect() as client:
        for arguments, expected in cases:
            message = error_text(await client.call_tool("create_checkout_session", arguments))
            assert expected in message, (arguments, message)
        status = error_text(await client.call_tool("list_checkout_sessions", {"status": "paid"}))
        assert "`status`" in status
        assert "`session`" in error_text(
            await client.call_tool("expire_checkout_session", {"session": "pi_1"})
        )
    assert fake.requests == []


async def test_payment_method_types_is_refused_by_the_guardrail(
    fake: RecordingStripe, connect: Connect
) -> None:
    async with connect() as client:
        message = error_text(
            await client.call_tool(
                "create_checkout_session",
                {"mode": "payment", "line_items": [{"price": "price_1"}], "success_url": SUCCESS,
                 "payment_method_types": ["card"]},
            )
        )  # fmt: skip
    assert "Refused by guardrail `payment-method-types`" in message
    assert "excluded_payment_method_types" in message and "Nothing was sent to Stripe" in message
    assert fake.requests == []


# -- end to end against the offline sandbox ----------------------------------------------------------


async def pay(url: str, card_number: str) -> httpx.Response:
    """What the customer's browser does on the hosted page: a plain form POST, no redirects followed."""
    async with httpx.AsyncClient(follow_redirects=False, timeout=10) as browser:
        return await browser.post(url, data={"card_number": card_number, "email": "jane@example.com"})


async def catalog(client: Any) -> tuple[str, str]:
    product = payload(await client.call_tool("create_product", {"name": "Pro plan"}))
    price = payload(
        await client.call_tool(
            "create_price", {"product": product["id"], "unit_amount": 2500, "currency": "usd"}
        )
    )
    return product["id"], price["id"]


async def payment_session(client: Any, price: str) -> dict[str, Any]:
    return payload(  # type: ignore[no-any-return]
        await client.call_tool(
            "create_checkout_session",
            {"mode": "payment", "success_url": SUCCESS, "cancel_url": "https://example.com/cart",
             "line_items": [{"price": price, "quantity": 2},
                            {"price_data": {"currency": "usd", "unit_amount": 499, "product_data": {"name": "Gift wrap"}}}]},
        )
    )  # fmt: skip


async def test_paid_session_in_sandbox(connect_sandbox: Connect, sandbox: Any, sandbox_key: str) -> None:
    async with connect_sandbox() as client:
        _, price = await catalog(client)
        session = await payment_session(client, price)
        assert session["status"] == "open" and session["payment_status"] == "unpaid"
        assert session["amount_total"] == 5499 and session["amount_total_display"] == "$54.99"
        assert session["url"].startswith("http") and session["next_step"] == "Send the customer to url."

        response = await pay(session["url"], "4242424242424242")
        assert response.status_code == 303, response.text
        assert response.headers["location"] == SUCCESS.replace("{CHECKOUT_SESSION_ID}", session["id"])

        done = payload(await client.call_tool("retrieve_checkout_session", {"session": session["id"]}))
        assert (done["status"], done["payment_status"]) == ("complete", "paid")
        assert done["payment_intent"].startswith("pi_") and "url" not in done
        assert (
            f'wait_for_event {{"type": "checkout.session.completed", "object_id": "{session["id"]}"}}'
            in (done["next_step"])
        )

        lines = payload(
            await client.call_tool("list_checkout_session_line_items", {"session": session["id"]})
        )
        by_price = {line["price"]: line for line in lines["data"]}
        assert by_price[price]["quantity"] == 2 and by_price[price]["amount_total"] == 5000
        assert (
            by_price[price]["amount_total_display"] == "$50.00"
            and by_price[price]["description"] == "Pro plan"
        )
        assert [line["description"] for line in lines["data"] if line["price"] != price] == ["Gift wrap"]

        found = payload(
            await client.call_tool("list_checkout_sessions", {"payment_intent": done["payment_intent"]})
        )
        assert [s["id"] for s in found["data"]] == [session["id"]]
    [intent] = sandbox.objects(sandbox_key, "payment_intent")
    assert (intent["status"], intent["amount"]) == ("succeeded", 5499)


async def test_declined_card_leaves_session_open(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        _, price = await catalog(client)
        session = await payment_session(client, price)
        response = await pay(session["url"], "4000000000000002")
        assert response.status_code != 303 and "declined" in response.text
        after = payload(await client.call_tool("retrieve_checkout_session", {"session": session["id"]}))
        assert (after["status"], after["payment_status"]) == ("open", "unpaid")
        assert after["next_step"] == "Send the customer to url."


async def test_expire_open_session(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        _, price = await catalog(client)
        session = await payment_session(client, price)
        gone = payload(await client.call_tool("expire_checkout_session", {"session": session["id"]}))
        assert gone["status"] == "expired" and "url" not in gone
        assert gone["next_step"] == "Create a new session."
        listed = payload(await client.call_tool("list_checkout_sessions", {"status": "expired"}))
        assert [s["id"] for s in listed["data"]] == [session["id"]]
        assert payload(await client.call_tool("list_checkout_sessions", {"status": "open"}))["data"] == []
        # A new key: the same call repeated at once would be an agent's retry, answered with the first result.
        twice = {"session": session["id"], "idempotency_key": "expire-again"}
        again = error_text(await client.call_tool("expire_checkout_session", twice))
        assert "status of `expired`" in again
        assert (await pay(session["url"], "4242424242424242")).status_code == 409


async def test_setup_session_saves_a_card(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        customer = payload(await client.call_tool("create_customer", {"email": "jane@example.com"}))
        session = payload(
            await client.call_tool(
                "create_checkout_session",
                {"mode": "setup", "currency": "usd", "customer": customer["id"], "success_url": SUCCESS},
            )
        )
        assert session["mode"] == "setup" and session["status"] == "open" and session["url"]
        assert "amount_total" not in session
        assert (await pay(session["url"], "4242424242424242")).status_code == 303
        done = payload(await client.call_tool("retrieve_checkout_session", {"session": session["id"]}))
        assert (done["status"], done["payment_status"]) == ("complete", "no_payment_required")
        assert done["setup_intent"].startswith("seti_") and done["customer"] == customer["id"]
        assert "Payment method saved" in done["next_step"]


async def test_embedded_session_returns_client_secret(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        product, _ = await catalog(client)
        monthly = payload(
            await client.call_tool(
                "create_price",
                {
                    "product": product,
                    "unit_amount": 900,
                    "currency": "usd",
                    "recurring": {"interval": "month"},
                },
            )
        )
        session = payload(
            await client.call_tool(
                "create_checkout_session",
                {"mode": "subscription", "ui_mode": "embedded_page", "customer_email": "jane@example.com",
                 "return_url": "https://example.com/return?session_id={CHECKOUT_SESSION_ID}",
                 "line_items": [{"price": monthly["id"]}]},
            )
        )  # fmt: skip
        assert session["ui_mode"] == "embedded_page" and "url" not in session
        assert session["client_secret"].startswith(session["id"])
        assert "client only" in session["next_step"]


async def test_subscription_with_one_time_price_is_refused_by_stripe(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        _, price = await catalog(client)
        message = error_text(
            await client.call_tool(
                "create_checkout_session",
                {"mode": "subscription", "success_url": SUCCESS, "line_items": [{"price": price}]},
            )
        )
        assert "recurring price" in message and "param=line_items" in message


async def test_client_secret_only_from_create(fake: RecordingStripe, connect: Connect) -> None:
    embedded = {**SESSION, "ui_mode": "embedded_page", "url": None, "client_secret": "cs_test_1_secret_x"}
    fake.on("POST", "/v1/checkout/sessions", embedded)
    fake.on("GET", "/v1/checkout/sessions/cs_test_1", embedded)
    fake.on("GET", "/v1/checkout/sessions", {"object": "list", "data": [embedded], "has_more": False})
    async with connect() as client:
        created = payload(
            await client.call_tool(
                "create_checkout_session",
                {"mode": "payment", "ui_mode": "embedded_page", "return_url": "https://example.com/back",
                 "line_items": [{"price": "price_1"}]},
            )
        )  # fmt: skip
        read = payload(await client.call_tool("retrieve_checkout_session", {"session": "cs_test_1"}))
        listed = payload(await client.call_tool("list_checkout_sessions", {}))
    assert created["client_secret"] == "cs_test_1_secret_x" and "never log" in created["next_step"]
    assert "client_secret" not in read and "client_secret" not in listed["data"][0]
    assert "client_secret returned when the session was created" in read["next_step"]
