"""The customer's credit balance, a ledger of customer balance transactions, and how invoices use it.

Stripe's rules (docs.stripe.com/billing/customer/balance; spec3.json, `customer.balance`,
`invoice.starting_balance` / `ending_balance` / `amount_due`, `customer_balance_transaction.type`):

- A negative balance is a credit, a positive one a debit. Every change is an immutable transaction
  whose ``ending_balance`` is the balance after it: ``initial`` (``balance`` on customer create),
  ``adjustment`` (``balance`` on customer update, or ``POST /v1/customers/{id}/balance_transactions``),
  ``credit_note`` (a credit note's ``credit_amount``), ``applied_to_invoice``,
  ``unapplied_from_invoice`` (the invoice was voided) and ``invoice_too_small``.
- Balances are kept per currency (``invoice_credit_balance``, with the sign of ``balance``);
  ``balance`` is the one in the customer's ``currency``, which the first transaction sets. An
  invoice uses only the balance in its own currency.
- The balance applies to the next invoice that is finalized, whatever made it (the API, a
  subscription, a test clock's renewal): ``starting_balance`` is the balance then, a credit lowers
  ``amount_due`` (down to 0, the rest stays for later invoices; an invoice left at 0 is paid), a
  debit raises it, a negative total adds credit, and ``ending_balance`` is what is left. Before
  finalization ``starting_balance`` is the current balance and ``amount_due`` counts it.
- What is left to pay below the currency's minimum charge amount is not charged: the invoice is
  paid and the amount becomes a debit (``invoice_too_small``) for the next invoice.
"""

from __future__ import annotations

from typing import Any

from ...currencies import minimum_charge
from ..core.ids import new_id
from ..core.router import Ctx, Router
from ..core.schema_objects import new_object
from ..core.store import JSON, Account, as_int, as_str, changed, snapshot
from . import invoice_totals

# The sandbox's account is a US account: a balance set without a currency is in dollars.
DEFAULT_CURRENCY = "usd"


def balances(acct: Account, cust: JSON) -> dict[str, int]:
    """The customer's balance per currency (``invoice_credit_balance``, returned when expanded)."""
    hidden = acct.hidden.setdefault(cust["id"], {})
    book: dict[str, int] = hidden.setdefault("invoice_credit_balance", {})
    return book


def balance_in(acct: Account, cust: JSON, currency: str) -> int:
    return balances(acct, cust).get(currency, 0)


def record(
    acct: Account,
    cust: JSON,
    amount: int,
    kind: str,
    currency: str | None = None,
    *,
    emit: bool = True,
    **links: Any,
) -> JSON:
    """Book ``amount`` (negative: credit) of type ``kind`` on the customer's balance in ``currency``
    (the customer's, else dollars); the first one sets the customer's currency. Returns the
    transaction; ``links`` are its ``invoice`` / ``credit_note``. ``emit``: send `customer.updated`."""
    cur = currency or cust.get("currency") or DEFAULT_CURRENCY
    before = snapshot(cust)
    book = balances(acct, cust)
    book[cur] = balance_in(acct, cust, cur) + amount
    if not cust.get("currency"):
        cust["currency"] = cur
    if cur == cust["currency"]:
        cust["balance"] = book[cur]
    txn = new_object("customer_balance_transaction")
    txn.update(
        id=new_id("cbtxn", 24),
        amount=amount,
        currency=cur,
        customer=cust["id"],
        ending_balance=book[cur],
        type=kind,
        **links,
    )
    acct.add(txn)
    acct.priv(txn)["parent"] = ("customer", cust["id"])
    for inv in acct.of_type("invoice"):  # drafts show the balance they will start from
        if inv["customer"] == cust["id"] and inv["status"] == "draft" and inv["currency"] == cur:
            invoice_totals.recompute(acct, inv)
    previous = changed(before, cust)
    if emit and previous:
        acct.emit("customer.updated", cust, previous)
    return txn


def set_balance(acct: Account, cust: JSON, value: int, kind: str) -> None:
    """``balance`` on a customer create (``initial``) or update (``adjustment``): the transaction
    that takes the balance in the customer's currency to ``value`` (the handler sends the event)."""
    cur = cust.get("currency") or DEFAULT_CURRENCY
    delta = value - balance_in(acct, cust, cur)
    if delta:
        record(acct, cust, delta, kind, cur, emit=False)


def amount_due(acct: Account, inv: JSON, due: int) -> int:
    """What ``inv`` asks for when its lines and credit notes ask for ``due``: with the balance it
    starts from, less what is left of the balance after it (``ending_balance``, once finalized)."""
    cust = acct.find("customer", inv["customer"])
    if inv.get("ending_balance") is None:
        inv["starting_balance"] = balance_in(acct, cust, inv["currency"]) if cust is not None else 0
        return max(due + int(inv["starting_balance"]), 0)
    return max(due + int(inv["starting_balance"] or 0) - int(inv["ending_balance"]), 0)


def apply_at_finalization(acct: Account, inv: JSON) -> None:
    """Apply the customer's balance in the invoice's currency to ``inv`` as it is finalized."""
    cust = acct.get("customer", inv["customer"])
    start = balance_in(acct, cust, inv["currency"])
    net = int(inv["total"]) - int(inv.get("pre_payment_credit_notes_amount") or 0) + start
    inv["starting_balance"] = start
    inv["ending_balance"] = min(net, 0)
    if inv["ending_balance"] != start:
        txn = record(
            acct,
            cust,
            inv["ending_balance"] - start,
            "applied_to_invoice",
            inv["currency"],
            invoice=inv["id"],
        )
        acct.priv(inv)["balance_applied"] = txn["id"]
    invoice_totals.recompute(acct, inv)
    small = int(inv["amount_due"])
    if 0 < small < minimum_charge(inv["currency"]):
        record(acct, cust, small, "invoice_too_small", inv["currency"], invoice=inv["id"])
        inv["ending_balance"] = int(inv["ending_balance"]) + small
        invoice_totals.recompute(acct, inv)


def unapply(acct: Account, inv: JSON) -> None:
    """A voided invoice gives back the balance it used (``unapplied_from_invoice``)."""
    if inv.get("ending_balance") is None or not acct.priv(inv).pop("balance_applied", None):
        return
    given_back = int(inv["starting_balance"] or 0) - int(inv["ending_balance"])
    cust = acct.find("customer", inv["customer"])
    if given_back and cust is not None:
        record(acct, cust, given_back, "unapplied_from_invoice", inv["currency"], invoice=inv["id"])


def create_transaction(ctx: Ctx) -> JSON:
    """`POST /v1/customers/{customer}/balance_transactions`: an ``adjustment`` in ``currency``,
    which "specifies the invoice_credit_balance that this transaction will apply to. If the
    customer's currency is not set, it will be updated to this value" (spec3.json)."""
    cust = ctx.acct.get("customer", ctx.path_params["customer"], param="customer")
    amount = as_int(ctx.params["amount"], "amount")
    currency = as_str(ctx.params["currency"], "currency").lower()
    txn = record(ctx.acct, cust, amount, "adjustment", currency)
    ctx.store_rest(txn)
    return txn


def register(router: Router) -> None:
    router.add(
        "POST",
        "/v1/customers/{customer}/balance_transactions",
        create_transaction,
        consumes=("amount", "currency"),
    )
