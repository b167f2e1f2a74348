// Legacy Express server: every marked line is an anti-pattern.
const Stripe = require('stripe');
const stripe = Stripe(process.env.STRIPE_SECRET_KEY, {
  apiVersion: '2020-08-27', // expect: api-version-pin
});

async function pay(req, res) {
  const charge = await stripe.charges.create({ // expect: charges-api
    amount: req.body.amount,
    currency: 'usd',
    source: req.body.token,
  });
  await stripe.charges.capture(charge.id); // expect: charges-api
  res.json(charge);
}

async function saveCard(customerId, token) {
  await stripe.customers.createSource(customerId, { source: token }); // expect: sources-api
  const source = await stripe.sources.create({ type: 'ach_credit_transfer', currency: 'usd' }); // expect: sources-api
  await stripe.customers.create({
    email: 'jenny@example.com',
    source: token, // expect: sources-api
  });
  return source;
}

async function tokenize() {
  return stripe.tokens.create({ pii: { id_number: '000000000' } }); // expect: tokens-api
}

async function plan() {
  return stripe.plans.create({ amount: 500, interval: 'month', product: 'prod_1', currency: 'usd' }); // expect: plans-api
}

async function intent() {
  const params = { amount: 1000, currency: 'usd' };
  params.payment_method_types = ['card']; // expect: payment-method-types
  await stripe.paymentIntents.create({
    amount: 1000,
    currency: 'usd',
    payment_method_types: ['card', 'klarna'], // expect: payment-method-types
  });
  return stripe.checkout.sessions.create({ mode: 'payment', 'payment_method_types': ['card'] }); // expect: payment-method-types
}

async function raw() {
  return fetch('https://api.stripe.com/v1/payment_intents', {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Stripe-Version': '2022-11-15' }, // expect: api-version-pin
  });
}
