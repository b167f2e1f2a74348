import os

from flask import Flask, request
from stripe import StripeClient

client = StripeClient(os.environ["STRIPE_SECRET_KEY"])
app = Flask(__name__)


@app.post("/webhook")
def webhook():
    event = client.construct_event(
        request.get_data(), request.headers["Stripe-Signature"], os.environ["STRIPE_WEBHOOK_SECRET"]
    )
    body = request.get_json()  # ok: webhook-signature-unverified
    if event.type == "payment_intent.succeeded":
        ship(event.data.object, body)
    return "", 200
