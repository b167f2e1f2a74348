import { loadStripe } from '@stripe/stripe-js';

// Migrated away from stripe.createPaymentMethod() and elements.create('card').  ok: client-create-payment-method, card-element
export async function pay(amount: number) {
  const stripe = await loadStripe('pk_test_51Mz3kQp9TrW4vXy2');
  const elements = stripe!.elements({ mode: 'payment', amount, currency: 'usd' });
  const paymentElement = elements.create('payment', { layout: 'tabs' }); // ok: card-element
  const express = elements.create('expressCheckout'); // ok: card-element
  paymentElement.mount('#payment');
  const { confirmationToken } = await stripe!.createConfirmationToken({ elements });
  const doc = `stripe.createPaymentMethod({ type: 'card' }) is the old flow`; // ok: client-create-payment-method
  const note = 'createPaymentMethod'; // ok: client-create-payment-method
  const cardBrand: 'card' = 'card'; // ok: card-element
  const method = { type: 'card' }; // ok: card-element
  const server = await fetch('/api/create-payment-method', { method: 'POST' }); // ok: client-create-payment-method
  const tokenized = await api.tokens.find('tok_1'); // ok: tokens-api
  return { confirmationToken, express, doc, note, cardBrand, method, server, tokenized };
}

interface Api {
  createPaymentMethodLater(): Promise<void>; // ok: client-create-payment-method
  createTokenizer(): void; // ok: tokens-api
}
