"""Money that moves now or later is money, decided from the endpoint via the spec (issue 13, class 5)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from stripe_power import spec
from stripe_power.kinds import (
    BILLS_LATER,
    DESTRUCTIVE_ACTIONS,
    INVOICE_COLLECTS,
    MONEY_OBJECTS,
    kind_of_request,
)

from .conftest import Connect, error_text, payload
from .fakes import RecordingStripe


def concrete(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "obj_1", template)


def _action(op: spec.Operation) -> str:
    return op.path.rsplit("/", 1)[-1]


MONEY_OPS = sorted(
    (op for op in spec.operations()
     if op.method == "POST" and op.returns in MONEY_OBJECTS and _action(op) not in DESTRUCTIVE_ACTIONS),
    key=lambda op: op.key,
)  # fmt: skip


def test_the_tables_name_what_the_spec_has() -> None:
    returned = {op.returns for op in spec.operations()}
    assert returned >= MONEY_OBJECTS
    assert all(spec.operation(*key.split(" ", 1)) for key in [*INVOICE_COLLECTS, *BILLS_LATER])
    keys = {op.key for op in MONEY_OPS}
    assert {"POST /v1/transfers/{id}/reversals", "POST /v1/refunds", "POST /v1/payouts",
            "POST /v1/payment_intents/{intent}/confirm", "POST /v1/topups"} <= keys  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "params", "kind"),
    [
        ("POST", "/v1/transfers/tr_1/reversals", {"amount": 10**7}, "money"),
        ("POST", "/v1/invoices/in_1/pay", {}, "money"),
        ("POST", "/v1/invoices/in_1/finalize", {}, "money"),
        ("POST", "/v1/invoices/in_1/finalize", {"auto_advance": True}, "money"),
        ("POST", "/v1/invoices/in_1/finalize", {"auto_advance": False}, "write"),
        ("POST", "/v1/invoices/in_1/finalize", {"auto_advance": "false"}, "write"),
        ("POST", "/v1/invoices/in_1/finalize", {"auto_advance": 1}, "money"),
        ("POST", "/v1/subscription_schedules/sub_sched_1", {"phases": [{"items": [{"price": "price_2"}]}]}, "money"),
        ("POST", "/v1/subscription_schedules/sub_sched_1", {"metadata": {"a": "b"}}, "write"),
        ("POST", "/v1/subscription_items/si_1", {"price": "price_2"}, "money"),
        ("POST", "/v1/invoices", {"customer": "cus_1", "auto_advance": True}, "money"),
        ("POST", "/v1/invoices", {"customer": "cus_1", "auto_advance": True, "collection_method": "send_invoice",
                                  "days_until_due": 3}, "write"),
        ("POST", "/v1/invoices", {"customer": "cus_1"}, "write"),
        ("POST", "/v1/subscriptions/sub_1/resume", {}, "money"),
        ("POST", "/v1/subscriptions", {"customer": "cus_1", "items": [{"price": "price_1"}]}, "money"),
        ("POST", "/v1/subscriptions", {"customer": "cus_1", "items": [{"price": "price_1"}],
                                       "payment_behavior": "default_incomplete"}, "write"),
        ("POST", "/v1/customers/cus_1/subscriptions", {"items": [{"price": "price_1"}]}, "money"),
        ("POST", "/v1/subscriptions/sub_1", {"proration_behavior": "always_invoice"}, "money"),
        ("POST", "/v1/subscriptions/sub_1", {"items": [{"id": "si_1", "price": "price_2"}]}, "money"),
        ("POST", "/v1/subscriptions/sub_1", {"billing_cycle_anchor": "now"}, "money"),
        ("POST", "/v1/subscriptions/sub_1", {"metadata": {"a": "b"}}, "write"),
        ("POST", "/v1/subscription_items/si_1", {"proration_behavior": "always_invoice"}, "money"),
        ("POST", "/v1/invoiceitems", {"customer": "cus_1", "amount": 500, "currency": "usd"}, "money"),
        ("POST", "/v1/payment_intents/pi_1/cancel", {}, "destructive"),
        ("POST", "/v1/customers", {"email": "a@example.com"}, "write"),
        ("POST", "/v1/coupons", {"percent_off": 25}, "write"),
        ("POST", "/v1/checkout/sessions", {"mode": "payment"}, "write"),
        ("POST", "/v1/not_a_stripe_endpoint", {}, "money"),
        ("POST", "/v1/test_helpers/test_clocks/clock_1/advance", {"frozen_time": 1}, "money"),
        ("DELETE", "/v1/customers/cus_1", {}, "destructive"),
        ("GET", "/v1/transfers/tr_1/reversals", {}, "read"),
    ],
)  # fmt: skip
def test_kind_of_request(method: str, path: str, params: dict[str, Any], kind: str) -> None:
    assert kind_of_request(method, path, params) == kind


async def test_every_money_endpoint_meets_the_limits_through_the_generic_tool(
    fake: RecordingStripe, connect: Connect
) -> None:
    """Generated from the spec: every write that returns a money object, with an amount far over
    --max-amount, is refused and nothing is sent."""
    missed = []
    async with connect(max_amount="usd:1000") as client:
        for op in MONEY_OPS:
            result = await client.call_tool(
                "call_stripe_api",
                {"method": "POST", "path": concrete(op.path), "params": {"amount": 10**7, "currency": "usd"}},
            )
            text = result.content[0].text  # type: ignore[union-attr]
            if not (result.is_error and "guardrail `spending-limit`" in text):
                missed.append(f"{op.key}: {text[:160]}")
    assert not missed, "\n".join(missed)
    assert len(MONEY_OPS) > 40 and fake.requests == []


async def test_a_reversal_needs_confirmation(fake: RecordingStripe, connect: Connect) -> None:
    async with connect(confirm_writes=True) as client:
        held = json.loads(error_text(await client.call_tool(
            "call_stripe_api", {"method": "POST", "path": "/v1/transfers/tr_1/reversals", "params": {"amount": 500}}
        )))  # fmt: skip
    assert held["status"] == "confirmation_required"
    assert fake.requests == []


DRAFT = {"id": "in_1", "object": "invoice", "status": "draft", "customer": "cus_1", "currency": "usd",
         "collection_method": "charge_automatically", "auto_advance": True, "amount_due": 250000,
         "amount_remaining": 250000, "total": 250000, "number": None}  # fmt: skip


async def test_finalize_that_collects_is_money(fake: RecordingStripe, connect: Connect) -> None:
    fake.on("GET", "/v1/invoices/in_1", DRAFT)
    async with connect(max_amount="usd:100000") as client:
        refused = error_text(await client.call_tool("finalize_invoice", {"invoice": "in_1"}))
        assert "spending-limit" in refused and "$2,500.00" in refused
        refused = error_text(
            await client.call_tool("finalize_invoice", {"invoice": "in_1", "auto_advance": True})
        )
        assert "spending-limit" in refused
    assert [r.method for r in fake.requests] == ["GET", "GET"]
    fake.requests.clear()
    fake.on("POST", "/v1/invoices/in_1/finalize", {**DRAFT, "status": "open"})
    async with connect(max_amount="usd:100000") as client:  # no automatic collection: not a payment
        payload(await client.call_tool("finalize_invoice", {"invoice": "in_1", "auto_advance": False}))
    async with connect(confirm_writes=True) as client:
        held = json.loads(error_text(await client.call_tool("finalize_invoice", {"invoice": "in_1"})))
        assert "charges $2,500.00 automatically" in held["preview"]
    assert [r.method for r in fake.requests] == ["POST", "GET"]


PAUSED = {"id": "sub_1", "object": "subscription", "status": "paused", "customer": "cus_1", "currency": "usd",
          "items": {"object": "list", "data": [{"id": "si_1", "quantity": 4, "price": {
              "id": "price_1", "object": "price", "currency": "usd", "unit_amount": 50000,
              "recurring": {"interval": "month", "interval_count": 1}}}]}}  # fmt: skip


async def test_resuming_a_paused_subscription_is_money(fake: RecordingStripe, connect: Connect) -> None:
    fake.on("GET", "/v1/subscriptions/sub_1", PAUSED)
    async with connect(max_amount="usd:100000") as client:
        refused = error_text(await client.call_tool("resume_subscription", {"subscription": "sub_1"}))
    assert "spending-limit" in refused and "$2,000.00" in refused
    assert [r.method for r in fake.requests] == ["GET"]
    async with connect(confirm_writes=True) as client:
        held = json.loads(
            error_text(await client.call_tool("resume_subscription", {"subscription": "sub_1"}))
        )
    assert "invoices and charges now" in held["preview"]
    assert [r.method for r in fake.requests] == ["GET", "GET"]


async def test_a_price_change_meets_the_limits(fake: RecordingStripe, connect: Connect) -> None:
    fake.on("GET", "/v1/subscriptions/sub_1", {**PAUSED, "status": "active"})
    fake.on("GET", "/v1/prices/price_2", {"id": "price_2", "object": "price", "currency": "usd",
                                          "unit_amount": 900000, "recurring": {"interval": "year"}})  # fmt: skip
    async with connect(max_amount="usd:100000") as client:
        refused = error_text(await client.call_tool(
            "update_subscription", {"subscription": "sub_1", "items": [{"id": "si_1", "price": "price_2"}]}
        ))  # fmt: skip
    assert "spending-limit" in refused and "$36,000.00" in refused
    assert all(r.method == "GET" for r in fake.requests)


async def test_finalize_over_the_limit_leaves_the_sandbox_invoice_a_draft(
    sandbox: Any, sandbox_key: str, connect_sandbox: Connect
) -> None:
    import stripe

    client = stripe.StripeClient(sandbox_key, base_addresses={"api": sandbox.url})
    customer = client.v1.customers.create({"email": "fin@example.com"})
    invoice = client.v1.invoices.create({"customer": customer.id, "auto_advance": True})
    client.v1.invoice_items.create({"customer": customer.id, "invoice": invoice.id, "amount": 500000,
                                    "currency": "usd"})  # fmt: skip
    before = len(sandbox.request_log(sandbox_key))
    async with connect_sandbox(max_amount="usd:100000") as mcp:
        refused = error_text(await mcp.call_tool("finalize_invoice", {"invoice": invoice.id}))
    assert "spending-limit" in refused
    assert [r.method for r in sandbox.request_log(sandbox_key)[before:]] == ["GET"]
    assert client.v1.invoices.retrieve(invoice.id).status == "draft"
