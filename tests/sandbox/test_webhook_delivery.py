"""Webhook delivery never holds up the API, is bounded, and goes only to this machine.

Proven by order, not by timing: the API answers later requests while a delivery to a dead or
hanging endpoint is still pending (its listener holds the connection, or its retry is scheduled).
An endpoint URL off this machine is a `sandbox_limit` (the sandbox has no network), while a URL that
is not http(s) is Stripe's own "Invalid URL".
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import stripe

from stripe_power.sandbox import SandboxServer


@pytest.fixture
def own_sandbox() -> Iterator[SandboxServer]:
    """A sandbox whose delivery settings this test changes (the shared one keeps its defaults)."""
    with SandboxServer(host="127.0.0.1", port=0) as sb:
        yield sb


def _client(sb: SandboxServer) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_webhooks_" + str(id(sb)), base_addresses={"api": sb.url})


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port: int = s.getsockname()[1]
    s.close()
    return port


def test_a_dead_endpoint_does_not_delay_later_answers(own_sandbox: SandboxServer) -> None:
    own_sandbox.sandbox.webhooks.backoff_s = 3600.0  # the retry after the refused attempt waits an hour
    client = _client(own_sandbox)
    client.v1.webhook_endpoints.create(
        {"url": f"http://127.0.0.1:{_closed_port()}/hook", "enabled_events": ["customer.created"]}
    )
    first = client.v1.customers.create({"email": "one@example.com"})
    deadline = time.monotonic() + 30
    while not (own_sandbox.webhook_deliveries() and own_sandbox.webhook_deliveries()[0].errors):
        assert time.monotonic() < deadline, "the first attempt never failed"
        time.sleep(0.01)
    second = client.v1.customers.retrieve(first.id)  # answered while the delivery waits to retry
    (delivery,) = own_sandbox.webhook_deliveries()
    assert second.id == first.id
    assert (delivery.attempts, delivery.delivered) == (1, False)
    assert delivery.errors and "Connect" in delivery.errors[0]


def test_a_hanging_endpoint_does_not_delay_later_answers_and_times_out(own_sandbox: SandboxServer) -> None:
    webhooks = own_sandbox.sandbox.webhooks
    webhooks.timeout_s, webhooks.max_attempts = 0.5, 2
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    accepted = threading.Event()

    def hold() -> None:  # accept and never answer
        while len(held) < 2:
            conn, _ = listener.accept()
            held.append(conn)
            accepted.set()

    threading.Thread(target=hold, daemon=True).start()
    try:
        client = _client(own_sandbox)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
        client.v1.webhook_endpoints.create({"url": url, "enabled_events": ["customer.created"]})
        cus = client.v1.customers.create({})
        assert accepted.wait(30), "the delivery never connected"
        again = client.v1.customers.retrieve(cus.id)  # the endpoint holds the delivery open meanwhile
        (delivery,) = own_sandbox.webhook_deliveries()
        assert again.id == cus.id and delivery.status is None and not delivery.delivered
        deadline = time.monotonic() + 30
        while len(delivery.log) < webhooks.max_attempts:  # each attempt gives up at its timeout
            assert time.monotonic() < deadline, "the delivery never gave up"
            time.sleep(0.02)
        assert not delivery.delivered and all(a.status is None for a in delivery.log)
        assert "Timeout" in delivery.errors[0] or "timed out" in delivery.errors[0].lower()
    finally:
        for conn in held:
            conn.close()
        listener.close()


def test_an_endpoint_off_this_machine_is_a_sandbox_limit(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as off:
        client.v1.webhook_endpoints.create({"url": "https://example.com/hook", "enabled_events": ["*"]})
    assert (off.value.code, off.value.param) == ("sandbox_limit", "url")
    assert "only to this machine" in str(off.value.user_message)
    with pytest.raises(stripe.InvalidRequestError) as bad:
        client.v1.webhook_endpoints.create({"url": "ftp://127.0.0.1/hook", "enabled_events": ["*"]})
    assert (bad.value.code, bad.value.param) == ("url_invalid", "url")
    assert client.v1.webhook_endpoints.list().data == []
    ok = client.v1.webhook_endpoints.create({"url": "http://localhost:9/hook", "enabled_events": ["*"]})
    with pytest.raises(stripe.InvalidRequestError) as moved:
        client.v1.webhook_endpoints.update(ok.id, {"url": "https://203.0.113.7/hook"})
    assert moved.value.code == "sandbox_limit"
    assert client.v1.webhook_endpoints.retrieve(ok.id).url == "http://localhost:9/hook"
