"""Payment Intents through the MCP protocol: exact requests (recording fake), then real flows (sandbox)."""

from __future__ import annotations

from typing import Any

from .conftest import Connect, error_text, payload, understood
from .fakes import RecordingStripe


def intent(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "pi_1",
        "object": "payment_intent",
        "amount": 2000,
        "amount_capturable": 0,
        "amount_received": 0,
        "currency": "usd",
        "status": "requires_payment_method",
        "capture_method": "automatic_async",
        "client_secret": "pi_1_secret_abc",
        "customer": None,
        "payment_method": None,
        "latest_charge": None,
        "last_payment_error": None,
        "next_action": None,
        "metadata": {},
        "created": 1700000000,
    }
    return {**base, **changes}


# -- exact requests ---------------------------------------------------------------------------


async def test_create_sends_dynamic_payment_methods_and_returns_client_secret(
    fake: RecordingStripe, connect: Connect
) -> None:
    async with connect() as client:
        fake.on("POST", "/v1/payment_intents", intent(customer="cus_1", metadata={"order": "7"}))
        result = payload(
            await client.call_tool(
                "create_payment_intent",
                {
                    "amount": 2000,
                    "currency": "usd",
                    "customer": "cus_1",
                    "description": "Order 7",
                    "metadata": {"order": "7"},
                    "capture_method": "manual",
                    "setup_future_usage": "off_session",
                    "receipt_email": "jane@example.com",
                    "idempotency_key": "pi-k1",
                },
            )
        )
        sent = fake.only()
        assert (sent.method, sent.path) == ("POST", "/v1/payment_intents")
        assert sent.form == [
            ("amount", "2000"),
            ("currency", "usd"),
            ("customer", "cus_1"),
            ("description", "Order 7"),
            ("metadata[order]", "7"),
            ("capture_method", "manual"),
            ("setup_future_usage", "off_session"),
            ("automatic_payment_methods[enabled]", "true"),
            ("receipt_email", "jane@example.com"),
        ]
        assert sent.headers["Idempotency-Key"] == "pi-k1"
        assert result["amount_display"] == "$20.00" and result["client_secret"] == "pi_1_secret_abc"
        assert "client_secret" in result["next_step"] and "never log it" in result["next_step"]


async def test_confirm_on_create_without_return_url_turns_off_redirects(
    fake: RecordingStripe, connect: Connect
) -> None:
    async with connect() as client:
        done = intent(status="succeeded", amount_received=2000, payment_method="pm_9", latest_charge="ch_1")
        fake.on("POST", "/v1/payment_intents", done)
        result = payload(
            await client.call_tool(
                "create_payment_intent",
                {"amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True},
            )
        )
        assert fake.only().form == [
            ("amount", "2000"),
            ("currency", "usd"),
            ("payment_method", "pm_card_visa"),
            ("automatic_payment_methods[enabled]", "true"),
            ("automatic_payment_methods[allow_redirects]", "never"),
            ("confirm", "true"),
        ]
        assert result["status"] == "succeeded" and result["amount_received_display"] == "$20.00"
        assert "client_secret" not in result and "next_step" not in result


async def test_confirm_on_create_with_return_url_or_off_session_sends_no_payment_method_config(
    fake: RecordingStripe, connect: Connect
) -> None:
    async with connect() as client:
        fake.on("POST", "/v1/payment_intents", intent(status="succeeded"))
        base = {"amount": 2000, "currency": "usd", "payment_method": "pm_1", "confirm": True}
        payload(await client.call_tool("create_payment_intent", {**base, "return_url": "https://ex.com/r"}))
        payload(
            await client.call_tool(
                "create_payment_intent", {**base, "customer": "cus_1", "off_session": True}
            )
        )
        with_url, off = fake.requests
        assert with_url.form == [
            ("amount", "2000"),
            ("currency", "usd"),
            ("payment_method", "pm_1"),
            ("confirm", "true"),
            ("return_url", "https://ex.com/r"),
        ]
        assert off.form == [
            ("amount", "2000"),
            ("currency", "usd"),
            ("customer", "cus_1"),
            ("payment_method", "pm_1"),
            ("confirm", "true"),
            ("off_session", "true"),
        ]


async def test_create_refusals_send_nothing(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        base = {"amount": 2000, "currency": "usd"}
        cases = [
            ({**base, "confirm": True, "off_session": True, "payment_method": "pm_1"}, "`customer`"),
            ({**base, "confirm": True, "off_session": True, "customer": "cus_1"}, "`payment_method`"),
            ({**base, "off_session": True, "customer": "cus_1", "payment_method": "pm_1"}, "`off_session`"),
            ({**base, "return_url": "https://ex.com"}, "`return_url`"),
            ({**base, "confirm": True}, "`payment_method`"),
            ({**base, "amount": 10.5}, "`amount`"),
            ({**base, "currency": "USD"}, "`currency`"),
            ({**base, "payment_method": "card_123"}, "`payment_method`"),
        ]
        for arguments, named in cases:
            assert named in error_text(await client.call_tool("create_payment_intent", arguments)), arguments
        message = error_text(
            await client.call_tool("create_payment_intent", {**base, "payment_method_types": ["card"]})
        )
        assert "payment-method-types" in message
        assert fake.requests == []


async def test_off_session_message_says_what_is_missing(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        message = error_text(
            await client.call_tool(
                "create_payment_intent",
                {
                    "amount": 500,
                    "currency": "usd",
                    "confirm": True,
                    "off_session": True,
                    "payment_method": "pm_1",
                },
            )
        )
        assert "off-session charge needs the customer" in message
        assert fake.requests == []


async def test_confirm_capture_cancel_send_exact_forms(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        fake.on("POST", "/v1/payment_intents/pi_1/confirm", intent(status="processing"))
        fake.on(
            "POST",
            "/v1/payment_intents/pi_1/capture",
            intent(status="succeeded", amount=5000, amount_received=3000, capture_method="manual"),
        )
        fake.on(
            "POST",
            "/v1/payment_intents/pi_1/cancel",
            intent(status="canceled", cancellation_reason="requested_by_customer"),
        )
        confirmed = payload(
            await client.call_tool(
                "confirm_payment_intent",
                {
                    "payment_intent": "pi_1",
                    "payment_method": "pm_card_visa",
                    "return_url": "https://ex.com/back",
                    "idempotency_key": "c-1",
                },
            )
        )
        captured = payload(
            await client.call_tool(
                "capture_payment_intent",
                {"payment_intent": "pi_1", "amount_to_capture": 3000, "idempotency_key": "cap-1"},
            )
        )
        canceled = payload(
            await client.call_tool(
                "cancel_payment_intent",
                {"payment_intent": "pi_1", "cancellation_reason": "requested_by_customer"},
            )
        )
        confirm, capture, cancel = fake.requests
        assert (confirm.method, confirm.path) == ("POST", "/v1/payment_intents/pi_1/confirm")
        assert confirm.form == [("payment_method", "pm_card_visa"), ("return_url", "https://ex.com/back")]
        assert confirm.headers["Idempotency-Key"] == "c-1"
        assert capture.path == "/v1/payment_intents/pi_1/capture"
        assert capture.form == [("amount_to_capture", "3000")]
        assert capture.headers["Idempotency-Key"] == "cap-1"
        assert cancel.path == "/v1/payment_intents/pi_1/cancel"
        assert cancel.form == [("cancellation_reason", "requested_by_customer")]
        assert cancel.headers["Idempotency-Key"].startswith("stripe-power-")
        assert 'retrieve_payment_intent {"payment_intent": "pi_1"} later' in confirmed["next_step"]
        assert captured["amount_received_display"] == "$30.00" and captured["amount_display"] == "$50.00"
        assert canceled["status"] == "canceled" and canceled["cancellation_reason"] == "requested_by_customer"


async def test_confirm_off_session_checks_the_intent_first(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        fake.on("GET", "/v1/payment_intents/pi_1", intent(payment_method="pm_9"))
        message = error_text(
            await client.call_tool("confirm_payment_intent", {"payment_intent": "pi_1", "off_session": True})
        )
        assert "`customer`" in message and "pi_1 has none" in message
        assert [(r.method, r.path) for r in fake.requests] == [("GET", "/v1/payment_intents/pi_1")]

        fake.requests.clear()
        fake.on("GET", "/v1/payment_intents/pi_1", intent(customer="cus_1", payment_method="pm_9"))
        fake.on("POST", "/v1/payment_intents/pi_1/confirm", intent(status="succeeded", amount_received=2000))
        payload(
            await client.call_tool("confirm_payment_intent", {"payment_intent": "pi_1", "off_session": True})
        )
        get, post = fake.requests
        assert get.method == "GET" and post.path == "/v1/payment_intents/pi_1/confirm"
        assert post.form == [("off_session", "true")]


async def test_list_sends_created_range_and_pages(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        body = {"object": "list", "data": [intent(id="pi_3"), intent(id="pi_2")], "has_more": True}
        fake.on("GET", "/v1/payment_intents", body)
        page = payload(
            await client.call_tool(
                "list_payment_intents",
                {
                    "customer": "cus_1",
                    "created": {"gte": 1700000000, "lte": 1800000000},
                    "limit": 2,
                    "starting_after": "pi_4",
                },
            )
        )
        sent = fake.only()
        assert (sent.method, sent.path) == ("GET", "/v1/payment_intents")
        assert sent.form == [
            ("customer", "cus_1"),
            ("created[gte]", "1700000000"),
            ("created[lte]", "1800000000"),
            ("limit", "2"),
            ("starting_after", "pi_4"),
            ("expand[0]", "data.latest_charge"),
        ]
        assert [p["id"] for p in page["data"]] == ["pi_3", "pi_2"]
        assert page["has_more"] is True and page["next_starting_after"] == "pi_2"
        assert all("client_secret" not in p for p in page["data"])


async def test_results_say_what_to_do_next(fake: RecordingStripe, connect: Connect) -> None:
    declined = intent(
        last_payment_error={
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "insufficient_funds",
        }
    )
    action = intent(
        status="requires_action",
        next_action={"type": "redirect_to_url", "redirect_to_url": {"url": "https://hooks.example/3ds"}},
    )
    held = intent(status="requires_capture", amount_capturable=2000, capture_method="manual")
    async with connect() as client:
        results = {}
        for name, obj in {"pi_d": declined, "pi_a": action, "pi_h": held}.items():
            fake.on("GET", f"/v1/payment_intents/{name}", {**obj, "id": name})
            results[name] = payload(
                await client.call_tool("retrieve_payment_intent", {"payment_intent": name})
            )
        assert results["pi_d"]["last_payment_error"].startswith(
            "insufficient_funds: the card has insufficient funds"
        )
        assert (
            'Retry with another payment method: confirm_payment_intent {"payment_intent": "pi_d", '
            '"payment_method": "pm_..."}' in results["pi_d"]["next_step"]
        )
        assert "stripe.handleNextAction" in results["pi_a"]["next_step"]
        assert results["pi_a"]["next_action_url"] == "https://hooks.example/3ds"
        assert "client_secret" not in results["pi_a"]
        assert results["pi_h"]["amount_capturable_display"] == "$20.00"
        assert "within 7 days" in results["pi_h"]["next_step"] and "$20.00" in results["pi_h"]["next_step"]
        assert [r.form for r in fake.requests] == [[("expand[0]", "latest_charge")]] * 3


async def test_max_amount_refuses_before_sending(fake: RecordingStripe, connect: Connect) -> None:
    async with connect(max_amount="usd:1000") as client:
        message = error_text(
            await client.call_tool("create_payment_intent", {"amount": 2000, "currency": "usd"})
        )
        assert "spending-limit" in message and "$20.00" in message
        assert fake.requests == []


async def test_money_tools_are_annotated_destructive(connect: Connect) -> None:
    async with connect() as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    for name in (
        "create_payment_intent",
        "confirm_payment_intent",
        "capture_payment_intent",
        "cancel_payment_intent",
    ):
        hints = understood(tools[name])
        assert hints.destructive_hint is True, name
        assert hints.read_only_hint is False, name
    for name in ("confirm_payment_intent", "capture_payment_intent", "create_payment_intent"):
        assert understood(tools[name]).idempotent_hint is False, name
    assert understood(tools["list_payment_intents"]).read_only_hint is True


async def test_confirmation_preview_states_the_charge(fake: RecordingStripe, connect: Connect) -> None:
    async with connect(confirm_writes=True) as client:
        fake.on("GET", "/v1/payment_intents/pi_1", intent(status="requires_capture", amount_capturable=2000))
        held = error_text(
            await client.call_tool(
                "capture_payment_intent", {"payment_intent": "pi_1", "amount_to_capture": 1500}
            )
        )
        assert "Capture $15.00 of $20.00 authorized on pi_1" in held
        assert [r.method for r in fake.requests] == ["GET"]
        # An unconfirmed PaymentIntent moves no money: no confirmation needed.
        fake.on("POST", "/v1/payment_intents", intent())
        payload(await client.call_tool("create_payment_intent", {"amount": 2000, "currency": "usd"}))


# -- end to end against the sandbox -------------------------------------------------------------


async def test_sandbox_pay_with_visa(connect_sandbox: Connect, sandbox: Any, sandbox_key: str) -> None:
    async with connect_sandbox() as client:
        paid = payload(
            await client.call_tool(
                "create_payment_intent",
                {"amount": 2999, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True},
            )
        )
        assert paid["status"] == "succeeded" and paid["amount_received_display"] == "$29.99"
        assert paid["latest_charge"].startswith("ch_") and "next_step" not in paid
        again = payload(await client.call_tool("retrieve_payment_intent", {"payment_intent": paid["id"]}))
        assert again["status"] == "succeeded"
    (stored,) = sandbox.objects(sandbox_key, "payment_intent")
    assert stored["status"] == "succeeded" and stored["amount_received"] == 2999


async def test_sandbox_decline_carries_the_decline_code(
    connect_sandbox: Connect, sandbox: Any, sandbox_key: str
) -> None:
    async with connect_sandbox() as client:
        message = error_text(
            await client.call_tool(
                "create_payment_intent",
                {
                    "amount": 2999,
                    "currency": "usd",
                    "payment_method": "pm_card_chargeDeclinedInsufficientFunds",
                    "confirm": True,
                },
            )
        )
        assert "insufficient_funds" in message and "Meaning: the card has insufficient funds" in message
        (stored,) = sandbox.objects(sandbox_key, "payment_intent")
        assert f"intent={stored['id']}" in message  # the declined intent, to retry with another card
        after = payload(await client.call_tool("retrieve_payment_intent", {"payment_intent": stored["id"]}))
        assert after["status"] == "requires_payment_method"
        assert after["last_payment_error"].startswith("insufficient_funds:")
        assert "Payment failed (insufficient_funds" in after["next_step"]


async def test_sandbox_authentication_required(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        pending = payload(
            await client.call_tool(
                "create_payment_intent",
                {
                    "amount": 4200,
                    "currency": "eur",
                    "payment_method": "pm_card_authenticationRequired",
                    "confirm": True,
                },
            )
        )
        assert pending["status"] == "requires_action"
        assert pending["client_secret"].startswith(pending["id"] + "_secret_")
        assert "must authenticate" in pending["next_step"] and "handleNextAction" in pending["next_step"]
        assert pending["amount_display"] == "€42.00"
        again = payload(await client.call_tool("retrieve_payment_intent", {"payment_intent": pending["id"]}))
        assert again["status"] == "requires_action" and "client_secret" not in again


async def test_sandbox_manual_capture_of_part(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        held = payload(
            await client.call_tool(
                "create_payment_intent",
                {
                    "amount": 5000,
                    "currency": "usd",
                    "capture_method": "manual",
                    "payment_method": "pm_card_visa",
                    "confirm": True,
                },
            )
        )
        assert held["status"] == "requires_capture" and held["amount_capturable"] == 5000
        assert (
            f'capture it within 7 days (capture_payment_intent {{"payment_intent": "{held["id"]}"}})'
            in held["next_step"]
        )
        captured = payload(
            await client.call_tool(
                "capture_payment_intent", {"payment_intent": held["id"], "amount_to_capture": 3000}
            )
        )
        assert captured["status"] == "succeeded"
        assert captured["amount_received"] == 3000 and captured["amount_received_display"] == "$30.00"


async def test_sandbox_cancel(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        created = payload(
            await client.call_tool("create_payment_intent", {"amount": 1500, "currency": "usd"})
        )
        assert created["status"] == "requires_payment_method" and created["client_secret"]
        canceled = payload(
            await client.call_tool(
                "cancel_payment_intent", {"payment_intent": created["id"], "cancellation_reason": "abandoned"}
            )
        )
        assert canceled["status"] == "canceled" and canceled["cancellation_reason"] == "abandoned"
        message = error_text(
            await client.call_tool(
                "confirm_payment_intent", {"payment_intent": created["id"], "payment_method": "pm_card_visa"}
            )
        )
        assert "canceled" in message


async def test_sandbox_list_pages_across_pages(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        customer = payload(await client.call_tool("create_customer", {"email": "pager@example.com"}))["id"]
        made = []
        for amount in (1000, 2000, 3000):
            created = await client.call_tool(
                "create_payment_intent", {"amount": amount, "currency": "usd", "customer": customer}
            )
            made.append(payload(created)["id"])
        payload(await client.call_tool("create_payment_intent", {"amount": 999, "currency": "usd"}))
        first = payload(await client.call_tool("list_payment_intents", {"customer": customer, "limit": 2}))
        assert first["has_more"] is True and len(first["data"]) == 2
        second = payload(
            await client.call_tool(
                "list_payment_intents",
                {"customer": customer, "limit": 2, "starting_after": first["next_starting_after"]},
            )
        )
        assert second["has_more"] is False and "next_starting_after" not in second
        seen = [p["id"] for p in first["data"] + second["data"]]
        assert seen == list(reversed(made))


async def test_spending_limits_read_the_intent_before_confirm_or_capture(
    fake: RecordingStripe, connect: Connect
) -> None:
    fake.on("GET", "/v1/payment_intents/pi_1", intent(status="requires_capture", amount_capturable=2000))
    fake.on("POST", "/v1/payment_intents/pi_1/capture", intent(status="succeeded", amount_received=500))
    async with connect(max_amount="usd:1000") as client:
        confirm = error_text(await client.call_tool("confirm_payment_intent", {"payment_intent": "pi_1"}))
        capture = error_text(await client.call_tool("capture_payment_intent", {"payment_intent": "pi_1"}))
        assert [(r.method, r.path) for r in fake.requests] == [("GET", "/v1/payment_intents/pi_1")] * 2
        partial = {"payment_intent": "pi_1", "amount_to_capture": 500}
        captured = payload(await client.call_tool("capture_payment_intent", partial))
    assert "spending-limit" in confirm and "$20.00" in confirm
    assert "spending-limit" in capture and "`amount_to_capture` $20.00" in capture
    assert captured["status"] == "succeeded"
    assert [(r.method, r.form) for r in fake.requests[2:]] == [
        ("GET", []),
        ("POST", [("amount_to_capture", "500")]),
    ]
