import json

import stripe
from django.http import HttpResponse


def stripe_webhook(request):
    event = json.loads(request.body)  # expect: webhook-signature-unverified
    if event["type"] == "checkout.session.completed":
        fulfill(event["data"]["object"])
    return HttpResponse(status=200)
