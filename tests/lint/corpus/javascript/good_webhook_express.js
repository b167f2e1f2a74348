const express = require('express');
const stripe = require('stripe')(process.env.STRIPE_SECRET_KEY);
const app = express();

// Do NOT JSON.parse(req.body) before verifying.  ok: webhook-signature-unverified
app.post('/webhook', express.raw({ type: 'application/json' }), (req, res) => {
  let event;
  try {
    event = stripe.webhooks.constructEvent(req.body, req.headers['stripe-signature'], process.env.WH_SECRET);
  } catch (err) {
    return res.status(400).send(`Webhook Error: ${err.message}`);
  }
  if (event.type === 'payment_intent.succeeded') {
    const meta = JSON.parse(event.data.object.metadata.cart); // ok: webhook-signature-unverified
    fulfill(meta);
  }
  res.json({ received: true });
});
