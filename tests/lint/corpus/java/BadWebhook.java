package com.example.webhooks;

import com.stripe.model.Event;
import com.stripe.net.ApiResource;
import spark.Spark;

public class BadWebhook {
  public static void main(String[] args) {
    Spark.post("/webhook", (request, response) -> {
      Event event = ApiResource.GSON.fromJson(request.body(), Event.class); // expect: webhook-signature-unverified
      if ("payment_intent.succeeded".equals(event.getType())) {
        fulfill(event);
      }
      return "";
    });
  }
}
