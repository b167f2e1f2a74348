"""Team deployment: several instances behind one URL sharing one PostgreSQL database.

Each test starts two or more real HTTP servers (uvicorn, 127.0.0.1, ephemeral ports) over one
fresh database, drives them with real MCP clients over Streamable HTTP, and talks to the sandbox
through the real `stripe` SDK. Without a reachable PostgreSQL these skip with the reason (and
fail with CI set).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import psycopg
import pytest
import stripe
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from stripe_power.config import Settings, load_settings
from stripe_power.http import create_http_app
from stripe_power.server import create_server
from stripe_power.state import open_state
from stripe_power.webhooks import build_test_event, sign, webhook_routes

from .conftest import error_text, new_key, payload
from .servers import free_port, serve_in_thread

TOKEN = "team-" + uuid.uuid4().hex + uuid.uuid4().hex
WHSEC = "whsec_" + uuid.uuid4().hex


@contextmanager
def instances(count: int, settings: Settings, token: str | None = None) -> Iterator[list[str]]:
    """`count` servers with these settings, each its own app and state object, one database."""
    with ExitStack() as stack:
        urls = []
        for _ in range(count):
            port = free_port()
            state = open_state(settings)
            app = create_http_app(
                create_server(settings, state=state),
                host="127.0.0.1",
                port=port,
                token=token,
                client_keys=settings.client_keys,
                state=state,
                extra_routes=webhook_routes(settings, state.webhooks) if settings.receives_webhooks else None,
            )
            urls.append(stack.enter_context(serve_in_thread(app, port)))
        yield urls


@asynccontextmanager
async def client_at(url: str, bearer: str) -> AsyncIterator[Client]:
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {bearer}"}, timeout=60) as http:
        async with Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client:
            yield client


class RoundRobin(httpx2.AsyncBaseTransport):
    """Sends each HTTP request to the next instance in turn: a load balancer without affinity."""

    def __init__(self, urls: list[str]) -> None:
        self.targets = [httpx2.URL(url) for url in urls]
        self.inner = httpx2.AsyncHTTPTransport()
        self.sent: list[int] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        target = self.targets[len(self.sent) % len(self.targets)]
        self.sent.append(target.port or 0)
        request.url = request.url.copy_with(host=target.host, port=target.port)
        request.headers["host"] = f"{target.host}:{target.port}"
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def team_settings(sandbox: Any, url: str, tmp_path: Path, **overrides: Any) -> Settings:
    return load_settings(
        {},
        api_base=sandbox.url,
        state_dir=str(tmp_path / "state"),
        client_keys=True,
        state_url=url,
        webhook_receiver=True,
        **{"toolsets": "all", **overrides},
    )


async def paid_intent(sandbox: Any, key: str, amount: int = 5000) -> str:
    """A succeeded PaymentIntent in `key`'s sandbox account (set-up, straight through the SDK)."""
    transport = stripe.HTTPXClient()
    try:
        sdk = stripe.StripeClient(key, base_addresses={"api": sandbox.url}, http_client=transport)
        intent = await sdk.v1.payment_intents.create_async(
            {
                "amount": amount,
                "currency": "usd",
                "payment_method": "pm_card_visa",
                "confirm": True,
                "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
            }
        )
    finally:
        await transport.close_async()
    assert intent.status == "succeeded"
    return str(intent.id)


def refunds_sent(sandbox: Any, key: str) -> list[Any]:
    return [r for r in sandbox.request_log(key) if r.method == "POST" and r.path == "/v1/refunds"]


def every_stored_text(url: str) -> str:
    """Every row of every table of the state database, as text."""
    with psycopg.connect(url) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            ).fetchall()
        ]
        return "\n".join(
            json.dumps(row, default=str)
            for table in tables
            for row in conn.execute(f"SELECT * FROM {table}").fetchall()  # table names from the catalog
        )


async def test_each_client_key_sees_only_its_own_account(
    sandbox: Any, postgres_url: str, tmp_path: Path
) -> None:
    alice, bob = new_key(), new_key()
    settings = team_settings(sandbox, postgres_url, tmp_path)
    with instances(2, settings) as (one, two):
        async with client_at(one, alice) as client:
            made = payload(await client.call_tool("create_customer", {"email": "alice@example.com"}))
        async with client_at(two, bob) as client:
            listed = payload(await client.call_tool("list_customers", {}))
            theirs = error_text(await client.call_tool("retrieve_customer", {"customer": made["id"]}))
            info = payload(await client.call_tool("get_account_info", {}))
            with pytest.raises(MCPError, match="No such customer"):
                await client.read_resource(f"stripe://customer/{made['id']}")
        async with client_at(two, alice) as client:  # the other instance, the same client
            mine = payload(await client.call_tool("list_customers", {}))
            read = await client.read_resource(f"stripe://customer/{made['id']}")
        assert json.loads(read.contents[0].text)["id"] == made["id"]  # type: ignore[union-attr]
        # No key, a publishable key, a live key without --allow-live, a non-key: 401, nothing sent.
        for bad in (None, "pk_test_" + uuid.uuid4().hex, "sk_live_" + uuid.uuid4().hex, "hello"):
            headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
            if bad:
                headers["Authorization"] = f"Bearer {bad}"
            answer = httpx2.post(
                f"{one}/mcp", headers=headers, json={"jsonrpc": "2.0", "id": 1, "method": "ping"}
            )
            assert answer.status_code == 401, (bad, answer.text)
            assert bad is None or bad not in answer.text
            if bad:
                assert sandbox.request_log(bad) == []
    assert listed["data"] == []
    assert "No such customer" in theirs or "resource_missing" in theirs
    assert info["key"].startswith("sk_test_…") and info["mode"] == "test"
    assert [c["id"] for c in mine["data"]] == [made["id"]]
    assert [r.path for r in sandbox.request_log(bob) if r.method == "POST"] == []
    # The server wrote neither key anywhere in its state (audit lines name the client by a hash).
    stored = every_stored_text(postgres_url)
    assert "customers" in stored  # the audit log has the calls
    assert alice not in stored and bob not in stored
    assert alice[8:] not in stored and bob[8:] not in stored


async def test_token_from_one_instance_is_honoured_once_on_another(
    sandbox: Any, postgres_url: str, tmp_path: Path
) -> None:
    alice, mallory = new_key(), new_key()
    intent = await paid_intent(sandbox, alice)
    settings = team_settings(sandbox, postgres_url, tmp_path, confirm_writes=True)
    call = {"payment_intent": intent, "amount": 1000}
    with instances(3, settings) as (one, two, three):
        async with client_at(one, alice) as client:
            held = await client.call_tool("create_refund", call)
            token = json.loads(error_text(held))["confirmation_token"]
        assert refunds_sent(sandbox, alice) == []
        # Another client presenting the token (same arguments) does not get Alice's refund.
        async with client_at(three, mallory) as client:
            stolen = error_text(await client.call_tool("create_refund", call | {"confirmation_token": token}))
        assert "confirmation_token" in stolen and refunds_sent(sandbox, mallory) == []

        # Mallory's refused redemption left the token to Alice. The same token on two instances at
        # once: honoured exactly once.
        outcomes: list[Any] = []

        async def redeem(url: str) -> None:
            async with client_at(url, alice) as client:
                outcomes.append(await client.call_tool("create_refund", call | {"confirmation_token": token}))

        async with anyio.create_task_group() as group:
            group.start_soon(redeem, two)
            group.start_soon(redeem, three)
        async with client_at(one, alice) as client:
            again = error_text(await client.call_tool("create_refund", call | {"confirmation_token": token}))
    assert sorted(result.is_error for result in outcomes) == [False, True]
    assert "already used" in next(r for r in outcomes if r.is_error).content[0].text
    assert "already used" in again
    assert len(refunds_sent(sandbox, alice)) == 1


async def test_one_session_across_instances_without_affinity(
    sandbox: Any, postgres_url: str, tmp_path: Path
) -> None:
    """One MCP client whose every HTTP request goes to the next instance: preview on one,
    confirmation on another, and the refund is made once."""
    alice = new_key()
    intent = await paid_intent(sandbox, alice)
    settings = team_settings(sandbox, postgres_url, tmp_path, confirm_writes=True)
    call = {"payment_intent": intent, "amount": 700}
    with instances(2, settings) as urls:
        balancer = RoundRobin(urls)
        async with httpx2.AsyncClient(
            transport=balancer, headers={"Authorization": f"Bearer {alice}"}, timeout=60
        ) as http:
            async with Client(streamable_http_client(f"{urls[0]}/mcp", http_client=http)) as client:
                token = json.loads(error_text(await client.call_tool("create_refund", call)))[
                    "confirmation_token"
                ]
                done = payload(await client.call_tool("create_refund", call | {"confirmation_token": token}))
                again = error_text(
                    await client.call_tool("create_refund", call | {"confirmation_token": token})
                )
    assert done["amount"] == 700 and done["status"] == "succeeded"
    assert "already used" in again
    assert len(set(balancer.sent)) == 2  # both instances served this one client
    assert [r.params["amount"] for r in refunds_sent(sandbox, alice)] == ["700"]


async def test_daily_refund_limit_counts_every_instance(
    sandbox: Any, postgres_url: str, tmp_path: Path
) -> None:
    alice, bob = new_key(), new_key()
    settings = team_settings(sandbox, postgres_url, tmp_path, max_daily_refunds="usd:5000")
    first, second = await paid_intent(sandbox, alice), await paid_intent(sandbox, alice)
    with instances(2, settings) as (one, two):
        async with client_at(one, alice) as client:
            payload(await client.call_tool("create_refund", {"payment_intent": first, "amount": 3000}))
        async with client_at(two, alice) as client:
            over = error_text(
                await client.call_tool("create_refund", {"payment_intent": second, "amount": 2500})
            )
            payload(await client.call_tool("create_refund", {"payment_intent": second, "amount": 2000}))
        # Bob's limit is his own: Alice's refunds do not use it up.
        bobs = await paid_intent(sandbox, bob)
        async with client_at(two, bob) as client:
            payload(await client.call_tool("create_refund", {"payment_intent": bobs, "amount": 5000}))
    assert "$20.00 left today" in over
    assert [r.params["amount"] for r in refunds_sent(sandbox, alice)] == ["3000", "2000"]


async def test_webhook_stored_once_and_seen_by_wait_for_event_on_any_instance(
    sandbox: Any, postgres_url: str, tmp_path: Path
) -> None:
    settings = load_settings(
        {"STRIPE_SECRET_KEY": new_key(), "STRIPE_WEBHOOK_SECRET": WHSEC},
        api_base=sandbox.url,
        state_dir=str(tmp_path / "state"),
        state_url=postgres_url,
        webhook_receiver=True,
        toolsets="all",
    )
    intent = "pi_team" + uuid.uuid4().hex[:16]  # not in the sandbox: only the webhook knows it
    event = build_test_event("payment_intent.succeeded", "2024-06-20")
    assert event is not None
    event["data"]["object"]["id"] = intent
    body = json.dumps(event)
    with instances(2, settings, token=TOKEN) as (one, two):
        async with client_at(two, TOKEN) as client:
            waiting: dict[str, Any] = {}

            async def wait() -> None:
                waiting.update(
                    payload(await client.call_tool(
                        "wait_for_event",
                        {"type": "payment_intent.succeeded", "object_id": intent, "timeout_seconds": 15},
                    ))
                )  # fmt: skip

            started = time.monotonic()
            async with anyio.create_task_group() as group:
                group.start_soon(wait)
                await anyio.sleep(1.0)
                # Stripe delivers at least once: the same event reaches both instances.
                answers = [
                    httpx2.post(f"{url}/webhooks/stripe", content=body, headers={"Stripe-Signature": sign(body, WHSEC)})
                    for url in (one, two)
                ]  # fmt: skip
            listed = payload(await client.call_tool("list_received_webhooks", {}))
            # Re-checked by id from the shared store (its raw body and Stripe-Signature are kept).
            verified = payload(await client.call_tool("verify_webhook_signature", {"event": event["id"]}))
    assert verified["valid"] is True and verified["event_id"] == event["id"]
    assert [a.json() for a in answers] == [
        {"received": True, "duplicate": False},
        {"received": True, "duplicate": True},
    ]
    assert waiting["found"] is True and waiting["source"] == "webhook"
    assert waiting["event"]["data"]["object"]["id"] == intent
    assert time.monotonic() - started < 15
    assert [(e["id"], e["delivery_count"]) for e in listed["data"]] == [(event["id"], 2)]


async def test_readiness_reports_the_database(
    sandbox: Any, postgres_admin: str, postgres_url: str, tmp_path: Path
) -> None:
    settings = team_settings(sandbox, postgres_url, tmp_path)
    with instances(1, settings) as (one,):
        ready = httpx2.get(f"{one}/readyz")
        live = httpx2.get(f"{one}/healthz")
        with psycopg.connect(postgres_admin, autocommit=True) as conn:  # the database goes away
            conn.execute(f'DROP DATABASE "{postgres_url.rpartition("/")[2]}" WITH (FORCE)')
        gone = httpx2.get(f"{one}/readyz", timeout=30)
        still_live = httpx2.get(f"{one}/healthz")
    assert live.status_code == 200
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert ready.json()["state"].startswith("postgresql://127.0.0.1:5432/sp_test_")
    assert gone.status_code == 503 and gone.json()["status"] == "unavailable"
    assert still_live.status_code == 200


def test_client_keys_refuse_a_server_key_and_webhook_secret(tmp_path: Path) -> None:
    from stripe_power.errors import ConfigError

    with pytest.raises(ConfigError, match="holds no Stripe key"):
        load_settings({"STRIPE_SECRET_KEY": new_key()}, client_keys=True, webhook_receiver=True)
    with pytest.raises(ConfigError, match="unset STRIPE_WEBHOOK_SECRET"):
        load_settings({"STRIPE_WEBHOOK_SECRET": WHSEC}, client_keys=True, webhook_receiver=True)
    with pytest.raises(ConfigError, match="--transport http only"):
        load_settings({}, client_keys=True)
