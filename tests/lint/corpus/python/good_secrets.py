import os

import stripe

KEY = os.environ["STRIPE_SECRET_KEY"]
EXAMPLE = "sk_test_xxxxxxxxxxxxxxxxxxxxxxxx"  # ok: secret-key-in-source
PLACEHOLDER = "sk_live_..."  # ok: secret-key-in-source
DOCS = "Set STRIPE_SECRET_KEY=sk_test_YOUR_KEY_HERE"  # ok: secret-key-in-source
PREFIX = "sk_live_"  # ok: secret-key-in-source
WH = os.environ.get("STRIPE_WEBHOOK_SECRET", "whsec_test")  # ok: secret-key-in-source
MASKED = "sk_live_****a1b2"  # ok: secret-key-in-source
PK = "pk_live_51Mz3kQp9TrW4vXy2"  # publishable keys are fine in client code


def is_live(key: str) -> bool:
    return key.startswith(("sk_live_", "rk_live_"))  # ok: secret-key-in-source
SAMPLE = "sk_test_yourSecretKeyHere123"  # ok: secret-key-in-source
SEQUENCE = "sk_test_0123456789abcdefghij"  # ok: secret-key-in-source
