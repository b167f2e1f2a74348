"""Through MCP against the sandbox (issue 27): "give this customer a $10 credit and check it comes
off the next invoice", as an agent does it — a customer balance transaction through
`call_stripe_api`, an invoice through the typed tools — with every effect read back, not taken from
a status code.

Source: docs.stripe.com/billing/customer/balance ("The invoice balance automatically applies toward
the next invoice finalized to a customer"); spec3.json `invoice.starting_balance`, `amount_due`.
"""

from __future__ import annotations

from typing import Any

from mcp.client import Client

from .conftest import Connect, payload


async def _read(client: Client, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """GET ``path`` through `call_stripe_api`, asking for the whole object where the tool can show
    a compact view instead (its `full` argument)."""
    tools = {t.name: t for t in (await client.list_tools()).tools}
    args: dict[str, Any] = {"method": "GET", "path": path}
    if params:
        args["params"] = params
    if "full" in tools["call_stripe_api"].input_schema.get("properties", {}):
        args["full"] = True
    found: dict[str, Any] = payload(await client.call_tool("call_stripe_api", args))
    return found


async def test_a_ten_dollar_credit_comes_off_the_next_invoice(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        customer = payload(
            await client.call_tool(
                "create_customer",
                {
                    "email": "credit@example.com",
                    "payment_method": "pm_card_visa",
                    "invoice_settings": {"default_payment_method": "pm_card_visa"},
                },
            )
        )["id"]
        credit = payload(
            await client.call_tool(
                "call_stripe_api",
                {
                    "method": "POST",
                    "path": f"/v1/customers/{customer}/balance_transactions",
                    "params": {"amount": -1000, "currency": "usd", "description": "Goodwill credit"},
                },
            )
        )
        assert credit["id"].startswith("cbtxn_")
        before = await _read(client, f"/v1/customers/{customer}")
        assert before["balance"] == -1000  # the credit is on the customer

        draft = payload(await client.call_tool("create_invoice", {"customer": customer}))
        payload(
            await client.call_tool(
                "create_invoice_item",
                {"customer": customer, "invoice": draft["id"], "amount": 2500, "currency": "usd"},
            )
        )
        payload(await client.call_tool("finalize_invoice", {"invoice": draft["id"]}))
        paid = payload(await client.call_tool("pay_invoice", {"invoice": draft["id"]}))
        assert paid["status"] == "paid"

        invoice = await _read(client, f"/v1/invoices/{draft['id']}")
        assert (invoice["total"], invoice["starting_balance"], invoice["ending_balance"]) == (2500, -1000, 0)
        assert (invoice["amount_due"], invoice["amount_paid"]) == (1500, 1500)
        after = await _read(client, f"/v1/customers/{customer}")
        assert after["balance"] == 0  # the credit was used
        ledger = await _read(client, f"/v1/customers/{customer}/balance_transactions")
        applied = ledger["data"][0]
        assert (applied["type"], applied["amount"], applied["invoice"]) == (
            "applied_to_invoice",
            1000,
            draft["id"],
        )
