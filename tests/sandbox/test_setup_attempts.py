"""SetupAttempts: one per confirmation, with its outcome, listed by SetupIntent."""

from __future__ import annotations

import pytest
import stripe

from ..spec_objects import assert_matches_spec

NO_REDIRECTS = {"enabled": True, "allow_redirects": "never"}


def test_attempts_record_each_confirmation(client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create({})
    si = client.v1.setup_intents.create({"customer": cus.id, "automatic_payment_methods": NO_REDIRECTS})  # type: ignore[typeddict-item]
    with pytest.raises(stripe.CardError):
        client.v1.setup_intents.confirm(si.id, {"payment_method": "pm_card_chargeDeclined"})
    si = client.v1.setup_intents.confirm(si.id, {"payment_method": "pm_card_visa"})
    assert si.status == "succeeded"
    attempts = client.v1.setup_attempts.list({"setup_intent": si.id}).data
    assert [a.status for a in attempts] == ["succeeded", "failed"]
    assert attempts[1].setup_error is not None and attempts[1].setup_error.code == "card_declined"
    assert si.latest_attempt == attempts[0].id
    assert_matches_spec(
        "setup_attempt", client.raw_request("get", "/v1/setup_attempts", setup_intent=si.id).data["data"][0]
    )
    other = client.v1.setup_intents.create({"automatic_payment_methods": NO_REDIRECTS})  # type: ignore[typeddict-item]
    assert client.v1.setup_attempts.list({"setup_intent": other.id}).data == []
