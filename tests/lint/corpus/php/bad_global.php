<?php
use Stripe\Stripe;

Stripe::setApiKey($_ENV['STRIPE_SECRET_KEY']); // expect: global-api-key
\Stripe\Stripe::setApiKey(config('services.stripe.secret')); // expect: global-api-key
