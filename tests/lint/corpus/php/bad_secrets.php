<?php
$stripe = new \Stripe\StripeClient('sk_live_51Rt5Yu7Io9Pa1Sd3'); // expect: secret-key-in-source
$restricted = 'rk_test_51Rt5Yu7Io9Pa1Sd3Fg'; // expect: secret-key-in-source
