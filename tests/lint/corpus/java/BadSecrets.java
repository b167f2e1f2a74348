package com.example;

public class BadSecrets {
  static final String KEY = "sk_live_51Df6Gh8Jk0Lz2Xc4"; // expect: secret-key-in-source
  static final String TEST_KEY = "sk_test_51Df6Gh8Jk0Lz2Xc4Vb"; // expect: secret-key-in-source
}
