const stripe = require('stripe')(process.env.STRIPE_SECRET_KEY);
const sample = 'sk_test_...'; // ok: secret-key-in-source
const isLive = key.startsWith('sk_live_'); // ok: secret-key-in-source
const placeholder = 'sk_live_your_key'; // ok: secret-key-in-source
const endpointSecret = process.env.STRIPE_WEBHOOK_SECRET || 'whsec_placeholder00000'; // ok: secret-key-in-source
const docs = 'Use new Stripe("sk_test_YourSecretKeyHere0000")'; // ok: secret-key-in-source
