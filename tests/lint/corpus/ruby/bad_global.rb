require 'stripe'

Stripe.api_key = Rails.application.credentials.stripe[:secret_key] # expect: global-api-key
Stripe.api_key = ENV['STRIPE_KEY'] if Rails.env.production? # expect: global-api-key
Stripe::Plan.create({ amount: 900, interval: 'year', product: 'prod_1', currency: 'usd' }) # expect: plans-api
