/* global Stripe, $ */
var stripe = Stripe($('#stripe').data('key'));
var elements = stripe.elements();
var card = elements.create('card'); // expect: card-element
$('#pay').on('click', function () {
  stripe.createPaymentMethod({ type: 'card', card: card, billing_details: { name: $('#name').val() } }) // expect: client-create-payment-method
    .then(function (result) {
      return $.post('/charge', { payment_method: result.paymentMethod.id });
    });
});
