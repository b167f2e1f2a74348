"""Webhook testing by id (issue 14, item 12): `send_test_webhook` picks the object or the event,
and `verify_webhook_signature` checks a webhook received here by its id, with no body pasted."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from stripe_power.state.webhook_store import store_for
from stripe_power.webhooks import WEBHOOK_PATH, sign, webhook_routes

from .conftest import error_text, mcp_client, payload, settings_for
from .servers import free_port, serve_in_thread
from .test_events import SECRET, _close_stores, event, handler  # noqa: F401  (fixtures)


async def test_send_test_webhook_picks_the_object_or_the_event(
    sandbox: Any,
    tmp_path: Path,
    handler: tuple[str, list[dict[str, Any]]],  # noqa: F811
) -> None:
    url, received = handler
    async with mcp_client(settings_for(sandbox.url, tmp_path)) as client:
        first = payload(await client.call_tool("create_customer", {"email": "first@example.com"}))["id"]
        payload(await client.call_tool("create_customer", {"email": "second@example.com"}))
        hook = {"url": f"{url}/hook", "secret": SECRET}
        newest = payload(await client.call_tool("send_test_webhook", {**hook, "type": "customer.created"}))
        by_object = payload(
            await client.call_tool(
                "send_test_webhook", {**hook, "type": "customer.created", "object_id": first}
            )
        )
        created = payload(
            await client.call_tool("list_events", {"types": ["customer.created"], "object_id": first})
        )
        original = created["data"][0]["id"]
        by_event = payload(await client.call_tool("send_test_webhook", {**hook, "event": original}))
        missing = error_text(
            await client.call_tool(
                "send_test_webhook", {**hook, "type": "customer.created", "object_id": "cus_nope"}
            )
        )
        both = error_text(
            await client.call_tool("send_test_webhook", {**hook, "type": "x.y", "event": original})
        )
        neither = error_text(await client.call_tool("send_test_webhook", hook))
    assert [r["status"] for r in (newest, by_object, by_event)] == [200, 200, 200]
    assert received[0]["data"]["object"]["email"] == "second@example.com"  # the newest, by default
    assert received[1]["data"]["object"]["id"] == first and received[1]["id"] != original
    assert received[2]["id"] == original == by_event["event_id"]  # resent as is, same id
    assert by_event["built_from"].startswith(f"{original}, resent as is")
    assert (
        "Invalid `object_id`: no customer.created event about cus_nope" in missing and "event=evt_" in missing
    )
    assert "Invalid `event`: cannot be combined" in both
    assert "Invalid `type`: is required without `event`" in neither
    assert len(received) == 3


async def test_verify_a_received_webhook_by_its_id(sandbox: Any, tmp_path: Path) -> None:
    settings = replace(settings_for(sandbox.url, tmp_path), webhook_receiver=True, webhook_secrets=(SECRET,))
    delivered = event("evt_received_1", "invoice.paid", {"id": "in_1", "object": "invoice"})
    body = json.dumps(delivered)
    with serve_in_thread(Starlette(routes=webhook_routes(settings)), free_port()) as base:
        async with httpx.AsyncClient() as http:
            answer = await http.post(
                f"{base}{WEBHOOK_PATH}", content=body, headers={"Stripe-Signature": sign(body, SECRET)}
            )
    assert answer.json() == {"received": True, "duplicate": False}
    async with mcp_client(settings) as client:
        checked = payload(await client.call_tool("verify_webhook_signature", {"event": "evt_received_1"}))
        rotated = payload(
            await client.call_tool(
                "verify_webhook_signature", {"event": "evt_received_1", "secret": "whsec_rotated"}
            )
        )
        unknown = error_text(await client.call_tool("verify_webhook_signature", {"event": "evt_never"}))
        mixed = error_text(
            await client.call_tool("verify_webhook_signature", {"event": "evt_received_1", "payload": body})
        )
        nothing = error_text(await client.call_tool("verify_webhook_signature", {}))
    assert checked["valid"] is True and checked["event_id"] == "evt_received_1"
    assert checked["event_type"] == "invoice.paid" and checked["age_seconds"] <= 5
    assert rotated["valid"] is False and "secret is wrong" in rotated["reason"]
    assert f"evt_never was not received at this server's {WEBHOOK_PATH}" in unknown
    assert "Invalid `event`: cannot be combined" in mixed
    assert "Invalid `payload`: is required without `event`" in nothing
    stored = store_for(settings.state_dir).get("evt_received_1")
    assert stored is not None and stored.signature and stored.signature.startswith("t=")


def test_a_store_from_before_signatures_were_kept_still_opens(tmp_path: Path) -> None:
    import sqlite3

    from stripe_power.state.webhook_store import WebhookStore

    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, "
            "object_id TEXT, created INTEGER, payload TEXT NOT NULL, first_received_at REAL NOT NULL, "
            "last_received_at REAL NOT NULL, delivery_count INTEGER NOT NULL DEFAULT 1)"
        )
        db.execute(
            "INSERT INTO events (id, type, payload, first_received_at, last_received_at) "
            "VALUES ('evt_old', 'invoice.paid', '{}', 1, 1)"
        )
    store = WebhookStore(path)
    try:
        old = store.get("evt_old")
        assert old is not None and old.signature is None
        new = event("evt_new", "invoice.paid", {"id": "in_2"})
        assert store.record(new, json.dumps(new), signature="t=1,v1=ab") is False
        assert store.get("evt_new").signature == "t=1,v1=ab"  # type: ignore[union-attr]
    finally:
        store.close()
