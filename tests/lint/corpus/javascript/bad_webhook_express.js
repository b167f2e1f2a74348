const express = require('express');
const stripe = require('stripe')(process.env.STRIPE_SECRET_KEY);
const app = express();

app.post('/webhook', express.raw({ type: 'application/json' }), (req, res) => {
  const event = JSON.parse(req.body); // expect: webhook-signature-unverified
  switch (event.type) {
    case 'payment_intent.succeeded':
      fulfill(event.data.object);
      break;
    default:
      break;
  }
  res.json({ received: true });
});
