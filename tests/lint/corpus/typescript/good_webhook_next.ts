import { NextRequest, NextResponse } from 'next/server';
import Stripe from 'stripe';

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY!);

export async function POST(req: NextRequest) {
  const body = await req.text();
  const event = await stripe.webhooks.constructEventAsync(body, req.headers.get('stripe-signature')!, process.env.WH!);
  const extra = JSON.parse(body); // ok: webhook-signature-unverified
  if (event.type === 'invoice.payment_failed') {
    await notify(event.data.object, extra);
  }
  return NextResponse.json({ received: true });
}
