<?php
/*
 * Current patterns. Docs: \Stripe\Charge::create([...]) and 'payment_method_types' => ['card']
 * are legacy; so is \Stripe\Stripe::setApiKey(...).
 */
require 'vendor/autoload.php';

$stripe = new \Stripe\StripeClient(getenv('STRIPE_SECRET_KEY'));
# $stripe->charges->create(['amount' => 100]);  ok: charges-api
$help = 'Use $stripe->paymentIntents->create instead of $stripe->charges->create( ... )'; // ok: charges-api

function pay($stripe, $amount) {
    $intent = $stripe->paymentIntents->create([
        'amount' => $amount,
        'currency' => 'usd',
        'automatic_payment_methods' => ['enabled' => true],
    ]);
    $charges = $stripe->charges->all(['payment_intent' => $intent->id]); // ok: charges-api
    $types = $intent->payment_method_types; // ok: payment-method-types
    $same = $intent['payment_method_types']; // ok: payment-method-types
    $session = $stripe->checkout->sessions->create([
        'mode' => 'payment',
        'excluded_payment_method_types' => ['affirm'], // ok: payment-method-types
    ]);
    $customer = $stripe->customers->create(['email' => 'a@example.com', 'metadata' => ['source' => 'web']]); // ok: sources-api
    $plans = $stripe->plans->all(); // ok: plans-api
    $version = \Stripe\Stripe::getApiVersion(); // ok: api-version-pin
    $key = \Stripe\Stripe::getApiKey(); // ok: global-api-key
    $model = App\Models\Charge::create(['amount' => $amount]); // ok: charges-api
    return [$charges, $types, $same, $session, $customer, $plans, $version, $key, $model];
}
