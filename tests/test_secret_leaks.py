"""Secret leaks: with a recognisable secret key and webhook secret, nothing the server produces may
contain either: tool results (every tool, once, against the sandbox), log records (all loggers at
DEBUG), audit lines, start-up refusals, a subprocess server's stderr, HTTP responses (401, webhook
verification failures).

For the whole suite, run it with STRIPE_POWER_LEAK_CANARY=1 (tests/conftest.py).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

from stripe_power.http import create_http_app
from stripe_power.server import create_server
from stripe_power.webhooks import webhook_routes

from .conftest import mcp_client, settings_for
from .servers import free_port, serve_in_thread

MARK = "LEAKCANARY"


def canaries() -> tuple[str, str]:
    return f"sk_test_{MARK}{uuid.uuid4().hex}", f"whsec_{MARK}{uuid.uuid4().hex}"


def leaks(texts: list[tuple[str, str]], *secrets: str) -> list[str]:
    """Where a secret, its distinctive middle (what a mask keeping prefix and last four hides) or the
    marker appears."""
    needles = [MARK, *secrets, *(s[len("sk_test_") : -4] for s in secrets)]
    return [f"{where}: {text[:400]!r}" for where, text in texts if any(n and n in text for n in needles)]


def plausible_calls(ids: dict[str, str], sandbox_url: str, whsec: str, key: str) -> dict[str, dict[str, Any]]:
    """One call per tool with arguments a user might send; errors are fine, leaks are not."""
    cus, price, pi = ids["customer"], ids["price"], ids["payment_intent"]
    return {
        "create_customer": {"email": "leak@example.com", "name": "Leak Test"},
        "retrieve_customer": {"customer": cus},
        "update_customer": {"customer": cus, "name": "Renamed"},
        "list_customers": {"limit": 3},
        "search_customers": {"query": "email:'leak@example.com'"},
        "create_product": {"name": "Canary"},
        "list_products": {},
        "create_price": {"unit_amount": 500, "currency": "usd", "product": ids["product"]},
        "list_prices": {},
        "create_checkout_session": {
            "mode": "payment",
            "line_items": [{"price": price, "quantity": 1}],
            "success_url": "https://example.com/ok",
        },
        "retrieve_checkout_session": {"session": ids["session"]},
        "list_checkout_sessions": {},
        "list_checkout_session_line_items": {"session": ids["session"]},
        "expire_checkout_session": {"session": ids["session"]},
        "create_payment_intent": {"amount": 1000, "currency": "usd", "customer": cus},
        "retrieve_payment_intent": {"payment_intent": pi},
        "confirm_payment_intent": {"payment_intent": pi, "payment_method": "pm_card_visa"},
        "capture_payment_intent": {"payment_intent": pi},
        "cancel_payment_intent": {"payment_intent": "pi_doesnotexist"},
        "list_payment_intents": {},
        "create_setup_intent": {"customer": cus},
        "retrieve_setup_intent": {"setup_intent": "seti_doesnotexist"},
        "confirm_setup_intent": {"setup_intent": "seti_doesnotexist"},
        "cancel_setup_intent": {"setup_intent": "seti_doesnotexist"},
        "list_setup_intents": {},
        "list_payment_methods": {"customer": cus},
        "detach_payment_method": {"payment_method": "pm_doesnotexist"},
        "create_refund": {"payment_intent": pi, "amount": 100},
        "retrieve_refund": {"refund": "re_doesnotexist"},
        "list_refunds": {},
        "cancel_refund": {"refund": "re_doesnotexist"},
        "create_subscription": {"customer": cus, "items": [{"price": price}]},
        "retrieve_subscription": {"subscription": "sub_doesnotexist"},
        "update_subscription": {"subscription": "sub_doesnotexist", "cancel_at_period_end": True},
        "cancel_subscription": {"subscription": "sub_doesnotexist"},
        "resume_subscription": {"subscription": "sub_doesnotexist"},
        "list_subscriptions": {},
        "create_invoice": {"customer": cus},
        "create_invoice_item": {"customer": cus, "pricing": {"price": price}},
        "finalize_invoice": {"invoice": "in_doesnotexist"},
        "pay_invoice": {"invoice": "in_doesnotexist"},
        "send_invoice": {"invoice": "in_doesnotexist"},
        "void_invoice": {"invoice": "in_doesnotexist"},
        "delete_invoice": {"invoice": "in_doesnotexist"},
        "retrieve_invoice": {"invoice": "in_doesnotexist"},
        "list_invoices": {},
        "create_payment_link": {"line_items": [{"price": price, "quantity": 1}]},
        "list_payment_links": {},
        "deactivate_payment_link": {"payment_link": "plink_doesnotexist"},
        "list_events": {},
        "retrieve_event": {"id": "evt_doesnotexist"},
        "wait_for_event": {"type": "charge.dispute.created", "timeout_seconds": 1},
        "verify_webhook_signature": {"payload": '{"id":"evt_1"}', "signature": "t=1,v1=deadbeef"},
        "pay_checkout_session": {"session": ids["session"]},
        "send_test_webhook": {"type": "checkout.session.completed", "url": f"{sandbox_url}/hooks"},
        "list_received_webhooks": {},
        "get_account_info": {},
        "retrieve_balance": {},
        "call_stripe_api": {"method": "GET", "path": "/v1/customers", "params": {"limit": 1}},
        "search_stripe_api": {"query": "create a webhook endpoint with its signing secret"},
        "create_test_clock": {"name": "leak check"},
        "list_test_clocks": {},
        "advance_test_clock": {"test_clock": "clock_missing", "days": 1},
        "delete_test_clock": {"test_clock": "clock_missing"},
        "describe_stripe_api": {"method": "POST", "path": "/v1/webhook_endpoints"},
        "check_integration_code": {
            "source": f'import stripe\nstripe.api_key = "{key}"\nsecret = "{whsec}"\n',
            "language": "python",
        },
    }


async def test_no_tool_result_log_or_audit_line_carries_a_secret(
    sandbox: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key, whsec = canaries()
    caplog.set_level(logging.DEBUG)  # every logger, every level
    settings = dataclasses.replace(
        settings_for(sandbox.url, tmp_path, api_key=key, sandbox=True),
        webhook_receiver=True,
        webhook_secrets=(whsec,),
    )
    seen: list[tuple[str, str]] = []
    async with mcp_client(settings) as client:
        tools = [tool.name for tool in (await client.list_tools()).tools]

        async def call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
            result = await client.call_tool(name, arguments)
            seen.append((f"{name} result", result.model_dump_json()))
            text = result.content[0].text  # type: ignore[union-attr]
            return json.loads(text) if not result.is_error else {}

        ids = {
            "customer": (await call("create_customer", {"email": "c@example.com"}))["id"],
            "product": (await call("create_product", {"name": "P"}))["id"],
        }
        ids["price"] = (
            await call("create_price", {"unit_amount": 700, "currency": "usd", "product": ids["product"]})
        )["id"]
        ids["session"] = (
            await call(
                "create_checkout_session",
                {"mode": "payment", "line_items": [{"price": ids["price"]}], "success_url": "https://e.x/ok"},
            )
        )["id"]
        ids["payment_intent"] = (
            await call(
                "create_payment_intent", {"amount": 900, "currency": "usd", "customer": ids["customer"]}
            )
        )["id"]
        calls = plausible_calls(ids, sandbox.url, whsec, key)
        assert sorted(calls) == sorted(tools), "a tool has no plausible call here: add one"
        for name, arguments in calls.items():
            await call(name, arguments)
        # The same secret given as an argument: refusals and verification failures must not echo it.
        await call("verify_webhook_signature", {"payload": "{}", "signature": "garbage", "secret": whsec})
        await call("send_test_webhook", {"type": "nope.nope", "url": "http://127.0.0.1:9/x", "secret": whsec})
        account = await call("get_account_info", {})
    assert account, "get_account_info failed"
    seen += [(f"log {r.name}", f"{r.getMessage()} {r.exc_text or ''}") for r in caplog.records]
    audit = settings.state_dir / "audit.jsonl"
    seen += [("audit", line) for line in audit.read_text().splitlines()]
    assert len(seen) > 120
    assert not leaks(seen, key, whsec)


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "STRIPE_POWER_"))}
    return subprocess.Popen(
        [sys.executable, "-m", "stripe_power", *args],
        env={**base, **env},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_start_up_refusals_never_print_the_key(tmp_path: Path) -> None:
    key, whsec = canaries()
    live = key.replace("sk_test_", "sk_live_")
    state = {"STRIPE_POWER_STATE_DIR": str(tmp_path)}
    cases = [
        ({"STRIPE_SECRET_KEY": live} | state, ["serve"]),  # live key without --allow-live
        ({"STRIPE_SECRET_KEY": key.replace("sk_", "pk_")} | state, ["serve"]),  # publishable key
        ({"STRIPE_SECRET_KEY": key, "STRIPE_WEBHOOK_SECRET": f"{whsec} {whsec}"} | state, ["serve"]),
        ({"STRIPE_SECRET_KEY": key} | state, ["serve", "--transport", "http", "--host", "0.0.0.0"]),
        ({"STRIPE_SECRET_KEY": key, "STRIPE_API_BASE": "http://example.com"} | state, ["serve"]),
        ({} | state, ["serve", "--api-key", live, "--log-level", "DEBUG"]),
    ]
    processes = [run_cli(args, env) for env, args in cases]  # in parallel: ~1 s each
    seen = []
    try:
        for (env, args), process in zip(cases, processes, strict=True):
            out, err = process.communicate(timeout=60)
            assert process.returncode == 2, (args, env, err)
            assert err.strip(), "a refusal must say why"
            seen += [(f"{args} stdout", out), (f"{args} stderr", err)]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.communicate()
    assert not leaks(seen, key, live, whsec)


async def test_subprocess_server_stderr_at_debug_has_no_secret(sandbox: Any, tmp_path: Path) -> None:
    key, whsec = canaries()
    errlog = tmp_path / "stderr.log"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "STRIPE_SECRET_KEY": key,
        "STRIPE_WEBHOOK_SECRET": whsec,
        "STRIPE_API_BASE": sandbox.url,
        "STRIPE_POWER_STATE_DIR": str(tmp_path / "state"),
        "STRIPE_POWER_LOG_LEVEL": "DEBUG",
    }
    params = StdioServerParameters(
        command="sh",
        args=["-c", f'exec "{sys.executable}" -m stripe_power serve 2>"{errlog}"'],
        env=env,
    )
    seen = []
    async with Client(params, mode="legacy") as client:
        for name, arguments in [
            ("get_account_info", {}),
            ("create_customer", {"email": "s@example.com"}),
            ("retrieve_customer", {"customer": "cus_missing"}),
            ("verify_webhook_signature", {"payload": "{}", "signature": "t=1,v1=00"}),
            ("call_stripe_api", {"method": "POST", "path": "/v1/charges", "params": {"amount": 1}}),
        ]:
            result = await client.call_tool(name, arguments)
            seen.append((name, result.model_dump_json()))

    stderr = errlog.read_text()
    assert "DEBUG" in stderr or "INFO" in stderr, stderr[:500]
    seen.append(("stderr", stderr))
    seen += [("audit", line) for line in (tmp_path / "state" / "audit.jsonl").read_text().splitlines()]
    assert not leaks(seen, key, whsec)


def test_http_401_and_webhook_failures_have_no_secret(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key, whsec = canaries()
    caplog.set_level(logging.DEBUG)
    token = "tok-" + uuid.uuid4().hex
    settings = dataclasses.replace(
        settings_for("http://127.0.0.1:9", tmp_path, api_key=key),
        webhook_receiver=True,
        webhook_secrets=(whsec,),
    )
    port = free_port()
    app = create_http_app(
        create_server(settings),
        host="127.0.0.1",
        port=port,
        token=token,
        extra_routes=webhook_routes(settings),
    )
    seen = []
    with serve_in_thread(app, port) as url, httpx2.Client(base_url=url) as http:
        for headers in ({}, {"Authorization": f"Bearer {key}"}, {"Authorization": f"Bearer {whsec}"}):
            response = http.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers=headers)
            assert response.status_code == 401
            seen.append(("401", f"{response.headers} {response.text}"))
        now = int(time.time())
        for signature in ("", "t=1,v1=00", f"t={now},v1={'0' * 64}", f"t={now},v0=abc", "garbage"):
            response = http.post(
                "/webhooks/stripe",
                content=b'{"id":"evt_1","type":"x.y"}',
                headers={"Stripe-Signature": signature},
            )
            assert response.status_code in (400, 401, 403), response.text
            seen.append((f"webhook {signature!r}", f"{response.headers} {response.text}"))
    seen += [(f"log {r.name}", r.getMessage()) for r in caplog.records]
    assert not leaks(seen, key, whsec)
