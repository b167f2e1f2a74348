"""Ranking quality of `search_stripe_api`: tasks in words → the endpoint that does them.

Run: ``python bench/api_search.py``. Each task is phrased as a developer would ask an agent,
with the operation(s) that do it; a task counts for top-1 when its first hit is one of them,
for top-3 when one is among the first three. The tasks were written before the ranking was
tuned and cover the flows of the typed tools plus the resources agents reach with
`call_stripe_api` (coupons, disputes, tax, portal, test clocks...).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from _common import Row, at_least

from stripe_power import spec
from stripe_power.spec.search import search

TASKS: list[tuple[str, tuple[str, ...]]] = [
    ("create a promotion code customers can type at checkout", ("POST /v1/promotion_codes",)),
    ("make a coupon for 20% off for three months", ("POST /v1/coupons",)),
    ("refund a payment", ("POST /v1/refunds",)),
    ("give the customer their money back for an order", ("POST /v1/refunds",)),
    ("list the refunds of a payment intent", ("GET /v1/refunds",)),
    ("create a checkout session for a one-time payment", ("POST /v1/checkout/sessions",)),
    ("hosted payment page for a subscription", ("POST /v1/checkout/sessions",)),
    ("expire an open checkout session", ("POST /v1/checkout/sessions/{session}/expire",)),
    ("get the line items of a checkout session", ("GET /v1/checkout/sessions/{session}/line_items",)),
    ("create a payment intent", ("POST /v1/payment_intents",)),
    ("capture an authorized payment", ("POST /v1/payment_intents/{intent}/capture",)),
    ("charge a saved card off-session", ("POST /v1/payment_intents",)),
    (
        "increase the authorized amount on a payment",
        ("POST /v1/payment_intents/{intent}/increment_authorization",),
    ),
    ("cancel a payment intent", ("POST /v1/payment_intents/{intent}/cancel",)),
    ("save a card for later without charging", ("POST /v1/setup_intents",)),
    ("attach a payment method to a customer", ("POST /v1/payment_methods/{payment_method}/attach",)),
    (
        "list a customer's saved payment methods",
        ("GET /v1/customers/{customer}/payment_methods", "GET /v1/payment_methods"),
    ),
    ("detach a payment method", ("POST /v1/payment_methods/{payment_method}/detach",)),
    ("create a customer", ("POST /v1/customers",)),
    ("find customers by email", ("GET /v1/customers/search", "GET /v1/customers")),
    ("delete a customer", ("DELETE /v1/customers/{customer}",)),
    ("add credit to a customer's balance", ("POST /v1/customers/{customer}/balance_transactions",)),
    ("add a VAT number to a customer", ("POST /v1/customers/{customer}/tax_ids",)),
    ("create a product", ("POST /v1/products",)),
    ("create a monthly recurring price", ("POST /v1/prices",)),
    ("archive a price", ("POST /v1/prices/{price}",)),
    ("start a subscription for a customer", ("POST /v1/subscriptions",)),
    ("cancel a subscription", ("DELETE /v1/subscriptions/{subscription_exposed_id}",)),
    (
        "upgrade a subscription to another price",
        ("POST /v1/subscriptions/{subscription_exposed_id}", "POST /v1/subscription_items/{item}"),
    ),
    ("resume a paused subscription", ("POST /v1/subscriptions/{subscription}/resume",)),
    ("change the quantity of seats on a subscription item", ("POST /v1/subscription_items/{item}",)),
    ("schedule a subscription change for next year", ("POST /v1/subscription_schedules",)),
    ("preview the upcoming invoice with proration", ("POST /v1/invoices/create_preview",)),
    ("create an invoice", ("POST /v1/invoices",)),
    (
        "add a line item to a draft invoice",
        ("POST /v1/invoiceitems", "POST /v1/invoices/{invoice}/add_lines"),
    ),
    ("finalize a draft invoice", ("POST /v1/invoices/{invoice}/finalize",)),
    ("pay an invoice", ("POST /v1/invoices/{invoice}/pay",)),
    ("send an invoice to the customer by email", ("POST /v1/invoices/{invoice}/send",)),
    ("void an invoice", ("POST /v1/invoices/{invoice}/void",)),
    ("mark an invoice as uncollectible", ("POST /v1/invoices/{invoice}/mark_uncollectible",)),
    ("issue a credit note for an invoice", ("POST /v1/credit_notes",)),
    ("create a customer portal session so they can manage billing", ("POST /v1/billing_portal/sessions",)),
    ("create a payment link", ("POST /v1/payment_links",)),
    ("respond to a chargeback with evidence", ("POST /v1/disputes/{dispute}",)),
    ("list disputes", ("GET /v1/disputes",)),
    ("create a tax rate for 8.25% sales tax", ("POST /v1/tax_rates",)),
    ("create a shipping rate", ("POST /v1/shipping_rates",)),
    (
        "see the fees Stripe took on a payment",
        ("GET /v1/balance_transactions/{id}", "GET /v1/balance_transactions"),
    ),
    ("retrieve the account balance", ("GET /v1/balance",)),
    ("pay out funds to the bank account", ("POST /v1/payouts",)),
    ("send money to a connected account", ("POST /v1/transfers",)),
    ("register a webhook endpoint", ("POST /v1/webhook_endpoints",)),
    ("list recent events", ("GET /v1/events",)),
    (
        "simulate time passing for subscriptions",
        ("POST /v1/test_helpers/test_clocks", "POST /v1/test_helpers/test_clocks/{test_clock}/advance"),
    ),
    ("advance a test clock", ("POST /v1/test_helpers/test_clocks/{test_clock}/advance",)),
    ("create a customer session for the payment element", ("POST /v1/customer_sessions",)),
]


def rank(tasks: Sequence[tuple[str, tuple[str, ...]]]) -> tuple[float, float, list[str]]:
    unknown = [k for _, expected in tasks for k in expected if spec.operation(*k.split(" ", 1)) is None]
    assert not unknown, f"expected operations missing from the spec: {unknown}"
    top1 = top3 = 0
    misses = []
    for query, expected in tasks:
        keys = [hit.operation.key for hit in search(query, 3)]
        top1 += bool(keys and keys[0] in expected)
        top3 += any(k in expected for k in keys)
        if not keys or keys[0] not in expected:
            misses.append(f"  {query!r}: expected {expected[0]}, got {keys}")
    return top1 / len(tasks), top3 / len(tasks), misses


def main(argv: Sequence[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--misses", action="store_true", help="print the tasks whose first hit is wrong")
    args = parser.parse_args(argv)
    top1, top3, misses = rank(TASKS)
    print(f"{len(TASKS)} tasks: top-1 {top1:.0%}, top-3 {top3:.0%}")
    if args.misses:
        print("\n".join(misses))
    return [
        at_least("api search: top-1", top1, 0.8, fmt=".0%"),
        at_least("api search: top-3", top3, 0.95, fmt=".0%"),
    ]


if __name__ == "__main__":
    main()
