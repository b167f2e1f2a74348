"""Find the endpoint for a task described in words, offline: BM25 over the spec index.

Each operation is a small document: its summary (weighted most), the words of its path and
operationId, its description, and the description of the object it returns. A query's verb
("create", "list", "cancel"...) is matched against the summary's verb and the HTTP method,
and a short synonym table bridges the words people use to Stripe's nouns ("chargeback" →
dispute, "money back" → refund). No model, no network.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from dataclasses import dataclass

from ._index import Operation, operations, schemas

_WORD = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "to",
        "of",
        "for",
        "on",
        "in",
        "at",
        "by",
        "with",
        "and",
        "or",
        "from",
        "that",
        "this",
        "my",
        "our",
        "your",
        "their",
        "its",
        "it",
        "is",
        "are",
        "be",
        "can",
        "i",
        "we",
        "you",
        "they",
        "me",
        "us",
        "them",
        "how",
        "do",
        "does",
        "which",
        "what",
        "want",
        "need",
        "using",
        "use",
        "via",
        "as",
        "into",
        "new",
        "some",
        "one",
        "all",
        "api",
        "stripe",
        "v1",
        "object",
        "objects",
    ]
)
# Words people use → words in Stripe's summaries and paths.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "chargeback": ("dispute",),
    "increase": ("increment",),
    "money": ("refund", "payment"),
    "back": ("refund",),
    "reimburse": ("refund",),
    "charge": ("payment", "intent"),
    "pay": ("payment", "pay"),
    "card": ("payment", "method"),
    "save": ("setup", "intent"),
    "store": ("setup", "intent"),
    "later": ("setup",),
    "discount": ("coupon", "promotion"),
    "code": ("promotion",),
    "vat": ("tax", "rate"),
    "gst": ("tax", "rate"),
    "sales": ("tax",),
    "plan": ("price",),
    "pricing": ("price",),
    "recurring": ("subscription", "price"),
    "hook": ("webhook",),
    "webhooks": ("webhook", "endpoint"),
    "notification": ("webhook", "event"),
    "portal": ("billing", "portal", "session"),
    "self": ("portal",),
    "upcoming": ("preview", "invoice"),
    "preview": ("preview",),
    "hosted": ("checkout", "session"),
    "page": ("checkout", "session"),
    "link": ("payment", "link"),
    "time": ("test", "clock"),
    "simulate": ("test", "clock"),
    "clock": ("test", "clock"),
    "bank": ("payout",),
    "withdraw": ("payout",),
    "fee": ("balance", "transaction"),
    "fees": ("balance", "transaction"),
    "credit": ("credit", "note", "balance"),
    "seat": ("quantity", "subscription", "item"),
    "seats": ("quantity", "subscription", "item"),
    "upgrade": ("update", "subscription"),
    "downgrade": ("update", "subscription"),
    "tier": ("price",),
    "authorize": ("payment", "intent", "capture"),
    "hold": ("capture", "payment", "intent"),
    "connected": ("account",),
}


def stem(word: str) -> str:
    """A light suffix stripper: `invoices`, `invoice` and `invoiced` all become `invoic`."""
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("es", "e"), ("s", ""), ("ed", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + repl
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


# The intent a query's verb expresses, and the summary verbs and methods that carry it out.
_VERBS: dict[str, tuple[frozenset[str], str]] = {}
for _words, _summary, _method in (
    ("create make add new open start issue generate register setup", "create", "POST"),
    ("list all show every browse recent", "list", "GET"),
    ("get retrieve fetch read look view details", "retrieve", "GET"),
    ("update change modify edit rename set switch upgrade downgrade archive", "update", "POST"),
    ("delete remove erase", "delete", "DELETE"),
    ("search find query filter", "search", "GET"),
    ("cancel stop end terminate", "cancel", "POST"),
):
    for _word in _words.split():
        _VERBS.setdefault(_word, (frozenset({stem(_summary)}), _method))


def terms(text: str) -> list[str]:
    words = _WORD.findall(_CAMEL.sub(" ", text).replace("_", " ").lower())
    return [stem(w) for w in words if w not in _STOP]


_PLUMBING = frozenset({"expand", "metadata", "limit", "starting_after", "ending_before", "created", "page"})
# The flows this server is for: their resources rank before niche products with similar words
# (Terminal, Issuing, Treasury, payment records) when the text alone cannot tell them apart.
_CORE = re.compile(
    r"/v1/(customers|payment_intents|setup_intents|payment_methods|checkout|refunds|products|prices|"
    r"subscriptions|subscription_items|subscription_schedules|invoices|invoiceitems|credit_notes|"
    r"payment_links|coupons|promotion_codes|tax_rates|shipping_rates|billing_portal|customer_sessions|"
    r"disputes|balance|balance_transactions|payouts|transfers|events|webhook_endpoints|test_helpers/test_clocks)\b"
)


@dataclass(frozen=True)
class Hit:
    operation: Operation
    score: float


@dataclass
class _Doc:
    op: Operation
    tf: dict[str, float]
    summary: frozenset[str]
    length: float
    verb: str
    prior: float


def _document(op: Operation) -> _Doc:
    returned = op.returns.removeprefix("list of ") if op.returns else ""
    about = schemas().get(returned, {}).get("description", "") if returned else ""
    path_words = " ".join(p for p in op.path.split("/") if p and not p.startswith("{") and p != "v1")
    # Top-level parameter names say what a call can do (`off_session`, `evidence`, `trial_end`).
    names = " ".join(n for n in op.params.get("properties", {}) if n not in _PLUMBING)
    fields = (
        (op.summary, 3),
        (path_words, 2),
        (op.operation_id, 1),
        (op.description, 1),
        (about, 1),
        (names, 0.5),
    )
    tf: dict[str, float] = {}
    for text, weight in fields:
        for term in terms(text):
            tf[term] = tf.get(term, 0.0) + weight
    first = op.summary.split()[0].lower() if op.summary else ""
    # Shallow paths are the canonical way to do a thing; nested ones (customer-scoped
    # subscriptions, line-item sub-lists) are the variants.
    depth = op.path.count("/") - 2
    prior = (1.3 if _CORE.match(op.path) else 1.0) / (1 + 0.1 * max(depth, 0))
    return _Doc(op, tf, frozenset(terms(op.summary)), sum(tf.values()), stem(first), prior)


@functools.cache
def _corpus() -> tuple[list[_Doc], dict[str, float], float]:
    docs = [_document(op) for op in operations()]
    df: Counter[str] = Counter()
    for doc in docs:
        df.update(doc.tf.keys())
    n = len(docs)
    idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
    avg = sum(d.length for d in docs) / n
    return docs, idf, avg


def _expand(query: str) -> tuple[dict[str, float], tuple[frozenset[str], str] | None]:
    words = _WORD.findall(query.lower())
    at = next((i for i, w in enumerate(words) if w in _VERBS), None)
    # No known verb: the first word is the action ("refund a payment", "pay an invoice"),
    # matched against the verbs Stripe's summaries start with; actions are POSTs.
    intent = (
        _VERBS[words[at]] if at is not None else ((frozenset({stem(words[0])}), "POST") if words else None)
    )
    # The first noun after the verb is what the task acts on ("list the refunds of a payment").
    head = next((w for w in words[(at or -1) + 1 :] if w not in _STOP and w not in _VERBS), None)
    expanded: dict[str, float] = {}
    for word in words:
        if word in _STOP:
            continue
        term = stem(word)
        expanded[term] = expanded.get(term, 0.0) + (2.0 if word == head else 1.0)
        for extra in _SYNONYMS.get(word, ()):
            expanded[stem(extra)] = expanded.get(stem(extra), 0.0) + 0.5
    return expanded, intent


def search(query: str, limit: int = 5) -> list[Hit]:
    """The operations that best do the task in `query`, best first."""
    docs, idf, avg = _corpus()
    wanted, intent = _expand(query)
    k1, b = 1.2, 0.75
    hits = []
    for doc in docs:
        score = 0.0
        for term, weight in wanted.items():
            tf = doc.tf.get(term)
            if tf:
                score += (
                    weight * idf.get(term, 0.0) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * doc.length / avg))
                )
        if score <= 0:
            continue
        score *= doc.prior
        # A summary the task words cover ("Create a customer" for "create a customer") beats
        # one they only touch ("Create a Customer Session").
        if doc.summary:
            score *= 0.6 + 0.4 * len(doc.summary & wanted.keys()) / len(doc.summary)
        if intent is not None:
            verbs, method = intent
            if doc.verb in verbs:
                score *= 1.5
            elif doc.op.method != method:
                score *= 0.7
        # Deprecated surfaces (Sources, Charges, Tokens, Plans) rank below their replacements.
        if doc.op.path.startswith(("/v1/sources", "/v1/charges", "/v1/tokens", "/v1/plans")):
            score *= 0.6
        hits.append(Hit(doc.op, score))
    hits.sort(key=lambda h: (-h.score, h.operation.path.count("/"), h.operation.key))
    return hits[:limit]
