/*
 * Current patterns. Docs text: stripe.charges.create({ amount }) is legacy;
 * never hardcode payment_method_types: ['card'].
 * stripe.createToken(card) and elements.create('card') are old client APIs.
 */
const Stripe = require('stripe');
const stripe = new Stripe(process.env.STRIPE_SECRET_KEY);

// await stripe.charges.create({ amount: 100 });  ok: charges-api
const HELP = 'Use paymentIntents instead of stripe.charges.create( ... )'; // ok: charges-api
const TIP = "Do not call stripe.tokens.create() or stripe.sources.create()"; // ok: tokens-api, sources-api

async function pay(req, res) {
  const intent = await stripe.paymentIntents.create({
    amount: req.body.amount,
    currency: 'usd',
    automatic_payment_methods: { enabled: true },
  });
  const charges = await stripe.charges.list({ payment_intent: intent.id }); // ok: charges-api
  const one = await stripe.charges.retrieve(intent.latest_charge); // ok: charges-api
  const types = intent.payment_method_types; // ok: payment-method-types
  if (intent.payment_method_types.includes('card')) { // ok: payment-method-types
    res.json({ charges, one, types });
  }
  const { payment_method_types } = intent; // ok: payment-method-types
  return payment_method_types;
}

async function checkout() {
  return stripe.checkout.sessions.create({
    mode: 'payment',
    excluded_payment_method_types: ['affirm'], // ok: payment-method-types
    line_items: [{ price: 'price_123', quantity: 1 }],
  });
}

async function customers(token) {
  const customer = await stripe.customers.create({ email: 'a@example.com', metadata: { source: 'web' } }); // ok: sources-api
  await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: 'pm_1' } }); // ok: sources-api
  const plans = await stripe.plans.list(); // ok: plans-api
  const price = await stripe.prices.create({ unit_amount: 500, currency: 'usd', recurring: { interval: 'month' } });
  const tokens = await db.tokens.find(token); // ok: tokens-api
  return { customer, plans, price, tokens };
}

function version(event) {
  const v = event.api_version; // ok: api-version-pin
  const h = res.headers.get('Stripe-Version'); // ok: api-version-pin
  return { v, h };
}
