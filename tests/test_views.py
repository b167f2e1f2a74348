"""One compact view per Stripe object type (issue 28.2): the registry covers the types the issue
names, every view reads Stripe's own example objects and the sandbox's objects without falling
back, the generic view is built from the spec for every other type, and one object shows the same
view through its typed tool, `call_stripe_api`, its resource and its events. `fields`, `expand`
and `full` ask for more; a field the type does not have is refused before anything is sent."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
from mcp.client import Client

from stripe_power import spec
from stripe_power.views import LISTS, VIEWS, page_dict, view_dict
from stripe_power.views.generic import generic_view, money_fields

from .conftest import Connect, error_text, payload

# The types issue 28 names (Stripe's `object` values), each with its own view.
NAMED = ["invoice", "subscription", "payment_intent", "checkout.session", "customer", "refund", "price",
         "product", "charge", "setup_intent", "payment_method", "credit_note", "coupon", "promotion_code",
         "event", "test_helpers.test_clock", "balance_transaction", "customer_balance_transaction", "transfer",
         "application_fee", "dispute", "payout", "account"]  # fmt: skip
DISPLAY = re.compile(r"^-?(?:[$€£¥₹₩][\d,]+(?:\.\d+)?|[\d,]+(?:\.\d+)? [A-Z]{3})(?: credit| owed)?$")


def compact(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def displays(value: Any) -> list[str]:
    """Every `*_display` string anywhere in a view."""
    if isinstance(value, dict):
        found = [v for k, v in value.items() if k.endswith("_display") and isinstance(v, str)]
        return found + [d for v in value.values() for d in displays(v)]
    if isinstance(value, list):
        return [d for v in value for d in displays(v)]
    return []


def test_every_type_the_issue_names_has_its_own_view() -> None:
    assert set(NAMED) <= set(VIEWS), set(NAMED) - set(VIEWS)
    assert {"list", "search_result"} == LISTS
    # Each registered type is one Stripe has (its `object` value names a schema in the spec).
    resource_ids = {s.get("x-resourceId") for s in spec.schemas().values()}
    assert set(VIEWS) <= resource_ids, set(VIEWS) - resource_ids


@pytest.mark.parametrize("object_type", sorted(set(VIEWS) & set(spec.fixtures())))
def test_each_view_reads_stripes_example_object(object_type: str, caplog: pytest.LogCaptureFixture) -> None:
    raw = spec.fixtures()[object_type]
    with caplog.at_level(logging.WARNING, logger="stripe_power.views"):
        shown = view_dict(raw)
        row = view_dict(raw, row=True)
    assert not caplog.records, caplog.text  # its own view, not the generic fallback
    assert shown.get("id", raw.get("id")) == raw.get("id")
    data = {k: v for k, v in shown.items() if k != "next_step"}  # what it shows; the advice is extra
    assert compact(row) <= compact(shown) and compact(data) < compact(raw), (compact(data), compact(raw))
    for text in displays(shown):
        assert DISPLAY.fullmatch(text), (object_type, text)
    assert None not in shown.values()


# Fixtures of the types without their own view (a polymorphic one, such as payment_source, may be an account).
GENERIC_TYPES = sorted(
    t for t, raw in spec.fixtures().items() if isinstance(raw, dict) and raw.get("object") not in VIEWS
)


@pytest.mark.parametrize("object_type", GENERIC_TYPES)
def test_every_other_type_gets_a_view_built_from_its_schema(object_type: str) -> None:
    raw = spec.fixtures()[object_type]
    shown = view_dict(raw)
    if raw.get("deleted") is True:  # Stripe's answer to a DELETE: what was deleted, and that it was
        assert shown == {"id": raw["id"], "object": raw["object"], "deleted": True}
        return
    assert shown == generic_view(raw)
    assert shown["object"] == raw["object"] and shown.get("id") == raw.get("id")
    if raw.get("status") is not None:
        assert shown["status"] == raw["status"]
    currency = raw.get("currency")
    for name in money_fields(object_type) if re.fullmatch("[a-z]{3}", str(currency)) else ():
        if isinstance(raw.get(name), int):  # every amount in minor units and in human form
            assert shown[name] == raw[name] and DISPLAY.fullmatch(shown[f"{name}_display"]), name
    scalars = [k for k in shown if k not in ("id", "object", "status", "currency", "metadata")]
    assert len([k for k in scalars if not k.endswith("_display")]) <= 10 + len(money_fields(object_type))
    assert all(not isinstance(v, (dict, list)) for k, v in shown.items() if k != "metadata")


def test_money_fields_come_from_the_spec() -> None:
    assert {"amount_due", "amount_remaining", "total", "starting_balance"} <= set(money_fields("invoice"))
    assert {"amount", "fee", "net"} <= set(money_fields("balance_transaction"))
    assert "attempt_count" not in money_fields("invoice") and money_fields("product") == ()


def test_lists_and_search_results_are_pages_of_rows() -> None:
    invoice = spec.fixtures()["invoice"]
    listed = view_dict(
        {"object": "list", "data": [invoice, invoice], "has_more": True, "url": "/v1/invoices"}
    )
    assert listed == {
        "data": [view_dict(invoice, row=True)] * 2,
        "has_more": True,
        "next_starting_after": invoice["id"],
    }
    assert set(listed["data"][0]) <= {"id", "status", "customer", "number", "billing_reason", "total_display",
                                       "amount_remaining_display", "created"}  # fmt: skip
    found = page_dict({"object": "search_result", "data": [invoice], "has_more": True, "next_page": "p2"})
    assert found == {"data": [view_dict(invoice, row=True)], "has_more": True, "next_page": "p2"}
    assert view_dict({"object": "list", "data": [], "has_more": False}) == {"data": [], "has_more": False}


def test_a_deleted_object_and_a_partial_one() -> None:
    assert view_dict({"id": "cus_1", "object": "customer", "deleted": True}) == {
        "id": "cus_1",
        "object": "customer",
        "deleted": True,
    }
    # A partial object (a test double, an older API version) gets the generic view, not an error.
    assert view_dict({"id": "pi_1", "object": "payment_intent", "status": "succeeded"}) == {
        "id": "pi_1",
        "object": "payment_intent",
        "status": "succeeded",
    }


async def _paid_invoice(client: Client, email: str = "views@example.com") -> tuple[str, str]:
    """(customer, invoice): an invoice of $50.00 paid with a card, made through call_stripe_api (another
    email makes other objects: identical writes within the replay window are one)."""

    async def api(method: str, path: str, params: dict[str, Any] | None = None) -> Any:
        arguments: dict[str, Any] = {"method": method, "path": path}
        return payload(
            await client.call_tool("call_stripe_api", arguments | ({"params": params} if params else {}))
        )

    customer = await api("POST", "/v1/customers", {"email": email, "name": "Views"})
    await api("POST", "/v1/invoiceitems", {"customer": customer["id"], "amount": 5000, "currency": "usd"})
    invoice = await api("POST", "/v1/invoices", {"customer": customer["id"], "pending_invoice_items_behavior": "include"})  # fmt: skip
    await api("POST", f"/v1/invoices/{invoice['id']}/finalize")
    await api("POST", f"/v1/invoices/{invoice['id']}/pay", {"payment_method": "pm_card_visa"})
    return customer["id"], invoice["id"]


async def test_one_object_shows_one_view_through_every_door(connect_sandbox: Connect) -> None:
    """Typed tool, call_stripe_api, resource and event: the same view of the same invoice."""
    async with connect_sandbox() as client:
        customer, invoice = await _paid_invoice(client)
        typed = payload(await client.call_tool("retrieve_invoice", {"invoice": invoice}))
        generic = payload(
            await client.call_tool("call_stripe_api", {"method": "GET", "path": f"/v1/invoices/{invoice}"})
        )
        read = (await client.read_resource(f"stripe://invoice/{invoice}")).contents[0]
        event = payload(
            await client.call_tool("wait_for_event", {"type": "invoice.paid", "object_id": invoice})
        )
        customer_typed = payload(await client.call_tool("retrieve_customer", {"customer": customer}))
        customer_generic = payload(
            await client.call_tool("call_stripe_api", {"method": "GET", "path": f"/v1/customers/{customer}"})
        )
    assert typed == generic and json.loads(read.text) == typed  # type: ignore[union-attr]
    assert (typed["status"], typed["amount_paid_display"], typed["amount_remaining"]) == ("paid", "$50.00", 0)
    snapshot = event["event"]["data"]["object"]
    assert snapshot == {k: v for k, v in typed.items() if k != "next_step"}  # as it was then, no advice
    assert customer_typed == customer_generic


async def test_lists_through_call_stripe_api_are_rows_with_the_next_cursor(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        await _paid_invoice(client, "first@example.com")
        customer, _ = await _paid_invoice(client)
        page = payload(
            await client.call_tool(
                "call_stripe_api", {"method": "GET", "path": "/v1/invoices", "params": {"limit": 1}}
            )
        )
        rest = payload(await client.call_tool("call_stripe_api", {
            "method": "GET", "path": "/v1/invoices", "params": {"limit": 1, "starting_after": page["next_starting_after"]}}))  # fmt: skip
        typed = payload(await client.call_tool("list_invoices", {"limit": 1}))
        # A list gets what its rows show expanded, as the typed list does (a payment's refunds).
        paid_typed = payload(await client.call_tool("list_payment_intents", {"limit": 1}))
        paid_generic = payload(await client.call_tool("call_stripe_api", {
            "method": "GET", "path": "/v1/payment_intents", "params": {"limit": 1}}))  # fmt: skip
        found = payload(await client.call_tool("call_stripe_api", {
            "method": "GET", "path": "/v1/customers/search", "params": {"query": "name:'Views'", "limit": 1}}))  # fmt: skip
    assert page["has_more"] is True and rest["has_more"] is False
    assert (
        page["data"][0]["id"] != rest["data"][0]["id"] and page["data"][0]["customer"] == customer
    )  # newest first
    assert typed == page  # the typed list shows the same rows
    assert paid_typed == paid_generic and paid_generic["data"][0]["remaining_refundable"] == 5000
    assert set(page["data"][0]) == {"id", "status", "customer", "number", "total_display", "created"}
    assert len(found["data"]) == 1 and found["has_more"] is True and found["next_page"]


async def test_fields_expand_and_full_ask_for_more(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        customer, invoice = await _paid_invoice(client)
        read = {"method": "GET", "path": f"/v1/invoices/{invoice}"}
        more = payload(await client.call_tool("call_stripe_api", {**read, "fields": ["lines", "status_transitions.paid_at"]}))  # fmt: skip
        expanded = payload(
            await client.call_tool("call_stripe_api", {**read, "params": {"expand": ["customer"]}})
        )
        whole = payload(await client.call_tool("call_stripe_api", {**read, "full": True}))
        listed = payload(await client.call_tool("call_stripe_api", {
            "method": "GET", "path": "/v1/invoices", "params": {"customer": customer}, "fields": ["hosted_invoice_url"]}))  # fmt: skip
    (line,) = more["lines"]["data"]
    assert (
        line["object"] == "line_item" and line["amount_display"] == "$50.00"
    )  # a line in its (generic) view
    assert more["status_transitions"] == {"paid_at": whole["status_transitions"]["paid_at"]}
    assert expanded["customer"]["email"] == "views@example.com"  # what expand asked for, in its own view
    assert whole["object"] == "invoice" and whole["lines"]["data"][0]["amount"] == 5000  # Stripe's object
    assert None not in whole.values()
    assert listed["data"][0]["hosted_invoice_url"].endswith(invoice)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"method": "GET", "path": "/v1/invoices/in_123", "fields": ["line"]}, "'line' is not a field of invoice"),
        ({"method": "POST", "path": "/v1/customers", "params": {"email": "x@example.com"}, "fields": ["emial"]},
         "Did you mean email"),
        ({"method": "GET", "path": "/v1/invoices", "fields": ["totl"]}, "Did you mean total"),
        ({"method": "GET", "path": "/v1/invoices/in_123", "fields": ["lines"], "full": True}, "full=true"),
        ({"method": "GET", "path": "/v1/invoices/in_123", "fields": ["lines[0]"]}, "fields"),
    ],
)  # fmt: skip
async def test_a_field_the_type_lacks_is_refused_before_anything_is_sent(
    connect_sandbox: Connect, sandbox: Any, sandbox_key: str, arguments: dict[str, Any], message: str
) -> None:
    async with connect_sandbox() as client:
        text = error_text(await client.call_tool("call_stripe_api", arguments))
    assert message in text and "fields" in text, text
    assert sandbox.request_log(sandbox_key) == []  # nothing sent: not even the write


async def test_views_of_the_sandbox_never_fall_back(
    connect_sandbox: Connect, sandbox: Any, sandbox_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Every object the sandbox keeps for a billing and payment session reads in its own view."""
    with caplog.at_level(logging.WARNING, logger="stripe_power.views"):
        async with connect_sandbox() as client:
            customer, invoice = await _paid_invoice(client)
            note = {"invoice": invoice, "amount": 1000, "refund_amount": 1000}
            await client.call_tool(
                "call_stripe_api", {"method": "POST", "path": "/v1/credit_notes", "params": note}
            )
            for path in ("/v1/events", "/v1/charges", "/v1/refunds", "/v1/credit_notes", "/v1/payment_intents",
                         "/v1/balance_transactions", "/v1/customers", "/v1/payment_methods?customer"):  # fmt: skip
                path, _, filter_name = path.partition("?")
                params = {"limit": 100, **({filter_name: customer} if filter_name else {})}
                payload(
                    await client.call_tool(
                        "call_stripe_api", {"method": "GET", "path": path, "params": params}
                    )
                )
    assert not caplog.records, caplog.text


async def test_ten_invoices_through_call_stripe_api_fit_in_2_kb(connect_sandbox: Connect) -> None:
    """Ten invoices through call_stripe_api: at most 2 KB (issue 28.2; bench/result_size.py measures it)."""
    async with connect_sandbox() as client:
        customer = payload(await client.call_tool("create_customer", {"email": "ten@example.com"}))["id"]
        for n in range(10):
            params = {"customer": customer, "collection_method": "send_invoice", "days_until_due": 30,
                      "description": f"Month {n + 1}"}  # fmt: skip
            made = payload(await client.call_tool("call_stripe_api", {"method": "POST", "path": "/v1/invoices", "params": params}))  # fmt: skip
            item = {"customer": customer, "invoice": made["id"], "amount": 2999 + n, "currency": "usd"}
            await client.call_tool(
                "call_stripe_api", {"method": "POST", "path": "/v1/invoiceitems", "params": item}
            )
            await client.call_tool(
                "call_stripe_api", {"method": "POST", "path": f"/v1/invoices/{made['id']}/finalize"}
            )
        result = await client.call_tool(
            "call_stripe_api",
            {"method": "GET", "path": "/v1/invoices", "params": {"customer": customer, "limit": 10}},
        )
    text = result.content[0].text  # type: ignore[union-attr]
    assert len(payload(result)["data"]) == 10 and len(text.encode()) <= 2048, len(text.encode())


def test_display_pattern_reads_zero_and_three_decimal_currencies() -> None:
    from stripe_power.money import format_amount

    for amount, currency in ((2999, "usd"), (500, "jpy"), (1234, "kwd"), (-500, "eur"), (100, "chf")):
        assert DISPLAY.fullmatch(str(format_amount(amount, currency)))
