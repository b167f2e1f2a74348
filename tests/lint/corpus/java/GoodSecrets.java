package com.example;

public class GoodSecrets {
  static final String KEY = System.getenv("STRIPE_SECRET_KEY");
  static final String DOC = "Keys start with sk_live_ or rk_live_"; // ok: secret-key-in-source
  static final String EXAMPLE = "sk_test_xxxxxxxxxxxxxxxxxxxx"; // ok: secret-key-in-source
}
