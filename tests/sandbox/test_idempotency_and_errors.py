"""Idempotency and error bodies as Stripe documents them (issue 27)."""

from __future__ import annotations

import httpx
import pytest
import stripe

from stripe_power.sandbox import SandboxServer


def _post(sandbox: SandboxServer, key: str, path: str, body: str, idem: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": idem,
               "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip
    return httpx.post(f"{sandbox.url}{path}", content=body, headers=headers)


def test_a_request_that_failed_validation_is_not_saved_under_its_key(
    sandbox: SandboxServer, api_key: str
) -> None:
    """docs.stripe.com/api/idempotent_requests: "Results are only saved if an API endpoint started
    executing. If incoming parameters failed validation ... no idempotent result is saved"."""
    bad = _post(sandbox, api_key, "/v1/customers", "emial=a%40example.com", "k1")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "parameter_unknown"
    good = _post(sandbox, api_key, "/v1/customers", "email=a%40example.com", "k1")
    assert good.status_code == 200 and good.json()["email"] == "a@example.com"
    assert "Idempotent-Replayed" not in good.headers
    again = _post(sandbox, api_key, "/v1/customers", "email=a%40example.com", "k1")
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json()["id"] == good.json()["id"]


def test_parameters_are_compared_as_a_request_not_as_bytes(sandbox: SandboxServer, api_key: str) -> None:
    """The same parameters in another order (metadata keys) are the same request: a replay, not
    an `idempotency_error` (which is for a key reused with different parameters)."""
    first = _post(sandbox, api_key, "/v1/customers", "metadata[a]=1&metadata[b]=2", "k2")
    second = _post(sandbox, api_key, "/v1/customers", "metadata[b]=2&metadata[a]=1", "k2")
    assert second.status_code == 200 and second.json()["id"] == first.json()["id"]
    assert second.headers.get("Idempotent-Replayed") == "true"
    other = _post(sandbox, api_key, "/v1/customers", "metadata[a]=1&metadata[b]=3", "k2")
    assert other.status_code == 400 and other.json()["error"]["type"] == "idempotency_error"


def test_error_bodies_carry_stripes_doc_url_and_log_url(client: stripe.StripeClient) -> None:
    """Stripe's errors: `doc_url` https://docs.stripe.com/error-codes/<code>, and a request log
    URL with no made-up query."""
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.create({"emial": "x"})  # type: ignore[typeddict-unknown-key]
    error = (caught.value.json_body or {})["error"]
    assert error["doc_url"] == "https://docs.stripe.com/error-codes/parameter-unknown"
    assert error["request_log_url"].endswith(caught.value.request_id or "?")
    assert "?" not in error["request_log_url"]


def test_events_a_test_clock_sets_off_carry_no_request(client: stripe.StripeClient) -> None:
    """Automatic events (from advancing a clock) have `request.id` null (docs.stripe.com/api/events/object:
    "null for automatic requests")."""
    clock = client.v1.test_helpers.test_clocks.create({"frozen_time": 1_767_225_600})  # 2026-01-01
    cus = client.v1.customers.create({"test_clock": clock.id, "payment_method": "pm_card_visa",
                                      "invoice_settings": {"default_payment_method": "pm_card_visa"}})  # fmt: skip
    price = client.v1.prices.create({"currency": "usd", "unit_amount": 500, "recurring": {"interval": "month"},
                                     "product_data": {"name": "Plan"}})  # fmt: skip
    client.v1.subscriptions.create({"customer": cus.id, "items": [{"price": price.id}]})
    client.v1.test_helpers.test_clocks.advance(clock.id, {"frozen_time": 1_767_225_600 + 32 * 86400})
    events = client.v1.events.list({"limit": 100}).data
    renewal = [e for e in events if e.type == "invoice.created"]
    assert len(renewal) == 2
    automatic = renewal[0]  # newest first: the renewal the clock made
    assert automatic.request is not None and automatic.request.id is None
    assert renewal[1].request is not None and renewal[1].request.id  # the first one answered a request
