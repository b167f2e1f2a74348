"""The embedded sandbox of `serve --sandbox` and `demo` (stripe_power.sandbox_listener): its port is
bound at start and logged, the sandbox is imported and built on its first connection, a request
made before that waits for it, and the process still ends cleanly on stdin EOF."""

from __future__ import annotations

import html
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import mcp.client.stdio
import pytest
import stripe
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters

from stripe_power.cli import embedded_sandbox
from stripe_power.config import load_settings
from stripe_power.sandbox_listener import LazySandbox
from stripe_power.server import create_server

from .conftest import error_text, new_key, payload

BIN = Path(sys.executable).parent
THREAD = "stripe-power-sandbox"


def text_of(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text[:500]
    return html.unescape(re.sub(r"<[^>]+>", " ", response.text))


def sandbox_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == THREAD]


def refuses_connections(url: str) -> bool:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


def test_a_request_made_before_the_sandbox_is_built_waits_for_it() -> None:
    before = sandbox_threads()
    with LazySandbox() as lazy:
        assert lazy.url.startswith("http://127.0.0.1:") and lazy.sandbox is None
        key = new_key()
        client = stripe.StripeClient(key, base_addresses={"api": lazy.url}, max_network_retries=0)
        customer = client.v1.customers.create(params={"email": "first@example.com"})
        assert customer.id.startswith("cus_")
        assert lazy.sandbox is not None
        assert [r.path for r in lazy.sandbox.request_log(key)] == ["/v1/customers"]
    assert sandbox_threads() == before  # stopped and joined
    assert refuses_connections(lazy.url)


def test_a_sandbox_never_connected_to_is_never_built() -> None:
    before = sandbox_threads()
    with LazySandbox() as lazy:
        url = lazy.url
    assert lazy.sandbox is None
    assert sandbox_threads() == before
    assert refuses_connections(url)


async def test_a_call_refused_before_the_sandbox_is_built_is_on_its_dashboard(tmp_path: Path) -> None:
    # The demo's path: the audit log is attached at start, long before the sandbox exists, and a
    # refused call never connects to it; the dashboard built later still shows that call.
    with embedded_sandbox() as (lazy, api_key):
        settings = load_settings(
            {}, api_key=api_key, api_base=lazy.url, state_dir=str(tmp_path), sandbox=True, toolsets="all"
        )
        (tmp_path / "audit.jsonl").write_text(json.dumps({"tool_call": "call_old", "tool": "old_run"}) + "\n")
        lazy.watch_audit_log(api_key, settings.state_dir / "audit.jsonl")
        async with Client(create_server(settings)) as client:
            refused = await client.call_tool(
                "call_stripe_api",
                {"method": "POST", "path": "/v1/charges", "params": {"amount": 500, "currency": "usd"}},
            )
            assert "charges-api" in error_text(refused)
            assert lazy.sandbox is None  # nothing connected yet
            payload(await client.call_tool("create_customer", {"email": "after@example.com"}))
        assert lazy.sandbox is not None
        async with httpx.AsyncClient(timeout=10) as http:
            home = await http.get(lazy.dashboard_url)
            account = re.search(r"href='(/dashboard/acct_[^/']+)'", home.text)
            assert account, home.text[:500]
            timeline = text_of(await http.get(lazy.url + account.group(1) + "/agent"))
    assert "refused: charges-api" in timeline and "create_customer" in timeline
    assert "old_run" not in timeline  # an earlier run's line in the same file is not this session's


def test_serve_sandbox_starts_without_importing_the_sandbox(tmp_path: Path) -> None:
    # stdin at EOF: it starts, logs the sandbox's URL and exits; nothing connected, so the
    # sandbox package was never imported.
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "stripe_power", "serve", "--sandbox", "--state-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        env={**os.environ, "HOME": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert re.search(
        r"Sandbox dashboard \(what the agent did\): http://127\.0\.0\.1:\d+/dashboard", done.stderr
    )
    imported = re.findall(r"^import time:.*\| +(\S+)$", done.stderr, re.MULTILINE)
    assert "stripe_power.cli" in imported
    assert not [m for m in imported if re.match(r"stripe_power\.sandbox(\.|$)", m)]


async def test_serve_sandbox_answers_its_first_call_and_dashboard_then_exits_on_eof(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The client closes stdin when it is done and waits for the process to end by itself; the
    # shell reports how it ended (a server the client had to terminate would not report 0).
    monkeypatch.setattr(mcp.client.stdio, "PROCESS_TERMINATION_TIMEOUT", 60.0)
    errlog, status = tmp_path / "stderr.log", tmp_path / "status"
    params = StdioServerParameters(
        command="/bin/sh",
        args=["-c", f'"{BIN / "stripe-power"}" serve --sandbox 2>"{errlog}"; echo $? >"{status}"'],
        env={
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(tmp_path),
            "STRIPE_POWER_STATE_DIR": str(tmp_path),
        },
    )
    async with Client(params) as client:
        created = payload(await client.call_tool("create_customer", {"email": "first@example.com"}))
        dashboard = re.search(r"Sandbox dashboard \(what the agent did\): (\S+)", errlog.read_text())
        assert dashboard, errlog.read_text()
        async with httpx.AsyncClient(timeout=10) as http:
            home = await http.get(dashboard.group(1))
            assert home.status_code == 200
            account = re.search(r"href='(/dashboard/acct_[^/']+)'", home.text)
            assert account, home.text[:500]
            base = dashboard.group(1).removesuffix("/dashboard")
            timeline = text_of(await http.get(base + account.group(1) + "/agent"))
    assert created["id"].startswith("cus_")
    assert re.search(r"create_customer\s+ok", timeline) and "/v1/customers" in timeline
    assert status.read_text().strip() == "0", errlog.read_text()[-2000:]


async def test_a_sandbox_that_failed_to_build_says_so_and_keeps_its_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build failure is told to the agent as what it is (not as Stripe being unreachable, which
    invites retries that cannot help), and the port stays bound: no other process may take the
    requests that carry the sandbox's key."""
    import stripe_power.sandbox.core.server as sandbox_server

    def broken(_faults: object) -> None:
        raise RuntimeError("no sandbox today")

    monkeypatch.setattr(sandbox_server, "build", broken)
    with embedded_sandbox() as (lazy, api_key):
        settings = load_settings(
            {}, api_key=api_key, api_base=lazy.url, state_dir=str(tmp_path), sandbox=True
        )
        async with Client(create_server(settings)) as client:
            message = error_text(await client.call_tool("create_customer", {"email": "a@example.com"}))
            again = error_text(await client.call_tool("list_customers", {}))
        taker = socket.socket()
        with pytest.raises(OSError):
            taker.bind(("127.0.0.1", int(lazy.url.rsplit(":", 1)[1])))
        taker.close()
    for text in (message, again):
        assert "code=sandbox_unavailable" in text and "no sandbox today" in text, text
        assert "Restart the MCP server" in text and "Retry the identical call" not in text, text
    assert refuses_connections(lazy.url)  # released on stop


def test_stop_ends_the_sandbox_while_a_request_never_finishes() -> None:
    """A client that never finishes its request body must not keep the process from exiting:
    stop() returns with the sandbox's thread ended (uvicorn's graceful shutdown is bounded)."""
    before = sandbox_threads()
    with LazySandbox() as lazy:
        key = new_key()
        stripe.StripeClient(key, base_addresses={"api": lazy.url}).v1.customers.list()  # built
        host, port = lazy.url.removeprefix("http://").rsplit(":", 1)
        held = socket.create_connection((host, int(port)), timeout=30)
        held.sendall(
            b"POST /v1/customers HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + key.encode()
            + b"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nemail=a"
        )  # fmt: skip
        server = lazy._server
        assert server is not None
        for _ in range(3000):  # until uvicorn runs the request (it waits for the rest of the body)
            if server.server_state.tasks:
                break
            time.sleep(0.01)  # not Event.wait(timeout): it never returns under faketime
        assert server.server_state.tasks, "the held request never reached the sandbox"
    assert sandbox_threads() == before  # joined: not left waiting on the held request
    held.close()
