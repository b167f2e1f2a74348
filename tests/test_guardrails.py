"""Every guardrail refuses through the protocol, says why and what to use, and sends nothing."""

from __future__ import annotations

from typing import Any

import pytest

from stripe_power.guardrails import RULES, find_card_number, violation
from stripe_power.hints import Listing, render
from stripe_power.wire import canonical

from .conftest import Connect, error_text, payload
from .fakes import RecordingStripe

PAN = "4242 4242 4242 4242"

REFUSED: list[tuple[str, str, dict[str, Any], str]] = [
    ("POST", "/v1/charges", {"amount": 500, "currency": "usd", "source": "tok_visa"}, "charges-api"),
    ("POST", "/v1/charges/ch_123/capture", {}, "charges-api"),
    ("GET", "/v1/sources/src_123", {}, "sources-api"),
    ("POST", "/v1/sources", {"type": "card"}, "sources-api"),
    ("POST", "/v1/customers/cus_1/sources", {"source": "tok_visa"}, "sources-api"),
    ("POST", "/v1/customers", {"source": "tok_visa"}, "sources-api"),
    ("POST", "/v1/tokens", {"card": {"number": "4000056655665556"}}, "tokens-api"),
    ("POST", "/v1/payment_intents", {"amount": 500, "currency": "usd", "payment_method_types": ["card"]},
     "payment-method-types"),
    ("POST", "/v1/setup_intents", {"payment_method_types": ["card"]}, "payment-method-types"),
    ("POST", "/v1/checkout/sessions", {"mode": "payment", "payment_method_types": ["card"]}, "payment-method-types"),
    ("POST", "/v1/payment_links", {"payment_method_types": ["card"]}, "payment-method-types"),
    ("POST", "/v1/payment_links/plink_1", {"payment_method_types": ["card"]}, "payment-method-types"),
    ("GET", "/v1/customers", {"stripe_version": "2020-08-27"}, "api-version-pin"),
    ("POST", "/v1/customers", {"description": f"card {PAN}"}, "raw-card-data"),
    ("POST", "/v1/payment_methods", {"type": "card", "card": {"number": "5555555555554444"}}, "raw-card-data"),
    # A card number in the path is sent too (the review's F3).
    ("GET", "/v1/customers/4242424242424242", {}, "raw-card-data"),
    ("POST", "/v1/customers/cus_4242424242424242", {"name": "A"}, "raw-card-data"),
    ("POST", "/v1/Charges", {"amount": 500, "currency": "usd"}, "charges-api"),
    ("POST", "/v1/customers/cus_1/cards", {"source": "tok_visa"}, "sources-api"),
    ("GET", "/v1/customers/cus_1/bank_accounts", {}, "sources-api"),
    ("POST", "/v1/customers/cus_1", {"card": "tok_visa"}, "sources-api"),
    ("POST", "/v1/subscriptions", {"customer": "cus_1", "payment_settings": {"payment_method_types": ["card"]}},
     "payment-method-types"),
    ("POST", "/v1/invoices/in_1", {"payment_settings": {"payment_method_types": ["card"]}}, "payment-method-types"),
    ("POST", "/v1/customers", {"Stripe-Version": "2020-08-27"}, "api-version-pin"),
    ("POST", "/v1/plans", {"amount": 500, "currency": "usd", "interval": "month"}, "plans-api"),
    ("POST", "/v1/payment_intents",
     {"amount": 500, "currency": "usd", "on_behalf_of": "acct_A", "transfer_data": {"destination": "acct_B"}},
     "connect-charge-type"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "params", "rule_id"), REFUSED)
async def test_generic_tool_refuses_and_sends_nothing(
    sandbox: Any,
    sandbox_key: str,
    connect_sandbox: Connect,
    method: str,
    path: str,
    params: dict[str, Any],
    rule_id: str,
) -> None:
    async with connect_sandbox() as client:
        message = error_text(
            await client.call_tool("call_stripe_api", {"method": method, "path": path, "params": params})
        )
        payload(await client.call_tool("list_customers", {}))  # the connection itself works
    assert f"guardrail `{rule_id}`" in message
    rule = next(r for r in RULES if r.id == rule_id)
    # The advice's first clause always; later ones only where the endpoint takes what they name.
    assert render(rule.instead.split("; ")[0].rstrip("."), Listing.everything()) in message
    assert rule.doc_url in message and "Nothing was sent" in message
    assert PAN not in message
    assert [(r.method, r.path) for r in sandbox.request_log(sandbox_key)] == [("GET", "/v1/customers")]


async def test_a_card_number_given_as_an_id_is_refused_before_the_path_is_sent(
    fake: RecordingStripe, connect: Connect, tmp_path: Any
) -> None:
    customer = "cus_4242424242424242"  # the id pattern takes it: the path rule must refuse it
    async with connect() as client:
        message = error_text(await client.call_tool("retrieve_customer", {"customer": customer}))
    assert "guardrail `raw-card-data`" in message and "path" in message
    assert customer not in message and "4242" not in (tmp_path / "state" / "audit.jsonl").read_text()
    assert fake.requests == []


async def test_refusals_are_audited_without_the_card_number(
    fake: RecordingStripe, connect: Connect, tmp_path: Any
) -> None:
    async with connect() as client:
        error_text(await client.call_tool(
            "call_stripe_api", {"method": "POST", "path": "/v1/customers", "params": {"description": PAN}}
        ))  # fmt: skip
    audit = (tmp_path / "state" / "audit.jsonl").read_text()
    assert '"refused":"raw-card-data"' in audit and '"tool":"call_stripe_api"' in audit
    assert PAN not in audit and PAN.replace(" ", "") not in audit
    assert fake.requests == []


@pytest.mark.parametrize(
    "params",
    [
        {"payment_method_types[0]": "card"},
        {"payment_method_types[]": "card"},
        {"transfer_data[destination]": "acct_2", "on_behalf_of": "acct_3"},
        {"payment_intent_data": {"transfer_data[destination]": "acct_2"}},
        {"line_items": [{"price_data[currency]": "usd"}]},
    ],
)
async def test_pre_encoded_form_keys_are_refused(
    fake: RecordingStripe, connect: Connect, params: dict[str, Any]
) -> None:
    async with connect() as client:
        message = error_text(await client.call_tool(
            "call_stripe_api", {"method": "POST", "path": "/v1/checkout/sessions", "params": params}
        ))  # fmt: skip
    assert "pre-encoded form key" in message and "nested objects" in message
    assert fake.requests == []


def test_every_request_rule_is_exercised() -> None:
    request_rules = {r.id for r in RULES if r.matches}
    assert request_rules == {rule_id for *_, rule_id in REFUSED}


@pytest.mark.parametrize(
    "path",
    ["https://evil.example/v1/customers", "/v1/customers/../charges", "/v1/customers?limit=1", "/v2/core/x"],
)
async def test_generic_tool_validates_path(fake: RecordingStripe, connect: Connect, path: str) -> None:
    async with connect() as client:
        message = error_text(await client.call_tool("call_stripe_api", {"method": "GET", "path": path}))
    assert "`path`" in message
    assert fake.requests == []


async def test_generic_tool_passes_allowed_calls(fake: RecordingStripe, connect: Connect) -> None:
    fake.on("POST", "/v1/coupons", {"id": "co_1", "object": "coupon", "percent_off": 25, "name": None})
    fake.on("GET", "/v1/disputes", {"object": "list", "data": [], "has_more": False})
    async with connect() as client:
        coupon = payload(await client.call_tool(
            "call_stripe_api",
            {"method": "POST", "path": "/v1/coupons", "params": {"percent_off": 25, "metadata": {"k": "v"}},
             "idempotency_key": "coupon-1"},
        ))  # fmt: skip
        disputes = payload(
            await client.call_tool(
                "call_stripe_api", {"method": "GET", "path": "/v1/disputes", "params": {"limit": 3}}
            )
        )
    assert coupon == {"id": "co_1", "percent_off": 25}  # the coupon's view (a null name left out)
    assert disputes["data"] == []
    post, get = fake.requests
    assert post.form == [("percent_off", "25"), ("metadata[k]", "v")]
    assert post.headers["Idempotency-Key"] == "coupon-1"
    assert get.form == [("limit", "3")]


async def test_read_only_mode_keeps_get_and_refuses_writes(fake: RecordingStripe, connect: Connect) -> None:
    fake.on("GET", "/v1/disputes", {"object": "list", "data": [], "has_more": False})
    async with connect(read_only=True) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        payload(await client.call_tool("call_stripe_api", {"method": "GET", "path": "/v1/disputes"}))
        message = error_text(
            await client.call_tool("call_stripe_api", {"method": "POST", "path": "/v1/coupons"})
        )
    assert "call_stripe_api" in names and "create_customer" not in names
    assert "--read-only" in message
    assert [r.method for r in fake.requests] == ["GET"]


def test_card_numbers_are_found_only_when_luhn_valid() -> None:
    assert find_card_number("pay with 4242-4242-4242-4242 now") == "4242424242424242"
    assert find_card_number("order 1234567890123456") is None  # fails Luhn
    # glued to an id-like prefix it is still a card number (a real Stripe id never has 13 digits in a row)
    assert find_card_number("pi_4242424242424242") == "4242424242424242"
    assert find_card_number("pi_3MtwBwLkdIwHu7ix28a3tqPa") is None
    assert violation(canonical("POST", "/v1/customers", {"metadata": {"order": "12345"}})) is None


async def test_generic_tool_never_returns_secrets(fake: RecordingStripe, connect: Connect) -> None:
    secret = "whsec_" + "Ab1" * 10
    fake.on("POST", "/v1/webhook_endpoints", {"id": "we_1", "object": "webhook_endpoint", "secret": secret,
                                               "url": "https://example.com/hook"})  # fmt: skip
    fake.on("GET", "/v1/payment_intents/pi_1", {"id": "pi_1", "client_secret": "pi_1_secret_" + "x" * 20})
    async with connect() as client:
        endpoint = payload(await client.call_tool(
            "call_stripe_api",
            {"method": "POST", "path": "/v1/webhook_endpoints",
             "params": {"url": "https://example.com/hook", "enabled_events": ["*"]}},
        ))  # fmt: skip
        read = {"method": "GET", "path": "/v1/payment_intents/pi_1"}
        intent = payload(await client.call_tool("call_stripe_api", read))
        whole = payload(await client.call_tool("call_stripe_api", {**read, "full": True}))
    assert endpoint["secret"] == "[redacted]" and endpoint["url"] == "https://example.com/hook"
    assert "client_secret" not in intent and intent["id"] == "pi_1"  # a view never shows it
    assert whole["client_secret"] == "[redacted]"  # nor does the whole object
