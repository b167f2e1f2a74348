require 'stripe'

STRIPE_KEY = ENV.fetch('STRIPE_SECRET_KEY') { 'sk_test_changeme' } # ok: secret-key-in-source
LIVE_PREFIX = 'sk_live_' # ok: secret-key-in-source
