"""`pay_checkout_session` (issue 14, item 9): in sandbox mode, pay a Checkout Session on its hosted
page as the customer would, with a chosen test card; never listed against Stripe."""

from __future__ import annotations

from typing import Any

from .conftest import Connect, error_text, payload

PAGE = "https://example.com/ok?session_id={CHECKOUT_SESSION_ID}"
TEE = {
    "price_data": {"currency": "usd", "unit_amount": 2000, "product_data": {"name": "T-shirt"}},
    "quantity": 1,
}


async def _session(client: Any, mode: str = "payment", tag: str = "1") -> dict[str, Any]:
    # A distinct tag: an identical create within the replay window would return the same session.
    args: dict[str, Any] = {"mode": mode, "success_url": PAGE, "metadata": {"tag": tag}}
    if mode == "setup":
        customer = payload(await client.call_tool("create_customer", {"email": "s@example.com"}))
        args |= {"currency": "usd", "customer": customer["id"]}
    else:
        args["line_items"] = [TEE]
    return payload(await client.call_tool("create_checkout_session", args))  # type: ignore[no-any-return]


async def test_listed_only_against_the_sandbox(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        assert "pay_checkout_session" not in {t.name for t in (await client.list_tools()).tools}
    async with connect_sandbox(sandbox=True) as client:
        tool = {t.name: t for t in (await client.list_tools()).tools}["pay_checkout_session"]
        assert set(tool.input_schema["properties"]) == {
            "session",
            "payment_method",
            "three_d_secure",
            "email",
            "promotion_code",
        }


async def test_pays_with_a_card_that_succeeds(connect_sandbox: Connect) -> None:
    async with connect_sandbox(sandbox=True) as client:
        session = await _session(client)
        assert session["next_step"] == (
            "Send the customer to url. In this sandbox, pay it as the customer would: pay_checkout_session "
            f'{{"session": "{session["id"]}", "payment_method": "pm_card_visa"}}.'
        )
        paid = payload(
            await client.call_tool(
                "pay_checkout_session", {"session": session["id"], "email": "a@example.com"}
            )
        )
        assert (paid["status"], paid["payment_status"]) == ("complete", "paid")
        assert paid["customer_email"] == "a@example.com"
        intent = payload(
            await client.call_tool("retrieve_payment_intent", {"payment_intent": paid["payment_intent"]})
        )
        assert (intent["status"], intent["amount_received"]) == ("succeeded", 2000)


async def test_a_decline_leaves_the_session_open(connect_sandbox: Connect) -> None:
    async with connect_sandbox(sandbox=True) as client:
        session = await _session(client)
        refused = error_text(
            await client.call_tool(
                "pay_checkout_session", {"session": session["id"], "payment_method": "pm_card_chargeDeclined"}
            )
        )
        assert "Your card was declined" in refused and "pay again with another test card" in refused
        assert (
            f'pay_checkout_session {{"session": "{session["id"]}", "payment_method": "pm_card_visa"}}'
            in refused
        )
        still = payload(await client.call_tool("retrieve_checkout_session", {"session": session["id"]}))
        assert still["status"] == "open"
        paid = payload(await client.call_tool("pay_checkout_session", {"session": session["id"]}))
        assert paid["payment_status"] == "paid"


async def test_three_d_secure_completed_or_failed(connect_sandbox: Connect) -> None:
    card = {"payment_method": "pm_card_authenticationRequired"}
    async with connect_sandbox(sandbox=True) as client:
        first, second, setup = [
            await _session(client, m, t) for m, t in (("payment", "a"), ("payment", "b"), ("setup", "c"))
        ]
        done = payload(await client.call_tool("pay_checkout_session", {"session": first["id"], **card}))
        assert done["payment_status"] == "paid"
        failed = error_text(
            await client.call_tool(
                "pay_checkout_session", {"session": second["id"], **card, "three_d_secure": "fail"}
            )
        )
        assert "failed authentication" in failed
        assert (
            payload(await client.call_tool("retrieve_checkout_session", {"session": second["id"]}))["status"]
            == "open"
        )
        saved = payload(await client.call_tool("pay_checkout_session", {"session": setup["id"], **card}))
        assert (saved["status"], saved["next_step"].split(" ")[0]) == ("complete", "Payment")
        assert saved["setup_intent"].startswith("seti_")


async def test_unknown_card_or_a_finished_session_is_refused(
    connect_sandbox: Connect, sandbox: Any, sandbox_key: str
) -> None:
    async with connect_sandbox(sandbox=True) as client:
        session = await _session(client)
        before = len(sandbox.request_log(sandbox_key))
        bad = error_text(
            await client.call_tool(
                "pay_checkout_session", {"session": session["id"], "payment_method": "pm_nope"}
            )
        )
        assert "Invalid `payment_method`" in bad and "pm_card_visa" in bad
        assert len(sandbox.request_log(sandbox_key)) == before  # nothing was sent
        payload(await client.call_tool("pay_checkout_session", {"session": session["id"]}))
        again = error_text(await client.call_tool("pay_checkout_session", {"session": session["id"]}))
        assert "Invalid `session`: has no hosted page to pay" in again


async def _promotion_code(client: Any, code: str, percent_off: int) -> dict[str, Any]:
    coupon = payload(
        await client.call_tool(
            "call_stripe_api",
            {
                "method": "POST",
                "path": "/v1/coupons",
                "params": {"percent_off": percent_off, "duration": "once"},
            },
        )
    )
    promotion = {"promotion": {"type": "coupon", "coupon": coupon["id"]}, "code": code}
    return payload(  # type: ignore[no-any-return]
        await client.call_tool(
            "call_stripe_api", {"method": "POST", "path": "/v1/promotion_codes", "params": promotion}
        )
    )


async def test_a_promotion_code_entered_on_the_page_is_applied_and_shown(
    connect_sandbox: Connect, sandbox: Any, sandbox_key: str
) -> None:
    """Issue 28, item 7: the code a customer types on a session that allows codes discounts the
    payment; the paid session, its PaymentIntent and the code's redemptions all show it."""
    async with connect_sandbox(sandbox=True, toolsets="default") as client:
        promo = await _promotion_code(client, "WELCOME20", 20)
        args = {"mode": "payment", "success_url": PAGE, "line_items": [TEE], "allow_promotion_codes": True}
        session = payload(await client.call_tool("create_checkout_session", args))
        assert session["allow_promotion_codes"] is True and "amount_discount" not in session
        wrong = error_text(
            await client.call_tool(
                "pay_checkout_session", {"session": session["id"], "promotion_code": "NOSUCH"}
            )
        )
        still = payload(await client.call_tool("retrieve_checkout_session", {"session": session["id"]}))
        paid = payload(
            await client.call_tool(
                "pay_checkout_session", {"session": session["id"], "promotion_code": "welcome20"}
            )
        )
        intent = payload(
            await client.call_tool("retrieve_payment_intent", {"payment_intent": paid["payment_intent"]})
        )
        redeemed = payload(
            await client.call_tool(
                "call_stripe_api", {"method": "GET", "path": f"/v1/promotion_codes/{promo['id']}"}
            )
        )
    assert "The promotion code NOSUCH is invalid" in wrong and still["status"] == "open"
    assert (paid["status"], paid["payment_status"]) == ("complete", "paid")
    assert (paid["amount_total"], paid["amount_discount"], paid["discounts"]) == (1600, 400, [promo["id"]])
    assert paid["amount_discount_display"] == "$4.00"
    assert (intent["status"], intent["amount_received"]) == ("succeeded", 1600)
    assert redeemed["times_redeemed"] == 1


async def test_a_code_on_a_session_that_takes_none_is_refused_before_the_page(
    connect_sandbox: Connect, sandbox: Any, sandbox_key: str
) -> None:
    async with connect_sandbox(sandbox=True) as client:
        session = await _session(client, tag="no-codes")
        refused = error_text(
            await client.call_tool(
                "pay_checkout_session", {"session": session["id"], "promotion_code": "ANY"}
            )
        )
        still = payload(await client.call_tool("retrieve_checkout_session", {"session": session["id"]}))
    assert "Invalid `promotion_code`" in refused and "allow_promotion_codes=true" in refused
    assert still["status"] == "open" and "amount_discount" not in still
    posts = [r.path for r in sandbox.request_log(sandbox_key) if r.method == "POST"]
    assert posts == ["/v1/checkout/sessions"]  # no write after the session was made
