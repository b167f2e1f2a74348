"""Findings of the independent review of issue 24 (money a call moves later or at cancellation):
an invoice given a time to finalize itself is collected automatically, and a cancellation with
`invoice_now` charges a final invoice; both are money to the limits and to confirmation."""

from __future__ import annotations

import pytest

from stripe_power.kinds import kind_of_request

from .conftest import Connect, error_text
from .fakes import RecordingStripe

LATER = 1_900_000_000


@pytest.mark.parametrize(
    ("method", "path", "params", "kind"),
    [
        ("POST", "/v1/invoices", {"customer": "cus_1", "automatically_finalizes_at": LATER}, "money"),
        ("POST", "/v1/invoices", {"customer": "cus_1", "automatically_finalizes_at": str(LATER)}, "money"),
        ("POST", "/v1/invoices/in_1", {"automatically_finalizes_at": LATER}, "money"),
        (
            "POST",
            "/v1/invoices",
            {
                "customer": "cus_1",
                "automatically_finalizes_at": LATER,
                "collection_method": "send_invoice",
                "days_until_due": 7,
            },
            "write",
        ),
        ("POST", "/v1/invoices", {"customer": "cus_1", "auto_advance": False}, "write"),
        ("DELETE", "/v1/subscriptions/sub_1", {"invoice_now": True}, "money"),
        ("DELETE", "/v1/subscriptions/sub_1", {"invoice_now": "true"}, "money"),
        ("DELETE", "/v1/subscriptions/sub_1", {"invoice_now": False}, "destructive"),
        ("DELETE", "/v1/subscriptions/sub_1", {}, "destructive"),
        ("POST", "/v1/subscription_schedules/sub_sched_1/cancel", {"invoice_now": True}, "money"),
        ("POST", "/v1/subscription_schedules/sub_sched_1/cancel", {}, "destructive"),
    ],
)
def test_what_charges_later_or_at_cancellation_is_money(
    method: str, path: str, params: dict[str, object], kind: str
) -> None:
    assert kind_of_request(method, path, params) == kind


async def test_with_limits_neither_reaches_stripe(fake: RecordingStripe, connect: Connect) -> None:
    async with connect(max_amount="usd:100000") as client:
        scheduled = error_text(
            await client.call_tool(
                "call_stripe_api",
                {"method": "POST", "path": "/v1/invoices",
                 "params": {"customer": "cus_1", "automatically_finalizes_at": LATER}},
            )
        )  # fmt: skip
        final = error_text(
            await client.call_tool("cancel_subscription", {"subscription": "sub_1", "invoice_now": True})
        )
        generic = error_text(
            await client.call_tool(
                "call_stripe_api",
                {"method": "DELETE", "path": "/v1/subscriptions/sub_1", "params": {"invoice_now": True}},
            )
        )
    for message in (scheduled, final, generic):
        assert "guardrail `spending-limit`" in message, message
    assert "invoice_now=true" in final and "pay_invoice" in final
    assert [r for r in fake.requests if r.method != "GET"] == []
