// An API route that parses JSON and uses Stripe, but is not a webhook handler.
const stripe = require('stripe')(process.env.STRIPE_SECRET_KEY);

async function createIntent(req, res) {
  const body = JSON.parse(req.body); // ok: webhook-signature-unverified
  const intent = await stripe.paymentIntents.create({ amount: body.amount, currency: 'usd' });
  res.json({ clientSecret: intent.client_secret });
}

function onMessage(event) {
  // a DOM event, not a Stripe event
  const data = JSON.parse(event.data); // ok: webhook-signature-unverified
  return data;
}
