import json

import stripe

from .verify import verify_header


def handle(request):
    verify_header(request.body, request.headers["Stripe-Signature"])
    event = json.loads(request.body)  # ok: webhook-signature-unverified
    if event["type"] == "payout.paid":
        reconcile(event)
