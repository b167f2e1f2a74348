"""Payment Links toolset: exact requests against the recording fake, the payment_method_types
guardrail, and a usable link end to end against the offline sandbox."""

from __future__ import annotations

from typing import Any

import httpx
import stripe

from .conftest import Connect, error_text, payload
from .fakes import RecordingStripe

LINK = {
    "id": "plink_1",
    "object": "payment_link",
    "active": True,
    "url": "https://buy.stripe.com/test_1",
    "after_completion": {"type": "redirect", "redirect": {"url": "https://example.com/thanks"}},
    "metadata": {"campaign": "spring"},
}


async def test_create_payment_link_exact_form(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        fake.on("POST", "/v1/payment_links", LINK)
        result = payload(
            await client.call_tool(
                "create_payment_link",
                {
                    "line_items": [
                        {"price": "price_1", "quantity": 2,
                         "adjustable_quantity": {"enabled": True, "minimum": 1, "maximum": 10}},
                        {"price": "price_2"},
                    ],
                    "after_completion": {"type": "redirect", "redirect": {"url": "https://example.com/thanks"}},
                    "metadata": {"campaign": "spring"},
                    "idempotency_key": "pl-1",
                },
            )
        )  # fmt: skip
        sent = fake.only()
        assert (sent.method, sent.path) == ("POST", "/v1/payment_links")
        assert sent.headers["Idempotency-Key"] == "pl-1"
        assert sent.form == [
            ("line_items[0][price]", "price_1"),
            ("line_items[0][quantity]", "2"),
            ("line_items[0][adjustable_quantity][enabled]", "true"),
            ("line_items[0][adjustable_quantity][minimum]", "1"),
            ("line_items[0][adjustable_quantity][maximum]", "10"),
            ("line_items[1][price]", "price_2"),
            ("line_items[1][quantity]", "1"),
            ("after_completion[type]", "redirect"),
            ("after_completion[redirect][url]", "https://example.com/thanks"),
            ("metadata[campaign]", "spring"),
        ]
        assert result == {
            "id": "plink_1",
            "url": "https://buy.stripe.com/test_1",
            "active": True,
            "after_completion_url": "https://example.com/thanks",
            "metadata": {"campaign": "spring"},
            "next_step": "Share url with customers; watch checkout.session.completed for purchases.",
        }


async def test_payment_method_types_is_refused_and_nothing_sent(
    fake: RecordingStripe, connect: Connect
) -> None:
    async with connect() as client:
        message = error_text(
            await client.call_tool(
                "create_payment_link",
                {"line_items": [{"price": "price_1"}], "payment_method_types": ["card"]},
            )
        )
        # Payment Links take no excluded_payment_method_types: the advice does not name it.
        assert "payment-method-types" in message and "`excluded_payment_method_types`" not in message
        assert "Nothing was sent to Stripe" in message
        nested = {"line_items": [{"price": "price_1", "payment_method_types": ["card"]}]}
        assert "line_items.0.payment_method_types" in error_text(
            await client.call_tool("create_payment_link", nested)
        )
        assert fake.requests == []


async def test_bad_line_items_send_nothing(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        cases: list[tuple[dict[str, Any], str]] = [
            ({"line_items": []}, "`line_items`"),
            ({"line_items": [{"price": "price_1", "quantity": 0}]}, "line_items.0.quantity"),
            (
                {
                    "line_items": [
                        {
                            "price": "price_1",
                            "adjustable_quantity": {"enabled": True, "minimum": 5, "maximum": 2},
                        }
                    ]
                },
                "minimum must not exceed maximum",
            ),
            (
                {
                    "line_items": [{"price": "price_1"}],
                    "after_completion": {"type": "redirect", "redirect": {"url": "javascript:alert(1)"}},
                },
                "`after_completion.redirect.url`",
            ),
            (
                {"line_items": [{"price": "price_1"}], "after_completion": {"type": "redirect"}},
                "redirect {url}",
            ),
            (
                {"line_items": [{"price": "price_1"}], "after_completion_url": "https://e.com"},
                "Unknown parameter",
            ),
        ]
        for arguments, named in cases:
            assert named in error_text(await client.call_tool("create_payment_link", arguments)), arguments
        assert fake.requests == []


async def test_list_and_deactivate_exact_requests(fake: RecordingStripe, connect: Connect) -> None:
    async with connect() as client:
        fake.on("GET", "/v1/payment_links", {"object": "list", "data": [LINK], "has_more": True})
        fake.on("POST", "/v1/payment_links/plink_1", {**LINK, "active": False})
        page = payload(
            await client.call_tool(
                "list_payment_links", {"active": True, "limit": 1, "starting_after": "plink_0"}
            )
        )
        off = payload(
            await client.call_tool(
                "deactivate_payment_link", {"payment_link": "plink_1", "idempotency_key": "d-1"}
            )
        )
        listing, deactivate = fake.requests
        assert listing.form == [("active", "true"), ("limit", "1"), ("starting_after", "plink_0")]
        assert page["has_more"] is True and page["next_starting_after"] == "plink_1"
        assert (deactivate.method, deactivate.path, deactivate.form) == (
            "POST",
            "/v1/payment_links/plink_1",
            [("active", "false")],
        )
        assert deactivate.headers["Idempotency-Key"] == "d-1"
        assert off["active"] is False and "next_step" not in off
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        hints = tools["deactivate_payment_link"].annotations
        assert hints and hints.destructive_hint is False and hints.read_only_hint is False


# -- end to end against the offline sandbox -------------------------------------------------------


def one_time_price(sandbox: Any, key: str) -> str:
    client = stripe.StripeClient(key, base_addresses={"api": sandbox.url})
    product = client.v1.products.create({"name": "T-shirt"})
    return str(client.v1.prices.create({"product": product.id, "currency": "usd", "unit_amount": 2500}).id)


async def test_e2e_payment_link_url_is_usable(
    sandbox: Any, sandbox_key: str, connect_sandbox: Connect
) -> None:
    price = one_time_price(sandbox, sandbox_key)
    async with connect_sandbox() as mcp:
        link = payload(
            await mcp.call_tool(
                "create_payment_link",
                {
                    "line_items": [{"price": price, "adjustable_quantity": {"enabled": True, "maximum": 5}}],
                    "after_completion": {
                        "type": "redirect",
                        "redirect": {"url": "https://example.com/thanks"},
                    },
                },
            )
        )
        assert link["id"].startswith("plink_") and link["active"] is True
        assert link["after_completion_url"] == "https://example.com/thanks"
        async with httpx.AsyncClient() as http:
            page = await http.get(link["url"], follow_redirects=True)
        assert page.status_code == 200, page.text[:300]

        off = payload(await mcp.call_tool("deactivate_payment_link", {"payment_link": link["id"]}))
        assert off["active"] is False
    sent = [r for r in sandbox.request_log(sandbox_key) if r.path.startswith("/v1/payment_links")]
    assert [(r.method, r.path) for r in sent] == [
        ("POST", "/v1/payment_links"),
        ("POST", f"/v1/payment_links/{link['id']}"),
    ]


async def test_e2e_list_filters_and_pagination(
    sandbox: Any, sandbox_key: str, connect_sandbox: Connect
) -> None:
    price = one_time_price(sandbox, sandbox_key)
    async with connect_sandbox() as mcp:
        ids = []
        for n in range(3):  # distinct arguments: an identical write would be replayed
            arguments = {"line_items": [{"price": price}], "metadata": {"n": str(n)}}
            ids.append(payload(await mcp.call_tool("create_payment_link", arguments))["id"])
        payload(await mcp.call_tool("deactivate_payment_link", {"payment_link": ids[0]}))

        active = payload(await mcp.call_tool("list_payment_links", {"active": True}))
        assert [link["id"] for link in active["data"]] == ids[:0:-1]
        inactive = payload(await mcp.call_tool("list_payment_links", {"active": False}))
        assert [link["id"] for link in inactive["data"]] == [ids[0]]

        first = payload(await mcp.call_tool("list_payment_links", {"limit": 2}))
        assert first["has_more"] is True
        rest = payload(
            await mcp.call_tool(
                "list_payment_links", {"limit": 2, "starting_after": first["next_starting_after"]}
            )
        )
        assert rest["has_more"] is False
        assert [link["id"] for link in first["data"] + rest["data"]] == ids[::-1]

        message = error_text(
            await mcp.call_tool(
                "create_payment_link", {"line_items": [{"price": price}], "payment_method_types": ["card"]}
            )
        )
        assert "payment-method-types" in message
    writes = [
        r for r in sandbox.request_log(sandbox_key) if r.method == "POST" and r.path == "/v1/payment_links"
    ]
    assert len(writes) == 3
