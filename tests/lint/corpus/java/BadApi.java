package com.example.payments;

import com.stripe.Stripe;
import com.stripe.StripeClient;
import com.stripe.model.Charge;
import com.stripe.model.Plan;
import com.stripe.model.Source;
import com.stripe.model.Token;
import com.stripe.net.RequestOptions;
import com.stripe.param.PaymentIntentCreateParams;
import java.util.HashMap;
import java.util.Map;

public class BadApi {
  static {
    Stripe.apiKey = System.getenv("STRIPE_SECRET_KEY"); // expect: global-api-key
    Stripe.apiVersion = "2020-08-27"; // expect: api-version-pin
  }

  public Charge pay(long amount, String token) throws Exception {
    Map<String, Object> params = new HashMap<>();
    params.put("amount", amount);
    params.put("source", token);
    Charge charge = Charge.create(params); // expect: charges-api
    charge.capture(); // expect: charges-api
    return charge;
  }

  public void withClient(StripeClient client) throws Exception {
    client.charges().create(null); // expect: charges-api
    client.v1().charges().capture("ch_123"); // expect: charges-api
    client.v1().tokens().create(null); // expect: tokens-api
    client.v1().plans().create(null); // expect: plans-api
  }

  public void legacy() throws Exception {
    Source.create(new HashMap<>()); // expect: sources-api
    Token.create(new HashMap<>()); // expect: tokens-api
    Plan.create(new HashMap<>()); // expect: plans-api
  }

  public void intent(StripeClient client) throws Exception {
    PaymentIntentCreateParams params =
        PaymentIntentCreateParams.builder()
            .setAmount(1000L)
            .setCurrency("usd")
            .addPaymentMethodType("card") // expect: payment-method-types
            .build();
    RequestOptions options = RequestOptions.builder().setStripeVersionOverride("2022-11-15").build(); // expect: api-version-pin
    Map<String, Object> raw = new HashMap<>();
    raw.put("payment_method_types", java.util.List.of("card")); // expect: payment-method-types
    client.v1().paymentIntents().create(params, options);
  }
}
