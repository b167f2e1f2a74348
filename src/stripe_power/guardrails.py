"""The guardrail table: rules as data, checked by the Gateway before anything is sent.

Each rule has an id (shared with the code linter), what it refuses, why, what to use
instead and a docs link. Request rules match on wire terms (method, path, params,
headers); key rules are checked once, when the configuration is loaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .errors import GuardrailRefusal

Check = Literal["endpoint", "param", "header", "card-number", "key", "charge-type", "limit"]


@dataclass(frozen=True)
class Rule:
    id: str
    refuses: str
    why: str
    instead: str
    doc_url: str
    check: Check
    methods: frozenset[str] = frozenset()  # empty: any method
    paths: tuple[str, ...] = ()  # regexes on the path; empty: any path
    params: tuple[str, ...] = ()  # top-level parameter names that trigger the rule

    def message(self, detail: str = "") -> str:
        found = f" ({detail})" if detail else ""
        return (
            f"Refused by guardrail `{self.id}`{found}: {self.refuses}. Why: {self.why} "
            f"Use instead: {self.instead} Docs: {self.doc_url} Nothing was sent to Stripe."
        )

    def refusal(self, detail: str = "") -> GuardrailRefusal:
        return GuardrailRefusal(self.id, self.message(detail))


_PMT_PATHS = (
    r"/v1/payment_intents(/[^/]+)?",
    r"/v1/setup_intents(/[^/]+)?",
    r"/v1/checkout/sessions",
    r"/v1/payment_links(/[^/]+)?",
)

RULES: tuple[Rule, ...] = (
    Rule(
        id="charges-api",
        refuses="creating or capturing Charges directly (POST /v1/charges, /v1/charges/{id}/capture)",
        why="the Charges API cannot handle authentication (3D Secure), dynamic payment methods or "
        "most local payment methods.",
        instead="a Checkout Session (create_checkout_session) or a PaymentIntent (create_payment_intent).",
        doc_url="https://docs.stripe.com/payments/payment-intents/migration/charges",
        check="endpoint",
        methods=frozenset({"POST"}),
        paths=(r"/v1/charges", r"/v1/charges/[^/]+/capture"),
    ),
    Rule(
        id="sources-api",
        refuses="the Sources API (/v1/sources, customer sources, `source=` on customers)",
        why="Sources are deprecated and no longer support cards.",
        instead="SetupIntents to save PaymentMethods (create_setup_intent), then PaymentIntents.",
        doc_url="https://docs.stripe.com/payments/payment-methods/transitioning",
        check="endpoint",
        paths=(r"/v1/sources(/.*)?", r"/v1/customers/[^/]+/sources(/.*)?"),
    ),
    Rule(
        id="sources-api",
        refuses="the Sources API (/v1/sources, customer sources, `source=` on customers)",
        why="Sources are deprecated and no longer support cards.",
        instead="SetupIntents to save PaymentMethods (create_setup_intent), then PaymentIntents.",
        doc_url="https://docs.stripe.com/payments/payment-methods/transitioning",
        check="param",
        methods=frozenset({"POST"}),
        paths=(r"/v1/customers(/[^/]+)?",),
        params=("source",),
    ),
    Rule(
        id="tokens-api",
        refuses="creating Tokens (POST /v1/tokens)",
        why="raw card tokenization puts card data through your server and skips authentication.",
        instead="the Payment Element with ConfirmationTokens on the client, or SetupIntents to save a method.",
        doc_url="https://docs.stripe.com/payments/finalize-payments-on-the-server",
        check="endpoint",
        methods=frozenset({"POST"}),
        paths=(r"/v1/tokens",),
    ),
    Rule(
        id="payment-method-types",
        refuses="a hardcoded `payment_method_types` list",
        why="it turns off dynamic payment methods (managed in the Dashboard) and is no longer writable "
        "in Stripe's current API version.",
        instead="omit it to get dynamic payment methods; to exclude one, pass "
        "`excluded_payment_method_types`.",
        doc_url="https://docs.stripe.com/payments/payment-methods/dynamic-payment-methods",
        check="param",
        methods=frozenset({"POST"}),
        paths=_PMT_PATHS,
        params=("payment_method_types",),
    ),
    Rule(
        id="api-version-pin",
        refuses="a caller-supplied Stripe-Version",
        why="mixing API versions in one integration gives objects shaped differently from what the "
        "SDK and these tools expect.",
        instead="the SDK's pinned API version (omit the override); upgrade versions in the Dashboard "
        "deliberately.",
        doc_url="https://docs.stripe.com/upgrades",
        check="header",
        params=("stripe_version", "Stripe-Version"),
    ),
    Rule(
        id="live-key",
        refuses="a live secret or restricted key (sk_live_/rk_live_) without explicit opt-in",
        why="live keys move real money; an agent should not hold one by default.",
        instead="a test-mode key (sk_test_/rk_test_), or start with --allow-live "
        "(STRIPE_POWER_ALLOW_LIVE=1) and a restricted key.",
        doc_url="https://docs.stripe.com/keys",
        check="key",
    ),
    Rule(
        id="publishable-key",
        refuses="a publishable key (pk_) used server-side",
        why="publishable keys only work in the browser and cannot create or read most objects.",
        instead="a secret key or, better, a restricted key (rk_test_...) with only the permissions needed.",
        doc_url="https://docs.stripe.com/keys#obtain-api-keys",
        check="key",
    ),
    Rule(
        id="raw-card-data",
        refuses="card numbers (PAN) in request parameters",
        why="handling raw card data puts the server in PCI scope and Stripe blocks it for most accounts.",
        instead="test PaymentMethod ids (pm_card_visa, pm_card_chargeDeclined, ...), or collect cards with "
        "Checkout or the Payment Element.",
        doc_url="https://docs.stripe.com/testing#cards",
        check="card-number",
    ),
    Rule(
        id="connect-charge-type",
        refuses="mixing Connect charge types in one call (on_behalf_of for one account with "
        "transfer_data[destination] to another, or transfer_data on a direct charge made with "
        "Stripe-Account)",
        why="a direct charge is created on the connected account (Stripe-Account header); a destination "
        "charge is created on the platform and transfers to `transfer_data[destination]`, with "
        "`on_behalf_of` naming that same account as the settlement merchant. Mixed, the funds flow "
        "and who pays fees are ambiguous.",
        instead="pick one: direct charge (stripe_account=acct_..., no transfer_data) or destination charge "
        "(transfer_data[destination]=acct_..., optionally on_behalf_of the same acct_...).",
        doc_url="https://docs.stripe.com/connect/charges",
        check="charge-type",
        methods=frozenset({"POST"}),
        paths=(r"/v1/payment_intents(/[^/]+)?", r"/v1/checkout/sessions", r"/v1/payment_links(/[^/]+)?"),
    ),
    Rule(
        id="spending-limit",
        refuses="an amount over the configured per-call or daily refund limit",
        why="the operator capped what an agent may move in one call or refund in one day.",
        instead="a smaller amount, or ask the operator to raise --max-amount / --max-daily-refunds "
        "(STRIPE_POWER_MAX_AMOUNT / STRIPE_POWER_MAX_DAILY_REFUNDS).",
        doc_url="https://docs.stripe.com/api/idempotent_requests",
        check="limit",
    ),
    Rule(
        id="plans-api",
        refuses="creating Plans (POST /v1/plans)",
        why="Plans are the legacy pricing model.",
        instead="Prices (create_price with `recurring`).",
        doc_url="https://docs.stripe.com/products-prices/pricing-models",
        check="endpoint",
        methods=frozenset({"POST"}),
        paths=(r"/v1/plans",),
    ),
)

RULES_BY_ID: dict[str, Rule] = {}
for _rule in RULES:
    RULES_BY_ID.setdefault(_rule.id, _rule)


def rule(rule_id: str) -> Rule:
    return RULES_BY_ID[rule_id]


_CARD_CANDIDATE = re.compile(r"(?<![0-9A-Za-z_])(?:\d[ -]?){12,18}\d(?![0-9A-Za-z_])")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def find_card_number(text: str) -> str | None:
    """A 13-19 digit run (spaces or dashes allowed) that passes the Luhn check, else None."""
    for match in _CARD_CANDIDATE.finditer(text):
        digits = re.sub(r"[ -]", "", match.group())
        if 13 <= len(digits) <= 19 and _luhn_ok(digits):
            return digits
    return None


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, int) and not isinstance(value, bool):
        yield str(value)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def _path_matches(rule_: Rule, path: str) -> bool:
    return not rule_.paths or any(re.fullmatch(pattern, path) for pattern in rule_.paths)


def _mixed_charge_type(params: Mapping[str, Any], stripe_account: str | None) -> str | None:
    nested = params.get("payment_intent_data")  # Checkout Sessions and Payment Links nest them
    holder: Mapping[str, Any] = nested if isinstance(nested, Mapping) else params
    transfer = holder.get("transfer_data")
    destination = transfer.get("destination") if isinstance(transfer, Mapping) else None
    on_behalf_of = holder.get("on_behalf_of")
    if destination and stripe_account:
        return f"transfer_data[destination]={destination} on a direct charge for {stripe_account}"
    if destination and on_behalf_of and on_behalf_of != destination:
        return f"on_behalf_of={on_behalf_of} with transfer_data[destination]={destination}"
    return None


def violation(
    method: str,
    path: str,
    params: Mapping[str, Any],
    headers: Mapping[str, str] | None = None,
    stripe_account: str | None = None,
) -> GuardrailRefusal | None:
    """The first rule this request breaks, as a refusal ready to raise; None if it may go."""
    method = method.upper()
    for rule_ in RULES:
        if rule_.methods and method not in rule_.methods:
            continue
        if rule_.check == "endpoint" and _path_matches(rule_, path):
            return rule_.refusal(f"{method} {path}")
        if rule_.check == "param" and _path_matches(rule_, path):
            hit = next((name for name in rule_.params if name in params), None)
            if hit:
                return rule_.refusal(f"`{hit}` on {method} {path}")
        if rule_.check == "header":
            names = {name.lower() for name in rule_.params}
            if any(key.lower() in names for key in (*(headers or {}), *params)):
                return rule_.refusal("Stripe-Version override")
        mixed = _mixed_charge_type(params, stripe_account) if rule_.check == "charge-type" else None
        if mixed and _path_matches(rule_, path):
            return rule_.refusal(mixed)
        if rule_.check == "card-number":
            for text in _strings(params):
                if find_card_number(text):
                    return rule_.refusal("a value in the parameters looks like a card number")
    return None
