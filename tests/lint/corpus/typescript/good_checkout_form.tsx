import React from 'react';
import { PaymentElement, useElements, useStripe } from '@stripe/react-stripe-js';

// Migrated from <CardElement /> and stripe.createPaymentMethod(...)  ok: card-element, client-create-payment-method
export function CheckoutForm() {
  const stripe = useStripe();
  const elements = useElements();
  const note = "Replaced <CardElement /> with <PaymentElement />"; // ok: card-element
  const handleSubmit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!stripe || !elements) return;
    await elements.submit();
    const { confirmationToken } = await stripe.createConfirmationToken({ elements });
    await fetch('/create-intent', { method: 'POST', body: JSON.stringify({ id: confirmationToken?.id }) });
  };
  return (
    <form onSubmit={handleSubmit}>
      <p>We don't use the CardElement any more, and createPaymentMethod is gone.</p> {/* ok: card-element, client-create-payment-method */}
      <PaymentElement />
      <CardElementHint /> {/* ok: card-element */}
      <button type="submit">{note}</button>
    </form>
  );
}
