// Legacy stripe.js checkout page.
const stripe = Stripe('pk_test_51Mz3kQp9TrW4vXy2');
const elements = stripe.elements();
const card = elements.create('card', { style: { base: { fontSize: '16px' } } }); // expect: card-element
card.mount('#card-element');
const number = elements.create("cardNumber"); // expect: card-element
const expiry = elements.create(`cardExpiry`); // expect: card-element

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  const { token } = await stripe.createToken(card); // expect: tokens-api
  const { paymentMethod } = await stripe.createPaymentMethod({ type: 'card', card }); // expect: client-create-payment-method
  const { source } = await stripe.createSource(card, { type: 'card' }); // expect: sources-api
  await fetch('/pay', { method: 'POST', body: JSON.stringify({ token, paymentMethod, source }) });
});

async function again() {
  const result = await stripe
    .createPaymentMethod({ elements }); // expect: client-create-payment-method
  return result;
}
