"""Rules for JavaScript/TypeScript, Ruby, PHP, Go and Java (and Python that does not parse).

Patterns run over the masked text from :mod:`._lexer`, so comments and prose strings never match;
short identifier-like strings (``'card'``, ``'payment_method_types'``) stay visible for the rules
that look inside them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ._lexer import LineIndex

JS = frozenset({"javascript"})
RB = frozenset({"ruby"})
PHP = frozenset({"php"})
GO = frozenset({"go"})
JAVA = frozenset({"java"})
PY = frozenset({"python"})
ALL = JS | RB | PHP | GO | JAVA | PY
SERVICE_LANGS = JS | RB | PHP | JAVA | PY  # client.charges.create style


@dataclass(frozen=True, slots=True)
class Pattern:
    rule: str
    langs: frozenset[str]
    regex: re.Pattern[str]
    requires: re.Pattern[str] | None = None  # must also match somewhere in the masked file


def _p(rule: str, langs: frozenset[str], regex: str, requires: str | None = None) -> Pattern:
    return Pattern(rule, langs, re.compile(regex), re.compile(requires) if requires else None)


_SVC = r"\s*(?:\(\s*\))?\s*(?:\.|->)\s*"  # .charges.create / ->charges->create / .charges().create

PATTERNS: tuple[Pattern, ...] = (
    # --- charges-api -------------------------------------------------------------------------
    _p("charges-api", SERVICE_LANGS, r"(?<![\w$])charges" + _SVC + r"(?:create|capture)(?:Async|_async)?\b"),
    _p("charges-api", RB, r"\bStripe::Charge\s*\.\s*(?:create|capture)\b"),
    _p("charges-api", PHP, r"\\?\bStripe\\Charge::(?:create|capture)\s*\("),
    _p("charges-api", PHP, r"(?<![\\\w])Charge::(?:create|capture)\s*\(", r"\bStripe\\Charge\b"),
    _p("charges-api", JAVA, r"(?<![\w.])(?:com\.stripe\.model\.)?Charge\s*\.\s*create\s*\("),
    _p("charges-api", JAVA, r"(?<![\w.])\w*[cC]harge\s*\.\s*capture\s*\(", r"\bcom\.stripe\b|\bCharge\b"),
    _p("charges-api", GO, r"\bcharge\.(?:New|Capture)\s*\("),
    _p("charges-api", GO, r"\.(?:V1)?Charges\.(?:New|Create|Capture)\s*\("),
    _p("charges-api", PY, r"\bstripe\.Charge\.(?:create|capture)\b"),
    # --- sources-api -------------------------------------------------------------------------
    _p(
        "sources-api",
        SERVICE_LANGS,
        r"(?<![\w$])sources" + _SVC + r"(?:create|retrieve|update|verify|detach)\b",
    ),
    _p("sources-api", JS | PHP | JAVA, r"\bcreateSource\s*\("),
    _p("sources-api", RB | PY, r"\bcreate_source\b"),
    _p("sources-api", RB, r"\bStripe::Source\s*\.\s*\w+"),
    _p("sources-api", PHP, r"\\?\bStripe\\Source::\w+\s*\("),
    _p("sources-api", JAVA, r"(?<![\w.])Source\s*\.\s*(?:create|retrieve)\s*\("),
    _p("sources-api", JAVA, r"\.getSources\s*\(\s*\)\s*\.\s*create\s*\("),
    _p("sources-api", GO, r"\b(?:source|paymentsource)\.(?:New|Get|Update)\s*\("),
    _p("sources-api", GO, r"\.(?:V1)?(?:Sources|PaymentSources)\.(?:New|Create|Get|Retrieve|Update)\s*\("),
    _p("sources-api", PY, r"\bstripe\.Source\.\w+"),
    # --- tokens-api --------------------------------------------------------------------------
    _p("tokens-api", SERVICE_LANGS, r"(?<![\w$])tokens" + _SVC + r"create\b"),
    _p("tokens-api", JS, r"\.createToken\s*\("),
    _p("tokens-api", RB, r"\bStripe::Token\s*\.\s*create\b"),
    _p("tokens-api", PHP, r"\\?\bStripe\\Token::create\s*\("),
    _p("tokens-api", JAVA, r"(?<![\w.])Token\s*\.\s*create\s*\("),
    _p("tokens-api", GO, r"\btoken\.New\s*\("),
    _p("tokens-api", GO, r"\.(?:V1)?Tokens\.(?:New|Create)\s*\("),
    _p("tokens-api", PY, r"\bstripe\.Token\.create\b"),
    # --- plans-api ---------------------------------------------------------------------------
    _p("plans-api", SERVICE_LANGS, r"(?<![\w$])plans" + _SVC + r"create\b"),
    _p("plans-api", RB, r"\bStripe::Plan\s*\.\s*create\b"),
    _p("plans-api", PHP, r"\\?\bStripe\\Plan::create\s*\("),
    _p("plans-api", JAVA, r"(?<![\w.])Plan\s*\.\s*create\s*\("),
    _p("plans-api", GO, r"\bplan\.New\s*\("),
    _p("plans-api", GO, r"\.(?:V1)?Plans\.(?:New|Create)\s*\("),
    _p("plans-api", PY, r"\bstripe\.Plan\.create\b"),
    # --- payment-method-types ----------------------------------------------------------------
    _p(
        "payment-method-types",
        JS,
        r"(?<![\w.$])(['\"]?)payment_method_types(?:\[\d*\])?\1\s*\??:(?!:)"
        r"(?!\s*(?:string\b|Array\s*<|readonly\b|Stripe\.|\w+\[\]))",
    ),
    _p("payment-method-types", JS | PHP, r"(?:\.|->)payment_method_types\s*=(?![=>])"),
    _p("payment-method-types", JS | RB | PHP | PY, r"\[\s*(['\"])payment_method_types\1\s*\]\s*=(?![=>])"),
    _p("payment-method-types", RB, r"(?<![\w.:])payment_method_types:\s"),
    _p("payment-method-types", RB, r":payment_method_types\s*=>"),
    _p("payment-method-types", RB | PHP, r"(['\"])payment_method_types(?:\[\d*\])?\1\s*=>"),
    _p("payment-method-types", GO, r"\bPaymentMethodTypes\s*:"),
    _p("payment-method-types", GO, r"\.PaymentMethodTypes\s*=(?!=)"),
    _p(
        "payment-method-types",
        JAVA,
        r"\.(?:addPaymentMethodType|addAllPaymentMethodType|setPaymentMethodTypes)\s*\(",
    ),
    _p(
        "payment-method-types",
        JAVA | GO,
        r"\b(?:put|AddExtra)\s*\(\s*\"payment_method_types(?:\[\d*\])?\"\s*,",
    ),
    _p("payment-method-types", PY, r"(?<![\w.])payment_method_types\s*=(?!=)"),
    _p("payment-method-types", PY, r"(['\"])payment_method_types\1\s*:"),
    # --- api-version-pin ---------------------------------------------------------------------
    _p("api-version-pin", JS, r"(?<![\w.$])(['\"]?)apiVersion\1\s*:(?!\s*(?:string\b|Stripe\.|\w+\[\]))"),
    _p("api-version-pin", JS | PHP, r"\bsetApiVersion\s*\("),
    _p("api-version-pin", RB | JAVA, r"\bStripe\.(?:api_version|apiVersion)\s*=(?!=)"),
    _p("api-version-pin", RB, r"(?<![\w.:])stripe_version:\s"),
    _p("api-version-pin", RB, r":stripe_version\s*=>"),
    _p("api-version-pin", RB | PHP, r"(['\"])stripe_version\1\s*=>"),
    _p("api-version-pin", JAVA, r"\.setStripeVersion(?:Override)?\s*\("),
    _p("api-version-pin", ALL, r"(?i)(['\"])stripe-version\1\s*(?::|=>|,)"),
    _p("api-version-pin", ALL, r"(?i)\[\s*(['\"])stripe-version\1\s*\]\s*=(?![=>])"),
    _p("api-version-pin", PY, r"\bstripe\.api_version\s*=(?!=)"),
    _p("api-version-pin", PY, r"(?<![\w.])stripe_version\s*=(?!=)"),
    # --- global-api-key ----------------------------------------------------------------------
    _p("global-api-key", RB, r"\bStripe\.api_key\s*=(?!=)"),
    _p("global-api-key", PHP, r"\bStripe::setApiKey\s*\("),
    _p("global-api-key", GO, r"\bstripe\.Key\s*=(?!=)"),
    _p("global-api-key", JAVA, r"\bStripe\.apiKey\s*=(?!=)"),
    _p("global-api-key", PY, r"\bstripe\.api_key\s*=(?!=)"),
    # --- client side (stripe.js) -------------------------------------------------------------
    _p("card-element", JS, r"<\s*(?:CardElement|CardNumberElement|CardExpiryElement|CardCvcElement)\b"),
    _p(
        "card-element",
        JS,
        r"\b\w*[eE]lements\w*\s*(?:\([^()]*\))?\s*\.\s*create\s*\(\s*(['\"`])(?:card|cardNumber|cardExpiry|cardCvc)\1",
    ),
    _p("client-create-payment-method", JS, r"\.createPaymentMethod\s*(?:\?\.)?\s*\("),
)

# Calls whose arguments are checked for `source` (the Sources API through customers).
_CUSTOMER_CALLS: dict[str, re.Pattern[str]] = {
    "javascript": re.compile(r"\bcustomers\s*\.\s*(?:create|update)\s*\("),
    "ruby": re.compile(
        r"(?:\bStripe::Customer\s*\.\s*(?:create|update)|\bcustomers\s*\.\s*(?:create|update))\s*\("
    ),
    "php": re.compile(r"(?:\bStripe\\Customer::(?:create|update)|->customers->(?:create|update))\s*\("),
}
_SOURCE_ARG: dict[str, re.Pattern[str]] = {
    "javascript": re.compile(r"(?<![\w.$])(['\"]?)source\1\s*:"),
    "ruby": re.compile(r"(?<![\w.:])source:\s|:source\s*=>|(['\"])source\1\s*=>"),
    "php": re.compile(r"(['\"])source\1\s*=>"),
}


def _balanced_end(text: str, open_paren: int) -> int:
    depth = 0
    for i in range(open_paren, len(text)):
        c = text[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return i
    return len(text)


def _top_level(text: str, start: int, offset: int) -> bool:
    """True when ``offset`` sits directly in the argument object (depth 2: call paren + one brace)."""
    depth = 0
    for c in text[start:offset]:
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
    return depth <= 2


_CHAIN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$.\\:?")


def expression_start(text: str, offset: int) -> int:
    """Walk back from a match over the receiver chain (``stripe.``, ``$stripe->``, ``\\Stripe\\``)."""
    i = offset
    while i > 0:
        prev = text[i - 1]
        if prev in _CHAIN_CHARS:
            i -= 1
        elif prev == ">" and i > 1 and text[i - 2] == "-":
            i -= 2
        else:
            break
    return i


@dataclass(frozen=True, slots=True)
class Hit:
    rule: str
    offset: int


def pattern_hits(masked: str, language: str) -> Iterator[Hit]:
    for pattern in PATTERNS:
        if language not in pattern.langs:
            continue
        if pattern.requires is not None and not pattern.requires.search(masked):
            continue
        for match in pattern.regex.finditer(masked):
            yield Hit(pattern.rule, expression_start(masked, match.start()))
    call = _CUSTOMER_CALLS.get(language)
    if call is not None:
        arg = _SOURCE_ARG[language]
        for match in call.finditer(masked):
            open_paren = match.end() - 1
            end = _balanced_end(masked, open_paren)
            for sub in arg.finditer(masked, open_paren, end):
                if _top_level(masked, open_paren, sub.start()):
                    yield Hit("sources-api", sub.start())


# --- webhooks ----------------------------------------------------------------------------------

_EVENT_PREFIX = (
    r"account|application_fee|balance|billing_portal|billing|capability|charge|checkout|coupon|"
    r"credit_note|customer|customer_cash_balance_transaction|entitlements|file|financial_connections|"
    r"identity|invoice|invoiceitem|issuing_\w+|mandate|payment_intent|payment_link|payment_method|"
    r"payout|person|plan|price|product|promotion_code|quote|radar|refund|reporting|review|"
    r"setup_intent|sigma|source|subscription_schedule|tax|tax_rate|terminal|test_helpers|topup|"
    r"transfer|treasury"
)
_EVENT_VERB = (
    r"created|updated|deleted|succeeded|failed|payment_failed|payment_succeeded|paid|completed|"
    r"canceled|expired|processing|requires_action|captured|refunded|finalized|voided|upcoming|"
    r"trial_will_end|attached|detached|amount_capturable_updated|partially_funded|"
    r"async_payment_succeeded|async_payment_failed|finalization_failed|marked_uncollectible|sent|"
    r"action_required|pending|reversed|closed|released|applied|overdue|will_be_due|paused|resumed|"
    r"funds_withdrawn|funds_reinstated|available|reported|verified|requires_input|redacted|"
    r"payment_action_required|overdue|chargeable|updated_default"
)
EVENT_NAME_RE = re.compile(rf"(?:{_EVENT_PREFIX})(?:\.[a-z_]+)*\.(?:{_EVENT_VERB})")
EVENT_LITERAL_RE = re.compile(rf"(['\"`]){EVENT_NAME_RE.pattern}\1")
_EVENT_TYPE_ACCESS_RE = re.compile(
    r"(?i)\b\w*event\w*\s*(?:\.|->)\s*(?:type|getType\s*\(\s*\))\b|\b\w*event\w*\s*\[\s*['\"]type['\"]\s*\]"
)
VERIFY_RE = re.compile(
    r"\b(?:construct_event(?:_async)?|constructEvent(?:Async)?|ConstructEvent\w*|verify_header|"
    r"verifyHeader|ValidatePayload\w*|parse_thin_event|parseThinEvent|parse_event_notification|"
    r"parseEventNotification|parseSnapshotEvent)\b|\bevents\s*(?:\.|->)\s*retrieve\b|"
    r"\bEvent\s*(?:\.|::)\s*retrieve\b|\.(?:V1)?Events\.(?:Get|Retrieve)\s*\("
)
_PARSE_RES: dict[str, re.Pattern[str]] = {
    "javascript": re.compile(
        r"\bJSON\.parse\s*\(|\b(?:const|let|var)\s+\w*[eE]vent\w*\s*(?::\s*[\w.]+\s*)?=\s*req(?:uest)?\.body\b"
    ),
    "ruby": re.compile(r"\bJSON\.parse\s*\(?|\bStripe::Event\.construct_from\b"),
    "php": re.compile(r"\bjson_decode\s*\(|\\?\bStripe\\Event::constructFrom\s*\("),
    "go": re.compile(r"\bjson\.Unmarshal\s*\(|\bjson\.NewDecoder\s*\([^\n]*\)\.Decode\s*\("),
    "java": re.compile(r"\.fromJson\s*\("),
    "python": re.compile(r"\bjson\.loads\s*\(|\.get_json\s*\(|\bconstruct_from\s*\("),
}
_WINDOW = 40  # lines: a parse this close to a Stripe event switch belongs to the handler


def webhook_hits(masked: str, language: str, index: LineIndex) -> Iterator[Hit]:
    parse_re = _PARSE_RES.get(language)
    if parse_re is None or VERIFY_RE.search(masked):
        return
    signal_lines = [
        index.position(m.start())[0]
        for m in (*EVENT_LITERAL_RE.finditer(masked), *_EVENT_TYPE_ACCESS_RE.finditer(masked))
    ]
    if not signal_lines:
        return
    has_event_name = EVENT_LITERAL_RE.search(masked) is not None
    if not has_event_name and not re.search(r"(?i)stripe", masked):
        return
    for match in parse_re.finditer(masked):
        line = index.position(match.start())[0]
        if any(abs(line - s) <= _WINDOW for s in signal_lines):
            yield Hit("webhook-signature-unverified", match.start())
