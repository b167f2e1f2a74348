<?php
// Legacy PHP checkout.
require 'vendor/autoload.php';

use Stripe\Charge;

\Stripe\Stripe::setApiKey(getenv('STRIPE_SECRET_KEY')); // expect: global-api-key
\Stripe\Stripe::setApiVersion('2020-08-27'); // expect: api-version-pin

$stripe = new \Stripe\StripeClient(['api_key' => getenv('STRIPE_SECRET_KEY'), 'stripe_version' => '2022-11-15']); // expect: api-version-pin

function pay($stripe, $amount, $token) {
    $charge = \Stripe\Charge::create(['amount' => $amount, 'currency' => 'usd', 'source' => $token]); // expect: charges-api
    $again = Charge::create(['amount' => $amount, 'currency' => 'usd']); // expect: charges-api
    $stripe->charges->capture($charge->id); // expect: charges-api
    $stripe->charges->create(['amount' => $amount, 'currency' => 'usd']); // expect: charges-api
    return $again;
}

function save($stripe, $customerId, $token) {
    $stripe->customers->createSource($customerId, ['source' => $token]); // expect: sources-api
    \Stripe\Source::create(['type' => 'ach_credit_transfer', 'currency' => 'usd']); // expect: sources-api
    $stripe->sources->retrieve('src_123'); // expect: sources-api
    $stripe->customers->create([
        'email' => 'a@example.com',
        'source' => $token, // expect: sources-api
    ]);
}

function tokenize($stripe) {
    \Stripe\Token::create(['pii' => ['id_number' => '000000000']]); // expect: tokens-api
    return $stripe->tokens->create(['bank_account' => ['country' => 'US']]); // expect: tokens-api
}

function plan($stripe) {
    \Stripe\Plan::create(['amount' => 500, 'interval' => 'month', 'product' => 'prod_1', 'currency' => 'usd']); // expect: plans-api
    return $stripe->plans->create(['amount' => 900, 'interval' => 'year']); // expect: plans-api
}

function intent($stripe) {
    return $stripe->paymentIntents->create([
        'amount' => 1000,
        'currency' => 'usd',
        'payment_method_types' => ['card'], // expect: payment-method-types
    ]);
}

function session($stripe) {
    $params = ['mode' => 'payment'];
    $params['payment_method_types'] = ['card', 'sepa_debit']; // expect: payment-method-types
    return $stripe->checkout->sessions->create($params);
}
