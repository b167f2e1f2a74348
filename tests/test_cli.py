"""The commands a new user runs: `demo`, `sandbox`, and `serve --sandbox` over stdio."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import stripe
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

from .conftest import new_key, payload
from .servers import free_port

BIN = Path(sys.executable).parent


def test_demo_passes_every_step(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(BIN / "stripe-power"), "demo"],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
        env={**os.environ, "HOME": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "All steps passed." in done.stdout
    assert done.stdout.count("✓") >= 7 and "✗" not in done.stdout
    assert "charges-api" in done.stdout


def test_sandbox_command_serves_the_stripe_sdk() -> None:
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "stripe-power"), "sandbox", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{url}/v1/account", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "sandbox did not start"
                time.sleep(0.1)
        client = stripe.StripeClient(new_key(), base_addresses={"api": url})
        customer = client.v1.customers.create(params={"email": "cli@example.com"})
        assert customer.id.startswith("cus_")
        assert client.v1.customers.retrieve(customer.id).email == "cli@example.com"
    finally:
        server.terminate()
        out, err = server.communicate(timeout=10)
    assert out == b""  # logs go to stderr only
    assert f"(dashboard: http://127.0.0.1:{port}/dashboard)".encode() in err


async def test_serve_sandbox_over_stdio(tmp_path: Path) -> None:
    params = StdioServerParameters(
        command=str(BIN / "stripe-power"),
        args=["serve", "--sandbox"],
        env={
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(tmp_path),
            "STRIPE_POWER_STATE_DIR": str(tmp_path),
        },
    )
    async with Client(params) as client:
        created = payload(await client.call_tool("create_customer", {"email": "stdio@example.com"}))
        found = payload(await client.call_tool("list_customers", {"email": "stdio@example.com"}))
        # `--sandbox` lists the sandbox's test helper, which pays a hosted Checkout page.
        line = {"price_data": {"currency": "usd", "product_data": {"name": "Mug"}, "unit_amount": 900}}
        session = payload(
            await client.call_tool(
                "create_checkout_session",
                {"mode": "payment", "line_items": [line], "success_url": "https://example.com/ok"},
            )
        )
        paid = payload(await client.call_tool("pay_checkout_session", {"session": session["id"]}))
    assert [c["id"] for c in found["data"]] == [created["id"]]
    assert (paid["status"], paid["payment_status"]) == ("complete", "paid")
    assert (tmp_path / "audit.jsonl").read_text().count('"tool":"create_customer"') == 1
