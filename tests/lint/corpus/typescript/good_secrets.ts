import Stripe from 'stripe';

// Keys look like sk_live_... and whsec_...; never commit them.  ok: secret-key-in-source
const stripe = new Stripe(process.env.STRIPE_SECRET_KEY ?? '');
const redacted = 'sk_live_****9xQ2'; // ok: secret-key-in-source
export { stripe, redacted };
