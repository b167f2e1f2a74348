import React from 'react';
import { CardElement, CardNumberElement, useElements, useStripe } from '@stripe/react-stripe-js';

export function CheckoutForm({ clientSecret }: { clientSecret: string }) {
  const stripe = useStripe();
  const elements = useElements();

  const handleSubmit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!stripe || !elements) return;
    const card = elements.getElement(CardElement)!;
    const { token } = await stripe.createToken(card); // expect: tokens-api
    const { paymentMethod } = await stripe.createPaymentMethod({ type: 'card', card }); // expect: client-create-payment-method
    await fetch('/pay', { method: 'POST', body: JSON.stringify({ token, paymentMethod }) });
  };

  return (
    <form onSubmit={handleSubmit}>
      {/* Don't use the legacy element in new code */}
      <CardElement options={{ hidePostalCode: true }} /> {/* expect: card-element */}
      <CardNumberElement /> {/* expect: card-element */}
      <button type="submit">Pay</button>
    </form>
  );
}
