package com.example;

public class BadSecrets {
  static final String KEY = "sk_live_51Df6Gh8Jk0Lz2Xc4"; // expect: secret-key-in-source
  static final String TEST_KEY = "sk_test_51Df6Gh8Jk0Lz2Xc4Vb"; // expect: secret-key-in-source
  static final String HOOK = "whsec_Jv7Kd2Your9Qz4Lp"; // expect: secret-key-in-source

  static {
    com.stripe.Stripe.apiKey = "sk_live_51Jv4Qz8Example2K"; // expect: secret-key-in-source, global-api-key
  }
}
