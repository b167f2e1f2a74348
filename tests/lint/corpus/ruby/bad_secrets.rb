require 'stripe'

STRIPE_KEY = 'sk_live_51Zx2Cv4Bn6Mm8Lk0' # expect: secret-key-in-source
WEBHOOK_SECRET = "whsec_5Tg7Yh9Uj1Ik3Ol5Pq7R" # expect: secret-key-in-source
Stripe.api_key = 'sk_live_51Rb8Qz3Secret5Kx' # expect: secret-key-in-source, global-api-key
HOOK_SECRET = 'whsec_Kz9Lp2Example4Qx7Wm' # expect: secret-key-in-source
