import os

import stripe
from stripe import StripeClient

client = StripeClient(os.environ["STRIPE_SECRET_KEY"])
settings = {"api_key": os.environ["STRIPE_SECRET_KEY"]}  # ok: global-api-key
openai_api_key = os.environ.get("OPENAI_API_KEY")  # ok: global-api-key
api_key = stripe_api_key = os.environ["STRIPE_SECRET_KEY"]  # ok: global-api-key


class Config:
    api_key = None  # ok: global-api-key


def configure(other):
    other.api_key = api_key  # ok: global-api-key
    return client.v1.tokens.retrieve("tok_123")  # ok: tokens-api


def plans():
    return client.v1.plans.retrieve("plan_123"), stripe.Plan.list()  # ok: plans-api


def legacy_reads():
    return client.v1.sources.__class__, stripe.Source  # ok: sources-api
