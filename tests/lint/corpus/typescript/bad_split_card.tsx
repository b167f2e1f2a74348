import { CardCvcElement, CardExpiryElement, useStripe } from '@stripe/react-stripe-js';

export const SplitCard = () => {
  const stripe = useStripe();
  const onClick = async () => {
    const res = await stripe!.createPaymentMethod({ type: 'card', card: cardRef.current }); // expect: client-create-payment-method
    return res;
  };
  return (
    <div onClick={onClick}>
      <p>We can't store your card; it's sent to Stripe.</p>
      <CardExpiryElement /> {/* expect: card-element */}
      <CardCvcElement /* expect: card-element */
        options={{}} />
    </div>
  );
};
