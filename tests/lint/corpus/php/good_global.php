<?php
// \Stripe\Stripe::setApiKey('...') is the old global way.  ok: global-api-key
$stripe = new \Stripe\StripeClient(['api_key' => getenv('STRIPE_SECRET_KEY')]); // ok: global-api-key
$mailer->setApiKey(getenv('MAIL_KEY')); // ok: global-api-key
$tokens = $stripe->tokens->retrieve('tok_123'); // ok: tokens-api
$plans = $stripe->plans->retrieve('plan_123'); // ok: plans-api
$sources = \Stripe\Customer::allSources('cus_123'); // ok: sources-api
