import Stripe from 'stripe';

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY!, {
  apiVersion: '2023-10-16' as Stripe.LatestApiVersion, // expect: api-version-pin
});

export async function legacyCharge(amount: number, source: string): Promise<Stripe.Charge> {
  return stripe.charges.create({ amount, currency: 'eur', source }); // expect: charges-api
}

export async function session(): Promise<Stripe.Checkout.Session> {
  const params: Stripe.Checkout.SessionCreateParams = {
    mode: 'payment',
    payment_method_types: ['card', 'ideal'], // expect: payment-method-types
    line_items: [{ price: 'price_1', quantity: 1 }],
  };
  return stripe.checkout.sessions.create(params);
}

export const plan = () => stripe.plans.create({ amount: 1000, currency: 'eur', interval: 'month', product: 'prod_1' }); // expect: plans-api

export const tok = () => stripe.tokens.create({ bank_account: { country: 'US' } } as any); // expect: tokens-api

export async function src(id: string) {
  return stripe.sources.retrieve(id); // expect: sources-api
}
