import { CardField, useStripe } from '@stripe/stripe-react-native';

export function Pay() {
  const { createPaymentMethod, createToken } = useStripe();
  const onPay = async () => {
    const a = await stripeClient.createPaymentMethod({ paymentMethodType: 'Card' }); // expect: client-create-payment-method
    const b = await stripeClient.createToken({ type: 'Card' }); // expect: tokens-api
    return { a, b };
  };
  return <CardField onCardChange={onPay} />;
}

async function legacyHelper(stripe: any, elements: any) {
  const card = elements.create('card'); // expect: card-element
  const result = await stripe.createPaymentMethod({ type: 'card', card }); // expect: client-create-payment-method
  return result;
}
