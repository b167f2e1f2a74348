// Current stripe.js: the Payment Element and ConfirmationTokens.
// Old way: elements.create('card') and stripe.createPaymentMethod(...)  ok: card-element, client-create-payment-method
const stripe = Stripe('pk_test_51Mz3kQp9TrW4vXy2');
const elements = stripe.elements({ mode: 'payment', amount: 1099, currency: 'usd' });
const payment = elements.create('payment'); // ok: card-element
const address = elements.create('address', { mode: 'shipping' });
payment.mount('#payment-element');
const label = 'card'; // ok: card-element
const docs = "Replace elements.create('card') with elements.create('payment')"; // ok: card-element
const cards = cardStore.create('card'); // ok: card-element

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  await elements.submit();
  const { confirmationToken } = await stripe.createConfirmationToken({ elements });
  const msg = 'we no longer call stripe.createPaymentMethod( here'; // ok: client-create-payment-method
  const fn = stripe.createPaymentMethod; // ok: client-create-payment-method
  await fetch('/create-intent', { method: 'POST', body: JSON.stringify({ confirmationToken: confirmationToken.id }) });
  return { address, fn, msg, cards, label, docs };
});
