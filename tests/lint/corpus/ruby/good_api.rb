# Current patterns; comments mention Stripe::Charge.create and payment_method_types: ['card'].
# Stripe.api_key = 'sk_test_...'  ok: global-api-key, secret-key-in-source
require 'stripe'

class Charge < ApplicationRecord; end

class PaymentsService
  HELP = 'Stripe::Charge.create is legacy; use Stripe::PaymentIntent.create' # ok: charges-api

  def client
    @client ||= Stripe::StripeClient.new(ENV.fetch('STRIPE_SECRET_KEY'))
  end

  def pay(amount)
    Charge.create(amount: amount) # ok: charges-api
    intent = client.v1.payment_intents.create({ amount: amount, currency: 'usd', automatic_payment_methods: { enabled: true } })
    charges = client.v1.charges.list({ payment_intent: intent.id }) # ok: charges-api
    types = intent.payment_method_types # ok: payment-method-types
    [charges, types]
  end

  def session
    client.v1.checkout.sessions.create({
      mode: 'payment',
      excluded_payment_method_types: ['affirm'], # ok: payment-method-types
    })
  end

  def customer
    client.v1.customers.create({ email: 'a@example.com', metadata: { source: 'web' } }) # ok: sources-api
    client.v1.plans.list # ok: plans-api
    version = Stripe.api_version # ok: api-version-pin
    key = Stripe.api_key # ok: global-api-key
    [version, key]
  end
end
