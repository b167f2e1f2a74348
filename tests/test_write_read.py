"""Reads that prove the outcome (issue 28.3): after each typed write, a read shows what the write
set, in the view of that object type, through an MCP client against the sandbox.

Every write tool has a case here (a test holds the list to the registry). The read is the typed
read where the default set has one, otherwise `call_stripe_api` GET (the same view). Two writes
have none: `send_test_webhook` sets nothing in Stripe (it posts to your handler; its result is
the delivery) and `call_stripe_api` is every endpoint (tests/test_views.py). `cancel_refund` runs
against the recording fake: the sandbox never has a refund awaiting customer action to cancel.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from mcp.client import Client

from stripe_power.tools import TOOLSETS

from .conftest import Connect, error_text, payload
from .fakes import Recorded, RecordingStripe

NOT_A_STRIPE_WRITE = {"send_test_webhook", "call_stripe_api"}
WRITES = {s.name for ts in TOOLSETS for s in ts.tools if s.kind != "read"}


class Session:
    """Tool calls that must succeed, and reads through call_stripe_api (the views)."""

    def __init__(self, client: Client) -> None:
        self.client = client

    async def __call__(self, tool: str, **arguments: Any) -> Any:
        return payload(await self.client.call_tool(tool, arguments))

    async def get(self, path: str, **params: Any) -> Any:
        arguments: dict[str, Any] = {"method": "GET", "path": path}
        return await self("call_stripe_api", **arguments, **({"params": params} if params else {}))

    async def post(self, path: str, **params: Any) -> Any:
        return await self("call_stripe_api", method="POST", path=path, params=params)

    async def price(self, amount: int = 1500, **recurring: Any) -> str:
        made = await self.post("/v1/prices", currency="usd", unit_amount=amount, product_data={"name": "Plan"},
                               **({"recurring": recurring} if recurring else {}))  # fmt: skip
        return str(made["id"])

    async def customer(self, email: str, **more: Any) -> str:
        return str((await self("create_customer", email=email, **more))["id"])

    async def card_customer(self, email: str) -> str:
        """A customer with a default card (pm_card_visa attached and set as the default)."""
        return await self.customer(
            email, payment_method="pm_card_visa", invoice_settings={"default_payment_method": "pm_card_visa"}
        )


Case = Callable[[Session], Awaitable[None]]
CASES: dict[str, Case] = {}


def case(*tools: str) -> Callable[[Case], Case]:
    def register(fn: Case) -> Case:
        for tool in tools:
            CASES[tool] = fn
        return fn

    return register


@case("create_customer", "update_customer")
async def _customer(s: Session) -> None:
    clock = (await s("create_test_clock", name="write-read"))["id"]
    made = await s("create_customer", email="a@example.com", name="Ann", phone="+15555550100", description="VIP",
                   metadata={"crm": "1"}, payment_method="pm_card_visa",
                   invoice_settings={"default_payment_method": "pm_card_visa"}, test_clock=clock)  # fmt: skip
    read = await s("retrieve_customer", customer=made["id"])
    assert (read["email"], read["name"], read["phone"], read["description"]) == (
        "a@example.com",
        "Ann",
        "+15555550100",
        "VIP",
    )
    assert read["metadata"] == {"crm": "1"} and read["test_clock"] == clock
    assert read["default_payment_method"].startswith("pm_")
    other = (await s("list_payment_methods", customer=made["id"]))["data"][0]["id"]
    await s("update_customer", customer=made["id"], email="b@example.com", name="Bo", phone="+15555550101",
            description="VVIP", metadata={"crm": "2"}, invoice_settings={"default_payment_method": other})  # fmt: skip
    read = await s("retrieve_customer", customer=made["id"])
    assert (read["email"], read["name"], read["phone"], read["description"]) == (
        "b@example.com",
        "Bo",
        "+15555550101",
        "VVIP",
    )
    assert read["metadata"] == {"crm": "2"} and read["default_payment_method"] == other


@case("create_product", "create_price")
async def _catalog(s: Session) -> None:
    product = await s(
        "create_product", name="Seat", description="One seat", active=False, metadata={"sku": "s1"}
    )
    read = await s.get(f"/v1/products/{product['id']}")
    assert (read["name"], read["description"], read["active"], read["metadata"]) == (
        "Seat",
        "One seat",
        False,
        {"sku": "s1"},
    )
    price = await s("create_price", unit_amount=1200, currency="eur", product=product["id"], nickname="Monthly",
                    lookup_key="seat_monthly", metadata={"tier": "a"},
                    recurring={"interval": "month", "interval_count": 3, "usage_type": "licensed"})  # fmt: skip
    read = await s.get(f"/v1/prices/{price['id']}")
    assert (read["product"], read["unit_amount"], read["unit_amount_display"], read["currency"]) == (
        product["id"], 1200, "€12.00", "eur")  # fmt: skip
    assert (read["interval"], read["interval_count"], read["usage_type"], read["type"]) == (
        "month",
        3,
        "licensed",
        "recurring",
    )
    assert (read["nickname"], read["lookup_key"], read["metadata"]) == (
        "Monthly",
        "seat_monthly",
        {"tier": "a"},
    )


@case("create_checkout_session", "expire_checkout_session", "pay_checkout_session")
async def _checkout(s: Session) -> None:
    customer, until = await s.customer("buyer@example.com"), made_until()
    made = await s("create_checkout_session", mode="payment", customer=customer,
                   line_items=[{"price": await s.price(2500), "quantity": 2}], success_url="https://example.com/ok",
                   cancel_url="https://example.com/no", allow_promotion_codes=True,
                   excluded_payment_method_types=["klarna"], expires_at=until, metadata={"order": "9"})  # fmt: skip
    read = await s("retrieve_checkout_session", session=made["id"])
    assert (read["mode"], read["status"], read["customer"], read["amount_total_display"]) == (
        "payment", "open", customer, "$50.00")  # fmt: skip
    assert read["allow_promotion_codes"] is True and read["excluded_payment_method_types"] == ["klarna"]
    assert read["metadata"] == {"order": "9"} and read["expires_at"] == until
    await s("pay_checkout_session", session=made["id"], email="payer@example.com")
    read = await s("retrieve_checkout_session", session=made["id"])
    assert (read["status"], read["payment_status"]) == ("complete", "paid") and read["payment_intent"]
    other = await s("create_checkout_session", mode="payment", line_items=[{"price": await s.price(900)}],
                    success_url="https://example.com/ok")  # fmt: skip
    await s("expire_checkout_session", session=other["id"])
    read = await s("retrieve_checkout_session", session=other["id"])
    assert read["status"] == "expired" and "url" not in read


def made_until() -> int:
    """An expires_at within Stripe's window (30 minutes to 24 hours from the sandbox clock's now)."""
    from stripe_power import clock

    return int(clock.now()) + 3 * 3600


@case("create_payment_intent", "confirm_payment_intent", "capture_payment_intent", "cancel_payment_intent")
async def _payment_intents(s: Session) -> None:
    customer = await s.customer("payer@example.com")
    made = await s("create_payment_intent", amount=4000, currency="usd", customer=customer, description="Order 5",
                   metadata={"order": "5"}, capture_method="manual", setup_future_usage="off_session")  # fmt: skip
    read = await s("retrieve_payment_intent", payment_intent=made["id"])
    assert (read["amount"], read["customer"], read["description"], read["metadata"]) == (
        4000, customer, "Order 5", {"order": "5"})  # fmt: skip
    assert (read["capture_method"], read["setup_future_usage"], read["status"]) == (
        "manual", "off_session", "requires_payment_method")  # fmt: skip
    await s("confirm_payment_intent", payment_intent=made["id"], payment_method="pm_card_visa",
            return_url="https://example.com/back")  # fmt: skip
    read = await s("retrieve_payment_intent", payment_intent=made["id"])
    assert (read["status"], read["amount_capturable"]) == ("requires_capture", 4000)
    assert read["payment_method"].startswith("pm_")
    await s("capture_payment_intent", payment_intent=made["id"], amount_to_capture=2500)
    read = await s("retrieve_payment_intent", payment_intent=made["id"])
    assert (read["status"], read["amount_received"], read["remaining_refundable"]) == (
        "succeeded",
        2500,
        2500,
    )
    other = await s("create_payment_intent", amount=700, currency="usd")
    await s("cancel_payment_intent", payment_intent=other["id"], cancellation_reason="abandoned")
    read = await s("retrieve_payment_intent", payment_intent=other["id"])
    assert (read["status"], read["cancellation_reason"]) == ("canceled", "abandoned")


@case("create_setup_intent", "confirm_setup_intent", "cancel_setup_intent", "detach_payment_method")
async def _setup_intents(s: Session) -> None:
    customer = await s.customer("saver@example.com")
    made = await s("create_setup_intent", customer=customer, usage="on_session", metadata={"why": "later"})
    read = await s("retrieve_setup_intent", setup_intent=made["id"])
    assert (read["customer"], read["usage"], read["metadata"], read["status"]) == (
        customer, "on_session", {"why": "later"}, "requires_payment_method")  # fmt: skip
    await s("confirm_setup_intent", setup_intent=made["id"], payment_method="pm_card_visa",
            return_url="https://example.com/back")  # fmt: skip
    read = await s("retrieve_setup_intent", setup_intent=made["id"])
    assert read["status"] == "succeeded" and read["payment_method"].startswith("pm_")
    saved = read["payment_method"]
    card = await s.get(f"/v1/payment_methods/{saved}")
    assert (card["customer"], card["brand"], card["last4"]) == (customer, "visa", "4242")
    await s("detach_payment_method", payment_method=saved)
    card = await s.get(f"/v1/payment_methods/{saved}")
    assert "customer" not in card  # detached: no customer any more
    assert (await s("list_payment_methods", customer=customer))["data"] == []
    other = await s("create_setup_intent", customer=customer)
    await s("cancel_setup_intent", setup_intent=other["id"])
    assert (await s("retrieve_setup_intent", setup_intent=other["id"]))["status"] == "canceled"


@case("create_refund")
async def _refund(s: Session) -> None:
    paid = await s(
        "create_payment_intent", amount=3000, currency="usd", payment_method="pm_card_visa", confirm=True
    )
    made = await s("create_refund", payment_intent=paid["id"], amount=1200, reason="requested_by_customer",
                   metadata={"ticket": "T-1"})  # fmt: skip
    read = await s("retrieve_refund", refund=made["id"])
    assert (read["amount"], read["reason"], read["metadata"], read["payment_intent"]) == (
        1200, "requested_by_customer", {"ticket": "T-1"}, paid["id"])  # fmt: skip
    payment = await s("retrieve_payment_intent", payment_intent=paid["id"])
    assert (payment["amount_refunded"], payment["remaining_refundable_display"]) == (1200, "$18.00")


@case("create_subscription", "update_subscription", "cancel_subscription", "resume_subscription")
async def _subscriptions(s: Session) -> None:
    customer = await s.card_customer("subscriber@example.com")
    monthly, yearly = await s.price(1000, interval="month"), await s.price(9000, interval="year")
    made = await s("create_subscription", customer=customer, items=[{"price": monthly, "quantity": 2}],
                   trial_period_days=14, metadata={"plan": "team"})  # fmt: skip
    read = await s("retrieve_subscription", subscription=made["id"])
    assert (read["status"], read["items"][0]["price"], read["items"][0]["quantity"]) == (
        "trialing",
        monthly,
        2,
    )
    assert read["trial_end"] and read["metadata"] == {"plan": "team"}
    assert read["next_invoice_amount_display"] == "$20.00"
    pm = (await s("list_payment_methods", customer=customer))["data"][0]["id"]
    item = read["items"][0]["id"]
    await s("update_subscription", subscription=made["id"], items=[{"id": item, "quantity": 3}],
            proration_behavior="none", default_payment_method=pm)  # fmt: skip
    read = await s("retrieve_subscription", subscription=made["id"])
    assert (read["items"][0]["quantity"], read["default_payment_method"]) == (3, pm)
    await s("cancel_subscription", subscription=made["id"], at_period_end=True)
    read = await s("retrieve_subscription", subscription=made["id"])
    assert read["cancel_at_period_end"] is True and "next_invoice_date" not in read
    await s("resume_subscription", subscription=made["id"])
    read = await s("retrieve_subscription", subscription=made["id"])
    assert "cancel_at_period_end" not in read and read["next_invoice_date"]
    invoiced = await s("create_subscription", customer=customer, items=[{"price": yearly}],
                       collection_method="send_invoice", days_until_due=10)  # fmt: skip
    read = await s("retrieve_subscription", subscription=invoiced["id"])
    assert read["collection_method"] == "send_invoice" and read["latest_invoice"]["status"] == "open"
    await s("cancel_subscription", subscription=made["id"])
    assert (await s("retrieve_subscription", subscription=made["id"]))["status"] == "canceled"


@case("create_invoice", "create_invoice_item", "finalize_invoice", "pay_invoice", "send_invoice", "void_invoice",
      "delete_invoice")  # fmt: skip
async def _invoices(s: Session) -> None:
    customer = await s.card_customer("billed@example.com")
    made = await s("create_invoice", customer=customer, description="Consulting", metadata={"job": "42"},
                   auto_advance=False)  # fmt: skip
    read = await s("retrieve_invoice", invoice=made["id"])
    assert (read["status"], read["customer"], read["description"], read["metadata"]) == (
        "draft", customer, "Consulting", {"job": "42"})  # fmt: skip
    item = await s("create_invoice_item", customer=customer, invoice=made["id"], pricing={"price": await s.price(2000)}, quantity=2,
                   description="Two hours")  # fmt: skip
    line = await s.get(f"/v1/invoiceitems/{item['id']}")
    assert (line["invoice"], line["quantity"], line["amount_display"], line["description"]) == (
        made["id"], 2, "$40.00", "Two hours")  # fmt: skip
    assert (await s("retrieve_invoice", invoice=made["id"]))["total_display"] == "$40.00"
    await s("finalize_invoice", invoice=made["id"])
    read = await s("retrieve_invoice", invoice=made["id"])
    assert read["status"] == "open" and read["number"] and read["hosted_invoice_url"]
    await s("pay_invoice", invoice=made["id"])
    read = await s("retrieve_invoice", invoice=made["id"])
    assert (read["status"], read["amount_paid_display"], read["amount_remaining"]) == ("paid", "$40.00", 0)
    sent = await s("create_invoice", customer=customer, collection_method="send_invoice", days_until_due=30)
    await s("create_invoice_item", customer=customer, invoice=sent["id"], amount=1500, currency="usd")
    await s("finalize_invoice", invoice=sent["id"])
    await s("send_invoice", invoice=sent["id"])
    read = await s("retrieve_invoice", invoice=sent["id"])
    assert read["collection_method"] == "send_invoice" and read["due_date"]
    # Sending sets no field on the invoice; the proof is Stripe's invoice.sent event about it.
    event = await s("wait_for_event", type="invoice.sent", object_id=sent["id"], timeout_seconds=5)
    assert event["found"] and event["event"]["data"]["object"]["id"] == sent["id"]
    await s("void_invoice", invoice=sent["id"])
    assert (await s("retrieve_invoice", invoice=sent["id"]))["status"] == "void"
    draft = await s("create_invoice", customer=customer, description="Mistake")
    assert (await s("delete_invoice", invoice=draft["id"]))["deleted"] is True
    gone = error_text(await s.client.call_tool("retrieve_invoice", {"invoice": draft["id"]}))
    assert "No such invoice" in gone


@case("create_test_clock", "advance_test_clock", "delete_test_clock")
async def _test_clocks(s: Session) -> None:
    made = await s("create_test_clock", frozen_time=1_796_000_000, name="Q3")
    read = await s.get(f"/v1/test_helpers/test_clocks/{made['id']}")
    assert (read["frozen_time"], read["name"], read["status"]) == (1_796_000_000, "Q3", "ready")
    await s("advance_test_clock", test_clock=made["id"], days=3)
    read = await s.get(f"/v1/test_helpers/test_clocks/{made['id']}")
    assert read["frozen_time"] == 1_796_000_000 + 3 * 86400
    await s("delete_test_clock", test_clock=made["id"])
    gone = error_text(await s.client.call_tool("call_stripe_api", {
        "method": "GET", "path": f"/v1/test_helpers/test_clocks/{made['id']}"}))  # fmt: skip
    assert "No such" in gone


@case("create_payment_link", "deactivate_payment_link")
async def _payment_links(s: Session) -> None:
    made = await s("create_payment_link", line_items=[{"price": await s.price(500), "quantity": 1}],
                   after_completion={"type": "redirect", "redirect": {"url": "https://example.com/thanks"}},
                   metadata={"campaign": "spring"})  # fmt: skip
    read = await s.get(f"/v1/payment_links/{made['id']}")
    assert (read["active"], read["after_completion_url"], read["metadata"]) == (
        True, "https://example.com/thanks", {"campaign": "spring"})  # fmt: skip
    assert read["url"]
    await s("deactivate_payment_link", payment_link=made["id"])
    assert (await s.get(f"/v1/payment_links/{made['id']}"))["active"] is False


def test_every_write_tool_has_a_read_that_proves_it() -> None:
    assert set(CASES) | NOT_A_STRIPE_WRITE | {"cancel_refund"} == WRITES, WRITES ^ (
        set(CASES) | NOT_A_STRIPE_WRITE
    )


@pytest.mark.parametrize("name", sorted({fn.__name__: fn for fn in CASES.values()}))
async def test_the_read_shows_what_the_write_set(connect_sandbox: Connect, name: str) -> None:
    fn = next(fn for fn in CASES.values() if fn.__name__ == name)
    async with connect_sandbox(sandbox=True) as client:
        await fn(Session(client))


async def test_cancel_refund_shows_canceled_on_the_read(fake: RecordingStripe, connect: Connect) -> None:
    """Against the recording fake: the sandbox has no refund that awaits customer action."""
    state = {"status": "requires_action"}

    def refund(_: Recorded) -> tuple[int, dict[str, Any]]:
        return 200, {"id": "re_1", "object": "refund", "amount": 500, "currency": "usd", **state}

    def cancel(request: Recorded) -> tuple[int, dict[str, Any]]:
        state["status"] = "canceled"
        return refund(request)

    fake.on("GET", "/v1/refunds/re_1", refund)
    fake.on("POST", "/v1/refunds/re_1/cancel", cancel)
    async with connect() as client:
        before = payload(await client.call_tool("retrieve_refund", {"refund": "re_1"}))
        payload(await client.call_tool("cancel_refund", {"refund": "re_1"}))
        after = payload(await client.call_tool("retrieve_refund", {"refund": "re_1"}))
    assert (before["status"], after["status"]) == ("requires_action", "canceled")
    assert [(r.method, r.path) for r in fake.requests][1] == ("POST", "/v1/refunds/re_1/cancel")


async def test_a_promotion_code_shows_on_the_session_it_discounted(connect_sandbox: Connect) -> None:
    """The customer types a code on the hosted page; retrieve_checkout_session shows it was taken."""
    async with connect_sandbox() as client:
        s = Session(client)
        coupon = await s.post("/v1/coupons", percent_off=20, duration="once")
        promo = await s.post(
            "/v1/promotion_codes", promotion={"type": "coupon", "coupon": coupon["id"]}, code="SPRING20"
        )
        made = await s("create_checkout_session", mode="payment", allow_promotion_codes=True,
                       line_items=[{"price": await s.price(2500), "quantity": 1}], success_url="https://example.com/ok")  # fmt: skip
        async with httpx.AsyncClient() as browser:  # the customer, on the page
            paid = await browser.post(
                made["url"], data={"card_number": "4242424242424242", "promotion_code": "SPRING20"}
            )
        assert paid.status_code == 303, paid.text
        read = await s("retrieve_checkout_session", session=made["id"])
        code = await s.get(f"/v1/promotion_codes/{promo['id']}")
    assert read["allow_promotion_codes"] is True
    assert read["discounts"] == [promo["id"]]  # the code the customer typed
    assert (read["amount_subtotal_display"], read["amount_discount"], read["amount_total_display"]) == (
        "$25.00", 500, "$20.00")  # fmt: skip
    assert code["times_redeemed"] == 1 and code["coupon"] == coupon["id"]


async def test_a_credit_note_shows_on_its_invoice(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        s = Session(client)
        customer = await s.card_customer("credited@example.com")
        invoice = await s("create_invoice", customer=customer)
        await s("create_invoice_item", customer=customer, invoice=invoice["id"], amount=6000, currency="usd")
        await s("finalize_invoice", invoice=invoice["id"])
        await s("pay_invoice", invoice=invoice["id"])
        note = await s.post("/v1/credit_notes", invoice=invoice["id"], amount=1500, refund_amount=1000,
                            credit_amount=500, reason="order_change")  # fmt: skip
        read = await s("retrieve_invoice", invoice=invoice["id"])
        shown = await s.get(f"/v1/credit_notes/{note['id']}")
        who = await s("retrieve_customer", customer=customer)
    assert (read["status"], read["amount_paid_display"], read["credit_notes_display"]) == (
        "paid",
        "$60.00",
        "$15.00",
    )
    assert read["credit_notes"] == [{"id": note["id"], "number": note["number"], "status": "issued",
                                     "type": "post_payment", "amount_display": "$15.00", "reason": "order_change"}]  # fmt: skip
    assert (shown["refunded_display"], shown["credited_to_balance_display"]) == ("$10.00", "$5.00")
    assert shown["refunds"] and shown["customer_balance_transaction"].startswith("cbtxn_")
    assert who["balance"] == -500  # the credit, on the customer (in words once it has a currency: below)


async def test_a_balance_moved_by_an_invoice_shows_on_it_and_on_the_customer(
    connect_sandbox: Connect,
) -> None:
    """Below Stripe's minimum charge, a finalized invoice is paid and its amount goes to the customer's
    balance: ending_balance on the invoice, balance on the customer."""
    async with connect_sandbox() as client:
        s = Session(client)
        customer = await s.card_customer("small@example.com")
        invoice = await s("create_invoice", customer=customer)
        await s("create_invoice_item", customer=customer, invoice=invoice["id"], amount=30, currency="usd")
        await s("finalize_invoice", invoice=invoice["id"])
        read = await s("retrieve_invoice", invoice=invoice["id"])
        who = await s("retrieve_customer", customer=customer)
    assert (read["status"], read["starting_balance"], read["ending_balance_display"]) == ("paid", 0, "$0.30")
    assert who["balance"] == 30


async def test_a_customer_credit_shows_on_the_customer_and_on_the_invoice_it_pays(
    connect_sandbox: Connect,
) -> None:
    async with connect_sandbox() as client:
        s = Session(client)
        customer = await s.card_customer("credit@example.com")
        credit = await s.post(f"/v1/customers/{customer}/balance_transactions", amount=-500, currency="usd")
        who = await s("retrieve_customer", customer=customer)
        invoice = await s("create_invoice", customer=customer)
        await s("create_invoice_item", customer=customer, invoice=invoice["id"], amount=2000, currency="usd")
        await s("finalize_invoice", invoice=invoice["id"])
        read = await s("retrieve_invoice", invoice=invoice["id"])
        after = await s("retrieve_customer", customer=customer)
    assert (credit["amount_display"], credit["ending_balance_display"]) == ("$5.00 credit", "$5.00 credit")
    assert (who["balance"], who["balance_display"]) == (-500, "$5.00 credit")
    assert (read["total_display"], read["amount_due_display"]) == ("$20.00", "$15.00")
    assert (read["starting_balance_display"], read["ending_balance_display"]) == ("-$5.00", "$0.00")
    assert "balance" not in after  # the credit is used up
