import stripe
from flask import request


def stripe_webhook():
    payload = request.get_json()  # ok: webhook-signature-unverified
    # Fetch the event from Stripe instead of trusting the body.
    event = stripe.Event.retrieve(payload["id"])
    if event.type == "invoice.payment_failed":
        dunning(event.data.object)
    return "", 200
