"""Billing credits: credit grants, their ledger and the credit balance summary.

Sources (spec3.json): `POST /v1/billing/credit_grants` — `priority` "If not specified, it will be
set to the default value of 50. The highest priority is 0 and the lowest is 100", `category` "It
defaults to `paid` if not specified", `effective_at` "It defaults to the current timestamp if not
specified", `expires_at` "If not specified, the billing credits don't expire", `scope.price_type`
"Cannot be used in combination with `prices`"; `billing.credit_balance_transaction` ("a credit or a
debit against an existing credit grant": `credits_granted`, `credits_voided`, `credits_expired`);
`billing.credit_balance_summary` ("One entry per credit grant currency"); the void and expire
operations ("Voids a credit grant", "Expires a credit grant"). docs.stripe.com/billing/subscriptions/
usage-based/billing-credits/implementation-guide: credits "only apply to subscription line items
that link to a meter price" — the sandbox bills no meter usage, so such prices are a sandbox limit
(tests/sandbox/test_price_kinds.py) and no grant is ever consumed.
"""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from ..spec_objects import assert_matches_spec
from .billing_setup import DAY, T0, clock

METERED: dict[str, Any] = {"scope": {"price_type": "metered"}}


def _grant(client: stripe.StripeClient, customer: str, value: int = 5000, **params: Any) -> Any:
    return client.v1.billing.credit_grants.create(
        {
            "customer": customer,
            "amount": {"type": "monetary", "monetary": {"currency": "usd", "value": value}},
            "applicability_config": METERED,
            **params,
        }
    )


def _summary(client: stripe.StripeClient, customer: str, **filt: Any) -> list[tuple[str, int, int]]:
    summary = client.v1.billing.credit_balance_summary.retrieve(
        {
            "customer": customer,
            "filter": filt or {"type": "applicability_scope", "applicability_scope": METERED["scope"]},
        }
    )
    return [
        (
            b.available_balance.monetary.currency,
            b.available_balance.monetary.value,
            b.ledger_balance.monetary.value,
        )
        for b in summary.balances
    ]


def _ledger(client: stripe.StripeClient, customer: str, grant: str) -> list[tuple[str, str, int]]:
    txns = client.v1.billing.credit_balance_transactions.list(
        {"customer": customer, "credit_grant": grant}
    ).data
    out = []
    for t in reversed(txns):
        side = t.credit if t.type == "credit" else t.debit
        out.append((t.type, side.type, side.amount.monetary.value))
    return out


def test_a_grant_takes_stripe_defaults_and_shows_in_the_summary(client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create({})
    grant = _grant(client, cus.id, name="Welcome credit")
    assert (grant.priority, grant.category, grant.expires_at, grant.voided_at) == (50, "paid", None, None)
    assert grant.effective_at == grant.created and grant.customer == cus.id
    assert grant.amount.monetary.value == 5000
    assert_matches_spec(
        "billing.credit_grant", client.raw_request("get", f"/v1/billing/credit_grants/{grant.id}").data
    )
    assert _ledger(client, cus.id, grant.id) == [("credit", "credits_granted", 5000)]
    assert _summary(client, cus.id) == [("usd", 5000, 5000)]
    assert _summary(client, cus.id, type="credit_grant", credit_grant=grant.id) == [("usd", 5000, 5000)]
    created = [e.type for e in client.v1.events.list().data]
    assert created[:2] == ["billing.credit_balance_transaction.created", "billing.credit_grant.created"]


def test_priority_and_scope_are_checked(client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create({})
    with pytest.raises(stripe.InvalidRequestError) as too_low:
        _grant(client, cus.id, priority=101)
    assert too_low.value.param == "priority"
    with pytest.raises(stripe.InvalidRequestError) as both:
        _grant(
            client,
            cus.id,
            applicability_config={"scope": {"price_type": "metered", "prices": [{"id": "price_x"}]}},
        )
    assert both.value.param == "applicability_config[scope][price_type]"
    assert client.v1.billing.credit_grants.list({"customer": cus.id}).data == []
    promo = _grant(client, cus.id, priority=0, category="promotional")
    assert (promo.priority, promo.category) == (0, "promotional")


def test_voiding_debits_what_is_left_and_leaves_the_summary(client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create({})
    keep = _grant(client, cus.id, 2000)
    gone = _grant(client, cus.id, 3000)
    voided = client.v1.billing.credit_grants.void_grant(gone.id)
    assert voided.voided_at is not None
    assert _ledger(client, cus.id, gone.id) == [
        ("credit", "credits_granted", 3000),
        ("debit", "credits_voided", 3000),
    ]
    assert _summary(client, cus.id) == [("usd", 2000, 2000)]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.billing.credit_grants.void_grant(gone.id)
    assert client.v1.billing.credit_grants.retrieve(keep.id).voided_at is None


def test_expiring_now_and_updating_the_expiry(client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create({})
    grant = _grant(client, cus.id, 1000)
    expired = client.v1.billing.credit_grants.expire(grant.id)
    assert expired.expires_at is not None
    assert _ledger(client, cus.id, grant.id)[-1] == ("debit", "credits_expired", 1000)
    assert _summary(client, cus.id) == [("usd", 0, 0)]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.billing.credit_grants.update(grant.id, {"metadata": {"a": "b"}})
    other = _grant(client, cus.id, 700)
    later = client.v1.billing.credit_grants.update(other.id, {"expires_at": other.created + 90 * DAY})
    assert later.expires_at == other.created + 90 * DAY
    assert client.v1.billing.credit_grants.update(other.id, {"expires_at": ""}).expires_at is None


def test_on_a_test_clock_a_grant_expires_when_its_time_comes(client: stripe.StripeClient) -> None:
    test_clock = clock(client)
    cus = client.v1.customers.create({"test_clock": test_clock.id})
    future = _grant(client, cus.id, 4000, effective_at=T0 + 10 * DAY, expires_at=T0 + 40 * DAY)
    assert future.test_clock == test_clock.id
    assert _summary(client, cus.id) == [("usd", 0, 0)]  # not yet effective
    client.v1.test_helpers.test_clocks.advance(test_clock.id, {"frozen_time": T0 + 11 * DAY})
    assert _summary(client, cus.id) == [("usd", 4000, 4000)]
    client.v1.test_helpers.test_clocks.advance(test_clock.id, {"frozen_time": T0 + 41 * DAY})
    assert _summary(client, cus.id) == [("usd", 0, 0)]
    assert _ledger(client, cus.id, future.id)[-1] == ("debit", "credits_expired", 4000)
