import json

import stripe
from django.conf import settings
from django.http import HttpResponse


def stripe_webhook(request):
    # Never json.loads(request.body) without verifying!  ok: webhook-signature-unverified
    try:
        event = stripe.Webhook.construct_event(
            request.body, request.META["HTTP_STRIPE_SIGNATURE"], settings.STRIPE_WEBHOOK_SECRET
        )
    except (ValueError, stripe.SignatureVerificationError):
        return HttpResponse(status=400)
    if event["type"] == "checkout.session.completed":
        log = json.loads(event["data"]["object"]["metadata"]["cart"])  # ok: webhook-signature-unverified
        fulfill(log)
    return HttpResponse(status=200)
