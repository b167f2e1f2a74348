"""Signed webhook delivery (verified with the stripe SDK) and fault injection."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe
from stripe._http_client import HTTPClient

from stripe_power.sandbox import FaultConfig, SandboxServer


class _Receiver:
    def __init__(self, fail_first: int = 0) -> None:
        self.received: list[tuple[bytes, str]] = []
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.fail_first > 0:
                    receiver.fail_first -= 1
                    self.send_response(500)
                else:
                    receiver.received.append((body, self.headers["Stripe-Signature"]))
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks"

    def wait_for(self, n: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < n and time.monotonic() < deadline:
            time.sleep(0.01)


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    r = _Receiver(fail_first=1)
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


def test_webhook_delivery_signed_and_retried(client: stripe.StripeClient, receiver: _Receiver) -> None:
    we = client.v1.webhook_endpoints.create(
        {"url": receiver.url, "enabled_events": ["payment_intent.*", "customer.created"]}
    )
    assert we.secret and we.secret.startswith("whsec_") and we.status == "enabled"
    assert "secret" not in client.v1.webhook_endpoints.retrieve(we.id).to_dict()
    client.v1.customers.create({"email": "hook@example.com"})
    client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    client.v1.products.create({"name": "not subscribed"})
    receiver.wait_for(2)
    assert len(receiver.received) == 2
    types = set()
    for body, sig in receiver.received:
        event = stripe.Webhook.construct_event(body.decode(), sig, we.secret)
        types.add(event.type)
    assert types == {"customer.created", "payment_intent.created"}
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            receiver.received[0][0].decode(), receiver.received[0][1], "whsec_wrong"
        )
    assert [w.id for w in client.v1.webhook_endpoints.list().data] == [we.id]
    assert client.v1.webhook_endpoints.delete(we.id).deleted is True
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.webhook_endpoints.create({"url": "https://example.com/hook", "enabled_events": ["*"]})


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(HTTPClient, "INITIAL_DELAY", 0.01)
    monkeypatch.setattr(HTTPClient, "MAX_DELAY", 0.02)


@pytest.mark.usefixtures("fast_retries")
def test_drop_after_commit_then_retry_replays() -> None:
    with SandboxServer(faults=FaultConfig(drop_after_commit_rate=0.5, seed=7)) as sb:
        key = "sk_test_" + uuid.uuid4().hex
        client = stripe.StripeClient(key, base_addresses={"api": sb.url}, max_network_retries=8)
        ids = {client.v1.customers.create({"email": f"c{i}@example.com"}).id for i in range(8)}
        assert len(ids) == 8
        assert len(sb.objects(key, "customer")) == 8
        log = sb.request_log(key)
        assert any(r.fault == "drop_after_commit" for r in log)
        # without retries, the client sees a connection error even though the object exists
        bare = stripe.StripeClient(key, base_addresses={"api": sb.url}, max_network_retries=0)
        errors = 0
        for _ in range(6):
            try:
                bare.v1.customers.create({"email": "x@example.com"})
            except stripe.APIConnectionError:
                errors += 1
        assert errors > 0
        assert len(sb.objects(key, "customer")) == 8 + 6


@pytest.mark.usefixtures("fast_retries")
def test_drop_before_commit_and_500s_are_retried() -> None:
    faults = FaultConfig(drop_before_commit_rate=0.3, error_500_rate=0.3, seed=3)
    with SandboxServer(faults=faults) as sb:
        key = "sk_test_" + uuid.uuid4().hex
        client = stripe.StripeClient(key, base_addresses={"api": sb.url}, max_network_retries=10)
        for i in range(6):
            client.v1.customers.create({"email": f"c{i}@example.com"})
        assert len(sb.objects(key, "customer")) == 6
        faults_seen = {r.fault for r in sb.request_log(key)}
        assert {"drop_before_commit", "error_500"} <= faults_seen


def test_429_is_rate_limit_error_and_not_retried() -> None:
    with SandboxServer(faults=FaultConfig(error_429_rate=1.0, latency_ms=5)) as sb:
        key = "sk_test_" + uuid.uuid4().hex
        client = stripe.StripeClient(key, base_addresses={"api": sb.url}, max_network_retries=2)
        with pytest.raises(stripe.RateLimitError) as exc:
            client.v1.customers.list()
        assert exc.value.http_status == 429
        assert len(sb.request_log(key)) == 1
        assert sb.objects(key, "customer") == []
