"""Setup Intents and saved payment methods through the MCP protocol: exact requests, then sandbox flows."""

from __future__ import annotations

import json
from typing import Any

from .conftest import Connect, error_text, payload, understood
from .fakes import RecordingStripe


def setup(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "seti_1",
        "object": "setup_intent",
        "status": "requires_payment_method",
        "client_secret": "seti_1_secret_abc",
        "customer": "cus_1",
        "payment_method": None,
        "usage": "off_session",
        "last_setup_error": None,
        "next_action": None,
        "metadata": {},
        "created": 1700000000,
    }
    return {**base, **changes}


CARD = {
    "id": "pm_1",
    "object": "payment_method",
    "type": "card",
    "customer": "cus_1",
    "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2029, "funding": "credit"},
}


async def test_create_without_method_is_for_the_client(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        fake.on("POST", "/v1/setup_intents", setup(metadata={"plan": "pro"}))
        result = payload(
            await client.call_tool(
                "create_setup_intent",
                {
                    "customer": "cus_1",
                    "usage": "off_session",
                    "metadata": {"plan": "pro"},
                    "idempotency_key": "s-1",
                },
            )
        )
        sent = fake.only()
        assert (sent.method, sent.path) == ("POST", "/v1/setup_intents")
        assert sent.form == [
            ("customer", "cus_1"),
            ("usage", "off_session"),
            ("metadata[plan]", "pro"),
            ("automatic_payment_methods[enabled]", "true"),
        ]
        assert sent.headers["Idempotency-Key"] == "s-1"
        assert result["client_secret"] == "seti_1_secret_abc"
        assert "Payment Element" in result["next_step"] and "never log it" in result["next_step"]


async def test_create_and_confirm_with_a_test_method(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        fake.on("POST", "/v1/setup_intents", setup(status="succeeded", payment_method="pm_1"))
        result = payload(
            await client.call_tool(
                "create_setup_intent",
                {"customer": "cus_1", "payment_method": "pm_card_visa", "confirm": True},
            )
        )
        assert fake.only().form == [
            ("customer", "cus_1"),
            ("payment_method", "pm_card_visa"),
            ("automatic_payment_methods[enabled]", "true"),
            ("automatic_payment_methods[allow_redirects]", "never"),
            ("confirm", "true"),
        ]
        assert "client_secret" not in result
        assert (
            'create_payment_intent {"amount": 2000, "currency": "usd", "customer": "cus_1", '
            '"payment_method": "pm_1", "confirm": true, "off_session": true}' in result["next_step"]
        )


async def test_confirm_cancel_detach_send_exact_forms(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        fake.on("POST", "/v1/setup_intents/seti_1/confirm", setup(status="succeeded", payment_method="pm_1"))
        fake.on("POST", "/v1/setup_intents/seti_1/cancel", setup(status="canceled"))
        fake.on("POST", "/v1/payment_methods/pm_1/detach", {**CARD, "customer": None})
        payload(
            await client.call_tool(
                "confirm_setup_intent",
                {
                    "setup_intent": "seti_1",
                    "payment_method": "pm_card_visa",
                    "return_url": "https://ex.com/saved",
                    "idempotency_key": "sc-1",
                },
            )
        )
        canceled = payload(
            await client.call_tool(
                "cancel_setup_intent", {"setup_intent": "seti_1", "idempotency_key": "sx-1"}
            )
        )
        detached = payload(await client.call_tool("detach_payment_method", {"payment_method": "pm_1"}))
        confirm, cancel, detach = fake.requests
        assert (confirm.method, confirm.path) == ("POST", "/v1/setup_intents/seti_1/confirm")
        assert confirm.form == [("payment_method", "pm_card_visa"), ("return_url", "https://ex.com/saved")]
        assert confirm.headers["Idempotency-Key"] == "sc-1"
        assert (cancel.method, cancel.path, cancel.form) == ("POST", "/v1/setup_intents/seti_1/cancel", [])
        assert cancel.headers["Idempotency-Key"] == "sx-1"
        assert (detach.method, detach.path, detach.form) == ("POST", "/v1/payment_methods/pm_1/detach", [])
        assert detach.headers["Idempotency-Key"].startswith("stripe-power-")
        assert canceled["status"] == "canceled" and "next_step" not in canceled
        assert detached == {
            "id": "pm_1",
            "type": "card",
            "brand": "visa",
            "last4": "4242",
            "exp_month": 12,
            "exp_year": 2029,
        }


async def test_lists_send_exact_queries(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        fake.on("GET", "/v1/setup_intents", {"object": "list", "data": [setup()], "has_more": False})
        fake.on(
            "GET", "/v1/customers/cus_1/payment_methods", {"object": "list", "data": [CARD], "has_more": True}
        )
        intents = payload(
            await client.call_tool(
                "list_setup_intents", {"customer": "cus_1", "limit": 5, "starting_after": "seti_0"}
            )
        )
        methods = payload(await client.call_tool("list_payment_methods", {"customer": "cus_1"}))
        setups, pms = fake.requests
        assert (setups.method, setups.path) == ("GET", "/v1/setup_intents")
        assert setups.form == [("customer", "cus_1"), ("limit", "5"), ("starting_after", "seti_0")]
        assert (pms.method, pms.path) == ("GET", "/v1/customers/cus_1/payment_methods")
        assert pms.form == [("type", "card"), ("limit", "10")]
        assert "client_secret" not in intents["data"][0]
        assert methods["data"] == [
            {"id": "pm_1", "type": "card", "brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2029,
             "customer": "cus_1"}
        ]  # fmt: skip
        assert methods["next_starting_after"] == "pm_1"


async def test_refusals_send_nothing(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        cases: list[tuple[str, dict[str, Any], str]] = [
            ("create_setup_intent", {"customer": "cus_1", "confirm": True}, "`payment_method`"),
            ("create_setup_intent", {"usage": "sometimes"}, "`usage`"),
            ("list_payment_methods", {}, "`customer` is required"),
            ("list_payment_methods", {"customer": "cus_1", "type": "Card!"}, "`type`"),
            ("detach_payment_method", {"payment_method": "card_1"}, "`payment_method`"),
            ("confirm_setup_intent", {"setup_intent": "pi_1"}, "`setup_intent`"),
        ]
        for tool, arguments, named in cases:
            assert named in error_text(await client.call_tool(tool, arguments)), (tool, arguments)
        message = error_text(
            await client.call_tool("create_setup_intent", {"payment_method_types": ["card"]})
        )
        assert "payment-method-types" in message
        assert fake.requests == []


async def test_annotations(connect: Connect) -> None:
    async with connect() as client:
        tools = {t.name: understood(t) for t in (await client.list_tools()).tools}
    for name in ("cancel_setup_intent", "detach_payment_method"):
        assert tools[name].destructive_hint is True, name
    for name in ("create_setup_intent", "confirm_setup_intent"):
        assert tools[name].destructive_hint is False, name
    assert tools["list_payment_methods"].read_only_hint is True


# -- end to end against the sandbox -------------------------------------------------------------


async def test_sandbox_save_a_card_then_charge_it_off_session(
    connect_sandbox: Connect, sandbox: Any, sandbox_key: str
) -> None:
    async with connect_sandbox() as client:
        customer = payload(await client.call_tool("create_customer", {"email": "saver@example.com"}))["id"]
        started = payload(await client.call_tool("create_setup_intent", {"customer": customer}))
        assert started["status"] == "requires_payment_method" and started["client_secret"]
        saved = payload(
            await client.call_tool(
                "confirm_setup_intent",
                {
                    "setup_intent": started["id"],
                    "payment_method": "pm_card_visa",
                    "return_url": "https://ex.com/r",
                },
            )
        )
        assert saved["status"] == "succeeded" and saved["customer"] == customer
        assert '"off_session": true' in saved["next_step"]

        methods = payload(await client.call_tool("list_payment_methods", {"customer": customer}))
        (card,) = methods["data"]
        assert card["id"] == saved["payment_method"]
        assert (card["brand"], card["last4"]) == ("visa", "4242") and card["exp_year"] > 2025

        charged = payload(
            await client.call_tool(
                "create_payment_intent",
                {
                    "amount": 1999,
                    "currency": "usd",
                    "customer": customer,
                    "payment_method": card["id"],
                    "confirm": True,
                    "off_session": True,
                },
            )
        )
        assert charged["status"] == "succeeded" and charged["amount_received_display"] == "$19.99"
        assert charged["customer"] == customer and charged["payment_method"] == card["id"]

        listed = payload(await client.call_tool("list_setup_intents", {"customer": customer}))
        assert [s["id"] for s in listed["data"]] == [started["id"]]

        detached = payload(await client.call_tool("detach_payment_method", {"payment_method": card["id"]}))
        assert "customer" not in detached
        assert payload(await client.call_tool("list_payment_methods", {"customer": customer}))["data"] == []
    posts = [
        r for r in sandbox.request_log(sandbox_key) if r.method == "POST" and r.path == "/v1/payment_intents"
    ]
    assert posts[0].params["off_session"] == "true" and "automatic_payment_methods" not in posts[0].params


async def test_sandbox_create_and_confirm_in_one_call_then_cancel_another(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        customer = payload(await client.call_tool("create_customer", {"email": "one@example.com"}))["id"]
        saved = payload(
            await client.call_tool(
                "create_setup_intent",
                {"customer": customer, "payment_method": "pm_card_visa", "confirm": True},
            )
        )
        assert saved["status"] == "succeeded" and saved["payment_method"].startswith("pm_")
        other = payload(await client.call_tool("create_setup_intent", {"customer": customer}))
        canceled = payload(await client.call_tool("cancel_setup_intent", {"setup_intent": other["id"]}))
        assert canceled["status"] == "canceled"
        retrieved = payload(await client.call_tool("retrieve_setup_intent", {"setup_intent": other["id"]}))
        assert retrieved["status"] == "canceled" and "client_secret" not in retrieved


async def test_sandbox_off_session_without_saved_method_sends_nothing(
    connect_sandbox: Connect, sandbox: Any, sandbox_key: str
) -> None:
    async with connect_sandbox() as client:
        message = error_text(
            await client.call_tool(
                "create_payment_intent",
                {
                    "amount": 1000,
                    "currency": "usd",
                    "customer": "cus_123",
                    "confirm": True,
                    "off_session": True,
                },
            )
        )
        assert "`payment_method`" in message and "saved payment method" in message
    assert sandbox.request_log(sandbox_key) == []


async def test_detach_preview_names_card_and_customer(fake: RecordingStripe, connect: Connect) -> None:
    customer = {"id": "cus_1", "object": "customer", "email": "jane@example.com"}
    fake.on("GET", "/v1/payment_methods/pm_1", {**CARD, "customer": customer})
    async with connect(confirm_writes=True) as client:
        held = json.loads(
            error_text(await client.call_tool("detach_payment_method", {"payment_method": "pm_1"}))
        )
    assert (
        held["preview"]
        == "Detach visa •••• 4242 (pm_1) from customer jane@example.com (cus_1); it cannot be used again"
    )
    get = fake.only()
    assert (get.method, get.path, get.form) == (
        "GET",
        "/v1/payment_methods/pm_1",
        [("expand[0]", "customer")],
    )
