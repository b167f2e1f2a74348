import Stripe from 'stripe';

interface StripeConfig {
  apiVersion: string; // ok: api-version-pin
  payment_method_types?: string[]; // ok: payment-method-types
}

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY!);

export async function pay(amount: number): Promise<Stripe.PaymentIntent> {
  return stripe.paymentIntents.create({ amount, currency: 'eur', automatic_payment_methods: { enabled: true } });
}

export async function show(id: string) {
  const intent = await stripe.paymentIntents.retrieve(id);
  const pmt: string[] = intent.payment_method_types; // ok: payment-method-types
  const charge = await stripe.charges.retrieve(intent.latest_charge as string); // ok: charges-api
  return { pmt, charge, version: (intent as any).apiVersion }; // ok: api-version-pin
}

type Legacy = Stripe.ChargeCreateParams; // ok: charges-api
const plans = await stripe.plans.list({ limit: 3 }); // ok: plans-api
const sessions = await stripe.checkout.sessions.create({
  mode: 'payment',
  excluded_payment_method_types: ['cashapp'], // ok: payment-method-types
  line_items: [{ price: 'price_1', quantity: 1 }],
});
