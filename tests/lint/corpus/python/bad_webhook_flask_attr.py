import stripe
from flask import request


def handle():
    payload = request.json  # expect: webhook-signature-unverified
    event = stripe.Event.construct_from(payload, stripe.api_key)  # expect: webhook-signature-unverified
    match event.type:
        case "payment_intent.succeeded":
            ship(event.data.object)
        case "payment_intent.payment_failed":
            notify(event.data.object)
