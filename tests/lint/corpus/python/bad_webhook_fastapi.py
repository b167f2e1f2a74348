import stripe
from fastapi import FastAPI, Request

app = FastAPI()


@app.post("/stripe/events")
async def receive(request: Request):
    event = await request.json()  # expect: webhook-signature-unverified
    await dispatch(event)
    return {"ok": True}


async def dispatch(event):
    handlers = {"charge.refunded": on_refund, "charge.dispute.created": on_dispute}
    await handlers[event["type"]](event)
