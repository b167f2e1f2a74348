"""The offline API reference (search_stripe_api, describe_stripe_api) and call_stripe_api's spec
check, through an MCP client. Refusals are proven by the sandbox's empty request log."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import Connect, error_text, payload


async def test_search_finds_the_endpoint_for_a_task(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        found = payload(
            await client.call_tool(
                "search_stripe_api", {"query": "create a promotion code customers can type at checkout"}
            )
        )
    first = found["results"][0]
    assert (first["method"], first["path"]) == ("POST", "/v1/promotion_codes")
    assert first["summary"] == "Create a promotion code"
    assert len(found["results"]) == 5
    assert "describe_stripe_api" in found["next_step"]


async def test_describe_a_simple_endpoint_is_compact(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        result = await client.call_tool("describe_stripe_api", {"method": "POST", "path": "/v1/refunds"})
    described = payload(result)
    assert len(result.content[0].text) < 2000  # type: ignore[union-attr]
    assert described["operation"] == "POST /v1/refunds"
    assert described["returns"] == "refund"
    assert described["params"]["reason"].startswith("enum duplicate|fraudulent|requested_by_customer")
    assert described["params"]["amount"].startswith("integer")
    assert described["sandbox"] == "emulated"


async def test_describe_names_guardrails_and_nested_parameters(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        session = payload(
            await client.call_tool("describe_stripe_api", {"method": "POST", "path": "/v1/checkout/sessions"})
        )
        nested = payload(
            await client.call_tool(
                "describe_stripe_api",
                {"method": "POST", "path": "/v1/checkout/sessions", "param": "line_items.price_data"},
            )
        )
        charges = payload(
            await client.call_tool("describe_stripe_api", {"method": "POST", "path": "/v1/charges"})
        )
        concrete = payload(
            await client.call_tool(
                "describe_stripe_api", {"method": "POST", "path": "/v1/invoices/in_123/pay"}
            )
        )
    assert "payment_method_types" in session["guardrails"]["payment-method-types"]
    assert session["params"]["line_items"].startswith("array of object {")
    assert nested["fields"]["currency"] == "string, required"
    assert nested["fields"]["recurring"] == "object {interval, interval_count}"
    assert charges["guardrails"] == {"charges-api": "refuses this endpoint"}
    assert concrete["operation"] == "POST /v1/invoices/{invoice}/pay"


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        ({"method": "POST", "path": "/v1/nothing_here"}, "search_stripe_api"),
        ({"method": "DELETE", "path": "/v1/payment_intents/{intent}"}, "Stripe has GET and POST"),
        (
            {"method": "POST", "path": "/v1/refunds", "param": "reasn"},
            "is not a parameter of POST /v1/refunds",
        ),
    ],
)
async def test_describe_explains_what_it_cannot_find(
    connect_sandbox: Connect, arguments: dict[str, Any], says: str
) -> None:
    async with connect_sandbox() as client:
        assert says in error_text(await client.call_tool("describe_stripe_api", arguments))


@pytest.mark.parametrize(
    ("path", "params", "says"),
    [
        ("/v1/customers", {"emial": "a@example.com"}, "`params.emial`"),
        ("/v1/customers", {"address": {"lin2": "Flat 2"}}, "Did you mean `line2`?"),
        (
            "/v1/checkout/sessions",
            {
                "mode": "payment",
                "line_items": [{"price_data": {"product": "prod_1", "unit_amount": 500}, "quantity": 1}],
            },
            "Missing required param: line_items[0][price_data][currency]",
        ),
        ("/v1/payment_intents", {"amount": "ten", "currency": "usd"}, "Invalid integer"),
        ("/v1/refunds", {"payment_intent": "pi_1", "reason": "changed_mind"}, "must be one of duplicate"),
    ],
)
async def test_call_stripe_api_refuses_what_the_spec_refuses_and_sends_nothing(
    sandbox: Any, sandbox_key: str, connect_sandbox: Connect, path: str, params: dict[str, Any], says: str
) -> None:
    async with connect_sandbox() as client:
        message = error_text(
            await client.call_tool("call_stripe_api", {"method": "POST", "path": path, "params": params})
        )
    assert says in message and "Nothing was sent to Stripe" in message
    assert sandbox.request_log(sandbox_key) == []


async def test_a_wrong_method_is_named_before_sending(
    sandbox: Any, sandbox_key: str, connect_sandbox: Connect
) -> None:
    async with connect_sandbox() as client:
        message = error_text(
            await client.call_tool("call_stripe_api", {"method": "DELETE", "path": "/v1/refunds/re_1"})
        )
    assert "Stripe has GET and POST there" in message
    assert sandbox.request_log(sandbox_key) == []


async def test_stripes_own_nested_shapes_go_through(
    sandbox: Any, sandbox_key: str, connect_sandbox: Connect
) -> None:
    params = {
        "name": "Jane",
        "address": {"line1": "1 Main St", "line2": "Flat 2", "country": "US"},
        "metadata": {"order": "42"},
    }
    async with connect_sandbox() as client:
        created = payload(
            await client.call_tool(
                "call_stripe_api", {"method": "POST", "path": "/v1/customers", "params": params}
            )
        )
    assert created["address"]["line2"] == "Flat 2"
    assert [(r.method, r.path) for r in sandbox.request_log(sandbox_key)] == [("POST", "/v1/customers")]


async def test_reference_tools_work_offline_and_read_only(connect: Connect) -> None:
    """No request is made for the reference (the recording fake would show it), even in read-only mode."""
    async with connect(read_only=True) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        found = payload(await client.call_tool("search_stripe_api", {"query": "list disputes"}))
    for name in ("search_stripe_api", "describe_stripe_api"):
        assert tools[name].annotations is not None and tools[name].annotations.read_only_hint is True
    assert found["results"][0]["path"] == "/v1/disputes"
    assert json.dumps(found).count("GET") >= 1


def test_descriptions_are_cut_at_sentences_or_words_never_mid_word() -> None:
    """Issue 28, item 6: every parameter line of every operation in the spec keeps whole
    sentences of Stripe's description, or whole words and a clear mark (" …")."""
    from stripe_power import spec
    from stripe_power.spec.describe import CUT_MARK, parameters, shorten

    checked = cut = 0
    for op in spec.operations():
        for name, schema in spec.walk(op.params):
            original = " ".join(str(spec.deref(schema).get("description", "")).split())
            if not original:
                continue
            short = shorten(original, 90)
            checked += 1
            assert len(short) <= 90, (op.key, name, short)
            if short.endswith(CUT_MARK):
                cut += 1
                kept = short.removesuffix(CUT_MARK)
                assert original.startswith(kept) and original[len(kept)] in " ,;:(", (op.key, name, short)
            else:
                assert original.startswith(short), (op.key, name, short)
                assert short == original or short[-1] in ".!?", (op.key, name, short)
                assert short == original or original[len(short)] == " ", (op.key, name, short)
    assert checked > 3000 and cut > 100
    lines = parameters(spec.resolve("POST", "/v1/credit_notes").params)  # type: ignore[union-attr]
    said = [line.split(" — ", 1)[1] for line in lines.values() if " — " in line]
    assert said and all("…" not in text or text.endswith(" …") for text in said)
