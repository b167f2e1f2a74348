"""Refunds through the MCP protocol: the refundable remainder is checked before anything is sent."""

from __future__ import annotations

from typing import Any

from .conftest import Connect, error_text, payload, understood
from .fakes import RecordingStripe


def charge(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "ch_1",
        "object": "charge",
        "amount": 2000,
        "amount_captured": 2000,
        "amount_refunded": 500,
        "captured": True,
        "currency": "usd",
        "status": "succeeded",
        "payment_intent": "pi_1",
    }
    return {**base, **changes}


def paid_intent(**charge_changes: Any) -> dict[str, Any]:
    return {
        "id": "pi_1",
        "object": "payment_intent",
        "amount": 2000,
        "currency": "usd",
        "status": "succeeded",
        "latest_charge": charge(**charge_changes),
    }


def refund(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "re_1",
        "object": "refund",
        "amount": 500,
        "currency": "usd",
        "status": "succeeded",
        "payment_intent": "pi_1",
        "charge": "ch_1",
        "reason": "requested_by_customer",
        "metadata": {},
        "created": 1700000000,
    }
    return {**base, **changes}


async def test_partial_refund_checks_then_sends_exact_form(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        fake.on("GET", "/v1/payment_intents/pi_1", paid_intent())
        fake.on("POST", "/v1/refunds", refund(metadata={"ticket": "7"}))
        result = payload(
            await client.call_tool(
                "create_refund",
                {
                    "payment_intent": "pi_1",
                    "amount": 500,
                    "reason": "requested_by_customer",
                    "metadata": {"ticket": "7"},
                    "idempotency_key": "r-1",
                },
            )
        )
        check, post = fake.requests
        assert (check.method, check.path) == ("GET", "/v1/payment_intents/pi_1")
        assert check.form == [("expand[0]", "latest_charge")]
        assert (post.method, post.path) == ("POST", "/v1/refunds")
        assert post.form == [
            ("payment_intent", "pi_1"),
            ("amount", "500"),
            ("reason", "requested_by_customer"),
            ("metadata[ticket]", "7"),
        ]
        assert post.headers["Idempotency-Key"] == "r-1"
        assert result["amount_display"] == "$5.00"
        assert result["remaining_refundable"] == 1000 and result["remaining_refundable_display"] == "$10.00"


async def test_refund_by_charge(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        fake.on("GET", "/v1/charges/ch_1", charge(amount_refunded=0))
        fake.on("POST", "/v1/refunds", refund(amount=2000))
        result = payload(await client.call_tool("create_refund", {"charge": "ch_1"}))
        check, post = fake.requests
        assert (check.method, check.path, check.form) == ("GET", "/v1/charges/ch_1", [])
        assert post.form == [("charge", "ch_1")]
        assert result["amount_display"] == "$20.00" and result["remaining_refundable"] == 0


async def test_too_large_refund_is_refused_after_only_a_read(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        fake.on("GET", "/v1/payment_intents/pi_1", paid_intent())
        message = error_text(
            await client.call_tool("create_refund", {"payment_intent": "pi_1", "amount": 1600})
        )
        assert "Invalid `amount`" in message and "$16.00" in message and "$10.00" not in message
        assert "$15.00" in message and "omit amount" in message
        assert [r.method for r in fake.requests] == ["GET"]


async def test_nothing_left_to_refund(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        fake.on("GET", "/v1/payment_intents/pi_1", paid_intent(amount_refunded=2000, refunded=True))
        message = error_text(await client.call_tool("create_refund", {"payment_intent": "pi_1", "amount": 1}))
        assert "Invalid `amount`" in message and "nothing left to refund" in message and "$0.00" in message
        message = error_text(await client.call_tool("create_refund", {"payment_intent": "pi_1"}))
        assert "Invalid `payment_intent`" in message and "nothing left to refund" in message
        assert [r.method for r in fake.requests] == ["GET", "GET"]


async def test_partial_capture_counts_only_what_was_captured(fake: RecordingStripe, connect: Connect) -> None:
    """After capturing $30 of $50, Stripe reports the released $20 in amount_refunded."""
    async with connect() as client:
        fake.on(
            "GET",
            "/v1/payment_intents/pi_1",
            paid_intent(amount=5000, amount_captured=3000, amount_refunded=2000),
        )
        message = error_text(
            await client.call_tool("create_refund", {"payment_intent": "pi_1", "amount": 3001})
        )
        assert "$30.00" in message
        assert [r.method for r in fake.requests] == ["GET"]


async def test_uncaptured_or_unpaid_intent_is_refused(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        fake.on(
            "GET", "/v1/payment_intents/pi_h", {**paid_intent(), "id": "pi_h", "status": "requires_capture"}
        )
        fake.on(
            "GET",
            "/v1/payment_intents/pi_n",
            {**paid_intent(), "id": "pi_n", "status": "requires_payment_method", "latest_charge": None},
        )
        held = error_text(await client.call_tool("create_refund", {"payment_intent": "pi_h"}))
        assert "not captured" in held and "cancel_payment_intent" in held
        unpaid = error_text(await client.call_tool("create_refund", {"payment_intent": "pi_n"}))
        assert "no successful payment" in unpaid and "requires_payment_method" in unpaid
        assert [r.method for r in fake.requests] == ["GET", "GET"]


async def test_bad_input_sends_nothing(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        cases: list[tuple[dict[str, Any], str]] = [
            ({}, "exactly one of payment_intent or charge"),
            ({"payment_intent": "pi_1", "charge": "ch_1"}, "exactly one of payment_intent or charge"),
            ({"payment_intent": "pi_1", "amount": 0}, "`amount`"),
            ({"payment_intent": "pi_1", "reason": "changed_mind"}, "`reason`"),
            ({"charge": "pi_1"}, "`charge`"),
        ]
        for arguments, expected in cases:
            assert expected in error_text(await client.call_tool("create_refund", arguments)), arguments
        assert fake.requests == []


async def test_retrieve_list_cancel(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        fake.on("GET", "/v1/refunds/re_1", refund(status="pending"))
        fake.on(
            "GET", "/v1/refunds", {"object": "list", "data": [refund(id="re_2"), refund()], "has_more": True}
        )
        fake.on("POST", "/v1/refunds/re_1/cancel", refund(status="canceled"))
        got = payload(await client.call_tool("retrieve_refund", {"refund": "re_1"}))
        page = payload(
            await client.call_tool(
                "list_refunds",
                {"payment_intent": "pi_1", "charge": "ch_1", "limit": 2, "starting_after": "re_3"},
            )
        )
        canceled = payload(
            await client.call_tool("cancel_refund", {"refund": "re_1", "idempotency_key": "rc-1"})
        )
        get, listing, cancel = fake.requests
        assert (get.method, get.path, get.form) == ("GET", "/v1/refunds/re_1", [])
        assert listing.form == [
            ("payment_intent", "pi_1"),
            ("charge", "ch_1"),
            ("limit", "2"),
            ("starting_after", "re_3"),
        ]
        assert (cancel.method, cancel.path, cancel.form) == ("POST", "/v1/refunds/re_1/cancel", [])
        assert cancel.headers["Idempotency-Key"] == "rc-1"
        assert (
            'retrieve_refund {"refund": "re_1"} later' in got["next_step"]
            and "remaining_refundable" not in got
        )
        assert [r["id"] for r in page["data"]] == ["re_2", "re_1"] and page["next_starting_after"] == "re_1"
        assert canceled["status"] == "canceled"


async def test_daily_refund_limit_refuses_before_sending(fake: RecordingStripe, connect: Connect) -> None:
    async with connect(max_daily_refunds="usd:1000") as client:
        fake.on("GET", "/v1/payment_intents/pi_1", paid_intent())
        fake.on("POST", "/v1/refunds", refund(amount=800))
        payload(await client.call_tool("create_refund", {"payment_intent": "pi_1", "amount": 800}))
        message = error_text(
            await client.call_tool("create_refund", {"payment_intent": "pi_1", "amount": 300})
        )
        assert "spending-limit" in message and "$2.00 left today" in message
        assert [r.method for r in fake.requests] == ["GET", "POST", "GET"]


async def test_confirmation_preview_states_amount_and_remainder(
    fake: RecordingStripe, connect: Connect
) -> None:
    async with connect(confirm_writes=True) as client:
        fake.on("GET", "/v1/payment_intents/pi_1", paid_intent())
        held = error_text(await client.call_tool("create_refund", {"payment_intent": "pi_1", "amount": 700}))
        assert "Refund $7.00 of $15.00 refundable on pi_1" in held and "confirmation_token" in held
        assert [r.method for r in fake.requests] == ["GET"]


async def test_annotations(connect: Connect) -> None:
    async with connect() as client:
        tools = {t.name: understood(t) for t in (await client.list_tools()).tools}
    create, cancel = tools["create_refund"], tools["cancel_refund"]
    assert create.destructive_hint is True and create.idempotent_hint is False
    assert cancel.destructive_hint is True
    assert tools["list_refunds"].read_only_hint is True


# -- end to end against the sandbox -------------------------------------------------------------


async def test_sandbox_partial_refund_then_the_rest_then_refused(
    connect_sandbox: Connect, sandbox: Any, sandbox_key: str
) -> None:
    async with connect_sandbox() as client:
        paid = payload(
            await client.call_tool(
                "create_payment_intent",
                {"amount": 5000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True},
            )
        )
        first = payload(
            await client.call_tool(
                "create_refund",
                {"payment_intent": paid["id"], "amount": 1500, "reason": "requested_by_customer"},
            )
        )
        assert first["status"] == "succeeded" and first["amount_display"] == "$15.00"
        assert first["remaining_refundable"] == 3500 and first["remaining_refundable_display"] == "$35.00"

        too_much = error_text(
            await client.call_tool("create_refund", {"payment_intent": paid["id"], "amount": 3600})
        )
        assert "`amount`" in too_much and "$35.00" in too_much

        rest = payload(await client.call_tool("create_refund", {"payment_intent": paid["id"]}))
        assert rest["amount"] == 3500 and rest["remaining_refundable"] == 0
        assert rest["remaining_refundable_display"] == "$0.00"

        before = len(sandbox.request_log(sandbox_key))
        refused = error_text(
            await client.call_tool("create_refund", {"payment_intent": paid["id"], "amount": 100})
        )
        assert "nothing left to refund" in refused and "$0.00" in refused
        tail = sandbox.request_log(sandbox_key)[before:]
        assert [(r.method, r.path) for r in tail] == [("GET", f"/v1/payment_intents/{paid['id']}")]

        listed = payload(await client.call_tool("list_refunds", {"payment_intent": paid["id"]}))
        assert [r["id"] for r in listed["data"]] == [rest["id"], first["id"]]
        got = payload(await client.call_tool("retrieve_refund", {"refund": first["id"]}))
        assert got["reason"] == "requested_by_customer"
    refunds = sandbox.objects(sandbox_key, "refund")
    assert sorted(r["amount"] for r in refunds) == [1500, 3500]
    posts = [r for r in sandbox.request_log(sandbox_key) if (r.method, r.path) == ("POST", "/v1/refunds")]
    assert len(posts) == 2


async def test_sandbox_refund_after_partial_capture(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        held = payload(
            await client.call_tool(
                "create_payment_intent",
                {"amount": 5000, "currency": "usd", "capture_method": "manual", "payment_method": "pm_card_visa",
                 "confirm": True},
            )
        )  # fmt: skip
        payload(
            await client.call_tool(
                "capture_payment_intent", {"payment_intent": held["id"], "amount_to_capture": 3000}
            )
        )
        refused = error_text(
            await client.call_tool("create_refund", {"payment_intent": held["id"], "amount": 3001})
        )
        assert "$30.00" in refused
        whole = payload(await client.call_tool("create_refund", {"payment_intent": held["id"]}))
        assert whole["amount"] == 3000 and whole["remaining_refundable"] == 0


async def test_sandbox_cancel_refund_is_reported(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        paid = payload(
            await client.call_tool(
                "create_payment_intent",
                {"amount": 1000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True},
            )
        )
        done = payload(await client.call_tool("create_refund", {"payment_intent": paid["id"]}))
        message = error_text(await client.call_tool("cancel_refund", {"refund": done["id"]}))
        assert "requires_action" in message


async def test_sandbox_repeated_refund_is_a_replay_and_the_remainder_stays_right(
    connect_sandbox: Connect, sandbox: Any, sandbox_key: str
) -> None:
    async with connect_sandbox() as client:
        paid = payload(
            await client.call_tool(
                "create_payment_intent",
                {"amount": 5000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True},
            )
        )
        arguments = {"payment_intent": paid["id"], "amount": 1000}
        first = payload(await client.call_tool("create_refund", arguments))
        again = payload(await client.call_tool("create_refund", arguments))
        assert again["id"] == first["id"] and again["replayed"] is True
        assert first["remaining_refundable"] == again["remaining_refundable"] == 4000
    assert len(sandbox.objects(sandbox_key, "refund")) == 1


async def test_refund_preview_names_the_customer(fake: RecordingStripe, connect: Connect) -> None:
    customer = {"id": "cus_1", "object": "customer", "email": "jane@example.com"}
    fake.on("GET", "/v1/payment_intents/pi_1", paid_intent(customer=customer))
    fake.on("GET", "/v1/charges/ch_1", charge(customer="cus_2", receipt_email="joe@example.com"))
    async with connect(confirm_writes=True) as client:
        by_intent = error_text(
            await client.call_tool("create_refund", {"payment_intent": "pi_1", "amount": 700})
        )
        by_charge = error_text(await client.call_tool("create_refund", {"charge": "ch_1"}))
    assert "Refund $7.00 of $15.00 refundable on pi_1, customer jane@example.com (cus_1)" in by_intent
    assert "Refund $15.00 of $15.00 refundable on ch_1, customer joe@example.com (cus_2)" in by_charge
    assert [(r.method, r.form) for r in fake.requests] == [
        ("GET", [("expand[0]", "latest_charge.customer")]),
        ("GET", [("expand[0]", "customer")]),
    ]


async def test_sandbox_refund_preview_names_the_customer(
    connect_sandbox: Connect, sandbox: Any, sandbox_key: str
) -> None:
    async with connect_sandbox() as client:
        customer = payload(await client.call_tool("create_customer", {"email": "jane@example.com"}))
        paid = payload(
            await client.call_tool(
                "create_payment_intent",
                {
                    "amount": 8000,
                    "currency": "usd",
                    "customer": customer["id"],
                    "payment_method": "pm_card_visa",
                    "confirm": True,
                },
            )
        )
    async with connect_sandbox(confirm_writes=True) as client:
        held = error_text(
            await client.call_tool("create_refund", {"payment_intent": paid["id"], "amount": 2500})
        )
    assert (
        f"Refund $25.00 of $80.00 refundable on {paid['id']}, customer jane@example.com ({customer['id']})"
        in held
    )
    assert sandbox.objects(sandbox_key, "refund") == []
