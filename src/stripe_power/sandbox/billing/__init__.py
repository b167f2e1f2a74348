"""Billing: the catalog (products, prices, coupons and promotion codes), subscriptions and their
schedules, the billing cycle, invoices and invoice items, credit notes, billing credits and
the customer's credit balance."""
