"""A client nobody here wrote: the official MCP Inspector CLI (0.15.0, stdio) and the official
TypeScript SDK client (Streamable HTTP with a bearer token) list the tools and call
create_customer and create_checkout_session.

The npm packages live in tests/external (package.json + package-lock.json; `.ci/run` runs
`npm ci` there). With CI set, a missing node/npm or package FAILS the test; locally it skips.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import stripe

from stripe_power.http import create_http_app
from stripe_power.server import create_server

from .conftest import new_key, settings_for
from .servers import free_port, serve_in_thread

EXTERNAL = Path(__file__).resolve().parent / "external"
INSPECTOR = EXTERNAL / "node_modules" / ".bin" / "mcp-inspector"
SDK = EXTERNAL / "node_modules" / "@modelcontextprotocol" / "sdk" / "package.json"
TIMEOUT = 90


def node_or_skip(*needed: Path) -> str:
    """Node, or a skip (a failure with CI set) naming what is missing; `needed` defaults to the
    Inspector and the TypeScript SDK."""
    node = shutil.which("node")
    missing = [
        what
        for what, ok in (
            ("node", node),
            ("npm", shutil.which("npm")),
            *(
                (f"{path} (run `npm ci` in tests/external)", path.exists())
                for path in needed or (INSPECTOR, SDK)
            ),
        )
        if not ok
    ]
    if missing:
        message = "external MCP clients unavailable: missing " + ", ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message + " (CI is set: this must not be skipped)")
        pytest.skip(message)
    assert node is not None
    return node


def make_price(sandbox: Any, key: str) -> str:
    client = stripe.StripeClient(key, base_addresses={"api": sandbox.url})
    product = client.v1.products.create({"name": "External client tee"})
    return client.v1.prices.create({"product": product.id, "unit_amount": 2500, "currency": "usd"}).id


def inspector(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    bin_dir = str(Path(sys.executable).parent)  # where `stripe-power` is installed
    return subprocess.Popen(
        [str(INSPECTOR), "--cli", *args],
        env={**os.environ, "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        cwd=EXTERNAL,
    )


def finish(processes: list[subprocess.Popen[str]]) -> list[Any]:
    """Each process's JSON output; every process has ended (killed at TIMEOUT) before any assert."""
    outcomes = []
    for process in processes:
        try:
            outcomes.append(process.communicate(timeout=TIMEOUT))
        except subprocess.TimeoutExpired:
            process.kill()
            outcomes.append(process.communicate())
    for process, (_, err) in zip(processes, outcomes, strict=True):
        assert process.returncode == 0, f"{process.args[2:]}: {err[-2000:]}"
    return [json.loads(out) for out, _ in outcomes]


def tool_json(result: dict[str, Any]) -> dict[str, Any]:
    assert result["isError"] is False, result
    data: dict[str, Any] = json.loads(result["content"][0]["text"])
    return data


def test_inspector_cli_over_stdio(sandbox: Any, tmp_path: Path) -> None:
    node_or_skip()
    key = new_key()
    price = make_price(sandbox, key)
    # Against the shared test sandbox (so the test can see what was made), with env passed by -e.
    served = ["-e", f"STRIPE_SECRET_KEY={key}", "-e", f"STRIPE_API_BASE={sandbox.url}"]
    served += ["-e", f"STRIPE_POWER_STATE_DIR={tmp_path}", "stripe-power", "serve"]
    email = f"inspector-{uuid.uuid4().hex[:8]}@example.com"
    line_items = json.dumps([{"price": price, "quantity": 1}])
    processes = [
        # Exactly as the README says: the embedded offline sandbox (its state under a HOME of its own).
        inspector(
            ["stripe-power", "serve", "--sandbox", "--method", "tools/list"],
            {"HOME": str(tmp_path / "home")},  # passed on to the server it spawns
        ),
        inspector(
            [
                *served,
                "--method",
                "tools/call",
                "--tool-name",
                "create_customer",
                "--tool-arg",
                f"email={email}",
                "--tool-arg",
                'metadata={"via":"inspector"}',
            ],
            {},
        ),
        inspector(
            [
                *served,
                "--method",
                "tools/call",
                "--tool-name",
                "create_checkout_session",
                "--tool-arg",
                "mode=payment",
                "--tool-arg",
                f"line_items={line_items}",
                "--tool-arg",
                "success_url=https://example.com/ok",
            ],
            {},
        ),
    ]
    listed, customer, session = finish(processes)

    names = [tool["name"] for tool in listed["tools"]]
    assert {"create_customer", "create_checkout_session", "get_account_info"} <= set(names)
    assert all(tool["inputSchema"]["type"] == "object" for tool in listed["tools"])

    made = tool_json(customer)
    assert made["email"] == email and made["metadata"] == {"via": "inspector"}
    assert [c["id"] for c in sandbox.objects(key, "customer")] == [made["id"]]

    checkout = tool_json(session)
    assert checkout["id"].startswith("cs_") and checkout["url"].startswith("http")
    (stored,) = sandbox.objects(key, "checkout.session")
    assert stored["id"] == checkout["id"] and stored["amount_total"] == 2500


def test_typescript_sdk_client_over_http_with_bearer_token(sandbox: Any, tmp_path: Path) -> None:
    node = node_or_skip()
    key = new_key()
    price = make_price(sandbox, key)
    token = "ext-" + uuid.uuid4().hex
    port = free_port()
    server = create_server(settings_for(sandbox.url, tmp_path, api_key=key))
    app = create_http_app(server, host="127.0.0.1", port=port, token=token)
    with serve_in_thread(app, port) as url:
        completed = subprocess.run(
            [node, str(EXTERNAL / "http_client.mjs"), f"{url}/mcp", token, price],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            cwd=EXTERNAL,
            check=False,
        )
    assert completed.returncode == 0, completed.stderr[-2000:]
    outcome = json.loads(completed.stdout)

    assert {"create_customer", "create_checkout_session"} <= set(outcome["tools"])
    customer = tool_json(outcome["customer"])
    assert customer["email"] == "ts-sdk@example.com"
    assert [c["id"] for c in sandbox.objects(key, "customer")] == [customer["id"]]
    checkout = tool_json(outcome["checkout"])
    (stored,) = sandbox.objects(key, "checkout.session")
    assert stored["id"] == checkout["id"] and stored["amount_total"] == 5000
    assert "unauthorized" in (outcome["unauthorized"] or ""), outcome["unauthorized"]
