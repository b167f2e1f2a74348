<?php
$stripe = new \Stripe\StripeClient(getenv('STRIPE_SECRET_KEY') ?: 'sk_test_placeholder'); // ok: secret-key-in-source
$isLive = str_starts_with($key, 'sk_live_'); // ok: secret-key-in-source
