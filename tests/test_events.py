"""Events toolset through the MCP protocol: exact requests, waiting with progress, signatures,
test deliveries to a local handler, and webhooks delivered by the sandbox to the HTTP receiver."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
import stripe
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from stripe_power.config import Settings
from stripe_power.http import create_http_app
from stripe_power.server import create_server
from stripe_power.state.webhook_store import close_all_stores, store_for
from stripe_power.webhooks import sign, webhook_routes

from .conftest import Connect, error_text, later, payload, settings_for
from .fakes import Recorded, RecordingStripe
from .servers import free_port, serve_in_thread

SECRET = "whsec_" + "c3" * 16
TOKEN = "test-token-" + "y" * 24


def event(id: str, type: str, obj: dict[str, Any], previous: dict[str, Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"object": obj}
    if previous is not None:
        data["previous_attributes"] = previous
    return {"id": id, "object": "event", "type": type, "created": 1700000000, "data": data,
            "livemode": False, "pending_webhooks": 0, "api_version": "2026-10-28.endive"}  # fmt: skip


PI = {
    "id": "pi_1",
    "object": "payment_intent",
    "status": "succeeded",
    "metadata": {"plan": "pro"},
    "amount": 500,
    "currency": "usd",
}
UPDATED = event("evt_u", "payment_intent.updated", PI, {"metadata": {"plan": "basic"}, "amount": 400})


@pytest.fixture(autouse=True)
def _close_stores() -> Iterator[None]:
    yield
    close_all_stores()


def receiving(fake_url: str, tmp_path: Path, **more: Any) -> Settings:
    return replace(settings_for(fake_url, tmp_path), webhook_receiver=True, webhook_secrets=(SECRET,), **more)


@asynccontextmanager
async def client_for(settings: Settings) -> AsyncIterator[Client]:
    async with Client(create_server(settings)) as client:
        yield client


async def test_list_events_sends_exact_form_and_compacts(fake: RecordingStripe, connect: Connect) -> None:
    fake.on("GET", "/v1/events", {"object": "list", "data": [UPDATED], "has_more": True})
    async with connect() as client:
        page = payload(await client.call_tool("list_events", {
            "types": ["payment_intent.*"], "created": {"gte": 1700000000, "lte": 1800000000}, "limit": 1}))  # fmt: skip
        payload(await client.call_tool("list_events", {"types": ["charge.succeeded", "charge.failed"]}))
        refused = error_text(await client.call_tool("list_events", {"types": ["charge.*", "charge.failed"]}))
    assert page == {
        "data": [{"id": "evt_u", "type": "payment_intent.updated", "created": 1700000000,
                  "data": {"object": {"id": "pi_1", "status": "succeeded", "amount": 500,
                                      "amount_display": "$5.00", "currency": "usd"}},
                  "changes": {"metadata.plan": "basic → pro", "amount": "400 → 500"}}],
        "has_more": True,
        "next_starting_after": "evt_u",
    }  # fmt: skip
    one, several = fake.requests
    assert (one.method, one.path) == ("GET", "/v1/events")
    assert one.form == [("type", "payment_intent.*"), ("created[gte]", "1700000000"),
                        ("created[lte]", "1800000000"), ("limit", "1")]  # fmt: skip
    assert several.form == [("types[0]", "charge.succeeded"), ("types[1]", "charge.failed"), ("limit", "10")]
    assert "`types`" in refused and "wildcard" in refused


async def test_list_events_by_object_scans_pages_client_side(fake: RecordingStripe, connect: Connect) -> None:
    def pages(request: Recorded) -> tuple[int, dict[str, Any]]:
        after = dict(request.query).get("starting_after")
        if after is None:
            data = [event("evt_3", "charge.succeeded", {"id": "ch_1", "payment_intent": "pi_1"}),
                    event("evt_2", "customer.created", {"id": "cus_1"})]  # fmt: skip
            return 200, {"object": "list", "data": data, "has_more": True}
        data = [event("evt_1", "payment_intent.created", {"id": "pi_1"})]
        return 200, {"object": "list", "data": data, "has_more": False}

    fake.on("GET", "/v1/events", pages)
    async with connect() as client:
        page = payload(await client.call_tool("list_events", {"object_id": "pi_1"}))
    assert [e["id"] for e in page["data"]] == ["evt_3", "evt_1"]
    assert page["has_more"] is False and "3 events scanned" in page["note"]
    assert [r.form for r in fake.requests] == [
        [("limit", "100")],
        [("limit", "100"), ("starting_after", "evt_2")],
    ]


async def test_retrieve_event(fake: RecordingStripe, connect: Connect) -> None:
    fake.on("GET", "/v1/events/evt_u", UPDATED)
    async with connect() as client:
        found = payload(await client.call_tool("retrieve_event", {"id": "evt_u"}))
        assert "`id`" in error_text(await client.call_tool("retrieve_event", {"id": "pi_1"}))
    assert found["changes"] == {"metadata.plan": "basic → pro", "amount": "400 → 500"}
    assert found["pending_webhooks"] == 0
    # data.object in the PaymentIntent's own view (the whole view: one event, not a list row)
    assert found["data"]["object"] == {"id": "pi_1", "status": "succeeded", "amount": 500, "amount_display": "$5.00",
                                       "currency": "usd", "metadata": {"plan": "pro"}}  # fmt: skip
    assert len(fake.requests) == 1


async def test_wait_for_event_times_out_with_progress_and_what_was_seen(
    fake: RecordingStripe, connect: Connect
) -> None:
    def events(request: Recorded) -> tuple[int, dict[str, Any]]:
        if "type" in dict(request.query):
            return 200, {"object": "list", "data": [], "has_more": False}
        data = [event("evt_b", "payment_intent.requires_action", {"id": "pi_9"}),
                event("evt_a", "payment_intent.created", {"id": "pi_9"}),
                event("evt_x", "customer.created", {"id": "cus_1"})]  # fmt: skip
        return 200, {"object": "list", "data": data, "has_more": False}

    fake.on("GET", "/v1/events", events)
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total, message))

    async with connect() as client:
        started = time.monotonic()
        result = payload(await client.call_tool(
            "wait_for_event", {"type": "payment_intent.succeeded", "object_id": "pi_9", "timeout_seconds": 1},
            progress_callback=on_progress))  # fmt: skip
        assert time.monotonic() - started < 3
    assert result["found"] is False and result["seen"] == [
        "payment_intent.created",
        "payment_intent.requires_action",
    ]
    assert "No payment_intent.succeeded event about pi_9 within 1 s" in result["message"]
    assert "next_step" in result
    assert len(progress) >= 2 and all(total == 1 for _, total, _ in progress)
    assert "Waiting for payment_intent.succeeded about pi_9" in (progress[0][2] or "")
    polls = [r for r in fake.requests if ("type", "payment_intent.succeeded") in r.form]
    assert len(polls) >= 2 and polls[0].form == [("type", "payment_intent.succeeded"), ("limit", "100")]


async def test_wait_for_event_sees_an_event_created_meanwhile(
    sandbox: Any, sandbox_key: str, connect_sandbox: Connect
) -> None:
    async def create_customer_later() -> str:
        await asyncio.sleep(1.0)
        async with httpx.AsyncClient(base_url=sandbox.url, auth=(sandbox_key, "")) as http:
            response = await http.post("/v1/customers", data={"email": "late@example.com"})
        return str(response.json()["id"])

    progress: list[float] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append(done)

    async with connect_sandbox() as client:
        creator = asyncio.create_task(create_customer_later())
        result = payload(await client.call_tool(
            "wait_for_event", {"type": "customer.*", "timeout_seconds": 20}, progress_callback=on_progress))  # fmt: skip
        customer = await creator
    assert result["found"] is True and result["source"] == "events_api"
    assert (
        result["event"]["type"] == "customer.created" and result["event"]["data"]["object"]["id"] == customer
    )
    assert 0.8 <= result["waited_seconds"] < 10 and progress


async def test_wait_for_event_wakes_on_a_received_webhook(fake: RecordingStripe, tmp_path: Path) -> None:
    fake.on("GET", "/v1/events", {"object": "list", "data": [], "has_more": False})
    settings = receiving(fake.url, tmp_path)
    delivered = event(
        "evt_w", "checkout.session.completed", {"id": "cs_test_1", "object": "checkout.session"}
    )
    store = store_for(settings.state_dir)
    timer = later(0.8, lambda: store.record(delivered, json.dumps(delivered)))
    async with client_for(settings) as client:
        timer.start()
        result = payload(await client.call_tool(
            "wait_for_event", {"type": "checkout.session.completed", "object_id": "cs_test_1", "timeout_seconds": 30}))  # fmt: skip
    timer.join()
    assert result["found"] is True and result["source"] == "webhook" and result["event"]["id"] == "evt_w"
    assert result["waited_seconds"] < 30  # woke on the webhook, before its timeout


async def test_verify_webhook_signature_tool(fake: RecordingStripe, tmp_path: Path, connect: Connect) -> None:
    body = json.dumps(UPDATED)
    async with client_for(receiving(fake.url, tmp_path)) as client:
        valid = payload(
            await client.call_tool(
                "verify_webhook_signature", {"payload": body, "signature": sign(body, SECRET)}
            )
        )
        tampered = payload(await client.call_tool(
            "verify_webhook_signature", {"payload": body + " ", "signature": sign(body, SECRET)}))  # fmt: skip
        old = payload(await client.call_tool("verify_webhook_signature", {
            "payload": body, "signature": sign(body, "whsec_given", int(time.time()) - 600), "secret": "whsec_given"}))  # fmt: skip
        texts = [json.dumps(r) for r in (valid, tampered, old)]
    assert valid == {
        "valid": True,
        "event_id": "evt_u",
        "event_type": "payment_intent.updated",
        "age_seconds": 0,
    } or (valid["valid"] and valid["age_seconds"] <= 1)
    assert tampered["valid"] is False and "body was modified" in tampered["reason"]
    assert old["valid"] is False and "s old" in old["reason"]
    assert all(SECRET not in t and "whsec_given" not in t for t in texts)
    async with connect() as client:  # no STRIPE_WEBHOOK_SECRET and none given
        message = error_text(
            await client.call_tool("verify_webhook_signature", {"payload": body, "signature": "t=1,v1=a"})
        )
    assert "`secret`" in message and "STRIPE_WEBHOOK_SECRET" in message
    assert fake.requests == []


@pytest.fixture
def handler() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A user's webhook handler that verifies with the stripe SDK itself."""
    received: list[dict[str, Any]] = []

    async def hook(request: Request) -> Response:
        body = await request.body()
        try:
            verified = stripe.Webhook.construct_event(body, request.headers.get("stripe-signature"), SECRET)
        except (stripe.SignatureVerificationError, ValueError) as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        received.append(json.loads(body))
        return JSONResponse({"ok": True, "id": verified["id"]})

    async def moved(_: Request) -> Response:
        return Response(status_code=307, headers={"Location": "/hook"})

    port = free_port()
    app = Starlette(routes=[Route("/hook", hook, methods=["POST"]), Route("/moved", moved, methods=["POST"])])
    with serve_in_thread(app, port) as url:
        yield url, received


async def test_send_test_webhook_is_verified_by_the_stripe_sdk(
    fake: RecordingStripe, tmp_path: Path, handler: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = handler
    real = event(
        "evt_real",
        "customer.updated",
        {"id": "cus_1", "object": "customer", "email": "b@x.co"},
        {"email": "a@x.co"},
    )
    fake.on("GET", "/v1/events", lambda r: (200, {"object": "list", "has_more": False,
            "data": [real] if ("type", "customer.updated") in r.form else []}))  # fmt: skip
    async with client_for(receiving(fake.url, tmp_path)) as client:
        from_fixture = payload(await client.call_tool(
            "send_test_webhook", {"type": "checkout.session.completed", "url": f"{url}/hook"}))  # fmt: skip
        from_account = payload(await client.call_tool(
            "send_test_webhook", {"type": "customer.updated", "url": f"{url}/hook"}))  # fmt: skip
        wrong = payload(await client.call_tool(
            "send_test_webhook", {"type": "customer.updated", "url": f"{url}/hook", "secret": "whsec_nope"}))  # fmt: skip
        redirected = payload(await client.call_tool(
            "send_test_webhook", {"type": "customer.updated", "url": f"{url}/moved"}))  # fmt: skip
        unknown = error_text(await client.call_tool(
            "send_test_webhook", {"type": "payment_intent.succeded", "url": f"{url}/hook"}))  # fmt: skip
    assert from_fixture["status"] == 200 and from_fixture["built_from"] == "bundled example"
    assert from_fixture["elapsed_ms"] > 0 and '"ok":true' in from_fixture["response"]
    assert from_account["status"] == 200 and "evt_real" in from_account["built_from"]
    assert [e["type"] for e in received] == ["checkout.session.completed", "customer.updated"]
    assert received[0]["data"]["object"]["status"] == "complete"
    assert received[0]["api_version"] == stripe.api_version  # the Gateway's version, not a constant
    assert received[1]["id"] != "evt_real" and received[1]["data"] == real["data"]
    assert wrong["status"] == 400 and "same signing secret" in wrong["next_step"]
    assert "whsec_nope" not in json.dumps(wrong)
    assert redirected["status"] == 307 and redirected["location"] == "/hook" and len(received) == 2
    assert "payment_intent.succeeded" in unknown
    assert [r.form for r in fake.requests] == [
        [("type", t), ("limit", "1")]
        for t in ("checkout.session.completed", "customer.updated", "customer.updated", "customer.updated")
    ]


async def test_send_test_webhook_refuses_non_loopback_without_the_flag(
    fake: RecordingStripe, tmp_path: Path, handler: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = handler
    port = url.rsplit(":", 1)[1]
    fake.on("GET", "/v1/events", {"object": "list", "data": [], "has_more": False})
    args = {"type": "customer.created", "url": f"http://0.0.0.0:{port}/hook"}
    async with client_for(receiving(fake.url, tmp_path)) as client:
        for target in (args["url"], "https://hooks.example.com/stripe", "http://127.0.0.1@evil.example/x"):
            message = error_text(await client.call_tool("send_test_webhook", {**args, "url": target}))
            assert "`url`" in message and "--allow-webhook-host" in message and "nothing was sent" in message
    assert fake.requests == [] and received == []
    allowed = receiving(fake.url, tmp_path, allow_webhook_hosts=frozenset({"0.0.0.0"}))
    async with client_for(allowed) as client:
        sent = payload(await client.call_tool("send_test_webhook", args))
    assert sent["status"] == 200 and [e["type"] for e in received] == ["customer.created"]


async def test_list_received_webhooks_only_with_the_receiver(
    fake: RecordingStripe, tmp_path: Path, connect: Connect
) -> None:
    async with connect() as client:
        names = {t.name for t in (await client.list_tools()).tools}
    assert {"list_events", "wait_for_event", "send_test_webhook"} <= names
    assert "list_received_webhooks" not in names
    settings = receiving(fake.url, tmp_path)
    store = store_for(settings.state_dir)
    for n in range(3):
        delivered = event(f"evt_{n}", "invoice.paid", {"id": f"in_{n}"})
        store.record(delivered, json.dumps(delivered), received_at=1700000000 + n)
    store.record(delivered, json.dumps(delivered))
    async with client_for(settings) as client:
        first = payload(await client.call_tool("list_received_webhooks", {"limit": 2}))
        rest = payload(
            await client.call_tool("list_received_webhooks", {"starting_after": first["next_starting_after"]})
        )
    assert first == {
        "data": [{"id": "evt_2", "type": "invoice.paid", "object_id": "in_2", "received_at": 1700000002, "delivery_count": 2},
                 {"id": "evt_1", "type": "invoice.paid", "object_id": "in_1", "received_at": 1700000001, "delivery_count": 1}],
        "has_more": True,
        "next_starting_after": "evt_1",
    }  # fmt: skip
    assert [e["id"] for e in rest["data"]] == ["evt_0"] and rest["has_more"] is False
    assert fake.requests == []


async def test_sandbox_delivers_checkout_webhooks_verified_once_each(
    sandbox: Any, sandbox_key: str, tmp_path: Path
) -> None:
    transport = stripe.HTTPXClient()
    try:
        await deliver_checkout(sandbox, stripe.StripeClient(
            sandbox_key, base_addresses={"api": sandbox.url}, http_client=transport), sandbox_key, tmp_path)  # fmt: skip
    finally:
        await transport.close_async()


async def deliver_checkout(sandbox: Any, sdk: stripe.StripeClient, sandbox_key: str, tmp_path: Path) -> None:
    port = free_port()
    endpoint = await sdk.v1.webhook_endpoints.create_async({
        "url": f"http://127.0.0.1:{port}/webhooks/stripe",
        "enabled_events": ["checkout.session.completed", "payment_intent.succeeded"]})  # fmt: skip
    assert endpoint.secret and endpoint.secret.startswith("whsec_")
    settings = replace(
        settings_for(sandbox.url, tmp_path, api_key=sandbox_key),
        webhook_receiver=True,
        webhook_secrets=(endpoint.secret,),
    )
    app = create_http_app(
        create_server(settings),
        host="127.0.0.1",
        port=port,
        token=TOKEN,
        extra_routes=webhook_routes(settings),
    )
    store = store_for(settings.state_dir)
    with serve_in_thread(app, port) as base:
        session = await sdk.v1.checkout.sessions.create_async({
            "mode": "payment", "success_url": "https://example.com/ok",
            "line_items": [{"quantity": 1, "price_data": {
                "currency": "usd", "unit_amount": 2500, "product_data": {"name": "T-shirt"}}}]})  # fmt: skip
        assert session.url
        async with httpx.AsyncClient() as http:
            paid = await http.post(
                session.url, data={"card_number": "4242424242424242", "email": "a@example.com"}
            )
        assert paid.status_code < 400, paid.text[:300]
        deadline = time.monotonic() + 10
        version = store.signal.version
        while store.count() < 2:  # the sandbox delivers in the background
            assert await store.signal.wait(version, deadline - time.monotonic()), sandbox.webhook_deliveries()
            version = store.signal.version
        rows = {row.type: row for row in store.recent()}
        assert set(rows) == {"checkout.session.completed", "payment_intent.succeeded"}, (
            sandbox.webhook_deliveries()
        )
        assert all(row.delivery_count == 1 for row in rows.values())
        # Stripe delivers at least once: the same event delivered again is stored once.
        async with httpx.AsyncClient(base_url=base) as http:
            for row in rows.values():
                again = await http.post("/webhooks/stripe", content=row.payload,
                                        headers={"Stripe-Signature": sign(row.payload, endpoint.secret)})  # fmt: skip
                assert again.json() == {"received": True, "duplicate": True}
            forged = await http.post("/webhooks/stripe", content=rows["payment_intent.succeeded"].payload,
                                     headers={"Stripe-Signature": sign("x", endpoint.secret)})  # fmt: skip
            assert forged.status_code == 400 and endpoint.secret not in forged.text
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as http2:
            async with Client(streamable_http_client(f"{base}/mcp", http_client=http2)) as client:
                listed = payload(await client.call_tool("list_received_webhooks", {}))
                intent = rows["payment_intent.succeeded"].object_id
                waited = payload(await client.call_tool(
                    "wait_for_event", {"type": "payment_intent.succeeded", "object_id": intent, "timeout_seconds": 5}))  # fmt: skip
    assert sorted((e["type"], e["delivery_count"]) for e in listed["data"]) == [
        ("checkout.session.completed", 2), ("payment_intent.succeeded", 2)]  # fmt: skip
    assert store.count() == 2
    assert waited["found"] is True and waited["event"]["data"]["object"]["id"] == intent
    session_row = rows["checkout.session.completed"].event()["data"]["object"]
    assert session_row["id"] == session.id and session_row["payment_status"] == "paid"


async def test_wait_for_event_without_object_ignores_old_events(
    fake: RecordingStripe, connect: Connect
) -> None:
    old = event("evt_old", "payment_intent.succeeded", {"id": "pi_9", "object": "payment_intent"})
    fake.on("GET", "/v1/events", {"object": "list", "data": [old], "has_more": False})
    async with connect() as client:
        before = int(time.time())
        stale = payload(await client.call_tool(
            "wait_for_event", {"type": "payment_intent.succeeded", "timeout_seconds": 1}))  # fmt: skip
        about = payload(await client.call_tool(
            "wait_for_event", {"type": "payment_intent.succeeded", "object_id": "pi_9", "timeout_seconds": 1}))  # fmt: skip
    assert stale["found"] is False  # last week's event is not the one being waited for
    assert about["found"] is True and about["event"]["id"] == "evt_old"  # an existing one about pi_9 counts
    first = fake.requests[0].form
    since = int(dict(first)["created[gte]"])
    assert first[:2] == [("type", "payment_intent.succeeded"), ("limit", "100")]
    assert before - 300 <= since <= before - 299
    polls = [r.form for r in fake.requests if ("type", "payment_intent.succeeded") in r.form]
    assert polls[-1] == [("type", "payment_intent.succeeded"), ("limit", "100")]  # with object_id: no window
