import { loadStripe, StripeElements } from '@stripe/stripe-js';

export async function setup(elements: StripeElements) {
  const stripe = await loadStripe('pk_test_51Mz3kQp9TrW4vXy2');
  const number = elements.create('cardNumber', { showIcon: true }); // expect: card-element
  number.mount('#number');
  const { paymentMethod } = await stripe!.createPaymentMethod({ // expect: client-create-payment-method
    type: 'card',
    card: number,
  });
  const { token } = await stripe!.createToken(number); // expect: tokens-api
  return { paymentMethod, token };
}
