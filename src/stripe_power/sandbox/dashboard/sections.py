"""The object lists of the dashboard, as data: which object type, which columns.

A column turns one stored object into one HTML cell; `Links` makes ids into links to the
object's own page. A section whose `only_if_present` is set (disputes, test clocks) is in the
navigation only once the account has such an object, so a resource another module adds later
(test clocks) shows up without touching the dashboard.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..core.store import JSON, Account
from .render import badge, esc, link, money, nowrap, when


class Links:
    """Hrefs inside one account's dashboard (addressed by its opaque handle, never by the key)."""

    def __init__(self, acct: Account) -> None:
        self.acct = acct
        self.base = f"/dashboard/{acct.id}"

    def obj(self, value: Any) -> str:
        """A cell for an expandable field: the id as a link when the object exists here."""
        oid = value.get("id") if isinstance(value, dict) else value
        if not isinstance(oid, str):
            return ""
        if oid in self.acct.objects:
            return link(f"{self.base}/objects/{oid}", oid)
        return esc(oid)

    def href(self, oid: str) -> str | None:
        if oid in self.acct.objects:
            return f"{self.base}/objects/{oid}"
        if oid.startswith("req_"):
            return f"{self.base}/requests/{oid}"
        return None


Cell = Callable[[JSON, Links], str]


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    object_type: str
    columns: tuple[tuple[str, Cell], ...]
    only_if_present: bool = False


def _amount(field: str) -> Cell:
    return lambda o, _: money(o.get(field), o.get("currency"))


def _field(field: str) -> Cell:
    return lambda o, _: esc(o.get(field))


def _ref(field: str) -> Cell:
    return lambda o, links: links.obj(o.get(field))


def _status(field: str = "status") -> Cell:
    return lambda o, _: badge(o[field]) if o.get(field) is not None else ""


def _created(o: JSON, _: Links) -> str:
    return nowrap(when(o.get("created")))


def _id(o: JSON, links: Links) -> str:
    return links.obj(o["id"])


def _refunded(pi: JSON, links: Links) -> str:
    charge = links.acct.find("charge", pi.get("latest_charge"))
    refunded = charge.get("amount_refunded") if charge else 0
    return money(refunded, pi.get("currency")) if refunded else ""


def _decline(pi: JSON, _: Links) -> str:
    error = pi.get("last_payment_error")
    if not isinstance(error, dict):
        return ""
    code = error.get("decline_code") or error.get("code") or ""
    return f"<b>{esc(code)}</b> <span class=muted>{esc(error.get('message'))}</span>"


def _first_item(sub: JSON, field: str) -> Any:
    items = (sub.get("items") or {}).get("data") or []
    return items[0].get(field) if items else None


def _period(sub: JSON, _: Links) -> str:
    start, end = _first_item(sub, "current_period_start"), _first_item(sub, "current_period_end")
    return f"{nowrap(when(start))} → {nowrap(when(end))}" if start and end else ""


def _next_invoice(sub: JSON, _: Links) -> str:
    if sub.get("status") not in ("active", "trialing", "past_due") or sub.get("cancel_at_period_end"):
        return ""
    return nowrap(when(_first_item(sub, "current_period_end")))


def _hosted(inv: JSON, _: Links) -> str:
    url = inv.get("hosted_invoice_url")
    return link(url, "Open hosted page") if isinstance(url, str) else ""


def _url(o: JSON, _: Links) -> str:
    url = o.get("url")
    return link(url, url) if isinstance(url, str) else ""


SECTIONS: tuple[Section, ...] = (
    Section("payments", "Payments", "payment_intent", (
        ("Payment", _id), ("Amount", _amount("amount")), ("Refunded", _refunded), ("Status", _status()),
        ("Customer", _ref("customer")), ("Latest charge", _ref("latest_charge")),
        ("Decline reason", _decline), ("Created", _created),
    )),
    Section("customers", "Customers", "customer", (
        ("Customer", _id), ("Email", _field("email")), ("Name", _field("name")), ("Created", _created),
    )),
    Section("subscriptions", "Subscriptions", "subscription", (
        ("Subscription", _id), ("Status", _status()), ("Customer", _ref("customer")),
        ("Current period", _period), ("Next invoice", _next_invoice),
        ("Latest invoice", _ref("latest_invoice")), ("Created", _created),
    )),
    Section("invoices", "Invoices", "invoice", (
        ("Invoice", _id), ("Number", _field("number")), ("Status", _status()),
        ("Amount due", _amount("amount_due")), ("Amount paid", _amount("amount_paid")),
        ("Customer", _ref("customer")), ("Hosted page", _hosted), ("Created", _created),
    )),
    Section("checkout_sessions", "Checkout Sessions", "checkout.session", (
        ("Session", _id), ("Mode", _field("mode")), ("Status", _status()),
        ("Payment status", _status("payment_status")), ("Amount", _amount("amount_total")),
        ("Customer", _ref("customer")), ("Payment", _ref("payment_intent")), ("Created", _created),
    )),
    Section("payment_links", "Payment links", "payment_link", (
        ("Payment link", _id), ("Active", _field("active")), ("URL", _url),
    )),
    Section("refunds", "Refunds", "refund", (
        ("Refund", _id), ("Amount", _amount("amount")), ("Status", _status()),
        ("Payment", _ref("payment_intent")), ("Charge", _ref("charge")), ("Reason", _field("reason")),
        ("Created", _created),
    )),
    Section("disputes", "Disputes", "dispute", (
        ("Dispute", _id), ("Amount", _amount("amount")), ("Status", _status()), ("Reason", _field("reason")),
        ("Charge", _ref("charge")), ("Created", _created),
    ), only_if_present=True),
    Section("products", "Products", "product", (
        ("Product", _id), ("Name", _field("name")), ("Active", _field("active")), ("Created", _created),
    )),
    Section("prices", "Prices", "price", (
        ("Price", _id), ("Amount", _amount("unit_amount")), ("Type", _field("type")),
        ("Product", _ref("product")), ("Created", _created),
    )),
    # Test clocks belong to another module; this lists them once the store has any.
    Section("test_clocks", "Test clocks", "test_helpers.test_clock", (
        ("Test clock", _id), ("Name", _field("name")), ("Frozen time", lambda o, _: nowrap(when(o.get("frozen_time")))),
        ("Status", _status()), ("Created", _created),
    ), only_if_present=True),
)  # fmt: skip

BY_SLUG = {s.slug: s for s in SECTIONS}


def visible(acct: Account) -> list[Section]:
    return [s for s in SECTIONS if not s.only_if_present or acct.order.get(s.object_type)]


def live_count(acct: Account, typ: str) -> int:
    """Objects of ``typ`` ever created (deleted ones included: counting them would cost O(n))."""
    return len(acct.order.get(typ, ()))


def newest(acct: Account, typ: str, page: int, size: int) -> tuple[list[JSON], bool]:
    """One page of ``typ``, newest first, by position in the creation order: O(page)."""
    order = acct.order.get(typ, [])
    hi = len(order) - (page - 1) * size
    ids = order[max(hi - size, 0) : max(hi, 0)]
    found = [acct.objects.get(oid) for oid in reversed(ids)]
    return [o for o in found if o is not None and not o.get("deleted")], hi - size > 0
