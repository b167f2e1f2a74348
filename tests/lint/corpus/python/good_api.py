"""Current patterns plus decoys that mention old APIs without calling them.

Docs text: stripe.Charge.create(amount=...) is the old way; prefer PaymentIntents.
Never set payment_method_types=["card"]; and never stripe.api_key = "..." globally.
"""

import os

import stripe
from stripe import StripeClient

# stripe.Charge.create(amount=100)  ok: charges-api
# stripe.api_version = "2020-08-27"  ok: api-version-pin
client = StripeClient(os.environ["STRIPE_SECRET_KEY"], max_network_retries=2)
HELP = "Do not call stripe.Charge.create or stripe.Token.create; see docs."  # ok: charges-api, tokens-api
LEGACY = "client.v1.sources.create(...)"  # ok: sources-api


class Charge:  # the app's own model, not Stripe's
    @classmethod
    def create(cls, **kwargs):
        return cls()


def pay(amount):
    Charge.create(amount=amount)  # ok: charges-api
    Charge.objects.create(amount=amount)  # ok: charges-api
    intent = client.v1.payment_intents.create(
        params={"amount": amount, "currency": "usd", "automatic_payment_methods": {"enabled": True}}
    )
    charges = client.v1.charges.list(params={"payment_intent": intent.id})  # ok: charges-api
    client.v1.charges.retrieve(intent.latest_charge)  # ok: charges-api
    types = intent.payment_method_types  # ok: payment-method-types
    if "card" in intent["payment_method_types"]:  # ok: payment-method-types
        pass
    return charges, types


def checkout():
    return client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "excluded_payment_method_types": ["affirm"],  # ok: payment-method-types
            "line_items": [{"price": "price_123", "quantity": 1}],
        }
    )


def create_session_kwargs():
    return stripe.checkout.Session.create(
        mode="setup",
        excluded_payment_method_types=["klarna"],  # ok: payment-method-types
        allowed_payment_method_types=None,  # ok: payment-method-types
    )


FIXTURE = {
    "id": "pi_123",
    "object": "payment_intent",
    "payment_method_types": ["card"],
}  # ok: payment-method-types


def prices():
    plans = client.v1.plans.list()  # ok: plans-api
    price = client.v1.prices.create(
        params={"unit_amount": 500, "currency": "usd", "recurring": {"interval": "month"}}
    )
    return plans, price


def setup(customer):
    intent = client.v1.setup_intents.create(params={"customer": customer, "usage": "off_session"})
    client.v1.customers.update(
        customer, params={"invoice_settings": {"default_payment_method": "pm_123"}}
    )  # ok: sources-api
    pm = client.v1.payment_methods.attach("pm_123", params={"customer": customer})
    token_count = len(client.v1.tokens.__dict__)  # ok: tokens-api
    return intent, pm, token_count


def versions(event):
    print(event.api_version, stripe.api_version)  # ok: api-version-pin
    version = stripe.api_version  # ok: api-version-pin
    key = stripe.api_key  # ok: global-api-key
    if stripe.api_key == "":  # ok: global-api-key
        pass
    headers = response.headers.get("Stripe-Version")  # ok: api-version-pin
    return version, key, headers


def sdk_plumbing(api_key, stripe_version, headers):
    forwarded = StripeClient(api_key, stripe_version=stripe_version)  # ok: api-version-pin
    headers["Stripe-Version"] = stripe_version  # ok: api-version-pin
    return forwarded, {"stripe_version": forwarded.stripe_version}  # ok: api-version-pin
