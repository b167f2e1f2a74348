"""A legacy checkout module: every marked line is an anti-pattern."""

import stripe
from stripe import StripeClient

stripe.api_key = os.environ["STRIPE_SECRET_KEY"]  # expect: global-api-key
stripe.api_version = "2020-08-27"  # expect: api-version-pin

client = StripeClient(os.environ["STRIPE_SECRET_KEY"], stripe_version="2023-10-16")  # expect: api-version-pin


def pay(amount, token):
    charge = stripe.Charge.create(  # expect: charges-api
        amount=amount,
        currency="usd",
        source=token,
    )
    stripe.Charge.capture(charge.id)  # expect: charges-api
    return client.v1.charges.create(params={"amount": amount, "currency": "usd"})  # expect: charges-api


async def pay_async(amount):
    return await client.charges.create_async(params={"amount": amount})  # expect: charges-api


def save_card(customer_id, token):
    stripe.Customer.create_source(customer_id, source=token)  # expect: sources-api
    source = stripe.Source.create(type="ach_credit_transfer", currency="usd")  # expect: sources-api
    client.v1.sources.retrieve(source.id)  # expect: sources-api
    stripe.Customer.create(email="a@example.com", source=token)  # expect: sources-api
    client.v1.customers.create(params={"email": "b@example.com", "source": token})  # expect: sources-api


def tokenize():
    token = stripe.Token.create(card={"number": "4242424242424242"})  # expect: tokens-api
    return client.v1.tokens.create(params={"pii": {"id_number": "000000000"}}), token  # expect: tokens-api


def billing():
    stripe.Plan.create(amount=500, interval="month", product="prod_123", currency="usd")  # expect: plans-api
    client.v1.plans.create(params={"amount": 900, "interval": "year"})  # expect: plans-api


def checkout():
    stripe.checkout.Session.create(
        mode="payment",
        payment_method_types=["card"],  # expect: payment-method-types
        line_items=[{"price": "price_123", "quantity": 1}],
    )
    params = {
        "amount": 1000,
        "payment_method_types": ["card", "sepa_debit"],  # expect: payment-method-types
    }
    params["payment_method_types"] = ["card"]  # expect: payment-method-types
    client.v1.payment_intents.create(params=params, options={"stripe_version": "2022-11-15"})  # expect: api-version-pin
    return requests.post(
        "https://api.stripe.com/v1/setup_intents",
        headers={"Stripe-Version": "2020-08-27"},  # expect: api-version-pin
    )
