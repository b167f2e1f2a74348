<?php
require 'vendor/autoload.php';

$payload = @file_get_contents('php://input');
$event = \Stripe\Event::constructFrom(json_decode($payload, true)); // expect: webhook-signature-unverified

switch ($event->type) {
    case 'payment_intent.succeeded':
        fulfill($event->data->object);
        break;
}
http_response_code(200);
