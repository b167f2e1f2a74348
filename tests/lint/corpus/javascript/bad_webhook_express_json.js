import express from 'express';
import Stripe from 'stripe';

const app = express();
app.use(express.json());

app.post('/stripe/webhook', async (req, res) => {
  const event = req.body; // expect: webhook-signature-unverified
  if (event.type === 'checkout.session.completed') {
    await fulfill(event.data.object);
  }
  res.sendStatus(200);
});
