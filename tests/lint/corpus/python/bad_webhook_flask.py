import stripe
from flask import Flask, request

app = Flask(__name__)


@app.post("/webhooks/stripe")
def webhook():
    event = request.get_json()  # expect: webhook-signature-unverified
    if event["type"] == "invoice.paid":
        mark_paid(event["data"]["object"]["id"])
    elif event["type"] == "customer.subscription.deleted":
        cancel(event["data"]["object"]["id"])
    return "", 200
