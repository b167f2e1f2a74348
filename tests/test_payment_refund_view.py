"""Refunds and disputes are visible on the payment (issue 14, item 5): `retrieve_payment_intent`,
`list_payment_intents` and the `stripe://payment_intent/...` resource show what was refunded and
what remains refundable, and a dispute."""

from __future__ import annotations

import json
from typing import Any

from .conftest import Connect, payload
from .fakes import RecordingStripe


async def _paid(client: Any, amount: int = 5000) -> dict[str, Any]:
    return payload(  # type: ignore[no-any-return]
        await client.call_tool(
            "create_payment_intent",
            {"amount": amount, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True},
        )
    )


async def _resource(client: Any, pi: str) -> dict[str, Any]:
    result = await client.read_resource(f"stripe://payment_intent/{pi}")
    return json.loads(result.contents[0].text)  # type: ignore[no-any-return]


async def test_partial_then_full_refund_shows_on_the_payment(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        pi = (await _paid(client))["id"]
        fresh = payload(await client.call_tool("retrieve_payment_intent", {"payment_intent": pi}))
        assert (fresh["amount_refunded"], fresh["remaining_refundable"]) == (0, 5000)
        assert "next_step" not in fresh
        payload(await client.call_tool("create_refund", {"payment_intent": pi, "amount": 1500}))
        part = payload(await client.call_tool("retrieve_payment_intent", {"payment_intent": pi}))
        assert (
            part["amount_refunded_display"] == "$15.00" and part["remaining_refundable_display"] == "$35.00"
        )
        assert part["next_step"] == f'Refunded $15.00 (list_refunds {{"payment_intent": "{pi}"}}).'
        payload(await client.call_tool("create_refund", {"payment_intent": pi}))
        full = payload(await client.call_tool("retrieve_payment_intent", {"payment_intent": pi}))
        assert (full["status"], full["amount_refunded"], full["remaining_refundable"]) == (
            "succeeded",
            5000,
            0,
        )
        assert full["next_step"].startswith("Fully refunded")
        listed = payload(await client.call_tool("list_payment_intents", {"limit": 1}))["data"][0]
        assert (listed["id"], listed["amount_refunded"], listed["remaining_refundable"]) == (pi, 5000, 0)
        resource = await _resource(client, pi)
        assert (resource["amount_refunded"], resource["remaining_refundable"]) == (5000, 0)
        assert resource["next_step"].startswith("Fully refunded")


async def test_a_dispute_shows_on_the_payment(fake: RecordingStripe, connect: Connect) -> None:
    charge = {"id": "ch_1", "object": "charge", "amount": 2000, "amount_captured": 2000, "captured": True,
              "amount_refunded": 0, "disputed": True, "currency": "usd", "status": "succeeded"}  # fmt: skip
    pi = {"id": "pi_1", "object": "payment_intent", "amount": 2000, "amount_received": 2000, "currency": "usd",
          "status": "succeeded", "latest_charge": charge}  # fmt: skip
    fake.on("GET", "/v1/payment_intents/pi_1", pi)
    async with connect() as client:
        shown = payload(await client.call_tool("retrieve_payment_intent", {"payment_intent": "pi_1"}))
        resource = await _resource(client, "pi_1")
    assert shown["disputed"] is True and shown["latest_charge"] == "ch_1"
    assert shown["next_step"].startswith(
        'Disputed: see call_stripe_api {"method": "GET", "path": "/v1/disputes", "params": {"payment_intent": '
    )
    assert resource == shown
    assert [(r.method, r.path, r.query) for r in fake.requests] == [
        ("GET", "/v1/payment_intents/pi_1", [("expand[0]", "latest_charge")])
    ] * 2
