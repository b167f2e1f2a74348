"""A JSON API that uses Stripe but handles no Stripe events."""

import json

import stripe
from flask import request


def create_intent():
    body = request.get_json()  # ok: webhook-signature-unverified
    config = json.loads(open("config.json").read())  # ok: webhook-signature-unverified
    return stripe.PaymentIntent.create(amount=body["amount"], currency=config["currency"])


def describe(event_kind):
    # "payment_intent.succeeded" is mentioned only in this comment.
    return {"kind": event_kind}
