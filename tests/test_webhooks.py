"""Signature checks against the stripe SDK as oracle, the durable store, and the HTTP receiver."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import stripe
from starlette.applications import Starlette

from stripe_power.config import ConfigError, load_settings
from stripe_power.state.webhook_store import WebhookStore
from stripe_power.webhooks import build_test_event, event_types, sign, verify, webhook_routes

from .conftest import later, settings_for

SECRET = "whsec_" + "a1" * 16
OTHER = "whsec_" + "b2" * 16
EVENT = {
    "id": "evt_1",
    "object": "event",
    "type": "payment_intent.succeeded",
    "created": 1700000000,
    "data": {"object": {"id": "pi_1", "object": "payment_intent", "status": "succeeded"}},
}
PAYLOAD = json.dumps(EVENT, indent=2)


def stripe_accepts(payload: str, header: str | None, secret: str = SECRET) -> bool:
    try:
        stripe.Webhook.construct_event(payload, header, secret)
    except stripe.SignatureVerificationError:
        return False
    return True


def test_valid_signature_both_ways() -> None:
    ours = sign(PAYLOAD, SECRET)
    theirs = stripe.WebhookSignature.generate_signature_header(PAYLOAD, SECRET)
    for header in (ours, theirs):
        result = verify(PAYLOAD, header, [SECRET])
        assert result.valid and result.event_id == "evt_1" and result.event_type == "payment_intent.succeeded"
        assert stripe_accepts(PAYLOAD, header)
    assert verify(PAYLOAD.encode(), ours, [SECRET]).valid  # raw bytes as received


@pytest.mark.parametrize(
    ("case", "payload", "header", "reason"),
    [
        ("tampered", PAYLOAD.replace("succeeded", "canceled", 1), sign(PAYLOAD, SECRET), "body was modified"),
        ("wrong secret", PAYLOAD, sign(PAYLOAD, OTHER), "secret is wrong"),
        ("old", PAYLOAD, sign(PAYLOAD, SECRET, int(time.time()) - 400), "s old (limit 300 s)"),
        ("missing header", PAYLOAD, None, "Missing Stripe-Signature header"),
        ("empty header", PAYLOAD, "", "Missing Stripe-Signature header"),
        ("no t", PAYLOAD, "v1=" + "0" * 64, "no t= timestamp"),
        ("no v1", PAYLOAD, f"t={int(time.time())},v0=abc", "no v1= signature"),
    ],
)
def test_refusals_agree_with_stripe(case: str, payload: str, header: str | None, reason: str) -> None:
    result = verify(payload, header, [SECRET])
    assert not result.valid, case
    assert reason in (result.reason or ""), result.reason
    assert SECRET not in (result.reason or "")
    assert not stripe_accepts(payload, header), case


def test_old_timestamp_says_how_old() -> None:
    result = verify(PAYLOAD, sign(PAYLOAD, SECRET, int(time.time()) - 1000), [SECRET])
    assert result.age_seconds is not None and 999 <= result.age_seconds <= 1002
    assert f"{result.age_seconds} s old" in (result.reason or "")


def test_several_v1_values_and_secret_rollover() -> None:
    t = int(time.time())
    good = sign(PAYLOAD, SECRET, t)
    header = f"t={t},v1={'f' * 64},{good.split(',')[1]}"  # a stale v1 first, then the good one
    assert verify(PAYLOAD, header, [SECRET]).valid
    assert stripe_accepts(PAYLOAD, header)
    # Stripe signs with every active secret during a rollover; either one verifies.
    both = sign(PAYLOAD, [OTHER, SECRET], t)
    assert both.count("v1=") == 2 and stripe_accepts(PAYLOAD, both) and stripe_accepts(PAYLOAD, both, OTHER)
    # The receiver holding the old and the new secret accepts a delivery signed with either.
    assert verify(PAYLOAD, sign(PAYLOAD, OTHER, t), [SECRET, OTHER]).valid
    refused = verify(PAYLOAD, sign(PAYLOAD, "whsec_third", t), [SECRET, OTHER])
    assert not refused.valid and "Tried 2 secrets" in (refused.reason or "")


def test_store_dedups_and_survives_restart(tmp_path: Path) -> None:
    path = tmp_path / "webhooks.sqlite3"
    store = WebhookStore(path)
    assert store.record(EVENT, PAYLOAD, received_at=100.0) is False
    assert store.record(EVENT, PAYLOAD, received_at=105.0) is True
    store.close()

    reopened = WebhookStore(path)
    row = reopened.get("evt_1")
    assert row is not None
    assert (row.delivery_count, row.first_received_at, row.last_received_at) == (2, 100.0, 105.0)
    assert (row.type, row.object_id, row.event()) == ("payment_intent.succeeded", "pi_1", EVENT)
    assert reopened.record(EVENT, PAYLOAD) is True
    other = {**EVENT, "id": "evt_2", "type": "charge.succeeded",
             "data": {"object": {"id": "ch_1", "payment_intent": "pi_1"}}}  # fmt: skip
    reopened.record(other, json.dumps(other))
    assert [r.id for r in reopened.recent()] == ["evt_2", "evt_1"]
    assert [r.id for r in reopened.find("payment_intent.*")] == ["evt_1"]
    assert [r.id for r in reopened.find("*", object_id="pi_1")] == ["evt_2", "evt_1"]  # related too
    assert reopened.count() == 2 and reopened.get("evt_1").delivery_count == 3  # type: ignore[union-attr]
    reopened.close()


def test_store_is_thread_safe(tmp_path: Path) -> None:
    store = WebhookStore(tmp_path / "w.sqlite3")

    def deliver(n: int) -> None:
        for i in range(20):
            event = {**EVENT, "id": f"evt_{i}"}
            store.record(event, json.dumps(event))

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.count() == 20
    assert {r.delivery_count for r in store.recent(limit=100)} == {4}
    store.close()


async def test_signal_wakes_a_waiter_from_another_thread(tmp_path: Path) -> None:
    store = WebhookStore(tmp_path / "w.sqlite3")
    version = store.signal.version
    timer = later(0.1, lambda: store.record(EVENT, PAYLOAD))
    started = time.monotonic()
    timer.start()
    assert await store.signal.wait(version, 5.0) is True
    assert time.monotonic() - started < 5.0  # woke on the record, before the timeout
    assert await store.signal.wait(store.signal.version, 0.05) is False
    timer.join()
    store.close()


def receiver(tmp_path: Path, *secrets: str) -> tuple[httpx.AsyncClient, WebhookStore]:
    settings = replace(settings_for("http://127.0.0.1:9", tmp_path), webhook_secrets=secrets)
    store = WebhookStore(tmp_path / "receiver.sqlite3")
    app = Starlette(routes=webhook_routes(settings, store, max_body_bytes=64 * 1024))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://127.0.0.1"), store


async def test_receiver_verifies_stores_once_and_refuses(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    http, store = receiver(tmp_path, OTHER, SECRET)
    async with http:
        headers = {"Stripe-Signature": sign(PAYLOAD, SECRET), "Content-Type": "application/json"}
        first = await http.post("/webhooks/stripe", content=PAYLOAD, headers=headers)
        again = await http.post("/webhooks/stripe", content=PAYLOAD, headers=headers)
        assert (first.status_code, first.json()) == (200, {"received": True, "duplicate": False})
        assert (again.status_code, again.json()) == (200, {"received": True, "duplicate": True})
        assert store.get("evt_1").delivery_count == 2  # type: ignore[union-attr]

        forged = {**EVENT, "id": "evt_forged"}
        bad = [
            await http.post("/webhooks/stripe", content=json.dumps(forged), headers=headers),
            await http.post("/webhooks/stripe", content=json.dumps(forged)),
            await http.post("/webhooks/stripe", content=json.dumps(forged),
                            headers={"Stripe-Signature": sign(json.dumps(forged), "whsec_wrong")}),
        ]  # fmt: skip
        assert [r.status_code for r in bad] == [400, 400, 400]
        assert "body was modified" in bad[0].json()["message"]
        assert "Missing Stripe-Signature" in bad[1].json()["message"]
        assert "Tried 2 secrets" in bad[2].json()["message"]
        big = await http.post("/webhooks/stripe", content=b"x" * (64 * 1024 + 1), headers=headers)
        assert big.status_code == 413
        assert store.count() == 1 and store.get("evt_forged") is None
        for response in [first, again, *bad, big]:
            assert SECRET not in response.text and OTHER not in response.text
    assert caplog.records and all(
        SECRET not in r.getMessage() and OTHER not in r.getMessage() for r in caplog.records
    )
    store.close()


async def test_receiver_without_secret_is_not_configured(tmp_path: Path) -> None:
    http, store = receiver(tmp_path)
    async with http:
        response = await http.post(
            "/webhooks/stripe", content=PAYLOAD, headers={"Stripe-Signature": "t=1,v1=a"}
        )
    assert response.status_code == 503 and "STRIPE_WEBHOOK_SECRET" in response.text
    assert store.count() == 0
    store.close()


def test_settings_read_secrets_and_hosts() -> None:
    env = {"STRIPE_SECRET_KEY": "sk_test_" + "x" * 20, "STRIPE_WEBHOOK_SECRET": f" {SECRET}, {OTHER} "}
    settings = load_settings(env, webhook_receiver=True, allow_webhook_hosts=["Hooks.Example.com"])
    assert settings.webhook_secrets == (SECRET, OTHER) and settings.receives_webhooks
    assert settings.allow_webhook_hosts == frozenset({"hooks.example.com"})
    assert SECRET not in repr(settings)
    assert not load_settings({**env, "STRIPE_WEBHOOK_SECRET": ""}, webhook_receiver=True).receives_webhooks
    assert not load_settings(env).receives_webhooks  # stdio: no receiver
    with pytest.raises(ConfigError, match="allow-webhook-host") as refused:
        load_settings(env, allow_webhook_hosts=["https://hooks.example.com/x"])
    assert SECRET not in str(refused.value)


def test_bundled_fixtures_build_realistic_events() -> None:
    assert {"checkout.session.completed", "payment_intent.succeeded"} <= event_types()
    event = build_test_event("payment_intent.succeeded", "2099-01-01.test", None)
    assert event is not None and event["api_version"] == "2099-01-01.test"  # the Gateway's, not a constant
    assert (
        event is not None and event["id"].startswith("evt_") and event["type"] == "payment_intent.succeeded"
    )
    obj = event["data"]["object"]
    assert obj["object"] == "payment_intent" and obj["status"] == "succeeded"
    assert obj["amount_received"] == obj["amount"]
    session = build_test_event("checkout.session.completed", "2099-01-01.test", None)
    assert session is not None
    assert session["data"]["object"]["payment_status"] == "paid"
    real = {**EVENT, "id": "evt_real", "api_version": "2020-01-01"}
    copy = build_test_event("payment_intent.succeeded", "2099-01-01.test", real)
    assert copy is not None and copy["id"] != "evt_real" and copy["data"] == EVENT["data"]
    assert copy["api_version"] == "2020-01-01"  # a copy keeps the version of the event it copies
    assert build_test_event("account.updated", "2099-01-01.test", None) is None  # no bundled example for it


async def test_concurrent_waiters_all_wake(tmp_path: Path) -> None:
    store = WebhookStore(tmp_path / "w.sqlite3")
    version = store.signal.version
    waiters = [asyncio.create_task(store.signal.wait(version, 5.0)) for _ in range(3)]
    await asyncio.sleep(0.05)
    await asyncio.to_thread(store.record, EVENT, PAYLOAD)
    assert await asyncio.gather(*waiters) == [True, True, True]
    store.close()
