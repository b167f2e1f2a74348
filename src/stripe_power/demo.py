"""`stripe-power demo`: a realistic agent session against the embedded sandbox, checked step by step.

It drives the real server through a real MCP client, pays the hosted Checkout page as the
customer would (the sandbox's test helper `pay_checkout_session`, a form POST to the page), and
exits 0 only if every step did what it says.
"""

from __future__ import annotations

import json
import sys
import tempfile
from typing import Any

import anyio
from mcp.client import Client

from .cli import embedded_sandbox
from .config import load_settings, mask_key
from .server import create_server


class DemoFailed(Exception):
    pass


def show(text: str) -> None:
    print(text, flush=True)


async def call(client: Client, tool: str, arguments: dict[str, Any], *, expect_error: bool = False) -> Any:
    show(f"\n→ {tool} {json.dumps(arguments)}")
    result = await client.call_tool(tool, arguments)
    text = result.content[0].text if result.content else ""  # type: ignore[union-attr]
    show(f"← {'refused: ' if result.is_error else ''}{text}")
    if result.is_error != expect_error:
        raise DemoFailed(f"{tool} {'succeeded' if expect_error else 'failed'} unexpectedly")
    return text if expect_error else json.loads(text)


def check(condition: bool, what: str) -> None:
    show(f"  {'✓' if condition else '✗'} {what}")
    if not condition:
        raise DemoFailed(what)


async def run(keep_open: bool = False, passed: list[bool] | None = None) -> None:
    with embedded_sandbox() as (sandbox, api_key), tempfile.TemporaryDirectory() as state_dir:
        api_base = sandbox.url
        settings = load_settings({}, api_key=api_key, api_base=api_base, state_dir=state_dir, sandbox=True)
        sandbox.watch_audit_log(api_key, settings.state_dir / "audit.jsonl")
        show(f"stripe-power demo: offline sandbox at {api_base}, key {mask_key(api_key)}")
        show(f"dashboard: {sandbox.dashboard_url}")
        async with Client(create_server(settings)) as client:
            product = await call(client, "create_product", {"name": "Stripe Power T-shirt"})
            price = await call(
                client, "create_price", {"product": product["id"], "unit_amount": 2500, "currency": "usd"}
            )
            check(
                price.get("unit_amount_display") == "$25.00" or "$25.00" in json.dumps(price),
                "price is $25.00",
            )

            session = await call(
                client,
                "create_checkout_session",
                {
                    "mode": "payment",
                    "line_items": [{"price": price["id"], "quantity": 1}],
                    "success_url": "https://example.com/thanks",
                    "cancel_url": "https://example.com/cart",
                },
            )
            check(
                session["status"] == "open" and session["url"].startswith(api_base),
                "session is open, url served",
            )

            show(f"\n→ customer pays {session['url']} with 4242 4242 4242 4242 (pay_checkout_session)")
            paid = await call(
                client, "pay_checkout_session", {"session": session["id"], "payment_method": "pm_card_visa"}
            )
            check(paid["payment_status"] == "paid", "the hosted page took the payment")

            done = await call(client, "retrieve_checkout_session", {"session": session["id"]})
            check(
                done["status"] == "complete" and done["payment_status"] == "paid", "session complete and paid"
            )

            event = await call(
                client,
                "wait_for_event",
                {"type": "checkout.session.completed", "object_id": session["id"], "timeout_seconds": 10},
            )
            check(
                json.dumps(event).count("checkout.session.completed") >= 1, "checkout.session.completed seen"
            )

            refund = await call(
                client, "create_refund", {"payment_intent": done["payment_intent"], "amount": 1000}
            )
            check(
                "$10.00" in json.dumps(refund) and "$15.00" in json.dumps(refund),
                "refunded $10.00, $15.00 left",
            )

            refused = await call(
                client,
                "call_stripe_api",
                {
                    "method": "POST",
                    "path": "/v1/charges",
                    "params": {"amount": 500, "currency": "usd", "source": "tok_visa"},
                },
                expect_error=True,
            )
            check(
                "charges-api" in refused and "Nothing was sent" in refused, "Charges API refused by guardrail"
            )
        show("\nAll steps passed.")
        if passed is not None:
            passed.append(True)
        if keep_open:
            show(f"The sandbox stays up for its dashboard: {sandbox.dashboard_url} (Ctrl-C to stop)")
            await anyio.sleep_forever()


def main_demo(keep_open: bool = False) -> int:
    passed: list[bool] = []
    try:
        anyio.run(run, keep_open, passed)
    except DemoFailed as failure:
        print(f"demo failed: {failure}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # --keep-open waits for Ctrl-C once every step has passed
        return 0 if passed else 130
    return 0
