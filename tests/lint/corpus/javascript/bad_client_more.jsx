import { loadStripe } from '@stripe/stripe-js';
import { Elements, CardElement } from '@stripe/react-stripe-js';

const stripePromise = loadStripe('pk_test_51Mz3kQp9TrW4vXy2');

export async function mountLegacy() {
  const stripe = await stripePromise;
  const cardElements = stripe.elements();
  const cvc = cardElements.create('cardCvc'); // expect: card-element
  const inline = stripe.elements().create('card'); // expect: card-element
  const pm = await stripe.createPaymentMethod('card', cvc); // expect: client-create-payment-method
  const pm2 = await window.stripe.createPaymentMethod({ type: 'sepa_debit', sepa_debit: iban }); // expect: client-create-payment-method
  const { error } = await stripe?.createPaymentMethod?.({ type: 'card', card: inline }) ?? {}; // expect: client-create-payment-method
  return { pm, pm2, error };
}

export const Legacy = () => (
  <Elements stripe={stripePromise}>
    <CardElement /> {/* expect: card-element */}
  </Elements>
);
