"""The guardrail table: rules as data, checked by the Gateway before anything is sent.

Each rule has an id (shared with the code linter), what it refuses, why, what to use
instead and a docs link, and the matchers that say which requests it refuses, in wire
terms (method, path, parameters). Key rules are checked once, when the configuration is
loaded; the spending-limit rule by the money tools.

A matcher about a Stripe parameter covers every operation whose request has that parameter
at any depth, as Stripe's spec lists them (`spec.holders`), never a hand-written path list.
The spec loads on the first request, not at import.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from . import guardrail_fixes as fixes
from . import spec
from .errors import GuardrailRefusal
from .hints import api_call
from .wire import Wire

# endpoint: the path itself is refused. param: a parameter is present. card-number: a value
# looks like a PAN. charge-type: Connect charge types are mixed.
Check = Literal["endpoint", "param", "card-number", "charge-type"]


@dataclass(frozen=True)
class Match:
    check: Check
    methods: frozenset[str] = frozenset()  # empty: any method
    paths: tuple[str, ...] = ()  # regexes on the path, case-insensitive; empty: any path
    params: tuple[str, ...] = ()  # names that are not Stripe parameters (headers passed as params)
    # A Stripe parameter: refused wherever the spec has it, on every operation that has it.
    param: str | None = None
    # With `param`: only operations whose path template fully matches this regex.
    within: str | None = None


POST = frozenset({"POST"})


@dataclass(frozen=True)
class Rule:
    id: str
    refuses: str
    why: str
    instead: str
    doc_url: str
    matches: tuple[Match, ...] = ()  # none: not a request rule (keys, limits)
    # The request that does what the refused one meant, the way this rule wants (guardrail_fixes).
    fix: fixes.Fix | None = None

    def message(self, detail: str = "", retry: str = "") -> str:
        """`retry`: a hint reference to the call to make instead (rendered per configuration)."""
        found = f" ({detail})" if detail else ""
        then = f" Send instead: {retry}." if retry else ""
        return (
            f"Refused by guardrail `{self.id}`{found}: {self.refuses}. Why: {self.why} "
            f"Use instead: {self.instead}{then} Docs: {self.doc_url} Nothing was sent to Stripe."
        )

    def refusal(self, detail: str = "", retry: str = "") -> GuardrailRefusal:
        return GuardrailRefusal(self.id, self.message(detail, retry))

    def retry(self, method: str, path: str, params: Mapping[str, Any], op: spec.Operation | None) -> str:
        """The reference to the fixed request, or "" where the rule has no single-request fix. Names
        the fix's own request does not take are left out and said so (nothing silently dropped)."""
        fixed = self.fix(method, path, params, op) if self.fix else None
        if fixed is None:
            return ""
        method, path, params = fixed
        target = spec.resolve(method, path)
        unknown = sorted(
            {p.param.split("[", 1)[0] for p in spec.check(target, params) if p.code == "parameter_unknown"}
            if target
            else set()
        )
        kept = {k: v for k, v in params.items() if k not in unknown}
        lost = f" (not carried over: {', '.join(unknown)})" if unknown else ""
        return api_call(method, path, kept) + lost

    def fitted(self, known: Callable[[str], bool]) -> Rule:
        """This rule with its advice fitted to where it fired: a `;` clause of `instead` that names
        (in backticks) something `known` rejects is dropped, so the advice never names a parameter
        the tool or endpoint lacks. The first clause always stays."""
        first, *more = self.instead.rstrip(".").split("; ")
        kept = [c for c in more if all(known(name) for name in re.findall(r"`([^`]+)`", c))]
        return replace(self, instead="; ".join([first, *kept]) + ".")


RULES: tuple[Rule, ...] = (
    Rule(
        id="charges-api",
        refuses="creating or capturing Charges directly (POST /v1/charges, /v1/charges/{id}/capture)",
        why="the Charges API cannot handle authentication (3D Secure), dynamic payment methods or "
        "most local payment methods.",
        instead="a Checkout Session (⟦create_checkout_session⟧) or a PaymentIntent confirmed at once "
        "(⟦create_payment_intent⟧): source (a test token tok_X) becomes payment_method (its test "
        "PaymentMethod pm_card_X), capture=false becomes capture_method=manual, and an authorized "
        "payment is captured with ⟦capture_payment_intent⟧.",
        doc_url="https://docs.stripe.com/payments/payment-intents/migration/charges",
        matches=(Match("endpoint", POST, (r"/v1/charges", r"/v1/charges/[^/]+/capture")),),
        fix=fixes.payment_intent_for_charge,
    ),
    Rule(
        id="sources-api",
        refuses="the Sources API and legacy card objects (/v1/sources, customer sources, cards and "
        "bank_accounts, `source=` on any write that takes it, `card=` on customers)",
        why="Sources and legacy cards are deprecated and skip authentication.",
        instead="SetupIntents to save PaymentMethods (⟦create_setup_intent⟧), then PaymentIntents; a "
        "test token tok_X is the test PaymentMethod pm_card_X.",
        doc_url="https://docs.stripe.com/payments/payment-methods/transitioning",
        matches=(
            Match(
                "endpoint",
                paths=(r"/v1/sources(/.*)?", r"/v1/customers/[^/]+/(sources|cards|bank_accounts)(/.*)?"),
            ),
            Match("param", POST, param="source"),
            Match("param", POST, param="card", within=r"/v1/customers/\{customer\}"),
        ),
        fix=fixes.payment_method_for_source,
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
        instead="omit it to get dynamic payment methods (a request that confirms then needs a "
        "return_url, or redirect-based methods turned off); to exclude one, pass "
        "`excluded_payment_method_types`.",
        doc_url="https://docs.stripe.com/payments/payment-methods/dynamic-payment-methods",
        matches=(Match("param", param="payment_method_types"),),
        fix=fixes.dynamic_payment_methods,
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
        fix=fixes.without_version,
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
        refuses="card numbers (PAN) in request parameters or the path",
        why="handling raw card data puts the server in PCI scope and Stripe blocks it for most accounts.",
        instead="test PaymentMethod ids (pm_card_visa, pm_card_chargeDeclined, ...), or collect cards with "
        "Checkout or the Payment Element.",
        doc_url="https://docs.stripe.com/testing#cards",
        matches=(Match("card-number"),),
    ),
    Rule(
        id="connect-charge-type",
        refuses="mixing Connect charge types in one call (on_behalf_of for one account with "
        "transfer_data[destination] to another, transfer_data on a direct charge made with "
        "Stripe-Account, or an application fee with no connected account), read from every place "
        "the endpoint takes these fields (top level, payment_intent_data, subscription_data, ...)",
        why="a direct charge is created on the connected account (Stripe-Account header); a destination "
        "charge is created on the platform and transfers to `transfer_data[destination]`, with "
        "`on_behalf_of` naming that same account as the settlement merchant. Mixed, the funds flow "
        "and who pays fees are ambiguous.",
        instead="pick one: direct charge (stripe_account=acct_..., no transfer_data) or destination charge "
        "(transfer_data[destination]=acct_..., optionally on_behalf_of the same acct_...).",
        doc_url="https://docs.stripe.com/connect/charges",
        matches=(Match("charge-type", POST),),
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
        instead="Prices: ⟦create_price⟧ with recurring={interval: month} (a Plan's amount is its unit_amount).",
        doc_url="https://docs.stripe.com/products-prices/pricing-models",
        matches=(Match("endpoint", POST, (r"/v1/plans",)),),
        fix=fixes.price_for_plan,
    ),
)

RULES_BY_ID: dict[str, Rule] = {rule_.id: rule_ for rule_ in RULES}


def rule(rule_id: str) -> Rule:
    return RULES_BY_ID[rule_id]


# --- card numbers ------------------------------------------------------------------------------
# A PAN is 13-19 digits. Whatever sits between its digit groups (spaces of any kind, dashes of any
# kind, dots, slashes, underscores, commas, invisible format characters), and whatever it is glued
# to, it is read the same: characters are classified first, then digit groups are joined.
_SEPARATORS = frozenset("./\\_,\u00b7\u2212")
_MAX_SEPARATOR_RUN = 8
_RUNS = re.compile(rf"d+(?:s{{1,{_MAX_SEPARATOR_RUN}}}d+)*")


def _char_class(char: str) -> str:
    """`d` a decimal digit in any script, `s` a separator, `o` anything else."""
    if char.isdecimal():
        return "d"
    if char in _SEPARATORS or char.isspace() or unicodedata.category(char) in ("Zs", "Pd", "Cf"):
        return "s"
    return "o"


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


# Ids are not card numbers: the server's tool-call ids (`call_3510878447072bb2`), confirmation
# tokens and idempotency keys, and Stripe's ids, can hold 13+ digits that pass the Luhn check.
# The server's own are ids in their exact shapes. A Stripe-prefixed token is an id when its body
# has a letter: Stripe's ids are random base62, so an all-digit body (`pi_4242424242424242`) is
# a card number glued to a prefix.
_OWN_ID = re.compile(
    r"(?<![A-Za-z0-9_-])(?:call_[0-9a-f]{16}|conf_[A-Za-z0-9_-]{24}"
    r"|stripe-power-[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})(?![A-Za-z0-9_-])"
)
_ID_TOKEN = re.compile(r"(?<![A-Za-z0-9])[a-z]+(?:_[A-Za-z0-9]+)+")
# Stripe ids its example objects lack: request ids, invoice payments.
_MORE_PREFIXES = frozenset({"req", "inpay"})
_FIXTURE_ID = re.compile(r"([a-z]+(?:_[a-z]+)*?)_(?:test_|live_)?[A-Za-z0-9]{6,}")


@functools.cache
def id_prefixes() -> frozenset[str]:
    """Stripe's id prefixes, read from the ids of its example objects (the spec's fixtures, loaded
    the first time a card-like number turns up)."""
    found = set(_MORE_PREFIXES)
    pending: list[Any] = [spec.fixtures()]
    while pending:
        value = pending.pop()
        if isinstance(value, Mapping):
            oid = value.get("id")
            if isinstance(oid, str) and (match := _FIXTURE_ID.fullmatch(oid)):
                found.add(match.group(1))
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return frozenset(found)


def _id_spans(text: str) -> list[tuple[int, int]]:
    spans = [match.span() for match in _OWN_ID.finditer(text)]
    for match in _ID_TOKEN.finditer(text):
        head, *parts = match.group().split("_")
        if len(parts) > 1 and f"{head}_{parts[0]}" in id_prefixes():
            head, parts = f"{head}_{parts[0]}", parts[1:]
        if head in id_prefixes() and any(char.isalpha() for char in "".join(parts)):
            spans.append(match.span())
    return spans


# `\d` is exactly `str.isdecimal` (Unicode category Nd, a digit in any script), counted in C.
_DIGIT = re.compile(r"\d")


def _few_digits(text: str) -> bool:
    """Fewer than 13 decimal digits in all: no card number can be in `text` (most texts)."""
    return len(text) < 13 or len(_DIGIT.findall(text)) < 13


def _card_spans(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, digits) of every card number in `text` outside ids, left to right."""
    ids: list[tuple[int, int]] | None = None
    for start, end, digits in _digit_spans(text):
        if ids is None:
            ids = _id_spans(text)
        if not any(left <= start and end <= right for left, right in ids):
            yield start, end, digits


def _digit_spans(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, digits) of every card-like number in `text`: contiguous digit groups whose
    digits, joined, are 13-19 long and pass the Luhn check. Left to right, never overlapping. Two
    groups around one `.` or `,` are a decimal number (a timestamp with milliseconds), not a card.
    Its callers skip texts with `_few_digits` first."""
    classes = "".join(_char_class(char) for char in text)
    for run in _RUNS.finditer(classes):
        groups = [(m.start() + run.start(), m.end() + run.start()) for m in re.finditer(r"d+", run.group())]
        first = 0
        while first < len(groups):
            found = None
            digits = ""
            for last in range(first, len(groups)):
                start, end = groups[last]
                digits += "".join(str(unicodedata.decimal(char)) for char in text[start:end])
                if len(digits) > 19:
                    break
                decimal = last == first + 1 and text[groups[first][1] : start] in (".", ",")
                if len(digits) >= 13 and _luhn_ok(digits) and not decimal:
                    found = (groups[first][0], end, digits, last)
            if found is None:
                first += 1
                continue
            start, end, digits, last = found
            yield start, end, digits
            first = last + 1


def find_card_number(text: str) -> str | None:
    """The first card number in `text` (its digits only), however it is written, else None."""
    if _few_digits(text):
        return None
    return next((digits for _, _, digits in _card_spans(text)), None)


def redact_card_numbers(text: str) -> str:
    """Every card number in `text`, however it is spaced or glued, replaced by a marker."""
    if _few_digits(text):
        return text
    pieces, done = [], 0
    for start, end, _ in _card_spans(text):
        pieces += [text[done:start], "[card number redacted]"]
        done = end
    return "".join(pieces) + text[done:] if pieces else text


# --- parameters, where the spec says they are ---------------------------------------------------
Location = tuple[str, ...]


@functools.cache
def _places() -> dict[str, dict[str, tuple[Location, ...]]]:
    """Name -> operation key -> every place the name sits in that operation's request, for each
    parameter a rule reads: what `spec.holders` says, gathered in one walk of the spec (one walk
    per name cost 30 ms each on the first request)."""
    names = {m.param for r in RULES for m in r.matches if m.param} | set(_CONNECT_FIELDS)
    found: dict[str, dict[str, set[Location]]] = {name: {} for name in names}
    for op in spec.operations():
        for place, _ in spec.walk(op.params):
            if place[-1] in found:
                found[place[-1]].setdefault(op.key, set()).add(place)
    return {name: {k: tuple(sorted(v)) for k, v in ops.items()} for name, ops in found.items()}


@functools.cache
def _holders(name: str, within: str | None) -> dict[str, tuple[Location, ...]]:
    """Operation key -> every place `name` sits in its request (from the spec, once)."""
    return {
        key: places
        for key, places in _places()[name].items()
        if within is None or re.fullmatch(within, key.split(" ", 1)[1])
    }


def _child(value: Any, name: str) -> list[Any]:
    """The values under `name` in `value` (a mapping, or a list of them); names compare
    case-insensitively so a spelling variant cannot slip past."""
    if isinstance(value, (list, tuple)):
        return [found for item in value for found in _child(item, name)]
    if isinstance(value, Mapping):
        return [item for key, item in value.items() if str(key).lower() == name]
    return []


def _at(params: Mapping[str, Any], location: Location) -> list[Any]:
    """Every value at `location` (names through objects and lists); empty when absent."""
    values: list[Any] = [params]
    for name in location:
        values = [found for value in values for found in _child(value, name)]
    return values


def _objects_at(params: Mapping[str, Any], location: Location) -> list[Mapping[str, Any]]:
    """The objects at `location`, each element of a list of them (`phases`) on its own."""
    found = [
        item for value in _at(params, location) for item in (value if isinstance(value, list) else [value])
    ]
    return [item for item in found if isinstance(item, Mapping)]


def _anywhere(value: Any, name: str, here: Location = ()) -> Iterator[Location]:
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from _anywhere(item, name, here)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if str(key).lower() == name:
                yield (*here, str(key))
            yield from _anywhere(item, name, (*here, str(key)))


def _param_hit(match: Match, op: spec.Operation | None, params: Mapping[str, Any]) -> Location | None:
    assert match.param is not None
    if op is None:  # not an operation Stripe has: look everywhere rather than nowhere
        return None if match.within else next(_anywhere(params, match.param), None)
    places = _holders(match.param, match.within).get(op.key, ())
    return next((place for place in places if _at(params, place)), None)


# --- Connect charge types -----------------------------------------------------------------------
_CONNECT_FIELDS = ("on_behalf_of", "transfer_data", "application_fee_amount", "application_fee_percent")


@functools.cache
def _connect_holders() -> dict[str, tuple[Location, ...]]:
    """Operation key -> every object in its request that takes Connect charge fields (the top
    level `()`, `payment_intent_data`, `subscription_data`, `phases`, ...)."""
    found: dict[str, set[Location]] = {}
    for name in _CONNECT_FIELDS:
        for key, places in _places()[name].items():
            found.setdefault(key, set()).update(place[:-1] for place in places)
    return {key: tuple(sorted(places - {()})) for key, places in found.items()}


def _mixed_charge_type(
    op: spec.Operation | None, params: Mapping[str, Any], stripe_account: str | None
) -> str | None:
    """Reads every holder the endpoint has, together: a nested holder never hides the top level,
    which is read on every endpoint (Stripe refuses it where it does not belong, but only after
    this check would have let it through)."""
    places = ((), *_connect_holders().get(op.key if op else "", ()))
    destinations: list[tuple[str, str]] = []
    on_behalf: list[tuple[str, str]] = []
    fee: str | None = None
    for place in places:
        prefix = "".join(f"{name}." for name in place)
        for holder in _objects_at(params, place):
            transfer = holder.get("transfer_data")
            if isinstance(transfer, Mapping) and transfer.get("destination"):
                destinations.append((f"{prefix}transfer_data[destination]", str(transfer["destination"])))
            if holder.get("on_behalf_of"):
                on_behalf.append((f"{prefix}on_behalf_of", str(holder["on_behalf_of"])))
            for name in ("application_fee_amount", "application_fee_percent"):
                if holder.get(name) is not None and fee is None:
                    fee = f"{prefix}{name}"
    if destinations and stripe_account:
        name, value = destinations[0]
        return f"{name}={value} on a direct charge for {stripe_account}"
    for obo_name, obo in on_behalf:
        for dest_name, dest in destinations:
            if obo != dest:
                return f"{obo_name}={obo} with {dest_name}={dest}"
    if len({dest for _, dest in destinations}) > 1:
        return "different transfer_data[destination] accounts in one call: " + ", ".join(
            f"{name}={value}" for name, value in destinations
        )
    if fee and not destinations and not stripe_account:
        return f"{fee} with no connected account (no transfer_data[destination], no Stripe-Account)"
    return None


# --- the check ----------------------------------------------------------------------------------
def _path_matches(match: Match, path: str) -> bool:
    return not match.paths or any(re.fullmatch(pattern, path, re.IGNORECASE) for pattern in match.paths)


def _present(params: Mapping[str, Any], name: str) -> bool:
    return any(str(k).lower() == name for k in params)


def _breaks(match: Match, wire: Wire, account: str | None) -> str | None:
    """What in the request `match` refuses, or None."""
    method, path, op, params = wire.method, wire.path, wire.op, wire.params
    if (match.methods and method not in match.methods) or not _path_matches(match, path):
        return None
    if match.check == "endpoint":
        return f"{method} {path}"
    if match.check == "param" and match.param is not None:
        place = _param_hit(match, op, params)
        return f"`{'.'.join(place)}` on {method} {path}" if place else None
    if match.check == "param":
        hit = next((name for name in match.params if _present(params, name)), None)
        return f"`{hit}` on {method} {path}" if hit else None
    if match.check == "charge-type":
        return _mixed_charge_type(op, params, account)
    # Every name and value as sent: a card number written as an int, a float or a string is one text.
    if any(find_card_number(text) for text in wire.texts()):
        return "the path or a parameter holds what looks like a card number"
    return None


def violation(wire: Wire, stripe_account: str | None = None) -> GuardrailRefusal | None:
    """The first rule this request (in its one canonical form) breaks, as a refusal ready to
    raise; None if it may go."""
    op = wire.op
    for rule_ in RULES:
        for match in rule_.matches:
            if (detail := _breaks(match, wire, stripe_account)) is not None:
                fitted = rule_.fitted(lambda name: op is not None and bool(_lookup(op, name)))
                return fitted.refusal(detail, rule_.retry(wire.method, wire.path, wire.params, op))
    return None


def _lookup(op: Any, name: str) -> Any:
    """Whether Stripe's endpoint takes `name` (dotted for nested): advice names only what it takes."""
    from . import spec  # loaded already: `op` came from it

    return spec.lookup(op, name)
