"""What one Stripe request does to the account (read, write, money, destructive), decided from the
endpoint as Stripe's spec describes it: what the operation returns, whether the body carries an
amount, whether it collects an invoice now or later. Never from a path suffix.

`money` calls take the spending limits and, where the operator asked for it, confirmation. The
generic tool (`call_stripe_api`) classifies every call here, and the typed tools whose kind
depends on their arguments (finalize, subscription changes) ask the same function. Every rule
reads the request in its canonical form (wire.py): `"0"` and `0`, a list and an object with the
keys "0", "1", ... are one request to Stripe, so they are one request here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from .wire import Wire, canonical

Kind = Literal["read", "write", "money", "destructive"]

# Objects whose creation or change moves money: a payment, a refund, a transfer or its reversal, a
# payout, a top-up, a credit note, a balance adjustment, money out of or into Treasury, ...
MONEY_OBJECTS = frozenset(
    {"payment_intent", "charge", "refund", "transfer", "transfer_reversal", "payout", "topup", "fee_refund",
     "application_fee", "credit_note", "customer_balance_transaction", "customer_cash_balance_transaction",
     "payment_record", "terminal.reader", "terminal.refund", "issuing.authorization", "issuing.transaction",
     "treasury.outbound_payment", "treasury.outbound_transfer", "treasury.inbound_transfer",
     "treasury.received_credit", "treasury.received_debit", "treasury.credit_reversal",
     "treasury.debit_reversal", "climate.order", "quote"}
)  # fmt: skip

# Actions that end something for good (the last literal segment of the operation's template).
DESTRUCTIVE_ACTIONS = frozenset(
    {"cancel", "void", "detach", "expire", "close", "reject", "mark_uncollectible", "deactivate"}
)

# What in a subscription item may change its interval (which resets the cycle and bills now).
_REPRICED = frozenset({"price", "price_data"})

# Objects that bill: a change may create an invoice and charge it at once.
_BILLING_OBJECTS = frozenset({"subscription", "subscription_item", "subscription_schedule"})


def _on(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _collects_later(params: Mapping[str, Any]) -> bool:
    """An invoice left to Stripe's automatic collection, charged automatically: auto_advance on,
    or a time set for its automatic finalization (which turns auto_advance on, per the spec)."""
    scheduled = params.get("automatically_finalizes_at") not in (None, "")
    automatic = _on(params.get("auto_advance")) or scheduled
    return automatic and params.get("collection_method") != "send_invoice"


def _final_invoice(params: Mapping[str, Any]) -> bool:
    """A cancellation with `invoice_now`: Stripe bills pending usage and prorations at once."""
    return _on(params.get("invoice_now"))


def _finalize_collects(params: Mapping[str, Any]) -> bool:
    # Omitted, the invoice's own auto_advance decides, which only a read can tell: assume it collects.
    # Anything but an explicit false counts as on.
    value = params.get("auto_advance")
    return not (value is False or str(value).lower() == "false")


# Invoice operations that collect, or set up collection (spec operation keys).
INVOICE_COLLECTS: dict[str, Callable[[Mapping[str, Any]], bool]] = {
    "POST /v1/invoices/{invoice}/pay": lambda _params: True,
    "POST /v1/invoices/{invoice}/finalize": _finalize_collects,
    "POST /v1/invoices": _collects_later,
    "POST /v1/invoices/{invoice}": _collects_later,
}


# Operations that make Stripe bill on its own: advancing a test clock renews subscriptions and
# retries invoices on the simulated time it passes (advance_test_clock previews those charges).
BILLS_LATER = frozenset({"POST /v1/test_helpers/test_clocks/{test_clock}/advance"})


def invoices_now(params: Mapping[str, Any], *, creates: bool) -> bool:
    """Whether a subscription create or change bills at once: a new subscription charges unless the
    customer confirms first (default_incomplete), a trial comes first, or the invoice is emailed
    (Stripe's default payment_behavior is allow_incomplete); a change bills now with
    always_invoice, a reset billing cycle or an ended trial, and a new price may change the
    interval, which resets the cycle and invoices at once (so may a schedule's phases)."""
    if str(params.get("proration_behavior")) == "always_invoice":
        return True
    if params.get("billing_cycle_anchor") == "now" or params.get("trial_end") == "now":
        return True
    if creates:
        # One-off items go on the first invoice, made now even in a trial; so does a backdated start.
        now = params.get("add_invoice_items") or params.get("backdate_start_date")
        return bool(now) or (
            (params.get("payment_behavior") or "allow_incomplete") != "default_incomplete"
            and not (params.get("trial_period_days") or params.get("trial_end"))
            and params.get("collection_method") != "send_invoice"
        )
    if params.get("phases"):  # a schedule's phases may start now, with new prices
        return True
    items = params.get("items")
    changes = items if isinstance(items, list) else [params]
    return any(isinstance(item, Mapping) and not _REPRICED.isdisjoint(item) for item in changes)


def kind_of_request(method: str, path: str, params: Mapping[str, Any] | None = None) -> Kind:
    """The kind of one request, read from its canonical form."""
    return kind_of(canonical(method, path, params))


def kind_of(wire: Wire) -> Kind:
    """The kind of one request. A write Stripe's spec does not know is `money` (fail closed)."""
    method, op, params = wire.method, wire.op, wire.params
    if method == "GET":
        return "read"
    if method == "DELETE":
        return "money" if _final_invoice(params) else "destructive"
    if op is None:
        return "money"
    action = op.path.rstrip("/").rsplit("/", 1)[-1]
    if action == "cancel" and _final_invoice(params):
        return "money"
    if op.key in INVOICE_COLLECTS:
        return "money" if INVOICE_COLLECTS[op.key](params) else "write"
    if op.key in BILLS_LATER:
        return "money"
    if action in DESTRUCTIVE_ACTIONS:
        return "destructive"
    if op.returns in MONEY_OBJECTS or "amount" in params:
        return "money"
    if op.returns in _BILLING_OBJECTS:
        creates = "{" not in op.path.rsplit("/", 1)[-1] and action != "resume"
        return "money" if action == "resume" or invoices_now(params, creates=creates) else "write"
    return "write"
