"""Accepted means applied, probed from outside: every (operation, parameter) pair of the spec.

For each create and update operation the sandbox serves (POST, not a `sandbox_limit`), the probe
makes a baseline request with the required parameters only, then one request per optional
parameter (and per key of a hash parameter: ``invoice_settings[footer]``) with a spec-valid value,
through the real ``stripe`` SDK over HTTP. It reads the object back and classifies the parameter:

- ``applied``: the object read back differs from the baseline's (or the field of the same name
  holds the value), or the request emitted other events than the baseline's;
- ``limit``: refused with ``sandbox_limit`` naming the parameter (or a parent of it);
- ``dropped``: a 2xx and nothing differs from the baseline: the parameter was silently ignored;
- ``error``: another 4xx (the value needs context the probe does not build), ``crash``: a 5xx.

Run ``python tests/sandbox/param_probe.py`` for the counts (``--verbose`` lists the dropped ones).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import stripe

from stripe_power import clock, spec

JSON = dict[str, Any]
_ID = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*_[A-Za-z0-9]{6,}$")
_VOLATILE = frozenset({
    "id", "created", "client_secret", "url", "secret", "number", "hosted_invoice_url",
    "invoice_pdf", "receipt_number", "receipt_url", "request", "invoice_prefix", "code",
    "hosted_instructions_url", "next_action", "period", "period_start", "period_end",
    "current_period_start", "current_period_end", "billing_cycle_anchor", "start_date",
    "expires_at", "webhook_secret", "fingerprint", "last_response", "request_log_url",
})  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    op: str
    param: str
    result: str  # applied, limit, dropped, error, crash
    detail: str = ""


# The baseline of operations whose required parameters (as the spec marks them) are not enough
# for a request Stripe accepts; values refer to fixtures with ``@name``.
BASELINES: dict[str, JSON] = {
    "POST /v1/customers/{customer}/balance_transactions": {"amount": -500, "currency": "usd"},
    "POST /v1/subscriptions": {"customer": "@customer_pm", "items": [{"price": "@price"}]},
    "POST /v1/customers/{customer}/subscriptions": {"items": [{"price": "@price"}]},
    "POST /v1/customers/{customer}/sources": {"source": "tok_visa"},
    "POST /v1/billing/credit_grants": {
        "customer": "@customer",
        "amount": {"type": "monetary", "monetary": {"currency": "usd", "value": 1000}},
        "applicability_config": {"scope": {"price_type": "metered"}},
    },
    "POST /v1/subscription_items": {"subscription": "@subscription", "price": "@price2"},
    "POST /v1/subscription_schedules": {
        "customer": "@customer_pm",
        "start_date": "now",
        "phases": [{"items": [{"price": "@price"}]}],
    },
    "POST /v1/invoices": {"customer": "@customer_pm"},
    "POST /v1/invoiceitems": {"customer": "@customer_pm", "amount": 1500, "currency": "usd"},
    "POST /v1/prices": {"currency": "usd", "unit_amount": 1000, "product": "@product"},
    "POST /v1/products": {"name": "probe product"},
    "POST /v1/plans": {"currency": "usd", "interval": "month", "amount": 1000, "product": "@product"},
    "POST /v1/coupons": {"percent_off": 10, "duration": "once"},
    "POST /v1/payment_intents": {"amount": 2000, "currency": "usd"},
    "POST /v1/setup_intents": {},
    "POST /v1/payment_methods": {"type": "card", "card": {"token": "tok_visa"}},
    "POST /v1/charges": {"amount": 2000, "currency": "usd", "source": "tok_visa"},
    "POST /v1/refunds": {"payment_intent": "@!paid_intent"},
    "POST /v1/credit_notes": {"invoice": "@paid_invoice", "amount": 100},
    "POST /v1/checkout/sessions": {
        "mode": "payment",
        "success_url": "https://example.com/ok",
        "line_items": [{"price": "@price_once", "quantity": 1}],
    },
    "POST /v1/payment_links": {"line_items": [{"price": "@price_once", "quantity": 1}]},
    "POST /v1/webhook_endpoints": {"url": "http://127.0.0.1:9/hook", "enabled_events": ["*"]},
    "POST /v1/billing_portal/sessions": {"customer": "@customer"},
    "POST /v1/customer_sessions": {"customer": "@customer", "components": {"pricing_table": {"enabled": True}}},
    "POST /v1/test_helpers/test_clocks": {"frozen_time": "@now"},
    "POST /v1/promotion_codes": {"promotion": {"type": "coupon", "coupon": "@coupon"}},
    "POST /v1/shipping_rates": {"display_name": "Ground", "type": "fixed_amount",
                                "fixed_amount": {"amount": 500, "currency": "usd"}},
    "POST /v1/tax_rates": {"display_name": "VAT", "percentage": 20, "inclusive": False},
    "POST /v1/transfers": {"amount": 100, "currency": "usd", "destination": "@account",
                           "source_transaction": "@paid_charge"},
    "POST /v1/payouts": {"amount": 100, "currency": "@funds"},
    "POST /v1/account_links": {"account": "@account", "type": "account_onboarding"},
    "POST /v1/accounts/{account}/external_accounts": {"external_account": "btok_us_verified"},
    "POST /v1/accounts/{account}/bank_accounts": {"external_account": "btok_us_verified"},
}  # fmt: skip


@dataclass(frozen=True)
class Context:
    """What a parameter needs for its effect to show (Stripe applies it only with others):
    ``with_`` is sent in both the reference request and the probe, ``drop`` leaves baseline
    parameters out of both, ``value`` replaces the generated value, ``setup`` runs before each."""

    with_: JSON | Callable[[Probe, str], JSON] | None = None
    drop: tuple[str, ...] = ()
    value: Any = None
    setup: tuple[tuple[str, JSON], ...] = ()
    then: Callable[[JSON], None] | None = None  # after the request (pay a Checkout Session)
    expand: tuple[str, ...] = ()  # for the read-back


def _pay(session: JSON) -> None:
    """Pay a Checkout Session on its hosted page, as a customer would."""
    reply = httpx.post(session["url"], data={"card_number": "4242424242424242"})
    if reply.status_code != 303:
        raise RuntimeError(f"hosted page: {reply.status_code}")


def _pay_with_details(session: JSON) -> None:
    """Pay on the hosted page with a name, a billing and a shipping address."""
    address = {"line1": "1 Probe St", "city": "Springfield", "postal_code": "12345", "country": "US"}
    data = {"card_number": "4242424242424242", "name": "Pat Probe", "shipping_name": "Pat Probe"}
    data.update({f"billing_{k}": v for k, v in address.items()})
    data.update({f"shipping_{k}": v for k, v in address.items()})
    reply = httpx.post(session["url"], data=data)
    if reply.status_code != 303:
        raise RuntimeError(f"hosted page: {reply.status_code}")


_CONFIRM_3DS = {"confirm": True, "payment_method": "pm_card_authenticationRequired"}


def _first_item(probe: Probe, path: str) -> JSON:
    _, sub, _ = probe.call("GET", path, {})
    return {"items": [{"id": sub["items"]["data"][0]["id"], "quantity": 3}]}


def _bill_now_3ds(probe: Probe, path: str) -> JSON:
    """An update that invoices at once, paid with a card that needs 3-D Secure."""
    customer = probe.ref("customer_pm")
    status, pm, _ = probe.call(
        "POST", "/v1/payment_methods/pm_card_authenticationRequired/attach", {"customer": customer}
    )
    if status != 200:
        raise RuntimeError("could not attach a 3-D Secure card")
    return {
        "add_invoice_items": [{"price": probe.ref("price_once")}],
        "proration_behavior": "always_invoice",
        "default_payment_method": pm["id"],
    }


# Keyed by (operation, parameter as probed); a top-level name also covers its keys.
CONTEXTS: dict[tuple[str, str], Context] = {
    ("POST /v1/payment_intents", "error_on_requires_action"): Context(
        with_={**_CONFIRM_3DS, "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}
    ),
    ("POST /v1/payment_intents", "return_url"): Context(with_=_CONFIRM_3DS),
    ("POST /v1/setup_intents", "return_url"): Context(
        with_={"confirm": True, "payment_method": "pm_card_authenticationRequiredOnSetup"}
    ),
    ("POST /v1/checkout/sessions", "currency"): Context(value="usd"),
    ("POST /v1/disputes/{dispute}", "submit"): Context(
        with_={"evidence": {"uncategorized_text": "winning_evidence"}}, value=False
    ),
    ("POST /v1/refunds", "charge"): Context(drop=("payment_intent",), value="@!paid_charge"),
    # Checkout applies these to the objects it makes when the customer pays.
    ("POST /v1/checkout/sessions", "payment_intent_data"): Context(then=_pay, expand=("payment_intent",)),
    ("POST /v1/checkout/sessions", "subscription_data"): Context(
        with_={"mode": "subscription", "line_items": [{"price": "@price", "quantity": 1}]},
        then=_pay,
        expand=("subscription",),
    ),
    ("POST /v1/checkout/sessions", "setup_intent_data"): Context(
        with_={"mode": "setup", "currency": "usd"}, drop=("line_items",), then=_pay, expand=("setup_intent",)
    ),
    ("POST /v1/checkout/sessions", "redirect_on_completion"): Context(
        with_={"ui_mode": "embedded_page", "return_url": "https://example.com/back"},
        drop=("success_url",),
        value="if_required",
    ),
    ("POST /v1/invoices", "pending_invoice_items_behavior"): Context(
        value="include",
        setup=(("/v1/invoiceitems", {"customer": "@customer_pm", "amount": 700, "currency": "usd"}),),
    ),
    ("POST /v1/prices", "unit_amount_decimal"): Context(drop=("unit_amount",)),
    ("POST /v1/prices", "custom_unit_amount"): Context(drop=("unit_amount",)),
    # Sent only when expanded (an includable field).
    ("POST /v1/prices", "currency_options"): Context(expand=("currency_options",)),
    ("POST /v1/subscription_items", "price_data"): Context(drop=("price",)),
    ("POST /v1/subscription_items/{item}", "proration_behavior"): Context(with_={"quantity": 3}),
    ("POST /v1/subscriptions/{subscription_exposed_id}", "proration_behavior"): Context(with_=_first_item),
    ("POST /v1/subscriptions", "currency"): Context(value="usd"),
    # Off-session, a card that needs 3-D Secure is declined; on-session it asks for authentication.
    ("POST /v1/subscriptions", "off_session"): Context(with_={"customer": "@customer_3ds"}),
    # Prorations show with a future billing cycle anchor: `none` makes the first invoice free.
    ("POST /v1/subscriptions", "proration_behavior"): Context(
        with_={"billing_cycle_anchor": "@later"}, value="none"
    ),
    ("POST /v1/subscriptions/{subscription_exposed_id}", "off_session"): Context(with_=_bill_now_3ds),
    ("POST /v1/subscriptions/{subscription_exposed_id}", "payment_behavior"): Context(
        with_={"add_invoice_items": [{"price": "@price_once"}], "proration_behavior": "always_invoice"},
        value="default_incomplete",
    ),
    ("POST /v1/subscriptions/{subscription_exposed_id}", "proration_date"): Context(
        with_={"billing_cycle_anchor": "now"}, value="@later", expand=("latest_invoice",)
    ),
    ("POST /v1/invoiceitems", "unit_amount_decimal"): Context(drop=("amount",)),
    ("POST /v1/invoiceitems/{invoiceitem}", "price_data"): Context(
        value={"currency": "usd", "product": "@product", "unit_amount": 300}
    ),
    # Rules of the request itself (sandbox/core/constraints.py): the context that makes the parameter valid.
    ("POST /v1/subscriptions/{subscription_exposed_id}", "collection_method"): Context(
        with_={"days_until_due": 5}, value="send_invoice"
    ),
    ("POST /v1/subscriptions/{subscription_exposed_id}", "days_until_due"): Context(
        with_={"collection_method": "send_invoice"}
    ),
    ("POST /v1/invoices", "due_date"): Context(with_={"collection_method": "send_invoice"}, value="@later"),
    ("POST /v1/checkout/sessions", "payment_method_collection"): Context(
        with_={"mode": "subscription", "line_items": [{"price": "@price", "quantity": 1}]},
        value="if_required",
    ),
    # What a session may save on its customer shows on the customer once the page is paid.
    ("POST /v1/checkout/sessions", "customer_update"): Context(
        with_=lambda probe, path: {
            "customer": probe.post("/v1/customers", {})["id"],  # a new one per probe: nothing saved yet
            "billing_address_collection": "required",
            "shipping_address_collection": {"allowed_countries": ["US"]},
        },
        then=_pay_with_details,
        expand=("customer",),
    ),
    ("POST /v1/customers", "invoice_prefix"): Context(value="PROBE1"),
    ("POST /v1/customers/{customer}", "invoice_prefix"): Context(value="PROBE2"),
    ("POST /v1/payment_intents", "statement_descriptor"): Context(
        with_={"payment_method_types": ["us_bank_account"]}
    ),
    ("POST /v1/subscriptions", "days_until_due"): Context(with_={"collection_method": "send_invoice"}),
    ("POST /v1/subscriptions", "payment_behavior"): Context(value="default_incomplete"),
    ("POST /v1/payment_links", "currency"): Context(value="usd"),
    ("POST /v1/payment_links", "after_completion[redirect]"): Context(
        value={"type": "redirect", "redirect": {"url": "https://example.com/probe"}}
    ),
    ("POST /v1/payment_links/{payment_link}", "after_completion[redirect]"): Context(
        value={"type": "redirect", "redirect": {"url": "https://example.com/probe"}}
    ),
}


# Requesting a capability twice changes nothing the second time: each on an account of its own.
CONTEXTS[("POST /v1/accounts/{account}", "capabilities")] = Context(with_={})


def context_for(op: str, label: str) -> Context | None:
    # The customer's subscriptions endpoints are /v1/subscriptions with the customer in the path.
    op = op.replace("/v1/customers/{customer}/subscriptions", "/v1/subscriptions")
    return CONTEXTS.get((op, label)) or CONTEXTS.get((op, label.split("[", 1)[0]))


# Fixtures a value can refer to, made on first use in the probe's account.
FIXTURES: dict[str, Callable[[Probe], str]] = {}


def fixture(name: str) -> Callable[[Callable[[Probe], str]], Callable[[Probe], str]]:
    def register(fn: Callable[[Probe], str]) -> Callable[[Probe], str]:
        FIXTURES[name] = fn
        return fn

    return register


@fixture("now")
def _now(p: Probe) -> Any:
    return int(time.time())


@fixture("customer")
def _customer(p: Probe) -> str:
    return str(p.post("/v1/customers", {})["id"])


@fixture("customer_3ds")
def _customer_3ds(p: Probe) -> str:
    """A customer whose default card asks for 3-D Secure on every payment (off-session ones fail)."""
    body = {"payment_method": "pm_card_authenticationRequired",
            "invoice_settings": {"default_payment_method": "pm_card_authenticationRequired"}}  # fmt: skip
    return str(p.post("/v1/customers", body)["id"])


@fixture("later")
def _later(p: Probe) -> Any:
    return int(clock.now()) + 10 * 86400  # the sandbox's clock (STRIPE_POWER_CLOCK_START may move it)


@fixture("customer_pm")
def _customer_pm(p: Probe) -> str:
    return str(p.post("/v1/customers", {"payment_method": "pm_card_visa",
                                        "invoice_settings": {"default_payment_method": "pm_card_visa"}})["id"])  # fmt: skip


@fixture("product")
def _product(p: Probe) -> str:
    return str(p.post("/v1/products", {"name": "probe"})["id"])


@fixture("price")
def _price(p: Probe) -> str:
    body = {
        "currency": "usd",
        "unit_amount": 1000,
        "product": p.ref("product"),
        "recurring": {"interval": "month"},
    }
    return str(p.post("/v1/prices", body)["id"])


@fixture("price2")
def _price2(p: Probe) -> str:
    body = {
        "currency": "usd",
        "unit_amount": 700,
        "product": p.ref("product"),
        "recurring": {"interval": "month"},
    }
    return str(p.post("/v1/prices", body)["id"])


@fixture("price_once")
def _price_once(p: Probe) -> str:
    return str(
        p.post("/v1/prices", {"currency": "usd", "unit_amount": 1000, "product": p.ref("product")})["id"]
    )


@fixture("coupon")
def _coupon(p: Probe) -> str:
    return str(p.post("/v1/coupons", {"percent_off": 10, "duration": "once"})["id"])


@fixture("tax_rate")
def _tax_rate(p: Probe) -> str:
    return str(p.post("/v1/tax_rates", {"display_name": "VAT", "percentage": 20, "inclusive": False})["id"])


@fixture("shipping_rate")
def _shipping_rate(p: Probe) -> str:
    return str(p.post("/v1/shipping_rates", BASELINES["POST /v1/shipping_rates"])["id"])


@fixture("subscription")
def _subscription(p: Probe) -> str:
    body = {"customer": p.ref("customer_pm"), "items": [{"price": p.ref("price")}]}
    return str(p.post("/v1/subscriptions", body)["id"])


@fixture("paid_intent")
def _paid_intent(p: Probe) -> str:
    body = {"amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}  # fmt: skip
    return str(p.post("/v1/payment_intents", body)["id"])


@fixture("paid_charge")
def _paid_charge(p: Probe) -> str:
    _, intent, _ = p.call("GET", f"/v1/payment_intents/{_paid_intent(p)}", {})
    return str(intent["latest_charge"])


@fixture("paid_invoice")
def _paid_invoice(p: Probe) -> str:
    cus = p.ref("customer_pm")
    p.post("/v1/invoiceitems", {"customer": cus, "amount": 5000, "currency": "usd"})
    inv = p.post("/v1/invoices", {"customer": cus, "pending_invoice_items_behavior": "include"})
    p.post(f"/v1/invoices/{inv['id']}/pay", {})
    return str(inv["id"])


@fixture("test_clock")
def _test_clock(p: Probe) -> str:
    return str(p.post("/v1/test_helpers/test_clocks", {"frozen_time": int(time.time())})["id"])


@fixture("account")
def _account(p: Probe) -> str:
    """A Custom account that can receive transfers (capabilities requested, ToS recorded)."""
    body = {"type": "custom", "country": "US",
            "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
            "tos_acceptance": {"date": int(time.time()), "ip": "127.0.0.1"}}  # fmt: skip
    return str(p.post("/v1/accounts", body)["id"])


@fixture("paid_charge")
def _paid_charge(p: Probe) -> str:
    _, body, _ = p.call("GET", f"/v1/payment_intents/{p.ref('paid_intent')}", {})
    return str(body["latest_charge"])


@fixture("funds")
def _funds(p: Probe) -> str:
    """The currency of the account's available balance, after a payment made it non-zero."""
    p.ref("paid_intent")
    return "usd"


def _dispute(p: Probe) -> str:
    body = {"amount": 2000, "currency": "usd", "payment_method": "pm_card_createDispute", "confirm": True,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}  # fmt: skip
    intent = p.post("/v1/payment_intents", body)
    _, disputes, _ = p.call("GET", "/v1/disputes", {"payment_intent": intent["id"]})
    return f"/v1/disputes/{disputes['data'][0]['id']}"


def _bare_account(p: Probe) -> str:
    """A connected account with no capability requested yet (no Stripe-hosted Dashboard, so none
    is requested for it): requesting one shows on `capabilities`."""
    body = {"controller": {"stripe_dashboard": {"type": "none"}, "fees": {"payer": "application"},
                           "losses": {"payments": "application"}, "requirement_collection": "application"},
            "capabilities": {"card_issuing": {"requested": False}}}  # fmt: skip
    return f"/v1/accounts/{p.post('/v1/accounts', body)['id']}"


def _capability(p: Probe) -> str:
    return f"{_bare_account(p)}/capabilities/card_payments"


def _reversal(p: Probe) -> str:
    body = {
        "amount": 100,
        "currency": "usd",
        "destination": p.ref("account"),
        "source_transaction": p.ref("paid_charge"),
    }
    transfer = p.post("/v1/transfers", body)["id"]
    return f"/v1/transfers/{transfer}/reversals/{p.post(f'/v1/transfers/{transfer}/reversals', {'amount': 10})['id']}"


def _fee_refund(p: Probe) -> str:
    """A refund of the application fee of a direct charge on the probe's connected account."""
    body = {"amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
            "application_fee_amount": 100,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}  # fmt: skip
    p.client.v1.payment_intents.create(body, {"stripe_account": p.ref("account")})  # type: ignore[arg-type]
    fee = p.call("GET", "/v1/application_fees", {"limit": 1})[1]["data"][0]["id"]
    return f"/v1/application_fees/{fee}/refunds/{p.post(f'/v1/application_fees/{fee}/refunds', {'amount': 10})['id']}"


# Objects no create operation makes: how to make one (its path) for an update's probe.
def _customer_subscriptions(probe: Probe) -> str:
    """The customer's subscriptions endpoint of a customer who pays by card (as `@customer_pm`)."""
    return f"/v1/customers/{probe.ref('customer_pm')}/subscriptions"


def _customer_subscription(probe: Probe) -> str:
    path = _customer_subscriptions(probe)
    _, sub, _ = probe.call("POST", path, probe.resolve({"items": [{"price": "@price"}]}))
    return f"{path}/{sub['id']}"


TARGETS: dict[str, Callable[[Probe], str]] = {
    "POST /v1/disputes/{dispute}": _dispute,
    "POST /v1/customers/{customer}/subscriptions": _customer_subscriptions,
    "POST /v1/customers/{customer}/subscriptions/{subscription_exposed_id}": _customer_subscription,
    "POST /v1/accounts/{account}": _bare_account,
    "POST /v1/accounts/{account}/capabilities/{capability}": _capability,
    "POST /v1/transfers/{transfer}/reversals/{id}": _reversal,
    "POST /v1/application_fees/{fee}/refunds/{id}": _fee_refund,
}


# A string parameter named like this holds the id of that fixture.
REFERENCES = {
    "customer": "customer", "price": "price", "product": "product", "coupon": "coupon",
    "payment_method": "pm_card_visa", "default_payment_method": "pm_card_visa",
    "tax_rates": "tax_rate", "default_tax_rates": "tax_rate", "shipping_rate": "shipping_rate",
    "test_clock": "test_clock", "on_behalf_of": "account", "destination": "account",
    "subscription": "subscription", "payment_intent": "paid_intent", "invoice": "paid_invoice",
    "promotion_code": None, "source": "tok_visa", "default_source": None,
}  # fmt: skip


class Probe:
    """One account on the sandbox at ``base_url`` and the fixtures made in it."""

    def __init__(self, base_url: str) -> None:
        self.client = stripe.StripeClient(
            "sk_test_" + uuid.uuid4().hex, base_addresses={"api": base_url}, max_network_retries=0
        )
        self.refs: dict[str, Any] = {}

    def ref(self, name: str) -> Any:
        if name not in self.refs:
            self.refs[name] = FIXTURES[name](self) if name in FIXTURES else name
        return self.refs[name]

    def call(self, method: str, path: str, params: JSON) -> tuple[int, JSON, str]:
        # The requestor directly: raw_request(**params) would take `usage` (and option names) as
        # its own arguments and never send them.
        requestor = self.client._requestor
        try:
            body, code, headers = requestor.request_raw(
                method.lower(),
                path,
                params=params,
                options={},
                base_address="api",
                api_mode="V1",
                usage=["probe"],
            )
            resp = requestor._interpret_response(body, code, headers, "V1")
        except stripe.StripeError as err:
            body = (err.json_body or {}).get("error", {})
            return err.http_status or 0, body, ""
        return resp.code, json.loads(resp.body), resp.headers.get("request-id", "")  # type: ignore[attr-defined]

    def post(self, path: str, params: JSON) -> JSON:
        status, body, _ = self.call("POST", path, params)
        if status != 200:
            raise RuntimeError(f"fixture {path} {params}: {status} {body}")
        return body

    def resolve(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("@!"):  # a new one each time
            return FIXTURES[value[2:]](self)
        if isinstance(value, str) and value.startswith("@"):
            return self.ref(value[1:])
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def events_of(self, request_id: str) -> list[str]:
        if not request_id:
            return []
        _, body, _ = self.call("GET", "/v1/events", {"limit": 100})
        return sorted(
            e["type"] for e in body.get("data", ()) if (e.get("request") or {}).get("id") == request_id
        )


# -- values ---------------------------------------------------------------------------------


def _branches(node: JSON) -> list[JSON]:
    """The branches of a parameter's schema, the one to probe with first: not the empty string
    that unsets, and a timestamp before Stripe's ``now`` (which often matches the default)."""
    node = spec.deref(node)
    out = [spec.deref(b) for b in node.get("anyOf", [node])]
    out = [b for b in out if b.get("enum") != [""]] or out
    return sorted(out, key=lambda b: b.get("enum") == ["now"])


def value_for(name: str, node: JSON, probe: Probe, avoid: Any = None) -> Any:
    """A spec-valid value for a parameter called ``name`` (different from ``avoid`` if it can)."""
    branch = _branches(node)[0]
    kind = branch.get("type")
    if name in REFERENCES and REFERENCES[name] and kind in ("string", "array"):
        ref = probe.ref(REFERENCES[name])
        return [ref] if kind == "array" else ref
    if branch.get("enum"):
        options = [e for e in branch["enum"] if e != ""]
        other = [e for e in options if e != avoid]
        return (other or options)[0]
    if kind == "boolean":
        return not avoid if isinstance(avoid, bool) else True
    if kind in ("integer", "number"):
        if branch.get("format") == "unix-time":
            return int(time.time()) + 40 * 86400
        low = branch.get("minimum", 1)
        value = max(low, 3 if "day" in name or "quantity" in name or "count" in name else 1234)
        return value if value != avoid else value + 1
    if kind == "array":
        return [value_for(name, branch.get("items", {}), probe)]
    if kind == "object" or branch.get("properties"):
        extra = branch.get("additionalProperties")
        if isinstance(extra, dict) and extra.get("properties"):  # a map by currency (currency_options)
            return {"eur": value_for("eur", extra, probe)}
        if name == "metadata" or (extra and not branch.get("properties")):
            return {"probe": "yes"}
        props = branch.get("properties", {})
        required = branch.get("required", [])
        keys = required or list(props)[:1]
        return {k: value_for(k, props[k], probe) for k in keys}
    return _string(name, branch, avoid)


def _string(name: str, node: JSON, avoid: Any) -> str:
    if node.get("format") == "decimal":
        return "1234.5" if avoid != "1234.5" else "1200.25"
    if name == "currency":
        return "eur" if avoid != "eur" else "gbp"
    if name == "country":
        return "US" if avoid != "US" else "GB"
    if "email" in name:
        return "probe@example.com"
    if name.endswith("url") or name.endswith("_url"):
        return "https://example.com/probe"
    if "phone" in name:
        return "+15555550123"
    if "statement_descriptor" in name:
        return "PROBE SHOP"
    limit = node.get("maxLength", 5000)
    text = f"probe {name}"
    return text[:limit] if text != avoid else text[: limit - 1] + "x"


# -- comparison -----------------------------------------------------------------------------


def normal(value: Any) -> Any:
    """``value`` with ids, times and secrets made uniform, so two objects made alike compare equal."""
    if isinstance(value, dict):
        return {k: "<v>" if k in _VOLATILE else normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normal(v) for v in value]
    if isinstance(value, str) and _ID.match(value):
        return "<id>"
    if isinstance(value, int) and not isinstance(value, bool) and value > 1_000_000_000:
        return "<time>"
    return value


def reflects(obj: Any, parts: tuple[str, ...], sent: Any) -> bool:
    """Whether ``obj`` holds ``sent`` at the parameter's own path (same name, same place)."""
    if sent == "now":
        return isinstance(_at(obj, parts), int)
    for part in parts:
        if not isinstance(obj, dict) or part not in obj:
            return False
        obj = obj[part]
    if isinstance(obj, dict) and obj.get("object") == "list":
        return False
    return _contains(obj, sent)


def _contains(held: Any, sent: Any) -> bool:
    if isinstance(sent, dict):
        return isinstance(held, dict) and all(_contains(held.get(k), v) for k, v in sent.items())
    if isinstance(sent, list):
        return isinstance(held, list) and len(held) == len(sent) and all(map(_contains, held, sent))
    if isinstance(held, dict) and isinstance(sent, str):
        return held.get("id") == sent
    return held == sent or str(held) == str(sent)


# -- the probe ------------------------------------------------------------------------------


def _parent_create(path: str) -> str:
    return re.sub(r"/\{\w+\}$", "", path)


def operations(served: Callable[[str, str], bool]) -> Iterator[spec.Operation]:
    """Create and update operations (POST) that ``served`` says the sandbox serves."""
    for op in spec.operations():
        if op.method != "POST" or not served(op.method, op.path):
            continue
        last = op.path.rstrip("/").rsplit("/", 1)[-1]
        is_update = last.startswith("{")
        is_create = not is_update and any(
            o.method == "GET"
            and o.path.startswith(op.path + "/{")
            and o.path.count("/") == op.path.count("/") + 1
            for o in spec.operations()
        )
        if is_update or is_create:
            yield op


def _fill(path: str, probe: Probe, made: dict[str, str], fresh: bool = False) -> str | None:
    """``path`` with each id made by creating its object (parents first, once); with ``fresh``
    the last object is made anew. None if one cannot be made."""
    out = ""
    segs = path.strip("/").split("/")
    for i, seg in enumerate(segs):
        if seg.startswith("{"):
            create = out
            if create not in made or (fresh and i == len(segs) - 1):
                op = spec.operation("POST", _template(create, path))
                if op is None:
                    return None
                status, body, _ = probe.call("POST", create, _baseline(op, probe))
                if status != 200 or "id" not in body:
                    return None
                made[create] = body["id"]
            out += "/" + made[create]
        else:
            out += "/" + seg
    return out


def _template(concrete_prefix: str, template: str) -> str:
    depth = concrete_prefix.count("/")
    return "/" + "/".join(template.strip("/").split("/")[:depth])


def _baseline(op: spec.Operation, probe: Probe) -> JSON:
    if op.key in BASELINES:
        return probe.resolve(BASELINES[op.key])
    props = op.params.get("properties", {})
    return {n: value_for(n, props[n], probe) for n in op.params.get("required", ())}


def params_of(op: spec.Operation, nested: bool) -> Iterator[tuple[tuple[str, ...], JSON]]:
    """The parameters to probe: every top-level one but `expand`, and one level into hashes."""
    for name, node in op.params.get("properties", {}).items():
        if name == "expand":
            continue
        yield (name,), node
        branch = _branches(node)[0]
        props = branch.get("properties") or {}
        if nested and props and branch.get("type") == "object" and len(props) > 1:
            for sub, sub_node in props.items():
                yield (name, sub), {**sub_node, "_required": branch.get("required", []), "_parent": branch}


@dataclass
class Attempt:
    status: int
    body: JSON
    read: Any
    events: list[str]


class OperationProbe:
    """Probes one operation: a baseline, then each parameter against a reference request."""

    def __init__(self, base_url: str, op: spec.Operation) -> None:
        self.op = op
        self.probe = Probe(base_url)
        self.update = op.path.rstrip("/").rsplit("/", 1)[-1].startswith("{")
        self.made: dict[str, str] = {}

    def target(self, fresh: bool = False) -> str | None:
        if self.op.key in TARGETS:
            if fresh or "target" not in self.made:
                self.made["target"] = TARGETS[self.op.key](self.probe)
            return self.made["target"]
        if self.update:
            return _fill(self.op.path, self.probe, self.made, fresh)
        path = _fill(self.op.path + "/{x}", self.probe, self.made)
        return path.rsplit("/", 1)[0] if path else None

    def attempt(self, path: str, params: JSON, context: Context | None = None) -> Attempt:
        context = context or Context()
        for where, body in context.setup:
            self.probe.post(where, self.probe.resolve(body))
        status, body, rid = self.probe.call("POST", path, params)
        if status != 200:
            return Attempt(status, body, None, [])
        if context.then is not None:
            context.then(body)
        read_path = path if self.update else f"{path}/{body.get('id')}"
        read = _read(self.probe, read_path, body, list(context.expand))
        return Attempt(status, body, read, self.probe.events_of(rid))

    def run(self, nested: bool) -> list[Outcome]:
        key = self.op.key
        try:
            path = self.target()
            base: JSON = {} if self.update else _baseline(self.op, self.probe)
        except RuntimeError as err:
            return [Outcome(key, "*", "unprobed", str(err)[:200])]
        if path is None:
            return [Outcome(key, "*", "unprobed", "could not create the object")]
        reference = self.attempt(path, base)
        if reference.status != 200:
            message = str(reference.body.get("message", ""))[:160]
            return [Outcome(key, "*", "unprobed", f"baseline {reference.status}: {message}")]
        outcomes = []
        for parts, node in params_of(self.op, nested):
            try:
                outcomes.append(self.one(path, base, reference, parts, node))
            except RuntimeError as err:
                outcomes.append(Outcome(key, _label(parts), "unprobed", str(err)[:200]))
        return outcomes

    def one(self, path: str, base: JSON, reference: Attempt, parts: tuple[str, ...], node: JSON) -> Outcome:
        key, label, name = self.op.key, _label(parts), parts[-1]
        if "@!" in json.dumps(BASELINES.get(key, {})):  # a baseline that uses its fixture up
            base = _baseline(self.op, self.probe)
        context = context_for(key, label)
        current = _at(reference.read, parts)
        if len(parts) == 1:
            sent = value_for(name, node, self.probe, avoid=base.get(name, current))
            if name in base and normal(sent) == normal(base[name]) and context is None:
                return Outcome(key, label, "applied", "required: in the baseline")
        else:
            parent = node["_parent"]
            sent = {k: value_for(k, parent["properties"][k], self.probe) for k in node["_required"]}
            sent[name] = value_for(name, node, self.probe, avoid=current)
        if context is not None and context.value is not None:
            sent = self.probe.resolve(context.value)
        if _encodes_to_nothing(sent):
            return Outcome(key, label, "empty", "an empty hash sends nothing")
        params = {**base, parts[0]: sent}
        if context is not None:
            extra = (
                context.with_(self.probe, path)
                if callable(context.with_)
                else self.probe.resolve(context.with_ or {})
            )
            kept = {k: v for k, v in base.items() if k not in context.drop}
            ref_path = self.target(fresh=True) if self.update else path
            probe_path = self.target(fresh=True) if self.update else path
            if ref_path is None or probe_path is None:
                return Outcome(key, label, "unprobed", "could not create the object")
            reference = self.attempt(ref_path, {**kept, **extra}, context)
            tried = self.attempt(probe_path, {**kept, **extra, parts[0]: sent}, context)
        else:
            if self.update:
                reference = Attempt(200, {}, _read(self.probe, path, {}), reference.events)
            tried = self.attempt(path, params)
        if tried.status >= 500:
            return Outcome(key, label, "crash", str(tried.body.get("message"))[:200])
        if tried.status >= 400:
            if tried.body.get("code") == "sandbox_limit":
                return Outcome(key, label, "limit", str(tried.body.get("param")))
            return Outcome(
                key, label, "error", f"{tried.body.get('param')}: {tried.body.get('message', '')[:160]}"
            )
        if reference.status != 200:
            return Outcome(key, label, "applied", "needed: the request fails without it")
        if (
            reflects(tried.read, parts[:1], sent)
            or normal(tried.read) != normal(reference.read)
            or tried.events != reference.events
        ):
            return Outcome(key, label, "applied")
        return Outcome(key, label, "dropped", json.dumps(sent)[:120])


def _label(parts: tuple[str, ...]) -> str:
    return parts[0] + "".join(f"[{p}]" for p in parts[1:])


def _encodes_to_nothing(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_encodes_to_nothing(v) for v in value.values())
    return False


def probe_operation(base_url: str, op: spec.Operation, nested: bool = True) -> list[Outcome]:
    return OperationProbe(base_url, op).run(nested)


def _at(obj: Any, parts: tuple[str, ...]) -> Any:
    for part in parts:
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


def _read(probe: Probe, path: str, fallback: JSON, expand: list[str] | None = None) -> JSON:
    status, body, _ = probe.call("GET", path, {"expand": expand} if expand else {})
    return body if status == 200 else fallback


def run(
    base_url: str, served: Callable[[str, str], bool], nested: bool | Callable[[spec.Operation], bool] = True
) -> list[Outcome]:
    """Probe every served create and update; ``nested`` (or a predicate on the operation) also
    probes each key of hash parameters."""
    outcomes: list[Outcome] = []
    for op in operations(served):
        outcomes += probe_operation(base_url, op, nested(op) if callable(nested) else nested)
    return outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--top", action="store_true", help="top-level parameters only")
    parser.add_argument("--json", help="write every outcome to this file")
    args = parser.parse_args(argv)
    from stripe_power.sandbox import SandboxServer
    from stripe_power.sandbox.core.app import serves

    with SandboxServer(host="127.0.0.1", port=0) as server:
        outcomes = run(server.url, serves, nested=not args.top)
    counts = Counter(o.result for o in outcomes)
    ops = {o.op for o in outcomes if o.result != "unprobed"}
    print(
        f"operations probed: {len(ops)}; parameters: {sum(v for k, v in counts.items() if k != 'unprobed')}"
    )
    print("  " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if args.verbose:
        for o in outcomes:
            if o.result not in ("applied",):
                print(f"  {o.result:8} {o.op} {o.param}  {o.detail}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump([o.__dict__ for o in outcomes], fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
