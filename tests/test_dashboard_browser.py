"""The sandbox dashboard in a real browser (Debian's chromium, driven by Playwright), after an
agent session through the MCP server: a payment, a partial refund, a declined payment, a
subscription, and a Charges call the guardrail refused. A person opens the dashboard, finds each
of those, and follows a tool call to the request it made.

Without chromium or Playwright the test skips with the reason; with `CI` set it fails instead.
Screenshots land in tests/artifacts/ (ignored by git).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from .conftest import Connect, error_text, payload

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def _browser() -> tuple[Any, str]:
    """(playwright's async_playwright, chromium's path), or a skip (a failure under CI)."""
    reason = ""
    path = shutil.which("chromium") or ""
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        reason = "the playwright package is not installed (pip install -e '.[test]')"
    if not path:
        reason = reason or "no chromium on PATH (apt-get install -y chromium)"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"browser test cannot run in CI: {reason}")
        pytest.skip(reason)
    return async_playwright, path


async def agent_session(client: Any, success_url: str) -> dict[str, str]:
    async def call(tool: str, arguments: dict[str, Any]) -> Any:
        return payload(await client.call_tool(tool, arguments))

    customer = await call("create_customer", {"email": "ada@example.com", "name": "Ada Lovelace"})
    paid = await call(
        "create_payment_intent",
        {"amount": 4200, "currency": "usd", "customer": customer["id"], "payment_method": "pm_card_visa", "confirm": True},
    )  # fmt: skip
    refund = await call("create_refund", {"payment_intent": paid["id"], "amount": 1200})
    declined = await client.call_tool(
        "create_payment_intent",
        {"amount": 999, "currency": "usd", "payment_method": "pm_card_chargeDeclined", "confirm": True},
    )
    assert "generic_decline" in error_text(declined)
    product = await call("create_product", {"name": "Pro plan"})
    price = await call(
        "create_price",
        {
            "product": product["id"],
            "unit_amount": 1500,
            "currency": "usd",
            "recurring": {"interval": "month"},
        },
    )
    subscription = await call(
        "create_subscription",
        {"customer": customer["id"], "items": [{"price": price["id"]}], "collection_method": "send_invoice", "days_until_due": 7},
    )  # fmt: skip
    refused = await client.call_tool(
        "call_stripe_api",
        {"method": "POST", "path": "/v1/charges", "params": {"amount": 500, "currency": "usd", "source": "tok_visa"}},
    )  # fmt: skip
    assert "charges-api" in error_text(refused)
    one_time = await call("create_price", {"product": product["id"], "unit_amount": 500, "currency": "usd"})
    session = await call(
        "create_checkout_session",
        {
            "mode": "payment",
            "line_items": [{"price": one_time["id"], "quantity": 1}],
            "success_url": success_url,
        },
    )
    return {
        "customer": customer["id"], "payment": paid["id"], "refund": refund["id"], "sub": subscription["id"],
        "checkout": session["id"], "checkout_url": session["url"],
    }  # fmt: skip


async def test_dashboard_shows_the_agent_session_in_chromium(
    sandbox: Any, sandbox_key: str, connect_sandbox: Connect, tmp_path: Path
) -> None:
    async_playwright, chromium = _browser()
    sandbox.watch_audit_log(sandbox_key, tmp_path / "state" / "audit.jsonl")
    async with connect_sandbox() as client:
        ids = await agent_session(client, success_url=sandbox.dashboard_url)
    # The refused Charges call never reached the sandbox.
    assert not [r for r in sandbox.request_log(sandbox_key) if r.path.startswith("/v1/charges")]

    ARTIFACTS.mkdir(exist_ok=True)
    seen: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(10_000)

        async def visible_text() -> str:
            seen.append(page.url)
            seen.append(await page.content())
            text: str = await page.inner_text("body")
            return text

        # Accounts: by masked key; the key itself appears nowhere.
        await page.goto(sandbox.dashboard_url)
        masked = "sk_test_…" + sandbox_key[-4:]
        assert masked in await visible_text()
        await page.click(f"text={masked}")

        await page.click("nav >> text=Payments")
        payments = await visible_text()
        assert ids["payment"] in payments
        assert "$42.00" in payments and "$12.00" in payments  # amount and refunded amount
        assert "generic_decline" in payments  # the declined payment's reason
        assert ids["customer"] in payments
        await page.screenshot(path=str(ARTIFACTS / "dashboard-payments.png"))

        await page.click("nav >> text=Subscriptions")
        assert ids["sub"] in await visible_text()
        await page.click("nav >> text=Refunds")
        assert ids["refund"] in await visible_text()
        await page.click("nav >> text=Events & webhooks")
        events = await visible_text()
        assert "payment_intent.succeeded" in events and "charge.refunded" in events

        # What the agent did: the refused call is there, marked as never sent.
        await page.click("nav >> text=What the agent did")
        timeline = await visible_text()
        assert "call_stripe_api" in timeline and "refused: charges-api" in timeline
        assert "Never sent to Stripe: POST /v1/charges" in timeline
        await page.screenshot(path=str(ARTIFACTS / "dashboard-agent.png"), full_page=True)
        await page.screenshot(path=str(ARTIFACTS / "dashboard-agent-top.png"))

        # From the create_refund tool call to the request it made, and on to the refund.
        refund_call = page.locator(".call", has_text="create_refund")
        await refund_call.locator("a", has_text="req_").last.click()
        request = await visible_text()
        assert "POST /v1/refunds" in request and "Made by tool call" in request
        assert '"amount": 1200' in request and ids["refund"] in request
        await page.locator("pre a", has_text=ids["refund"]).first.click()
        assert "refund" in await visible_text() and ids["refund"] in page.url

        # The hosted Checkout page: pick a test card, see the decline, then pay.
        await page.set_viewport_size({"width": 420, "height": 800})
        await page.goto(ids["checkout_url"])
        overflow = await page.evaluate(
            "(() => { const m = document.querySelector('main'); return m.scrollWidth - m.clientWidth; })()"
        )
        assert overflow <= 0, "a long id runs out of the Checkout card"
        await page.click("text=Declined · 0002")
        assert await page.input_value("#card_number") == "4000000000000002"
        await page.click("button[type=submit]")
        assert "declined" in (await page.inner_text("[role=alert]")).lower()
        await page.screenshot(path=str(ARTIFACTS / "checkout-declined.png"))
        await page.click("text=Succeeds · 4242")
        await page.click("button[type=submit]")
        await page.wait_for_url(sandbox.dashboard_url)
        await page.set_viewport_size({"width": 1280, "height": 900})
        await page.click(f"text={masked}")
        await page.click("nav >> text=Checkout Sessions")
        sessions = await page.inner_text("body")
        assert ids["checkout"] in sessions and "complete" in sessions and "paid" in sessions
        await browser.close()

    assert (ARTIFACTS / "dashboard-agent.png").stat().st_size > 10_000
    assert not [s for s in seen if sandbox_key in s], "the API key reached a dashboard page or URL"


async def test_a_javascript_url_cannot_be_stored_and_pages_run_no_inline_script(
    sandbox: Any, connect_sandbox: Connect
) -> None:
    """The attack of issue 24: a `javascript:` cancel_url rendered as the hosted page's link ran
    script on the sandbox's origin (which serves the dashboard). Stripe refuses it; so does the
    sandbox, and its pages' policy would not run an inline script that got in anyway."""
    async_playwright, chromium = _browser()
    async with connect_sandbox() as client:
        product = payload(await client.call_tool("create_product", {"name": "Tea"}))
        price = payload(
            await client.call_tool(
                "create_price", {"product": product["id"], "unit_amount": 500, "currency": "usd"}
            )
        )
        base = {"mode": "payment", "line_items": [{"price": price["id"], "quantity": 1}]}
        evil = {
            **base,
            "success_url": sandbox.dashboard_url,
            "cancel_url": "javascript:alert(document.domain)",
        }
        typed = error_text(await client.call_tool("create_checkout_session", evil))
        # The generic tool passes it on: the sandbox refuses it as Stripe does.
        generic = error_text(
            await client.call_tool(
                "call_stripe_api", {"method": "POST", "path": "/v1/checkout/sessions", "params": evil}
            )
        )
        stored = payload(
            await client.call_tool(
                "create_checkout_session",
                {**base, "success_url": sandbox.dashboard_url, "cancel_url": "https://example.com/no"},
            )
        )
        listed = payload(await client.call_tool("list_checkout_sessions", {}))
    assert "`cancel_url`" in typed and "Nothing was sent" in typed
    assert "cancel_url" in generic and "Not a valid URL" in generic
    assert [s["id"] for s in listed["data"]] == [stored["id"]]  # the refused one was not made

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = await browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: dialogs.append(dialog.message))
        violations: list[str] = []
        page.on(
            "console",
            lambda message: (
                violations.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        answer = await page.goto(stored["url"])
        assert answer is not None
        assert "script-src 'self'" in (await answer.all_headers())["content-security-policy"]
        assert await page.get_attribute("text=Cancel", "href") == "https://example.com/no"
        with pytest.raises(Exception, match=r"(?i)content security policy|refused"):
            await page.add_script_tag(content="window.ranInline = true")
        assert await page.evaluate("window.ranInline") is None
        # The page's own (served) script still works: a test-card button fills the field.
        await page.click("text=Succeeds · 4242")
        assert await page.input_value("#card_number") == "4242424242424242"
        await browser.close()
    assert dialogs == []
    assert violations, "the blocked inline script was reported by the browser"
