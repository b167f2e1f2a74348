"""Connect end to end through MCP against the sandbox: an agent makes a destination charge with an
application fee, then reverses part of the transfer, with the typed tools and `call_stripe_api`;
every effect is read back through the same tools. The Gateway's guardrail against mixed Connect
charge types refuses before anything reaches the sandbox (docs.stripe.com/connect/charges)."""

from __future__ import annotations

from typing import Any

from mcp.client import Client

from .conftest import Connect, error_text, payload


async def api(
    client: Client, method: str, path: str, params: dict[str, Any] | None = None, **extra: Any
) -> Any:
    # The whole object (`full`): this test reads the Connect fields Stripe sets, beyond the views.
    arguments: dict[str, Any] = {"method": method, "path": path, "full": True, **extra}
    if params is not None:
        arguments["params"] = params
    return payload(await client.call_tool("call_stripe_api", arguments))


CUSTOM = {
    "type": "custom",
    "country": "US",
    "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
    "tos_acceptance": {"date": 1700000000, "ip": "127.0.0.1"},
}


async def test_destination_charge_with_a_fee_then_a_partial_reversal(connect_sandbox: Connect) -> None:
    async with connect_sandbox(connect=True) as client:
        account = await api(client, "POST", "/v1/accounts", CUSTOM)
        assert account["capabilities"] == {"card_payments": "active", "transfers": "active"}
        intent = await api(
            client,
            "POST",
            "/v1/payment_intents",
            {
                "amount": 10000,
                "currency": "usd",
                "application_fee_amount": 1230,
                "transfer_data": {"destination": account["id"]},
                "on_behalf_of": account["id"],
                "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
            },
        )
        confirmed = payload(
            await client.call_tool(
                "confirm_payment_intent", {"payment_intent": intent["id"], "payment_method": "pm_card_visa"}
            )
        )
        assert confirmed["status"] == "succeeded"
        charge = await api(client, "GET", "/v1/charges", {"payment_intent": intent["id"]})
        (paid,) = charge["data"]
        assert paid["transfer_group"] == f"group_{intent['id']}" and paid["on_behalf_of"] == account["id"]
        transfer_id = paid["transfer"]
        transfer = await api(client, "GET", f"/v1/transfers/{transfer_id}")
        assert (transfer["amount"], transfer["destination"]) == (10000, account["id"])
        fees = await api(client, "GET", "/v1/application_fees", {"charge": transfer["destination_payment"]})
        assert [f["amount"] for f in fees["data"]] == [1230]

        reversal = await api(client, "POST", f"/v1/transfers/{transfer_id}/reversals", {"amount": 4000})
        assert reversal["id"].startswith("trr_") and reversal["transfer"] == transfer_id
        after = await api(client, "GET", f"/v1/transfers/{transfer_id}")
        assert after["id"] == transfer_id and after["amount_reversed"] == 4000 and not after.get("reversed")
        assert [r["id"] for r in after["reversals"]["data"]] == [reversal["id"]]
        # The connected account's side, through the same tool with stripe_account.
        payment = await api(
            client, "GET", f"/v1/charges/{transfer['destination_payment']}", stripe_account=account["id"]
        )
        assert payment["amount_refunded"] == 4000 and payment["source_transfer"] == transfer_id
        balance = await api(client, "GET", "/v1/balance", stripe_account=account["id"])
        assert balance["available"][0]["amount"] == 10000 - 1230 - 4000
        retrieved = payload(
            await client.call_tool("retrieve_payment_intent", {"payment_intent": intent["id"]})
        )
        assert retrieved["status"] == "succeeded"


async def test_mixed_charge_types_are_refused_before_the_sandbox_sees_them(
    connect_sandbox: Connect, sandbox: Any, sandbox_key: str
) -> None:
    async with connect_sandbox(connect=True) as client:
        account = await api(client, "POST", "/v1/accounts", CUSTOM)
        # Different params: the server replays an identical write within its window (duplicate protection).
        other = await api(client, "POST", "/v1/accounts", {**CUSTOM, "email": "other@example.com"})
        assert other["id"] != account["id"]
        before = len(sandbox.request_log(sandbox_key))
        base = {"amount": 1000, "currency": "usd"}
        mixed = [
            (
                {**base, "transfer_data": {"destination": other["id"]}},
                account["id"],
            ),  # direct charge + destination
            ({**base, "on_behalf_of": account["id"], "transfer_data": {"destination": other["id"]}}, None),
            ({**base, "application_fee_amount": 100}, None),  # a fee with no connected account
        ]
        for params, on in mixed:
            extra = {"stripe_account": on} if on else {}
            text = error_text(
                await client.call_tool(
                    "call_stripe_api",
                    {"method": "POST", "path": "/v1/payment_intents", "params": params, **extra},
                )
            )
            assert "connect-charge-type" in text, text
        assert len(sandbox.request_log(sandbox_key)) == before  # nothing was sent
        assert sandbox.objects(sandbox_key, "payment_intent") == []
        assert sandbox.objects(sandbox_key, "payment_intent", account["id"]) == []
