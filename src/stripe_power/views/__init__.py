"""One compact view per Stripe object type, used wherever that type comes back: typed tools,
`call_stripe_api` (objects, lists and search results), the `stripe://` resources, and events
(`data.object`).

A view keeps what the next step needs: ids, status, amounts in minor units and in human form
(`amount_display`: `$29.99`, `¥500`), the fields that prove the last write, and a next step.
A type can also have a `row`, the shorter form it takes in a list. `VIEWS` maps Stripe's
`object` value to its view; every other type gets `generic_view`, built from the type's schema
in Stripe's spec. A view that cannot read an object (a partial object from an older API
version, a test double) falls back to the generic view rather than failing the call.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from ._base import Page, Summary, money, only, ref
from .balance import (
    AccountSummary,
    ApplicationFeeSummary,
    Balance,
    BalanceTransactionSummary,
    PayoutSummary,
    TransferSummary,
)
from .catalog import CouponSummary, PaymentLinkSummary, PriceSummary, ProductSummary, PromotionCodeSummary
from .checkout import LineItemSummary, SessionSummary
from .customers import CustomerBalanceTransactionSummary, CustomerSummary
from .events import EventSummary
from .generic import generic_view
from .invoices import CreditNoteSummary, InvoiceItemSummary, InvoiceSummary, credit_notes_of
from .payments import (
    PI_EXPAND,
    ChargeSummary,
    DisputeSummary,
    PaymentIntentSummary,
    PaymentMethodSummary,
    RefundSummary,
    SetupIntentSummary,
)
from .subscriptions import SUBSCRIPTION_EXPAND, SubscriptionSummary, TestClockSummary

logger = logging.getLogger("stripe_power.views")

Of = Callable[[Mapping[str, Any]], BaseModel]
# (GET path, params) of what else the view shows, for one object (an invoice's credit notes); None: nothing.
Related = Callable[[Mapping[str, Any]], tuple[str, dict[str, Any]] | None]


@dataclass(frozen=True)
class View:
    of: Of
    row: Of | None = None  # the shorter form in a list; default: `of`
    expand: tuple[str, ...] = ()  # what `of` reads expanded, when one object is retrieved
    related: tuple[str, Related] | None = None  # (keyword of `of`, the read that fills it)


VIEWS: dict[str, View] = {
    "payment_intent": View(PaymentIntentSummary.of, PaymentIntentSummary.row, PI_EXPAND),
    "setup_intent": View(SetupIntentSummary.of),
    "payment_method": View(PaymentMethodSummary.of),
    "charge": View(ChargeSummary.of),
    "refund": View(RefundSummary.of),
    "dispute": View(DisputeSummary.of),
    "checkout.session": View(SessionSummary.of, SessionSummary.row),
    "item": View(LineItemSummary.of),
    "invoice": View(InvoiceSummary.of, InvoiceSummary.row, related=("credit_notes", credit_notes_of)),
    "invoiceitem": View(InvoiceItemSummary.of),
    "credit_note": View(CreditNoteSummary.of, CreditNoteSummary.row),
    "subscription": View(SubscriptionSummary.of, SubscriptionSummary.row, SUBSCRIPTION_EXPAND),
    "test_helpers.test_clock": View(TestClockSummary.of),
    "customer": View(CustomerSummary.of),
    "customer_balance_transaction": View(CustomerBalanceTransactionSummary.of),
    "product": View(ProductSummary.of),
    "price": View(PriceSummary.of),
    "coupon": View(CouponSummary.of),
    "promotion_code": View(PromotionCodeSummary.of),
    "payment_link": View(PaymentLinkSummary.of),
    "balance": View(Balance.of),
    "balance_transaction": View(BalanceTransactionSummary.of),
    "transfer": View(TransferSummary.of),
    "application_fee": View(ApplicationFeeSummary.of),
    "payout": View(PayoutSummary.of),
    "account": View(AccountSummary.of),
    "event": View(EventSummary.of, EventSummary.row),
}
LISTS = frozenset({"list", "search_result"})


def view_dict(obj: Mapping[str, Any], *, row: bool = False, **related: Any) -> dict[str, Any]:
    """The view of one object as JSON (no nulls); a list or search result as a page of rows."""
    kind = str(obj.get("object") or "")
    if kind in LISTS:
        return page_dict(obj)
    if obj.get("deleted") is True:
        return {"id": obj.get("id"), "object": kind, "deleted": True}
    found = VIEWS.get(kind)
    if found is not None:
        make = found.row if row and found.row is not None else found.of
        try:
            model = make(obj, **related) if related else make(obj)
        except (KeyError, TypeError, ValueError, ValidationError) as error:
            logger.warning(
                "the %s view could not read %s (%s); showing the generic view", kind, obj.get("id"), error
            )
        else:
            return model.model_dump(mode="json", exclude_none=True)
    return generic_view(obj)


def page_dict(body: Mapping[str, Any]) -> dict[str, Any]:
    """A list (`has_more` and the cursor for the next page) or a search result (`next_page`), as rows."""
    data = [view_dict(item, row=True) for item in body.get("data") or [] if isinstance(item, Mapping)]
    out: dict[str, Any] = {"data": data, "has_more": bool(body.get("has_more"))}
    if body.get("object") == "search_result":
        if body.get("next_page"):
            out["next_page"] = body["next_page"]
    elif out["has_more"] and data and data[-1].get("id"):
        out["next_starting_after"] = data[-1]["id"]
    return out


def expand_for(object_type: str | None) -> tuple[str, ...]:
    found = VIEWS.get(object_type or "")
    return found.expand if found else ()


Request = Callable[..., Awaitable[Mapping[str, Any]]]


async def related(request: Request, obj: Mapping[str, Any]) -> dict[str, Any]:
    """What else one object's view shows, read with `request` (the Gateway's): keyword arguments for its `of`."""
    found = VIEWS.get(str(obj.get("object") or ""))
    if found is None or found.related is None:
        return {}
    name, wanted = found.related
    read = wanted(obj)
    if read is None:
        return {}
    body = await request("GET", *read)
    return {name: [item for item in body.get("data") or [] if isinstance(item, Mapping)]}


__all__ = [
    "LISTS",
    "VIEWS",
    "Page",
    "Summary",
    "View",
    "expand_for",
    "generic_view",
    "money",
    "only",
    "page_dict",
    "ref",
    "related",
    "view_dict",
]
