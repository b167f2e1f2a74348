"""The guardrail table: rules as data, checked by the Gateway before anything is sent.

Each rule has an id (shared with the code linter), what it refuses, why, what to use
instead and a docs link, and the matchers that say which requests it refuses, in wire
terms (method, path, parameters). Key rules are checked once, when the configuration is
loaded; the spending-limit rule by the money tools.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from .errors import GuardrailRefusal

# endpoint: the path itself is refused. param: any of `params` (dotted = nested) is present.
# card-number: a value looks like a PAN. charge-type: Connect charge types are mixed.
Check = Literal["endpoint", "param", "card-number", "charge-type"]


@dataclass(frozen=True)
class Match:
    check: Check
    methods: frozenset[str] = frozenset()  # empty: any method
    paths: tuple[str, ...] = ()  # regexes on the path, case-insensitive; empty: any path
    params: tuple[str, ...] = ()  # parameter names; `a.b` looks inside the object `a`


POST = frozenset({"POST"})


@dataclass(frozen=True)
class Rule:
    id: str
    refuses: str
    why: str
    instead: str
    doc_url: str
    matches: tuple[Match, ...] = ()  # none: not a request rule (keys, limits)

    def message(self, detail: str = "") -> str:
        found = f" ({detail})" if detail else ""
        return (
            f"Refused by guardrail `{self.id}`{found}: {self.refuses}. Why: {self.why} "
            f"Use instead: {self.instead} Docs: {self.doc_url} Nothing was sent to Stripe."
        )

    def refusal(self, detail: str = "") -> GuardrailRefusal:
        return GuardrailRefusal(self.id, self.message(detail))

    def fitted(self, known: Callable[[str], bool]) -> Rule:
        """This rule with its advice fitted to where it fired: a `;` clause of `instead` that names
        (in backticks) something `known` rejects is dropped, so the advice never names a parameter
        the tool or endpoint lacks. The first clause always stays."""
        first, *more = self.instead.rstrip(".").split("; ")
        kept = [c for c in more if all(known(name) for name in re.findall(r"`([^`]+)`", c))]
        return replace(self, instead="; ".join([first, *kept]) + ".")


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
        matches=(Match("endpoint", POST, (r"/v1/charges", r"/v1/charges/[^/]+/capture")),),
    ),
    Rule(
        id="sources-api",
        refuses="the Sources API and legacy card objects (/v1/sources, customer sources, cards and "
        "bank_accounts, `source=` or `card=` on customers)",
        why="Sources and legacy cards are deprecated and skip authentication.",
        instead="SetupIntents to save PaymentMethods (create_setup_intent), then PaymentIntents.",
        doc_url="https://docs.stripe.com/payments/payment-methods/transitioning",
        matches=(
            Match(
                "endpoint",
                paths=(r"/v1/sources(/.*)?", r"/v1/customers/[^/]+/(sources|cards|bank_accounts)(/.*)?"),
            ),
            Match("param", POST, (r"/v1/customers(/[^/]+)?",), ("source", "card")),
        ),
    ),
    Rule(
        id="tokens-api",
        refuses="creating Tokens (POST /v1/tokens)",
        why="raw card tokenization puts card data through your server and skips authentication.",
        instead="the Payment Element with ConfirmationTokens on the client, or SetupIntents to save a method.",
        doc_url="https://docs.stripe.com/payments/finalize-payments-on-the-server",
        matches=(Match("endpoint", POST, (r"/v1/tokens",)),),
    ),
    Rule(
        id="payment-method-types",
        refuses="a hardcoded `payment_method_types` list",
        why="it turns off dynamic payment methods (managed in the Dashboard) and is no longer writable "
        "in Stripe's current API version.",
        instead="omit it to get dynamic payment methods; to exclude one, pass "
        "`excluded_payment_method_types`.",
        doc_url="https://docs.stripe.com/payments/payment-methods/dynamic-payment-methods",
        matches=(
            Match("param", POST, _PMT_PATHS, ("payment_method_types",)),
            Match(
                "param",
                POST,
                (r"/v1/subscriptions(/[^/]+)?", r"/v1/invoices(/[^/]+)?"),
                ("payment_settings.payment_method_types",),
            ),
        ),
    ),
    Rule(
        id="api-version-pin",
        refuses="a caller-supplied Stripe-Version",
        why="mixing API versions in one integration gives objects shaped differently from what the "
        "SDK and these tools expect.",
        instead="the SDK's pinned API version (omit the override); upgrade versions in the Dashboard "
        "deliberately.",
        doc_url="https://docs.stripe.com/upgrades",
        matches=(Match("param", params=("stripe_version", "stripe-version")),),
    ),
    Rule(
        id="live-key",
        refuses="a live secret or restricted key (sk_live_/rk_live_) without explicit opt-in",
        why="live keys move real money; an agent should not hold one by default.",
        instead="a test-mode key (sk_test_/rk_test_), or start with --allow-live "
        "(STRIPE_POWER_ALLOW_LIVE=1) and a restricted key.",
        doc_url="https://docs.stripe.com/keys",
    ),
    Rule(
        id="publishable-key",
        refuses="a publishable key (pk_) used server-side",
        why="publishable keys only work in the browser and cannot create or read most objects.",
        instead="a secret key or, better, a restricted key (rk_test_...) with only the permissions needed.",
        doc_url="https://docs.stripe.com/keys#obtain-api-keys",
    ),
    Rule(
        id="raw-card-data",
        refuses="card numbers (PAN) in request parameters",
        why="handling raw card data puts the server in PCI scope and Stripe blocks it for most accounts.",
        instead="test PaymentMethod ids (pm_card_visa, pm_card_chargeDeclined, ...), or collect cards with "
        "Checkout or the Payment Element.",
        doc_url="https://docs.stripe.com/testing#cards",
        matches=(Match("card-number"),),
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
        matches=(
            Match(
                "charge-type",
                POST,
                (r"/v1/payment_intents(/[^/]+)?", r"/v1/checkout/sessions", r"/v1/payment_links(/[^/]+)?"),
            ),
        ),
    ),
    Rule(
        id="spending-limit",
        refuses="an amount over the configured per-call or daily refund limit",
        why="the operator capped what an agent may move in one call or refund in one day.",
        instead="a smaller amount, or ask the operator to raise --max-amount / --max-daily-refunds "
        "(STRIPE_POWER_MAX_AMOUNT / STRIPE_POWER_MAX_DAILY_REFUNDS).",
        doc_url="https://docs.stripe.com/api/idempotent_requests",
    ),
    Rule(
        id="plans-api",
        refuses="creating Plans (POST /v1/plans)",
        why="Plans are the legacy pricing model.",
        instead="Prices: create_price with recurring={interval: month}.",
        doc_url="https://docs.stripe.com/products-prices/pricing-models",
        matches=(Match("endpoint", POST, (r"/v1/plans",)),),
    ),
)

RULES_BY_ID: dict[str, Rule] = {rule_.id: rule_ for rule_ in RULES}


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


def _is_card_number(candidate: str) -> bool:
    digits = re.sub(r"[ -]", "", candidate)
    return 13 <= len(digits) <= 19 and _luhn_ok(digits)


def find_card_number(text: str) -> str | None:
    """A 13-19 digit run (spaces or dashes allowed) that passes the Luhn check, else None."""
    for match in _CARD_CANDIDATE.finditer(text):
        if _is_card_number(match.group()):
            return re.sub(r"[ -]", "", match.group())
    return None


def redact_card_numbers(text: str) -> str:
    """Every card number in `text`, however it is spaced, replaced by a marker."""
    return _CARD_CANDIDATE.sub(
        lambda m: "[card number redacted]" if _is_card_number(m.group()) else m.group(), text
    )


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


def _path_matches(match: Match, path: str) -> bool:
    return not match.paths or any(re.fullmatch(pattern, path, re.IGNORECASE) for pattern in match.paths)


def _present(params: Mapping[str, Any], dotted: str) -> bool:
    """`a.b`: params has an object `a` with a key `b`; names compare case-insensitively."""
    head, _, rest = dotted.partition(".")
    value = next((v for k, v in params.items() if str(k).lower() == head), None)
    if not rest:
        return any(str(k).lower() == head for k in params)
    return isinstance(value, Mapping) and _present(value, rest)


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


def _breaks(
    match: Match, method: str, path: str, params: Mapping[str, Any], account: str | None
) -> str | None:
    """What in the request `match` refuses, or None."""
    if (match.methods and method not in match.methods) or not _path_matches(match, path):
        return None
    if match.check == "endpoint":
        return f"{method} {path}"
    if match.check == "param":
        hit = next((name for name in match.params if _present(params, name)), None)
        return f"`{hit}` on {method} {path}" if hit else None
    if match.check == "charge-type":
        return _mixed_charge_type(params, account)
    if any(find_card_number(text) for text in _strings(params)):
        return "a value in the parameters looks like a card number"
    return None


def violation(
    method: str, path: str, params: Mapping[str, Any], stripe_account: str | None = None
) -> GuardrailRefusal | None:
    """The first rule this request breaks, as a refusal ready to raise; None if it may go."""
    method = method.upper()
    for rule_ in RULES:
        for match in rule_.matches:
            if (detail := _breaks(match, method, path, params, stripe_account)) is not None:
                return rule_.fitted(lambda name: _endpoint_has(method, path, name)).refusal(detail)
    return None


def _endpoint_has(method: str, path: str, name: str) -> bool:
    """Whether Stripe's endpoint takes `name` (dotted for nested): advice names only what it takes."""
    from . import spec  # loads the index on first use; only refusals need it

    op = spec.resolve(method, path)
    return op is not None and bool(spec.lookup(op, name))
