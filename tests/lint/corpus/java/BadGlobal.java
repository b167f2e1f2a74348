package com.example;

import com.stripe.Stripe;

public class BadGlobal {
  public static void init() {
    Stripe.apiKey = System.getenv("STRIPE_SECRET_KEY"); // expect: global-api-key
    com.stripe.Stripe.apiKey = loadKey(); // expect: global-api-key
  }
}
