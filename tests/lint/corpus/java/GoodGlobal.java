package com.example;

import com.stripe.Stripe;
import com.stripe.StripeClient;

public class GoodGlobal {
  // Stripe.apiKey = "..." is a global: avoid.  ok: global-api-key
  private final StripeClient client = new StripeClient(System.getenv("STRIPE_SECRET_KEY"));
  private final String apiKey = System.getenv("OTHER"); // ok: global-api-key

  public boolean configured() {
    client.v1().tokens().retrieve("tok_123"); // ok: tokens-api
    client.v1().plans().retrieve("plan_123"); // ok: plans-api
    return Stripe.apiKey != null; // ok: global-api-key
  }
}
