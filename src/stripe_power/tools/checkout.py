"""Toolset `checkout`: Checkout Sessions, Stripe's recommended way to take payments."""

from __future__ import annotations

import html
import re
from typing import Annotated, Literal

from pydantic import Field

from ..errors import InputError, StripeAPIError, token_for_payment_method
from ..hints import call
from ..views import Page
from ..views.checkout import NEXT_OPEN_HOSTED, LineItemSummary, SessionSummary
from ._params import (
    Ctx,
    Currency,
    Cursor,
    CustomerId,
    Email,
    IdempotencyKey,
    Limit,
    Metadata,
    PaymentIntentId,
    SessionId,
    Timestamp,
    Url,
    form,
    gateway,
    settings,
)
from ._registry import Toolset
from ._shapes import LineItem, one_price

toolset = Toolset("checkout", "Checkout Sessions: hosted or embedded payment pages")

Mode = Literal["payment", "subscription", "setup"]
UiMode = Literal["hosted_page", "embedded_page"]

NEXT_PAY_IN_SANDBOX = " In this sandbox, pay it as the customer would: {pay}."


def _check_combination(
    mode: Mode,
    ui_mode: UiMode | None,
    has_lines: bool,
    customer: str | None,
    customer_email: str | None,
    success_url: str | None,
    cancel_url: str | None,
    return_url: str | None,
    currency: str | None,
) -> None:
    if mode == "setup" and has_lines:
        raise InputError("line_items", "is not allowed in setup mode.", "Remove it; pass `currency` instead.")
    if mode != "setup" and not has_lines:
        raise InputError("line_items", f"is required in {mode} mode.", "Add at least one line item.")
    if mode == "setup" and currency is None:
        raise InputError("currency", "is required in setup mode.", "Pass e.g. currency='usd'.")
    if customer and customer_email:
        raise InputError(
            "customer_email", "cannot be combined with `customer`.", "Pass one; the customer has an email."
        )
    if ui_mode == "embedded_page":
        for name, value in (("success_url", success_url), ("cancel_url", cancel_url)):
            if value:
                raise InputError(name, "is not allowed with ui_mode=embedded_page.", "Use `return_url`.")
        if not return_url:
            raise InputError("return_url", "is required with ui_mode=embedded_page.", "Add it.")
    else:
        if return_url:
            raise InputError(
                "return_url", "is for ui_mode=embedded_page only.", "Use `success_url` for hosted pages."
            )
        if not success_url:
            raise InputError(
                "success_url",
                "is required for a hosted page.",
                "Add it, e.g. https://example.com/success?session_id={CHECKOUT_SESSION_ID}.",
            )


@toolset.tool("Create a Checkout Session", kind="write")
async def create_checkout_session(
    ctx: Ctx,
    mode: Mode,
    line_items: Annotated[
        list[LineItem] | None,
        Field(max_length=100, description="Required unless mode=setup"),
    ] = None,
    customer: CustomerId | None = None,
    customer_email: Email | None = None,
    success_url: Annotated[Url | None, Field(description="Hosted only")] = None,
    cancel_url: Url | None = None,
    ui_mode: UiMode | None = None,
    return_url: Annotated[Url | None, Field(description="Embedded only")] = None,
    allow_promotion_codes: bool | None = None,
    currency: Annotated[Currency | None, Field(description="Required for setup mode")] = None,
    excluded_payment_method_types: Annotated[
        list[str] | None, Field(max_length=50, description="e.g. ['klarna']")
    ] = None,
    expires_at: Timestamp | None = None,
    metadata: Metadata | None = None,
    idempotency_key: IdempotencyKey | None = None,
) -> SessionSummary:
    """Create a Checkout Session: payment, subscription or setup mode."""
    one_price(line_items or [], "line_items")
    _check_combination(
        mode,
        ui_mode,
        bool(line_items),
        customer,
        customer_email,
        success_url,
        cancel_url,
        return_url,
        currency,
    )
    params = form(
        mode=mode,
        line_items=[item.wire() for item in line_items] if line_items else None,
        customer=customer,
        customer_email=customer_email,
        success_url=success_url,
        cancel_url=cancel_url,
        ui_mode=ui_mode,
        return_url=return_url,
        allow_promotion_codes=allow_promotion_codes,
        currency=currency,
        excluded_payment_method_types=excluded_payment_method_types,
        expires_at=expires_at,
        metadata=metadata,
    )
    obj = await gateway(ctx).request("POST", "/v1/checkout/sessions", params, idempotency_key=idempotency_key)
    return _in_sandbox(ctx, SessionSummary.of(obj, with_secret=True))


def _in_sandbox(ctx: Ctx, summary: SessionSummary) -> SessionSummary:
    """Against the sandbox, an open hosted session's next step says how to pay it here."""
    if settings(ctx).sandbox and summary.next_step == NEXT_OPEN_HOSTED:
        pay = call("pay_checkout_session", session=summary.id, payment_method="pm_card_visa")
        summary.next_step += NEXT_PAY_IN_SANDBOX.format(pay=pay)
    return summary


@toolset.tool("Retrieve a Checkout Session", kind="read")
async def retrieve_checkout_session(ctx: Ctx, session: SessionId) -> SessionSummary:
    """Get a Checkout Session: status, discounts, resulting ids."""
    return _in_sandbox(
        ctx, SessionSummary.of(await gateway(ctx).request("GET", f"/v1/checkout/sessions/{session}"))
    )


@toolset.tool("List Checkout Sessions", kind="read")
async def list_checkout_sessions(
    ctx: Ctx,
    customer: CustomerId | None = None,
    status: Literal["open", "complete", "expired"] | None = None,
    payment_intent: PaymentIntentId | None = None,
    limit: Limit = 10,
    starting_after: Cursor | None = None,
) -> Page[SessionSummary]:
    """List Checkout Sessions, newest first."""
    params = form(
        customer=customer,
        status=status,
        payment_intent=payment_intent,
        limit=limit,
        starting_after=starting_after,
    )
    body = await gateway(ctx).request("GET", "/v1/checkout/sessions", params)
    return Page[SessionSummary].of(body, SessionSummary.row)


@toolset.tool("List a Checkout Session's line items", kind="read")
async def list_checkout_session_line_items(
    ctx: Ctx,
    session: SessionId,
    limit: Limit = 10,
    starting_after: Cursor | None = None,
) -> Page[LineItemSummary]:
    """List what a Checkout Session sells: description, quantity, price and total."""
    params = form(limit=limit, starting_after=starting_after)
    body = await gateway(ctx).request("GET", f"/v1/checkout/sessions/{session}/line_items", params)
    return Page[LineItemSummary].of(body, LineItemSummary.of)


@toolset.tool("Expire a Checkout Session", kind="destructive", idempotent=True)
async def expire_checkout_session(
    ctx: Ctx, session: SessionId, idempotency_key: IdempotencyKey | None = None
) -> SessionSummary:
    """Expire an open Checkout Session so it can no longer be paid."""
    path = f"/v1/checkout/sessions/{session}/expire"
    return SessionSummary.of(await gateway(ctx).request("POST", path, {}, idempotency_key=idempotency_key))


@toolset.tool("Pay a Checkout Session (sandbox)", kind="write", requires="sandbox")
async def pay_checkout_session(
    ctx: Ctx,
    session: SessionId,
    payment_method: Annotated[str, Field(description="stripe://testing/cards")] = "pm_card_visa",
    three_d_secure: Annotated[Literal["complete", "fail"], Field(description="If 3DS is asked")] = "complete",
    email: Email | None = None,
    promotion_code: Annotated[str | None, Field(max_length=200)] = None,
) -> SessionSummary:
    """Sandbox only: pay an open session's hosted page as the customer would."""
    from ..sandbox.payments.cards import TEST_PAYMENT_METHODS  # the sandbox's data, only in sandbox mode

    numbers = {card.id: card.number for card in TEST_PAYMENT_METHODS}
    if payment_method.startswith("tok_"):
        raise token_for_payment_method("payment_method", payment_method)
    if payment_method not in numbers:
        raise InputError(
            "payment_method", "is not a sandbox test card.", f"Use one of: {', '.join(sorted(numbers))}."
        )
    gw = gateway(ctx)
    path = f"/v1/checkout/sessions/{session}"
    current = await gw.request("GET", path)
    url = str(current.get("url") or "")
    if promotion_code and not current.get("allow_promotion_codes"):
        raise InputError(
            "promotion_code",
            f"{session} does not accept promotion codes: its page has no code field.",
            "Create the session with allow_promotion_codes=true to let the customer enter one.",
        )
    origin = gw.settings.api_base or ""
    if not origin or not url.startswith(f"{origin}/"):
        raise InputError("session", "has no hosted page to pay (it is not open, or not a hosted page).", "")
    # The customer's side, not an API call: the sandbox's hosted page, posted as a browser would.
    form_fields = {
        "card_number": numbers[payment_method],
        "three_d_secure": three_d_secure,
        "email": email or "",
        "promotion_code": promotion_code or "",
    }
    import httpx  # only this sandbox helper posts a page: not a start-up import

    async with httpx.AsyncClient(follow_redirects=False, timeout=10.0, trust_env=False) as http:
        page = await http.post(url, data=form_fields)
    if page.status_code != 303:
        found = re.search(r"class=error[^>]*>([^<]+)<", page.text) or re.search(
            r"class=muted>([^<]+)<", page.text
        )
        said = html.unescape(found.group(1)) if found else f"HTTP {page.status_code}"
        raise StripeAPIError(
            f"The customer's payment on the hosted page failed: {said} If the session is still open, "
            f"pay again with another test card: {call('pay_checkout_session', session=session, payment_method='pm_card_visa')}.",
            http_status=page.status_code,
        )
    return SessionSummary.of(await gw.request("GET", path))
