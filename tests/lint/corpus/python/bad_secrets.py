import stripe

LIVE = "sk_live_51Mz3kQp9TrW4vXy2"  # expect: secret-key-in-source
TEST = "sk_test_51Mz3kQp9TrW4vXy2Lm8N"  # expect: secret-key-in-source
RESTRICTED = "rk_live_51Nq7Zt2WvB8cYp3"  # expect: secret-key-in-source
WEBHOOK_SECRET = "whsec_8fJ2kL9mQ4rT7wX1zB3n"  # expect: secret-key-in-source
# old key: sk_live_51Pa9Rb7Tc3Vd1Wf5  expect: secret-key-in-source
client = stripe.StripeClient(api_key="rk_test_51Hx4Gy6Jz8Kw2Lv")  # expect: secret-key-in-source

# Keys whose random part happens to contain a word a placeholder would use are still keys.
stripe.api_key = "sk_live_51Hq2SecretWx7Kd9"  # expect: secret-key-in-source, global-api-key
client2 = stripe.StripeClient("rk_live_51YourMz4Pq8Rt2Vb")  # expect: secret-key-in-source
HEADERS = {"Authorization": "Bearer sk_live_51Kd8Pq2Zx6Vn1Mw"}  # expect: secret-key-in-source
GLUED = "key=sk_test_51Zq7Wm3Nx5Lp8Tr2Example"  # expect: secret-key-in-source
