"""The sandbox's resources through an MCP client (`call_stripe_api` and typed tools), and its
limits relayed as limits of the sandbox, not gaps of Stripe."""

from __future__ import annotations

from .conftest import Connect, error_text, payload


async def test_call_stripe_api_relays_a_sandbox_limit(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        text = error_text(
            await client.call_tool("call_stripe_api", {"method": "GET", "path": "/v1/quotes/qt_123/pdf"})
        )
    assert "limit of the sandbox, not of Stripe" in text, text
    assert "Unrecognized request URL" not in text


async def test_tax_rates_and_tax_ids_through_call_stripe_api(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        rate = payload(
            await client.call_tool(
                "call_stripe_api",
                {
                    "method": "POST",
                    "path": "/v1/tax_rates",
                    "params": {"display_name": "VAT", "percentage": 19, "inclusive": False},
                },
            )
        )
        assert rate["id"].startswith("txr_") and rate["percentage"] == 19
        listed = payload(
            await client.call_tool("call_stripe_api", {"method": "GET", "path": "/v1/tax_rates"})
        )
        assert [r["id"] for r in listed["data"]] == [rate["id"]]


async def test_describe_stripe_api_tells_emulated_from_sandbox_limits(connect_sandbox: Connect) -> None:
    async with connect_sandbox() as client:
        generic = payload(
            await client.call_tool("describe_stripe_api", {"method": "POST", "path": "/v1/tax_rates"})
        )
        limit = payload(
            await client.call_tool("describe_stripe_api", {"method": "GET", "path": "/v1/quotes/{quote}/pdf"})
        )
    assert generic["sandbox"] == "emulated"
    assert limit["sandbox"] == "not emulated offline"
