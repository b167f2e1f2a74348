package com.example.payments;

import com.stripe.StripeClient;
import com.stripe.model.PaymentIntent;
import com.stripe.param.PaymentIntentCreateParams;

/**
 * Current patterns. Docs: Charge.create(params) and .addPaymentMethodType("card") are legacy,
 * and Stripe.apiKey = "..." is a global.
 */
public class GoodApi {
  private final StripeClient client = new StripeClient(System.getenv("STRIPE_SECRET_KEY"));
  // Charge.create(params);  ok: charges-api
  private static final String HELP = "Never call Charge.create( or Token.create( here"; // ok: charges-api, tokens-api

  public PaymentIntent pay(long amount) throws Exception {
    PaymentIntentCreateParams params =
        PaymentIntentCreateParams.builder()
            .setAmount(amount)
            .setCurrency("usd")
            .addExcludedPaymentMethodType(PaymentIntentCreateParams.ExcludedPaymentMethodType.AFFIRM) // ok: payment-method-types
            .setAutomaticPaymentMethods(
                PaymentIntentCreateParams.AutomaticPaymentMethods.builder().setEnabled(true).build())
            .build();
    PaymentIntent intent = client.v1().paymentIntents().create(params);
    java.util.List<String> types = intent.getPaymentMethodTypes(); // ok: payment-method-types
    client.v1().charges().list(); // ok: charges-api
    client.v1().plans().list(); // ok: plans-api
    String version = com.stripe.Stripe.API_VERSION; // ok: api-version-pin
    DataSource.create(); // ok: sources-api
    return intent;
  }
}
