<?php
$stripe = new \Stripe\StripeClient('sk_live_51Rt5Yu7Io9Pa1Sd3'); // expect: secret-key-in-source
$restricted = 'rk_test_51Rt5Yu7Io9Pa1Sd3Fg'; // expect: secret-key-in-source
\Stripe\Stripe::setApiKey('sk_live_51Ph7Qz2Your4Kx9'); // expect: secret-key-in-source, global-api-key
$client = new \Stripe\StripeClient("rk_test_51Ph7Qz2Kx9Wm4Lp"); // expect: secret-key-in-source
