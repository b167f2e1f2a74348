package com.example.webhooks;

import com.stripe.model.Event;
import com.stripe.net.ApiResource;
import com.stripe.net.Webhook;
import spark.Spark;

public class GoodWebhook {
  public static void main(String[] args) {
    Spark.post("/webhook", (request, response) -> {
      Event event = Webhook.constructEvent(request.body(), request.headers("Stripe-Signature"), System.getenv("WH"));
      Cart cart = ApiResource.GSON.fromJson(event.getDataObjectDeserializer().getRawJson(), Cart.class); // ok: webhook-signature-unverified
      if ("checkout.session.completed".equals(event.getType())) {
        fulfill(cart);
      }
      return "";
    });
  }
}
