"""Connect accounts as Stripe documents them: controller properties and the account types they map
to, capabilities and requirements, account links and login links, and Connect webhooks.

Sources: docs.stripe.com/connect/migrate-to-controller-properties (each type as controller
properties), the API reference's descriptions of `controller`, `capabilities`, `tos_acceptance`,
account links' `type` and login links (spec3.json), docs.stripe.com/connect/hosted-onboarding
(single-use links that send the user to `refresh_url`), docs.stripe.com/connect/webhooks.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
import stripe

from stripe_power import clock
from stripe_power.sandbox import SandboxServer

from ..spec_objects import assert_matches_spec
from .connect_setup import TOS, custom_account, onboard
from .test_webhooks_faults import _Receiver

EXPECTED = {
    "standard": ("account", "stripe", "stripe", "full"),
    "express": ("application_express", "application", "stripe", "express"),
    "custom": ("application_custom", "application", "application", "none"),
}


def _controls(account: stripe.Account) -> tuple[str, str, str, str]:
    c = account.controller
    assert c is not None and c.fees is not None and c.losses is not None and c.stripe_dashboard is not None
    return (
        str(c.fees.payer),
        str(c.losses.payments),
        str(c.requirement_collection),
        str(c.stripe_dashboard.type),
    )


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_each_type_is_its_controller_properties(client: stripe.StripeClient, kind: str) -> None:
    extra: dict[str, Any] = {"capabilities": {"transfers": {"requested": True}}} if kind == "custom" else {}
    account = client.v1.accounts.create({"type": kind, **extra})  # type: ignore[typeddict-item]
    assert account.type == kind and _controls(account) == EXPECTED[kind]
    assert account.controller is not None and account.controller.is_controller is True
    assert account.controller.type == "application"
    assert client.v1.accounts.retrieve(account.id).to_dict() == account.to_dict()
    assert_matches_spec("account", account.to_dict())


CONTROLLERS: list[tuple[dict[str, Any], tuple[str, str, str, str], str]] = [
    ({}, ("account", "stripe", "stripe", "full"), "standard"),  # the defaults: a Standard account
    (
        {
            "stripe_dashboard": {"type": "express"},
            "fees": {"payer": "application"},
            "losses": {"payments": "application"},
        },
        ("application", "application", "stripe", "express"),
        "none",
    ),
    (
        {
            "stripe_dashboard": {"type": "none"},
            "requirement_collection": "application",
            "fees": {"payer": "application"},
            "losses": {"payments": "application"},
        },
        ("application", "application", "application", "none"),
        "none",
    ),
    ({"fees": {"payer": "application"}}, ("application", "stripe", "stripe", "full"), "none"),
]


@pytest.mark.parametrize(("controller", "expected", "kind"), CONTROLLERS)
def test_controller_properties_come_back_as_given_with_their_type(
    client: stripe.StripeClient, controller: dict[str, Any], expected: tuple[str, str, str, str], kind: str
) -> None:
    caps = {"capabilities": {"transfers": {"requested": True}}}
    account = client.v1.accounts.create({"controller": controller, **caps})  # type: ignore[typeddict-item]
    assert _controls(account) == expected
    assert account.type == kind  # only properties that are exactly a type's answer with that type
    assert_matches_spec("account", account.to_dict())


@pytest.mark.parametrize(
    ("params", "param"),
    [
        # controller.fees.payer: "Setting controller.losses.payments=application requires controller.fees.payer=application."
        ({"controller": {"losses": {"payments": "application"}}}, "controller[fees][payer]"),
        ({"type": "express", "controller": {"fees": {"payer": "application"}}}, "type"),
        # capabilities: "Required when account.controller.stripe_dashboard.type is none, which includes Custom accounts."
        ({"type": "custom"}, "capabilities"),
        (
            {"controller": {"stripe_dashboard": {"type": "none"}, "fees": {"payer": "application"}}},
            "capabilities",
        ),
        # tos_acceptance: "can only be updated for accounts where controller.requirement_collection is application"
        ({"type": "express", "tos_acceptance": TOS}, "tos_acceptance"),
    ],
)
def test_what_stripe_refuses_creates_nothing(
    client: stripe.StripeClient, params: dict[str, Any], param: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.accounts.create(params)  # type: ignore[arg-type]
    assert refused.value.http_status == 400 and refused.value.param == param
    assert client.v1.accounts.list().data == []


def test_requested_capabilities_are_listed_with_their_status(client: stripe.StripeClient) -> None:
    account = client.v1.accounts.create(
        {
            "type": "custom",
            "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
        }
    )
    # Nothing verified yet: inactive, and the requirements say what is missing.
    assert account.capabilities is not None and account.capabilities.to_dict() == {
        "card_payments": "inactive",
        "transfers": "inactive",
    }
    assert account.requirements is not None
    assert account.requirements.currently_due == ["tos_acceptance.date", "tos_acceptance.ip"]
    assert account.requirements.disabled_reason == "requirements.past_due"
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (
        False,
        False,
        False,
    )
    listed = client.v1.accounts.capabilities.list(account.id)
    assert [(c.id, c.requested, c.status) for c in listed.data] == [
        ("card_payments", True, "inactive"),
        ("transfers", True, "inactive"),
    ]
    for cap in listed.data:
        assert_matches_spec("capability", cap.to_dict())
        assert cap.account == account.id and cap.requested_at is not None
    assert client.v1.accounts.capabilities.retrieve(account.id, "card_issuing").status == "unrequested"

    account = client.v1.accounts.update(account.id, {"tos_acceptance": TOS})
    assert account.capabilities is not None and set(account.capabilities.to_dict().values()) == {"active"}
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (True, True, True)
    assert account.requirements is not None and account.requirements.currently_due == []
    events = client.v1.events.list({"type": "capability.updated"}, {"stripe_account": account.id})
    assert sorted(e.data.object["id"] for e in events.data) == ["card_payments", "transfers"]
    assert {e.account for e in events.data} == {account.id}

    cap = client.v1.accounts.capabilities.update(account.id, "card_payments", {"requested": False})
    assert (cap.requested, cap.status) == (False, "unrequested")
    again = client.v1.accounts.retrieve(account.id)
    assert again.capabilities is not None and again.capabilities.to_dict() == {"transfers": "active"}
    assert again.charges_enabled is False  # no payments capability left
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.accounts.capabilities.retrieve(account.id, "teleport_payments")
    assert missing.value.http_status == 404


def test_stripe_collected_accounts_activate_on_onboarding(client: stripe.StripeClient) -> None:
    express = client.v1.accounts.create({"type": "express", "email": "seller@example.com"})
    # No capabilities given: those of a Stripe-hosted Dashboard account, requested and waiting.
    assert express.capabilities is not None
    assert express.capabilities.to_dict() == {"card_payments": "inactive", "transfers": "inactive"}
    assert express.requirements is not None and "external_account" in express.requirements.currently_due

    left = onboard(client, express.id, submit=False)
    assert left.status_code == 303 and left.headers["location"] == "http://127.0.0.1:9/return"
    assert client.v1.accounts.retrieve(express.id).details_submitted is False

    done = onboard(client, express.id)
    assert done.status_code == 303 and done.headers["location"] == "http://127.0.0.1:9/return"
    after = client.v1.accounts.retrieve(express.id)
    assert after.capabilities is not None and after.capabilities.to_dict() == {
        "card_payments": "active",
        "transfers": "active",
    }
    assert (after.details_submitted, after.charges_enabled, after.payouts_enabled) == (True, True, True)
    assert after.tos_acceptance is not None and after.tos_acceptance.ip
    assert after.external_accounts is not None and after.external_accounts.data[0].last4 == "6789"
    assert after.email == "seller@example.com"
    updated = client.v1.events.list({"type": "account.updated"}, {"stripe_account": express.id}).data
    assert updated and updated[0].account == express.id
    assert "details_submitted" in (updated[0].data.previous_attributes or {})


def test_account_links_are_single_use_sandbox_urls_that_expire(
    sandbox: SandboxServer, client: stripe.StripeClient, api_key: str
) -> None:
    account = client.v1.accounts.create({"type": "express"})
    link = client.v1.account_links.create(
        {
            "account": account.id,
            "type": "account_onboarding",
            "refresh_url": "http://127.0.0.1:9/refresh",
            "return_url": "http://127.0.0.1:9/return",
        }
    )
    assert_matches_spec("account_link", link.to_dict())
    assert link.url.startswith(f"{sandbox.url}/connect/setup/{account.id}/")  # not the fixtures' example URL
    assert link.expires_at == link.created + 300 and abs(link.created - clock.now()) < 60
    with httpx.Client(trust_env=False) as http:
        assert http.get(link.url).status_code == 200
        again = http.get(link.url)  # "single-use": a second visit goes to refresh_url
        assert again.status_code == 303 and again.headers["location"] == "http://127.0.0.1:9/refresh"
        # A link past its expires_at goes to refresh_url too (the record's time moved back, not the clock).
        late = client.v1.account_links.create({"account": account.id, "type": "account_onboarding"})
        platform = sandbox.sandbox.state.accounts[api_key]
        token = late.url.rsplit("/", 1)[1]
        platform.private[f"account_link:{token}"]["expires_at"] = late.created - 1
        assert http.get(late.url).status_code == 410  # no refresh_url given: the page says it expired
        assert http.get(f"{sandbox.url}/connect/setup/{account.id}/nope").status_code == 404
    assert client.v1.accounts.retrieve(account.id).details_submitted is False


def test_account_link_refusals(client: stripe.StripeClient) -> None:
    express = client.v1.accounts.create({"type": "express"})
    with pytest.raises(stripe.InvalidRequestError) as update:  # only where the platform collects requirements
        client.v1.account_links.create({"account": express.id, "type": "account_update"})
    assert update.value.param == "type"
    custom = custom_account(client)
    assert client.v1.account_links.create({"account": custom.id, "type": "account_update"}).url
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.account_links.create({"account": "acct_1Nope", "type": "account_onboarding"})
    assert (unknown.value.param, unknown.value.code) == ("account", "resource_missing")


def test_login_links_only_for_express_accounts_that_finished_onboarding(
    sandbox: SandboxServer, client: stripe.StripeClient
) -> None:
    standard = client.v1.accounts.create({"type": "standard"})
    custom = custom_account(client)
    for other in (standard, custom):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            client.v1.accounts.login_links.create(other.id)
        assert refused.value.param == "account" and "Express Dashboard" in str(refused.value.user_message)
    express = client.v1.accounts.create({"type": "express"})
    with pytest.raises(stripe.InvalidRequestError) as early:
        client.v1.accounts.login_links.create(express.id)
    assert (
        early.value.user_message
        == "Cannot create a login link for an account that has not completed onboarding."
    )
    onboard(client, express.id)
    link = client.v1.accounts.login_links.create(express.id)
    assert_matches_spec("login_link", link.to_dict())
    assert link.url.startswith(f"{sandbox.url}/connect/express/{express.id}/")
    with httpx.Client(trust_env=False) as http:
        page = http.get(link.url)
        assert page.status_code == 200 and "Express Dashboard" in page.text and express.id in page.text
        assert http.get(link.url).status_code == 410  # single-use


def test_reject_only_where_the_platform_is_liable(client: stripe.StripeClient) -> None:
    standard = client.v1.accounts.create({"type": "standard"})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.accounts.reject(standard.id, {"reason": "fraud"})
    custom = custom_account(client)
    rejected = client.v1.accounts.reject(custom.id, {"reason": "fraud"})
    assert rejected.requirements is not None and rejected.requirements.disabled_reason == "rejected.fraud"
    assert (rejected.charges_enabled, rejected.payouts_enabled) == (False, False)
    assert rejected.capabilities is not None and set(rejected.capabilities.to_dict().values()) == {"inactive"}


def test_the_account_endpoints_of_a_connected_account(client: stripe.StripeClient) -> None:
    first, second = custom_account(client), client.v1.accounts.create({"type": "express"})
    assert [a.id for a in client.v1.accounts.list().data] == [second.id, first.id]
    me = client.v1.accounts.retrieve_current(options={"stripe_account": first.id})
    assert me.to_dict() == client.v1.accounts.retrieve(first.id).to_dict()
    assert client.v1.accounts.retrieve_current().id not in (first.id, second.id)  # the platform's own
    assert client.v1.accounts.list(options={"stripe_account": first.id}).data == []
    with pytest.raises(stripe.InvalidRequestError):  # a connected account cannot see its siblings
        client.v1.accounts.retrieve(second.id, options={"stripe_account": first.id})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.accounts.create({"type": "standard"}, {"stripe_account": first.id})


def test_an_account_the_key_cannot_reach_is_stripes_403(
    sandbox: SandboxServer, client: stripe.StripeClient, api_key: str
) -> None:
    deleted = custom_account(client)
    assert client.v1.accounts.delete(deleted.id).deleted is True
    for target in ("acct_1NotMine000000", deleted.id):
        with pytest.raises(stripe.PermissionError) as denied:
            client.v1.customers.create({"email": "x@example.com"}, {"stripe_account": target})
        assert denied.value.http_status == 403 and denied.value.error is not None
        assert denied.value.error.code == "account_invalid"  # the SDK keeps a 403's code on `error` only
        message = str(denied.value.user_message)
        assert f"does not have access to account '{target}'" in message and api_key not in message
    assert sandbox.objects(api_key, "customer") == []
    assert sandbox.objects(api_key, "customer", deleted.id) == []


@pytest.fixture
def hooks() -> Any:
    platform, connect = _Receiver(), _Receiver()
    for r in (platform, connect):
        r.thread.start()
    yield platform, connect
    for r in (platform, connect):
        r.server.shutdown()
        r.server.server_close()


def test_connect_endpoints_get_the_events_of_connected_accounts(
    client: stripe.StripeClient, hooks: Any
) -> None:
    platform, connect = hooks
    plain = client.v1.webhook_endpoints.create({"url": platform.url, "enabled_events": ["customer.created"]})
    hub = client.v1.webhook_endpoints.create(
        {"url": connect.url, "enabled_events": ["customer.created"], "connect": True}
    )
    assert hub.application is not None and plain.application is None  # the platform's Connect application
    account = custom_account(client)
    client.v1.customers.create({"email": "connected@example.com"}, {"stripe_account": account.id})
    client.v1.customers.create({"email": "platform@example.com"})
    platform.wait_for(1)
    connect.wait_for(1)
    time.sleep(0.1)
    (mine,), (theirs,) = platform.received, connect.received
    event = stripe.Webhook.construct_event(theirs[0].decode(), theirs[1], str(hub.secret))
    assert event.account == account.id and event.data.object["email"] == "connected@example.com"
    own = stripe.Webhook.construct_event(mine[0].decode(), mine[1], str(plain.secret))
    assert "account" not in own.to_dict() and own.data.object["email"] == "platform@example.com"


def test_a_hosted_payment_on_a_connected_account_reaches_connect_endpoints(
    client: stripe.StripeClient, hooks: Any
) -> None:
    """A direct charge through Checkout: the session, the page and the events are the account's."""
    _, connect = hooks
    hub = client.v1.webhook_endpoints.create(
        {"url": connect.url, "enabled_events": ["checkout.session.completed"], "connect": True}
    )
    account = custom_account(client).id
    on = {"stripe_account": account}
    price = client.v1.prices.create(
        {"currency": "usd", "unit_amount": 1500, "product_data": {"name": "Tee"}}, on
    )
    session = client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "success_url": "http://127.0.0.1:9/ok",
            "line_items": [{"price": price.id, "quantity": 1}],
        },
        on,
    )
    assert session.url is not None
    paid = httpx.post(session.url, data={"card_number": "4242424242424242"})
    assert paid.status_code == 303
    connect.wait_for(1)  # sent when the page was paid, not at the platform's next API request
    (body, signature), *_ = connect.received
    event = stripe.Webhook.construct_event(body.decode(), signature, str(hub.secret))
    assert (event.type, event.account, event.data.object["id"]) == (
        "checkout.session.completed",
        account,
        session.id,
    )
    assert client.v1.checkout.sessions.retrieve(session.id, options=on).status == "complete"
    assert client.v1.checkout.sessions.list().data == []
