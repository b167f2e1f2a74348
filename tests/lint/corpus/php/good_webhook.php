<?php
require 'vendor/autoload.php';

$payload = @file_get_contents('php://input');
$sig = $_SERVER['HTTP_STRIPE_SIGNATURE'];
try {
    $event = \Stripe\Webhook::constructEvent($payload, $sig, getenv('STRIPE_WEBHOOK_SECRET'));
} catch (\UnexpectedValueException | \Stripe\Exception\SignatureVerificationException $e) {
    http_response_code(400);
    exit();
}
$meta = json_decode($event->data->object->metadata->cart, true); // ok: webhook-signature-unverified
if ($event->type === 'checkout.session.completed') {
    fulfill($meta);
}
