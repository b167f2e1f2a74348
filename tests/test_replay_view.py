"""Replayed writes (issue 14, item 6): the result says in words that nothing new was made, shows
the object as it is now (not Stripe's stale first answer), and says how to make a new one."""

from __future__ import annotations

from stripe_power.server import REPLAY_NOTE

from .conftest import Connect, payload


async def test_replayed_invoice_shows_its_current_state_and_how_to_make_another(
    connect_sandbox: Connect,
) -> None:
    async with connect_sandbox() as client:
        customer = payload(await client.call_tool("create_customer", {"email": "r@example.com"}))["id"]
        args = {"customer": customer, "collection_method": "send_invoice", "days_until_due": 30}
        draft = payload(await client.call_tool("create_invoice", args))
        assert draft["status"] == "draft" and "replayed" not in draft
        payload(
            await client.call_tool(
                "create_invoice_item",
                {"customer": customer, "invoice": draft["id"], "amount": 1200, "currency": "usd"},
            )
        )
        assert (
            payload(await client.call_tool("finalize_invoice", {"invoice": draft["id"]}))["status"] == "open"
        )
        again = payload(await client.call_tool("create_invoice", args))
        # Stripe's stored answer is the draft; the result shows the invoice as it is now.
        assert (again["id"], again["status"], again["total"]) == (draft["id"], "open", 1200)
        assert again["replayed"] is True and again["replay_note"] == REPLAY_NOTE
        assert "nothing new was made" in REPLAY_NOTE and "new idempotency_key" in REPLAY_NOTE
        # Following the note makes a genuinely new invoice.
        second = payload(
            await client.call_tool("create_invoice", {**args, "idempotency_key": "second-invoice"})
        )
        assert second["id"] != draft["id"] and second["status"] == "draft" and "replayed" not in second
        listed = payload(await client.call_tool("list_invoices", {"customer": customer}))
        assert {i["id"] for i in listed["data"]} == {draft["id"], second["id"]}


async def test_replayed_subscription_keeps_its_expanded_invoice(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        customer = payload(await client.call_tool("create_customer", {"email": "s@example.com"}))["id"]
        price = payload(
            await client.call_tool(
                "create_price",
                {"currency": "usd", "unit_amount": 900, "product_data": {"name": "Club"},
                 "recurring": {"interval": "month"}},
            )
        )["id"]  # fmt: skip
        args = {"customer": customer, "items": [{"price": price}]}
        first = payload(await client.call_tool("create_subscription", args))
        again = payload(await client.call_tool("create_subscription", args))
        assert again["replayed"] is True and again["id"] == first["id"]
        assert again["latest_invoice"] == first["latest_invoice"]  # re-read with the same expand
        assert again["latest_invoice"]["client_secret"]
