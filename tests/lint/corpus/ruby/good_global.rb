require 'stripe'

# Stripe.api_key = ENV['STRIPE_KEY']  ok: global-api-key
CLIENT = Stripe::StripeClient.new(ENV.fetch('STRIPE_SECRET_KEY'))
config.api_key = ENV['OTHER_KEY'] # ok: global-api-key
raise 'missing key' if Stripe.api_key.nil? # ok: global-api-key
CLIENT.v1.tokens.retrieve('tok_123') # ok: tokens-api
CLIENT.v1.sources.detach_from_nothing = nil # ok: sources-api
Stripe::Plan.list # ok: plans-api
Stripe::Token.retrieve('tok_1') # ok: tokens-api
