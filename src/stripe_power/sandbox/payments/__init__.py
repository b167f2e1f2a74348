"""Payments: PaymentIntents, SetupIntents, PaymentMethods and test cards, charges, refunds,
disputes, the balance and its transactions, and customers."""
