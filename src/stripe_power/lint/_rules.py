"""The linter's rule table, as data.

Rule ids are shared with :mod:`stripe_power.guardrails` wherever the mistake is the same one
the server refuses at runtime; linter-only rules have their own ids.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

Severity = Literal["error", "warning", "advice"]


class LintRule(NamedTuple):
    severity: Severity
    title: str
    why: str
    fix: str
    doc_url: str


LINT_RULES: dict[str, LintRule] = {
    "charges-api": LintRule(
        "error",
        "Charges API call (create/capture)",
        "The Charges API cannot handle authentication (3D Secure), dynamic payment methods or most "
        "local payment methods.",
        "Use a Checkout Session or a PaymentIntent (capture with PaymentIntents' capture).",
        "https://docs.stripe.com/payments/payment-intents/migration/charges",
    ),
    "sources-api": LintRule(
        "error",
        "Sources API call",
        "Sources are deprecated and no longer support cards.",
        "Save payment details with a SetupIntent and PaymentMethods, then charge with PaymentIntents.",
        "https://docs.stripe.com/payments/payment-methods/transitioning",
    ),
    "tokens-api": LintRule(
        "error",
        "Tokens API / createToken",
        "Raw card tokenization skips authentication and is a legacy integration path.",
        "Collect payment details with the Payment Element and ConfirmationTokens, or save them with "
        "a SetupIntent.",
        "https://docs.stripe.com/payments/finalize-payments-on-the-server",
    ),
    "payment-method-types": LintRule(
        "warning",
        "hardcoded payment_method_types",
        "A hardcoded list turns off dynamic payment methods (managed in the Dashboard) and is no "
        "longer writable in Stripe's current API version.",
        "Omit payment_method_types to get dynamic payment methods; to exclude one, pass "
        "excluded_payment_method_types.",
        "https://docs.stripe.com/payments/payment-methods/dynamic-payment-methods",
    ),
    "api-version-pin": LintRule(
        "warning",
        "API version pinned in code",
        "Overriding the API version makes objects differ in shape from what the SDK's types expect.",
        "Remove the override and use the SDK's pinned version; upgrade deliberately with the SDK.",
        "https://docs.stripe.com/upgrades",
    ),
    "plans-api": LintRule(
        "warning",
        "Plans API (create)",
        "Plans are the legacy pricing model.",
        "Create Prices (with `recurring` for subscriptions) instead of Plans.",
        "https://docs.stripe.com/products-prices/pricing-models",
    ),
    "card-element": LintRule(
        "warning",
        "Card Element",
        "The Card Element only accepts cards and needs manual work for authentication and wallets.",
        "Use the Payment Element (elements.create('payment') / <PaymentElement />).",
        "https://docs.stripe.com/payments/payment-element/migration",
    ),
    "client-create-payment-method": LintRule(
        "warning",
        "createPaymentMethod on the client",
        "Creating PaymentMethods in the browser and confirming on the server is the legacy "
        "two-step flow; it misses dynamic payment methods and Stripe's risk signals.",
        "Use stripe.createConfirmationToken() and confirm the PaymentIntent on the server.",
        "https://docs.stripe.com/payments/finalize-payments-on-the-server",
    ),
    "secret-key-in-source": LintRule(
        "error",
        "secret key in source code",
        "Secret, restricted and webhook signing keys in source end up in version control, logs and "
        "builds; anyone who reads them can act on the account.",
        "Load the key from the environment or a secret manager, and roll the exposed key in the Dashboard.",
        "https://docs.stripe.com/keys-best-practices",
    ),
    "webhook-signature-unverified": LintRule(
        "error",
        "webhook event parsed without signature verification",
        "Without verifying the Stripe-Signature header anyone can post forged events to the endpoint.",
        "Build the event with the SDK's construct_event/constructEvent from the raw body, the "
        "Stripe-Signature header and the endpoint's signing secret.",
        "https://docs.stripe.com/webhooks#verify-events",
    ),
    "global-api-key": LintRule(
        "advice",
        "global API key configuration",
        "A process-wide global key makes it easy to mix accounts and keys; the SDKs now recommend a "
        "client instance.",
        "Create a client instance (StripeClient / new Stripe(key)) and pass it where it is needed.",
        "https://docs.stripe.com/sdks/server-side",
    ),
}

SHARED_WITH_GUARDRAILS: frozenset[str] = frozenset(
    {"charges-api", "sources-api", "tokens-api", "payment-method-types", "api-version-pin", "plans-api"}
)
