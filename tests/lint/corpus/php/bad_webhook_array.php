<?php
require 'vendor/autoload.php';

$event = json_decode(file_get_contents('php://input'), true); // expect: webhook-signature-unverified
if ($event['type'] === 'customer.subscription.deleted') {
    cancel($event['data']['object']['id']);
}
