"""Subscriptions toolset: exact requests against the recording fake, and the two ways Stripe
recommends to start a subscription (Checkout in subscription mode, and a direct subscription
with a saved payment method) end to end against the offline sandbox."""

from __future__ import annotations

import json
from typing import Any

import httpx
import stripe

from .conftest import Connect, error_text, payload, understood
from .fakes import RecordingStripe

EXPAND = ("expand[0]", "latest_invoice.confirmation_secret")
PRICE = {
    "id": "price_1",
    "object": "price",
    "currency": "usd",
    "unit_amount": 1500,
    "recurring": {"interval": "month", "usage_type": "licensed"},
}
INVOICE = {
    "id": "in_1",
    "object": "invoice",
    "status": "open",
    "currency": "usd",
    "amount_due": 3000,
    "hosted_invoice_url": "https://invoice.stripe.com/i/in_1",
    "confirmation_secret": {"client_secret": "pi_1_secret_x", "type": "payment_intent"},
}


def subscription(**changes: Any) -> dict[str, Any]:
    sub: dict[str, Any] = {
        "id": "sub_1",
        "object": "subscription",
        "status": "incomplete",
        "customer": "cus_1",
        "currency": "usd",
        "cancel_at_period_end": False,
        "cancel_at": None,
        "canceled_at": None,
        "trial_end": None,
        "collection_method": "charge_automatically",
        "default_payment_method": None,
        "pause_collection": None,
        "pending_setup_intent": None,
        "discounts": [],
        "metadata": {},
        "latest_invoice": INVOICE,
        "items": {
            "object": "list",
            "data": [
                {
                    "id": "si_1",
                    "price": PRICE,
                    "quantity": 2,
                    "current_period_start": 1700000000,
                    "current_period_end": 1702592000,
                }
            ],
        },
    }
    sub.update(changes)
    return sub


async def test_create_subscription_default_incomplete_exact_form(
    fake: RecordingStripe, connect: Connect
) -> None:
    async with connect() as client:
        fake.on("POST", "/v1/subscriptions", subscription())
        result = payload(
            await client.call_tool(
                "create_subscription",
                {
                    "customer": "cus_1",
                    "items": [{"price": "price_1", "quantity": 2}, {"price": "price_2"}],
                    "metadata": {"plan": "pro"},
                    "idempotency_key": "sub-k1",
                },
            )
        )
        sent = fake.only()
        assert (sent.method, sent.path) == ("POST", "/v1/subscriptions")
        assert sent.headers["Idempotency-Key"] == "sub-k1"
        assert sent.form == [
            ("customer", "cus_1"),
            ("items[0][price]", "price_1"),
            ("items[0][quantity]", "2"),
            ("items[1][price]", "price_2"),
            ("items[1][quantity]", "1"),
            ("payment_behavior", "default_incomplete"),
            ("metadata[plan]", "pro"),
            EXPAND,
        ]
        assert result == {
            "id": "sub_1",
            "status": "incomplete",
            "customer": "cus_1",
            "items": [{"id": "si_1", "price": "price_1", "quantity": 2}],
            "current_period_start": 1700000000,
            "current_period_end": 1702592000,
            "currency": "usd",
            "latest_invoice": {
                "id": "in_1",
                "status": "open",
                "amount_due": 3000,
                "amount_due_display": "$30.00",
                "hosted_invoice_url": "https://invoice.stripe.com/i/in_1",
                "client_secret": "pi_1_secret_x",
            },
            "next_step": result["next_step"],
        }
        assert "client_secret" in result["next_step"] and "pay_invoice" in result["next_step"]


async def test_create_subscription_all_options_and_send_invoice(
    fake: RecordingStripe, connect: Connect
) -> None:
    async with connect() as client:
        fake.on("POST", "/v1/subscriptions", subscription(status="active", latest_invoice=None))
        result = payload(
            await client.call_tool(
                "create_subscription",
                {
                    "customer": "cus_1",
                    "items": [{"price": "price_1"}],
                    "default_payment_method": "pm_1",
                    "trial_period_days": 14,
                    "payment_behavior": "error_if_incomplete",
                    "collection_method": "send_invoice",
                    "days_until_due": 30,
                },
            )
        )
        assert fake.only().form == [
            ("customer", "cus_1"),
            ("items[0][price]", "price_1"),
            ("items[0][quantity]", "1"),
            ("default_payment_method", "pm_1"),
            ("trial_period_days", "14"),
            ("payment_behavior", "error_if_incomplete"),
            ("collection_method", "send_invoice"),
            ("days_until_due", "30"),
            EXPAND,
        ]
        assert fake.only().headers["Idempotency-Key"].startswith("stripe-power-")
        # Two items' worth of a $15.00 price, billed at the end of the period.
        assert result["next_invoice_amount"] == 3000 and result["next_invoice_amount_display"] == "$30.00"
        assert result["next_invoice_date"] == 1702592000


async def test_send_invoice_needs_days_until_due_and_nothing_is_sent(
    fake: RecordingStripe, connect: Connect
) -> None:
    async with connect() as client:
        base = {"customer": "cus_1", "items": [{"price": "price_1"}]}
        message = error_text(
            await client.call_tool("create_subscription", {**base, "collection_method": "send_invoice"})
        )
        assert "`days_until_due`" in message and "send_invoice" in message
        message = error_text(await client.call_tool("create_subscription", {**base, "days_until_due": 5}))
        assert "`days_until_due`" in message
        assert "`items`" in error_text(
            await client.call_tool("create_subscription", {"customer": "cus_1", "items": []})
        )
        bad_price = {"customer": "cus_1", "items": [{"price": "prod_1"}]}
        assert "items.0.price" in error_text(await client.call_tool("create_subscription", bad_price))
        assert "payment-method-types" in error_text(
            await client.call_tool("create_subscription", {**base, "payment_method_types": ["card"]})
        )
        assert fake.requests == []


async def test_update_subscription_item_price_quantity_and_proration(
    fake: RecordingStripe, connect: Connect
) -> None:
    async with connect() as client:
        fake.on("POST", "/v1/subscriptions/sub_1", subscription(status="active"))
        payload(
            await client.call_tool(
                "update_subscription",
                {
                    "subscription": "sub_1",
                    "items": [{"id": "si_1", "price": "price_2", "quantity": 3}],
                    "proration_behavior": "always_invoice",
                    "idempotency_key": "up-1",
                },
            )
        )
        payload(
            await client.call_tool(
                "update_subscription", {"subscription": "sub_1", "cancel_at_period_end": False}
            )
        )
        first, second = fake.requests
        assert (first.method, first.path) == ("POST", "/v1/subscriptions/sub_1")
        assert first.headers["Idempotency-Key"] == "up-1"
        assert first.form == [
            ("items[0][id]", "si_1"),
            ("items[0][price]", "price_2"),
            ("items[0][quantity]", "3"),
            ("proration_behavior", "always_invoice"),
            EXPAND,
        ]
        assert second.form == [("cancel_at_period_end", "false"), EXPAND]


async def test_update_subscription_bad_combinations_send_nothing(
    fake: RecordingStripe, connect: Connect
) -> None:
    async with connect() as client:
        cases: list[tuple[dict[str, Any], str]] = [
            ({"subscription": "sub_1", "items": [{"quantity": 2}]}, "`items[0].price`: a new item (no `id`)"),
            ({"subscription": "sub_1", "items": [{"id": "si_1"}]}, "`items[0]`: says nothing to change"),
            ({"subscription": "sub_1"}, "nothing to change"),
            ({"subscription": "sub_1", "items": [{"id": "sub_1", "quantity": 1}]}, "`items.0.id`"),
            (
                {"subscription": "sub_1", "items": [{"price": "price_1", "deleted": True}]},
                "`items[0].deleted`",
            ),
            ({"subscription": "sub_1", "item": "si_1", "quantity": 2}, "Unknown parameter `item`"),
        ]
        for arguments, named in cases:
            assert named in error_text(await client.call_tool("update_subscription", arguments)), arguments
        assert fake.requests == []


async def test_cancel_at_period_end_or_now(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        fake.on("POST", "/v1/subscriptions/sub_1", subscription(status="active", cancel_at_period_end=True))
        fake.on("DELETE", "/v1/subscriptions/sub_1", subscription(status="canceled", canceled_at=1700000500))
        later = payload(
            await client.call_tool(
                "cancel_subscription",
                {"subscription": "sub_1", "at_period_end": True, "idempotency_key": "c-1"},
            )
        )
        now = payload(
            await client.call_tool(
                "cancel_subscription", {"subscription": "sub_1", "invoice_now": True, "prorate": False}
            )
        )
        post, delete = fake.requests
        assert (post.method, post.path, post.form) == (
            "POST",
            "/v1/subscriptions/sub_1",
            [("cancel_at_period_end", "true"), EXPAND],
        )
        assert post.headers["Idempotency-Key"] == "c-1"
        assert (delete.method, delete.path) == ("DELETE", "/v1/subscriptions/sub_1")
        assert delete.form == [("invoice_now", "true"), ("prorate", "false"), EXPAND]
        assert later["cancel_at_period_end"] is True and "resume_subscription" in later["next_step"]
        assert "next_invoice_date" not in later
        assert now["status"] == "canceled" and now["canceled_at"] == 1700000500


async def test_cancel_at_period_end_refuses_immediate_options(
    fake: RecordingStripe, connect: Connect
) -> None:
    async with connect() as client:
        arguments = {"subscription": "sub_1", "at_period_end": True, "prorate": True}
        assert "`at_period_end`" in error_text(await client.call_tool("cancel_subscription", arguments))
        assert fake.requests == []


async def test_resume_decides_from_the_subscription_state(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        states = iter(
            [
                subscription(status="active", cancel_at_period_end=True),
                subscription(status="paused"),
                subscription(status="active", pause_collection={"behavior": "void"}),
                subscription(status="trialing", cancel_at=1701000000),
            ]
        )
        fake.on("GET", "/v1/subscriptions/sub_1", lambda _r: (200, next(states)))
        fake.on("POST", "/v1/subscriptions/sub_1", subscription(status="active"))
        fake.on("POST", "/v1/subscriptions/sub_1/resume", subscription(status="active"))
        for arguments in (
            {"subscription": "sub_1", "idempotency_key": "r-1"},
            {"subscription": "sub_1", "proration_behavior": "none"},
            {"subscription": "sub_1"},
            {"subscription": "sub_1", "idempotency_key": "r-4"},
        ):
            assert payload(await client.call_tool("resume_subscription", arguments))["status"] == "active"
        get1, undo, get2, resume, get3, unpause, get4, uncancel = fake.requests
        assert [get2.method, get3.method, get4.method] == ["GET", "GET", "GET"]
        assert (get1.method, get1.form) == ("GET", [EXPAND])
        assert (undo.path, undo.form) == (
            "/v1/subscriptions/sub_1",
            [("cancel_at_period_end", "false"), EXPAND],
        )
        assert undo.headers["Idempotency-Key"] == "r-1"
        assert (resume.path, resume.form) == (
            "/v1/subscriptions/sub_1/resume",
            [("proration_behavior", "none"), EXPAND],
        )
        assert (unpause.path, unpause.form) == ("/v1/subscriptions/sub_1", [("pause_collection", ""), EXPAND])
        assert (uncancel.path, uncancel.form) == ("/v1/subscriptions/sub_1", [("cancel_at", ""), EXPAND])


async def test_resume_with_nothing_to_resume_sends_no_write(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        fake.on("GET", "/v1/subscriptions/sub_1", subscription(status="canceled"))
        message = error_text(await client.call_tool("resume_subscription", {"subscription": "sub_1"}))
        assert "nothing to resume" in message and "new subscription" in message
        assert [r.method for r in fake.requests] == ["GET"]


async def test_retrieve_and_list_with_filters(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        trialing = subscription(status="trialing", trial_end=1701000000, pending_setup_intent="seti_1")
        fake.on("GET", "/v1/subscriptions/sub_1", trialing)
        fake.on("GET", "/v1/subscriptions", {"object": "list", "data": [trialing], "has_more": True})
        one = payload(await client.call_tool("retrieve_subscription", {"subscription": "sub_1"}))
        page = payload(
            await client.call_tool(
                "list_subscriptions",
                {
                    "customer": "cus_1",
                    "status": "all",
                    "price": "price_1",
                    "limit": 1,
                    "starting_after": "sub_0",
                },
            )
        )
        assert one["trial_end"] == 1701000000 and "pending_setup_intent" in one["next_step"]
        assert page["has_more"] is True and page["next_starting_after"] == "sub_1"
        get, listing = fake.requests
        assert (get.path, get.form) == ("/v1/subscriptions/sub_1", [EXPAND])
        assert listing.form == [
            ("customer", "cus_1"),
            ("status", "all"),
            ("price", "price_1"),
            ("limit", "1"),
            ("starting_after", "sub_0"),
            ("expand[0]", "data.latest_invoice"),
        ]


# -- end to end against the offline sandbox -------------------------------------------------------


def sdk(sandbox: Any, key: str) -> stripe.StripeClient:
    return stripe.StripeClient(key, base_addresses={"api": sandbox.url})


def monthly_price(client: stripe.StripeClient, amount: int = 1500) -> str:
    product = client.v1.products.create({"name": "Pro plan"})
    price = client.v1.prices.create(
        {"product": product.id, "currency": "usd", "unit_amount": amount, "recurring": {"interval": "month"}}
    )
    return str(price.id)


def customer_with_card(client: stripe.StripeClient) -> tuple[str, str]:
    """A customer with pm_card_visa saved through a SetupIntent and set as invoice default."""
    customer = client.v1.customers.create({"email": "sub@example.com"})
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
    pm = str(setup.payment_method)
    client.v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": pm}})
    return customer.id, pm


async def test_e2e_subscription_via_checkout(
    sandbox: Any, sandbox_key: str, connect_sandbox: Connect
) -> None:
    client = sdk(sandbox, sandbox_key)
    price = monthly_price(client)
    customer = client.v1.customers.create({"email": "checkout@example.com"}).id
    async with connect_sandbox() as mcp:
        session = payload(
            await mcp.call_tool(
                "create_checkout_session",
                {
                    "mode": "subscription",
                    "customer": customer,
                    "line_items": [{"price": price, "quantity": 1}],
                    "success_url": "https://example.com/ok?session_id={CHECKOUT_SESSION_ID}",
                },
            )
        )
        async with httpx.AsyncClient() as http:
            paid = await http.post(session["url"], data={"card_number": "4242424242424242"})
        assert paid.status_code in (200, 303), paid.text[:300]

        page = payload(await mcp.call_tool("list_subscriptions", {"customer": customer}))
        (sub,) = page["data"]
        assert sub["status"] == "active"
        assert sub["items"][0]["price"] == price
        assert sub["latest_invoice"]["status"] == "paid"
        assert sub["current_period_end"] > sub["current_period_start"]
        assert sub["next_invoice_amount_display"] == "$15.00"
        session_after = payload(await mcp.call_tool("retrieve_checkout_session", {"session": session["id"]}))
        assert session_after["subscription"] == sub["id"]
    events = client.v1.events.list({"type": "customer.subscription.created"})
    assert [e.data.object["id"] for e in events.data] == [sub["id"]]


async def test_e2e_direct_subscription_with_saved_card(
    sandbox: Any, sandbox_key: str, connect_sandbox: Connect
) -> None:
    client = sdk(sandbox, sandbox_key)
    price = monthly_price(client, 2000)
    customer, pm = customer_with_card(client)
    async with connect_sandbox() as mcp:
        sub = payload(
            await mcp.call_tool(
                "create_subscription",
                {
                    "customer": customer,
                    "items": [{"price": price}],
                    "default_payment_method": pm,
                    "payment_behavior": "error_if_incomplete",
                },
            )
        )
        assert sub["status"] == "active", sub
        assert sub["latest_invoice"]["status"] == "paid"
        assert sub["latest_invoice"]["amount_due_display"] == "$20.00"
        assert sub["next_invoice_date"] == sub["current_period_end"]

        # default_incomplete: the subscription waits for the customer to confirm the first payment.
        waiting = payload(
            await mcp.call_tool("create_subscription", {"customer": customer, "items": [{"price": price}]})
        )
        assert waiting["status"] == "incomplete"
        assert waiting["latest_invoice"]["status"] == "open"
        assert waiting["latest_invoice"]["client_secret"]
        assert "client_secret" in waiting["next_step"]
    creates = [
        r for r in sandbox.request_log(sandbox_key) if (r.method, r.path) == ("POST", "/v1/subscriptions")
    ]
    assert creates[0].params["payment_behavior"] == "error_if_incomplete"
    assert creates[1].params["payment_behavior"] == "default_incomplete"


async def test_e2e_trial(sandbox: Any, sandbox_key: str, connect_sandbox: Connect) -> None:
    client = sdk(sandbox, sandbox_key)
    price = monthly_price(client)
    customer, pm = customer_with_card(client)
    async with connect_sandbox() as mcp:
        sub = payload(
            await mcp.call_tool(
                "create_subscription",
                {
                    "customer": customer,
                    "items": [{"price": price}],
                    "default_payment_method": pm,
                    "trial_period_days": 7,
                },
            )
        )
        assert sub["status"] == "trialing"
        assert sub["trial_end"] - sub["current_period_start"] == 7 * 86400
        assert sub["next_invoice_date"] == sub["trial_end"]
        assert sub["latest_invoice"]["amount_due"] == 0


async def test_e2e_quantity_change_cancel_at_period_end_resume_and_cancel_now(
    sandbox: Any, sandbox_key: str, connect_sandbox: Connect
) -> None:
    client = sdk(sandbox, sandbox_key)
    price = monthly_price(client, 1000)
    customer, pm = customer_with_card(client)
    async with connect_sandbox() as mcp:
        sub = payload(
            await mcp.call_tool(
                "create_subscription",
                {
                    "customer": customer,
                    "items": [{"price": price}],
                    "default_payment_method": pm,
                    "payment_behavior": "allow_incomplete",
                },
            )
        )
        assert sub["status"] == "active"
        item = sub["items"][0]["id"]

        more = payload(
            await mcp.call_tool(
                "update_subscription",
                {
                    "subscription": sub["id"],
                    "items": [{"id": item, "quantity": 3}],
                    "proration_behavior": "none",
                },
            )
        )
        assert more["items"] == [{"id": item, "price": price, "quantity": 3}]
        assert more["next_invoice_amount_display"] == "$30.00"

        ending = payload(
            await mcp.call_tool("cancel_subscription", {"subscription": sub["id"], "at_period_end": True})
        )
        assert ending["status"] == "active" and ending["cancel_at_period_end"] is True
        assert "next_invoice_date" not in ending

        resumed = payload(await mcp.call_tool("resume_subscription", {"subscription": sub["id"]}))
        assert "cancel_at_period_end" not in resumed  # shown only while it is true
        assert resumed["next_invoice_date"] == resumed["current_period_end"]

        canceled = payload(await mcp.call_tool("cancel_subscription", {"subscription": sub["id"]}))
        assert canceled["status"] == "canceled" and canceled["canceled_at"]
        fetched = payload(await mcp.call_tool("retrieve_subscription", {"subscription": sub["id"]}))
        assert fetched["status"] == "canceled"
        message = error_text(await mcp.call_tool("resume_subscription", {"subscription": sub["id"]}))
        assert "nothing to resume" in message


async def test_e2e_list_filters_and_pagination(
    sandbox: Any, sandbox_key: str, connect_sandbox: Connect
) -> None:
    client = sdk(sandbox, sandbox_key)
    cheap, dear = monthly_price(client, 500), monthly_price(client, 5000)
    customer, pm = customer_with_card(client)
    other, other_pm = customer_with_card(client)
    async with connect_sandbox() as mcp:
        created = []
        for who, card, price in ((customer, pm, cheap), (customer, pm, dear), (other, other_pm, cheap)):
            arguments = {"customer": who, "items": [{"price": price}], "default_payment_method": card,
                         "payment_behavior": "error_if_incomplete"}  # fmt: skip
            created.append(payload(await mcp.call_tool("create_subscription", arguments))["id"])
        payload(await mcp.call_tool("cancel_subscription", {"subscription": created[0]}))

        mine = payload(await mcp.call_tool("list_subscriptions", {"customer": customer}))
        assert [s["id"] for s in mine["data"]] == [created[1]]  # canceled ones are left out by default
        everything = payload(
            await mcp.call_tool("list_subscriptions", {"customer": customer, "status": "all"})
        )
        assert {s["id"] for s in everything["data"]} == {created[0], created[1]}
        canceled = payload(await mcp.call_tool("list_subscriptions", {"status": "canceled"}))
        assert [s["id"] for s in canceled["data"]] == [created[0]]
        by_price = payload(await mcp.call_tool("list_subscriptions", {"price": cheap}))
        assert [s["id"] for s in by_price["data"]] == [created[2]]

        first = payload(await mcp.call_tool("list_subscriptions", {"status": "all", "limit": 2}))
        assert first["has_more"] is True and len(first["data"]) == 2
        rest = payload(
            await mcp.call_tool(
                "list_subscriptions",
                {"status": "all", "limit": 2, "starting_after": first["next_starting_after"]},
            )
        )
        assert rest["has_more"] is False
        assert [s["id"] for s in first["data"] + rest["data"]] == created[::-1]


# -- what each call does: confirmation, spending limits, previews -------------------------------

CUSTOMER = {"id": "cus_1", "object": "customer", "email": "jane@example.com"}


def held(result: Any) -> dict[str, Any]:
    """A confirmation request: nothing was done yet."""
    data: dict[str, Any] = json.loads(error_text(result))
    assert data["status"] == "confirmation_required"
    return data


async def test_charging_calls_need_confirmation_and_the_others_do_not(
    fake: RecordingStripe, connect: Connect
) -> None:
    fake.on("POST", "/v1/subscriptions", subscription(status="active"))
    fake.on("POST", "/v1/subscriptions/sub_1", subscription(status="active"))
    items = [{"price": "price_1"}]
    async with connect(confirm_writes=True) as client:
        charging = {
            "charges now": {"customer": "cus_1", "items": items, "payment_behavior": "error_if_incomplete"},
            "always_invoice": {"subscription": "sub_1", "items": [{"id": "si_1", "quantity": 3}],
                               "proration_behavior": "always_invoice"},
        }  # fmt: skip
        for arguments in charging.values():
            tool = "create_subscription" if "customer" in arguments else "update_subscription"
            held(await client.call_tool(tool, arguments))
        assert fake.requests == []
        for arguments in (
            {"customer": "cus_1", "items": items},  # default_incomplete: the customer confirms
            {"customer": "cus_1", "items": items, "payment_behavior": "allow_incomplete", "trial_period_days": 7},
            {"customer": "cus_1", "items": items, "payment_behavior": "allow_incomplete",
             "collection_method": "send_invoice", "days_until_due": 30},
        ):  # fmt: skip
            assert payload(await client.call_tool("create_subscription", arguments))["status"] == "active"
        update = {
            "subscription": "sub_1",
            "items": [{"id": "si_1", "quantity": 3}],
            "proration_behavior": "none",
        }
        assert payload(await client.call_tool("update_subscription", update))["status"] == "active"
        later = {"subscription": "sub_1", "at_period_end": True}
        assert payload(await client.call_tool("cancel_subscription", later))["status"] == "active"
    assert [(r.method, r.path) for r in fake.requests] == [("POST", "/v1/subscriptions")] * 3 + [
        ("POST", "/v1/subscriptions/sub_1")
    ] * 2
    async with connect() as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert understood(tools["update_subscription"]).idempotent_hint is False


async def test_spending_limits_meet_a_subscription_that_charges_now(
    fake: RecordingStripe, connect: Connect
) -> None:
    """Charging at once is money: one period of the prices (an upper bound of the first invoice)
    meets --max-amount before anything is written."""
    fake.on("GET", "/v1/prices/price_1", PRICE)
    fake.on("GET", "/v1/prices/price_metered", {**PRICE, "id": "price_metered", "unit_amount": None})
    fake.on("GET", "/v1/subscriptions/sub_1", subscription(status="active"))
    async with connect(max_amount="usd:1000") as client:
        create = {
            "customer": "cus_1",
            "items": [{"price": "price_1"}],
            "payment_behavior": "allow_incomplete",
        }
        refused = error_text(await client.call_tool("create_subscription", create))
        assert "spending-limit" in refused and "$15.00 is over the per-call limit of $10.00" in refused
        metered = {**create, "items": [{"price": "price_metered"}]}
        refused = error_text(await client.call_tool("create_subscription", metered))
        assert "payment_behavior=default_incomplete" in refused and "Checkout Session" in refused
        update = {
            "subscription": "sub_1",
            "items": [{"id": "si_1", "quantity": 3}],
            "proration_behavior": "always_invoice",
        }
        refused = error_text(await client.call_tool("update_subscription", update))
        assert "spending-limit" in refused and "$45.00" in refused
        assert all(r.method == "GET" for r in fake.requests)
        fake.requests.clear()
        fake.on("POST", "/v1/subscriptions", subscription())
        default = {"customer": "cus_1", "items": [{"price": "price_1"}]}
        assert payload(await client.call_tool("create_subscription", default))["status"] == "incomplete"
    assert [r.path for r in fake.requests] == ["/v1/subscriptions"]


async def test_immediate_cancel_refuses_an_idempotency_key(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        arguments = {"subscription": "sub_1", "idempotency_key": "c-1"}
        assert "`idempotency_key`" in error_text(await client.call_tool("cancel_subscription", arguments))
    assert fake.requests == []


async def test_cancel_preview_names_customer_price_and_when(fake: RecordingStripe, connect: Connect) -> None:
    fake.on("GET", "/v1/subscriptions/sub_1", subscription(status="active", customer=CUSTOMER))
    async with connect(confirm_writes=True) as client:
        now = held(await client.call_tool("cancel_subscription", {"subscription": "sub_1"}))
    assert now["preview"] == (
        "Cancel subscription sub_1 now, for good: customer jane@example.com (cus_1), $30.00/month (price_1)"
    )
    get = fake.only()
    assert (get.method, get.path, get.form) == ("GET", "/v1/subscriptions/sub_1", [("expand[0]", "customer")])
