import { NextRequest, NextResponse } from 'next/server';
import Stripe from 'stripe';

export async function POST(req: NextRequest) {
  const event = JSON.parse(await req.text()) as Stripe.Event; // expect: webhook-signature-unverified
  if (event.type === 'invoice.payment_failed') {
    await notify(event.data.object);
  }
  return NextResponse.json({ received: true });
}
