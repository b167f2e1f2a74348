# Legacy Rails payments service.
require 'stripe'

Stripe.api_key = ENV.fetch('STRIPE_SECRET_KEY') # expect: global-api-key
Stripe.api_version = '2020-08-27' # expect: api-version-pin

class PaymentsService
  def charge(amount, token)
    charge = Stripe::Charge.create(amount: amount, currency: 'usd', source: token) # expect: charges-api
    Stripe::Charge.capture(charge.id) # expect: charges-api
    client.v1.charges.create({ amount: amount, currency: 'usd' }) # expect: charges-api
  end

  def save(customer_id, token)
    Stripe::Customer.create_source(customer_id, { source: token }) # expect: sources-api
    Stripe::Source.create(type: 'ach_credit_transfer', currency: 'usd') # expect: sources-api
    Stripe::Customer.create({ email: 'a@example.com', source: token }) # expect: sources-api
  end

  def tokenize
    Stripe::Token.create({ pii: { id_number: '000000000' } }) # expect: tokens-api
  end

  def plan
    Stripe::Plan.create(amount: 500, interval: 'month', product: 'prod_1', currency: 'usd') # expect: plans-api
  end

  def intent
    Stripe::PaymentIntent.create(
      amount: 1000,
      currency: 'usd',
      payment_method_types: ['card'], # expect: payment-method-types
    )
    Stripe::Checkout::Session.create({ mode: 'payment', 'payment_method_types' => %w[card] }, { stripe_version: '2022-11-15' }) # expect: payment-method-types, api-version-pin
  end
end
