"""Invoices (issue 14, items 7 and 11): `pay_invoice` without a payment method names the fix, and
following it pays; `send_invoice` confirms the sending; a draft is deleted (`delete_invoice`),
not voided."""

from __future__ import annotations

from typing import Any

from .conftest import Connect, error_text, payload, understood


async def _open_invoice(client: Any, customer: str, method: str = "charge_automatically") -> dict[str, Any]:
    args: dict[str, Any] = {"customer": customer, "collection_method": method}
    if method == "send_invoice":
        args["days_until_due"] = 30
    draft = payload(await client.call_tool("create_invoice", args))
    payload(
        await client.call_tool(
            "create_invoice_item",
            {"customer": customer, "invoice": draft["id"], "amount": 4200, "currency": "usd"},
        )
    )
    return payload(await client.call_tool("finalize_invoice", {"invoice": draft["id"]}))  # type: ignore[no-any-return]


async def test_pay_invoice_without_a_payment_method_names_the_fix(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        customer = payload(await client.call_tool("create_customer", {"email": "p@example.com"}))["id"]
        invoice = await _open_invoice(client, customer)
        refused = error_text(await client.call_tool("pay_invoice", {"invoice": invoice["id"]}))
        assert "no attached payment source or default payment method" in refused
        assert f'list_payment_methods {{"customer": "{customer}"}}' in refused
        assert (
            f'update_customer {{"customer": "{customer}", "invoice_settings": {{"default_payment_method": "pm_..."}}}}'
            in refused
        )
        assert f'pay_invoice {{"invoice": "{invoice["id"]}"}} again' in refused
        assert (
            payload(await client.call_tool("retrieve_invoice", {"invoice": invoice["id"]}))["status"]
            == "open"
        )
        # Following the fix: save a card, make it the default, pay again.
        saved = payload(
            await client.call_tool(
                "create_setup_intent",
                {"customer": customer, "payment_method": "pm_card_visa", "confirm": True},
            )
        )["payment_method"]
        payload(
            await client.call_tool(
                "update_customer",
                {"customer": customer, "invoice_settings": {"default_payment_method": saved}},
            )
        )
        paid = payload(await client.call_tool("pay_invoice", {"invoice": invoice["id"]}))
        assert (paid["status"], paid["amount_paid"]) == ("paid", 4200)


async def test_send_invoice_confirms_the_sending(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        customer = payload(await client.call_tool("create_customer", {"email": "send@example.com"}))["id"]
        invoice = await _open_invoice(client, customer, "send_invoice")
        assert invoice["next_step"].startswith(f'send_invoice {{"invoice": "{invoice["id"]}"}} emails it')
        sent = payload(await client.call_tool("send_invoice", {"invoice": invoice["id"]}))
        assert sent["next_step"].startswith(
            f"Sent: Stripe emailed invoice {invoice['number']} to send@example.com"
        )
        assert sent["next_step"] != invoice["next_step"] and sent["status"] == "open"
        events = payload(await client.call_tool("list_events", {"types": ["invoice.sent"]}))
        assert [e["type"] for e in events["data"]] == ["invoice.sent"]


async def test_a_draft_is_deleted_not_voided(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        customer = payload(await client.call_tool("create_customer", {"email": "d@example.com"}))["id"]
        draft = payload(await client.call_tool("create_invoice", {"customer": customer}))
        tools = {t.name: t for t in (await client.list_tools()).tools}
        void_says = tools["void_invoice"].description or ""
        assert "deleted instead" not in void_says and "a draft: delete_invoice" in void_says
        assert understood(tools["delete_invoice"]).destructive_hint is True
        refused = error_text(await client.call_tool("void_invoice", {"invoice": draft["id"]}))
        assert "Stripe error" in refused
        deleted = payload(await client.call_tool("delete_invoice", {"invoice": draft["id"]}))
        assert deleted == {"id": draft["id"], "deleted": True}
        gone = error_text(await client.call_tool("retrieve_invoice", {"invoice": draft["id"]}))
        assert "resource_missing" in gone
        finalized = await _open_invoice(client, customer)
        assert "You can only delete draft invoices" in error_text(
            await client.call_tool("delete_invoice", {"invoice": finalized["id"]})
        )
