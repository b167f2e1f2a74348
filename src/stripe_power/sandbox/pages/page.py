"""Hosted pages served by the sandbox: Checkout, invoices, payment links, 3D Secure, receipts."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ..billing import invoice_lifecycle
from ..core import clocks
from ..core.errors import StripeError
from ..core.ids import new_id
from ..core.router import Ctx
from ..core.store import JSON, Account, at_time
from ..core.validation import is_web_url
from ..payments import charges, payment_intents, payment_methods, setup_intents
from ..payments.cards import TEST_PAYMENT_METHODS
from . import assets, page_checkout

if TYPE_CHECKING:
    from ..core.app import Sandbox


# The test cards a tester reaches for first, by their PaymentMethod id in cards.py: label -> card.
_PICKS = (
    ("Succeeds", "pm_card_visa"),
    ("Declined", "pm_card_chargeDeclined"),
    ("Insufficient funds", "pm_card_chargeDeclinedInsufficientFunds"),
    ("3-D Secure", "pm_card_authenticationRequired"),
)


def _test_cards() -> str:
    """Buttons that fill the card number field with a test card (static/page.js; the numbers stay
    visible for typing)."""
    numbers = {card.id: card.number for card in TEST_PAYMENT_METHODS}
    buttons = "".join(
        f"<button type=button data-number='{numbers[pm]}' title='{numbers[pm]}'>"
        f"{html.escape(label)} · {numbers[pm][-4:]}</button>"
        for label, pm in _PICKS
    )
    return f"<div class=picks aria-label='Test cards'>{buttons}</div>"


def _page(title: str, body: str, status: int = 200, request_id: str = "") -> HTMLResponse:
    doc = (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title>"
        f"<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<link rel=stylesheet href={assets.url('page.css')}><script src={assets.url('page.js')} defer></script></head>"
        f"<body><main><span class=badge>TEST MODE · stripe-power sandbox</span>{body}</main></body></html>"
    )
    return HTMLResponse(doc, status_code=status, headers={"Request-Id": request_id or new_id("req", 14)})


def _link(href: Any, text: str) -> str:
    """A muted link to a merchant's page; none unless it is an http(s) URL (the API refuses any
    other; this holds for whatever else stored one)."""
    if not isinstance(href, str) or not is_web_url(href):
        return ""
    return f"<p class=muted><a href='{html.escape(href)}'>{html.escape(text)}</a></p>"


QUANTITY_DIGITS = 6  # the page's quantities are whole numbers well under a million


def _quantities(fields: Iterable[tuple[str, Any]]) -> dict[int, int]:
    """`quantity_<line index>=<whole number>` fields of the Checkout form; a malformed one is a 400
    (read with bounded digits: Python refuses to convert 4300 digits or more)."""
    found: dict[int, int] = {}
    for key, value in fields:
        if not key.startswith("quantity_"):
            continue
        index, text = key.removeprefix("quantity_"), str(value).strip()
        if not (index.isascii() and index.isdigit() and len(index) <= QUANTITY_DIGITS):
            raise StripeError(400, f"{key[:40]!r} names no line item of this session.", param="quantity")
        if not (text.isascii() and text.isdigit() and len(text) <= QUANTITY_DIGITS):
            raise StripeError(400, f"Quantity must be a whole number (got {text[:20]!r}).", param="quantity")
        found[int(index)] = int(text)
    return found


def _not_found(what: str) -> HTMLResponse:
    return _page(
        "Not found", f"<h1>Not found</h1><p class=muted>{html.escape(what)} does not exist.</p>", 404
    )


def _money(amount: Any, cur: Any) -> str:
    return charges.fmt_money(int(amount or 0), str(cur or "usd"))


def _line_rows(rows: list[tuple[str, str]], total: str) -> str:
    cells = "".join(f"<tr><td>{html.escape(d)}</td><td class=amt>{html.escape(a)}</td></tr>" for d, a in rows)
    return f"<table>{cells}<tr class=total><td>Total</td><td class=amt>{html.escape(total)}</td></tr></table>"


class Hosted:
    """The sandbox behind the hosted pages: an object's account (pages carry no API key), a
    context to call handlers with, and the webhooks of what a page did."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb

    def owner(self, oid: str, typ: str) -> tuple[Account, JSON] | None:
        acct = self.sb.state.owners.get(oid)
        if acct is None:
            return None
        obj = acct.find(typ, oid)
        return (acct, obj) if obj is not None else None

    def ctx_for(self, acct: Account, request: Request, request_id: str) -> Ctx:
        acct.current_request = (request_id, None)
        base = str(request.base_url).rstrip("/")
        return Ctx(self.sb, acct, {}, {}, base, request_id, request.method, request.url.path)

    def flush(self, acct: Account) -> None:
        home = acct.home  # a connected account's events wait on its platform (Connect webhooks)
        pending, home.pending_events = home.pending_events, []
        for event in pending:
            self.sb.webhooks.schedule(home, event)


def _invoice_routes(h: Hosted) -> list[Route]:
    owner, ctx_for, flush, sb = h.owner, h.ctx_for, h.flush, h.sb

    # -- invoices ------------------------------------------------------------------------
    def invoice_page(
        acct: Account, inv: JSON, message: str = "", ok: bool = False, request_id: str = ""
    ) -> HTMLResponse:
        rows = [
            (str(line.get("description") or ""), _money(line["amount"], inv["currency"]))
            for line in inv["lines"]["data"]
        ]
        table = _line_rows(rows, _money(inv["total"], inv["currency"]))
        note = (
            f"<div class={'ok' if ok else 'error'} role=status>{html.escape(message)}</div>"
            if message
            else ""
        )
        form = ""
        if inv["status"] == "open":
            form = (
                "<form method=post><label for=card_number>Card number</label>"
                "<input id=card_number name=card_number inputmode=numeric placeholder='4242 4242 4242 4242' required>"
                f"{_test_cards()}"
                f"<button type=submit>Pay {html.escape(_money(inv['amount_remaining'], inv['currency']))}</button></form>"
            )
        body = (
            f"<h1>Invoice {html.escape(str(inv.get('number') or inv['id']))}</h1>"
            f"<p class=muted>Status: {html.escape(inv['status'])}</p>{table}{note}{form}"
        )
        return _page("Invoice", body, 402 if message and not ok else 200, request_id)

    async def invoice_get(request: Request) -> Response:
        with sb.state.lock:
            found = owner(request.path_params["invoice"], "invoice")
            if found is None or found[1]["status"] == "draft":
                return _not_found("This invoice")
            return invoice_page(*found)

    async def invoice_post(request: Request) -> Response:
        form = await request.form()
        card = str(form.get("card_number") or "")
        request_id = new_id("req", 14)
        with sb.state.lock:
            found = owner(request.path_params["invoice"], "invoice")
            if found is None or found[1]["status"] == "draft":
                return _not_found("This invoice")
            acct, inv = found
            if inv["status"] != "open":
                return invoice_page(acct, inv, f"This invoice is {inv['status']}.", request_id=request_id)
            ctx = ctx_for(acct, request, request_id)
            try:
                pm = payment_methods.pm_from_number(ctx, card)
                invoice_lifecycle.attempt_payment(ctx, inv, pm["id"], off_session=False)
                pi = invoice_lifecycle.invoice_pi(acct, inv)
                if pi is not None and pi["status"] == "requires_action":
                    payment_intents.authenticate(ctx, pi, True)
            except StripeError as err:
                flush(acct)
                return invoice_page(acct, inv, err.message, request_id=request_id)
            flush(acct)
            return invoice_page(acct, inv, "Payment received. Thank you!", ok=True, request_id=request_id)

    return [
        Route("/i/{invoice}", invoice_get, methods=["GET"]),
        Route("/i/{invoice}/pdf", invoice_get, methods=["GET"]),
        Route("/i/{invoice}", invoice_post, methods=["POST"]),
    ]


def _auth_routes(h: Hosted) -> list[Route]:
    owner, ctx_for, flush, sb = h.owner, h.ctx_for, h.flush, h.sb

    # -- 3D Secure -----------------------------------------------------------------------
    async def auth_get(request: Request) -> Response:
        intent_id = request.path_params["intent"]
        typ = "setup_intent" if intent_id.startswith("seti_") else "payment_intent"
        with sb.state.lock:
            found = owner(intent_id, typ)
            if found is None:
                return _not_found("This authentication")
            _, intent = found
            amount = f" of {_money(intent['amount'], intent['currency'])}" if typ == "payment_intent" else ""
            body = (
                f"<h1>3D Secure test authentication</h1><p class=muted>Authenticate the payment{amount} for "
                f"{html.escape(intent_id)}.</p><form method=post>"
                "<button name=action value=complete>Complete authentication</button>"
                "<button class=secondary name=action value=fail>Fail authentication</button></form>"
            )
            return _page("3D Secure", body)

    async def auth_post(request: Request) -> Response:
        form = await request.form()
        success = str(form.get("action") or "complete") == "complete"
        intent_id = request.path_params["intent"]
        typ = "setup_intent" if intent_id.startswith("seti_") else "payment_intent"
        request_id = new_id("req", 14)
        with sb.state.lock:
            found = owner(intent_id, typ)
            if found is None:
                return _not_found("This authentication")
            acct, intent = found
            ctx = ctx_for(acct, request, request_id)
            try:
                if typ == "payment_intent":
                    payment_intents.authenticate(ctx, intent, success)
                else:
                    setup_intents.authenticate_setup(ctx, intent, success)
            except StripeError as err:
                flush(acct)
                return _page(
                    "3D Secure",
                    f"<h1>3D Secure</h1><p class=error>{html.escape(err.message)}</p>",
                    409,
                    request_id,
                )
            flush(acct)
            return_url = acct.priv(intent).get("return_url")
            status = intent["status"]
        if return_url:
            key = "payment_intent" if typ == "payment_intent" else "setup_intent"
            query = urlencode(
                {
                    key: intent_id,
                    f"{key}_client_secret": intent["client_secret"],
                    "redirect_status": "succeeded" if success else "failed",
                }
            )
            sep = "&" if "?" in str(return_url) else "?"
            return RedirectResponse(
                f"{return_url}{sep}{query}", status_code=303, headers={"Request-Id": request_id}
            )
        cls = "ok" if success else "error"
        return _page(
            "3D Secure",
            f"<h1>3D Secure</h1><p class={cls}>Authentication {'completed' if success else 'failed'}; "
            f"status is now {html.escape(status)}.</p>",
            200,
            request_id,
        )

    return [
        Route("/3ds/{intent}", auth_get, methods=["GET"]),
        Route("/3ds/{intent}", auth_post, methods=["POST"]),
    ]


def _receipt_routes(h: Hosted) -> list[Route]:
    owner, sb = h.owner, h.sb

    async def receipt(request: Request) -> Response:
        with sb.state.lock:
            found = owner(request.path_params["charge"], "charge")
            if found is None:
                return _not_found("This receipt")
            _, ch = found
            rows = [(str(ch.get("description") or "Payment"), _money(ch["amount"], ch["currency"]))]
            if ch["amount_refunded"]:
                rows.append(("Refunded", "-" + _money(ch["amount_refunded"], ch["currency"])))
            return _page(
                "Receipt",
                f"<h1>Receipt</h1><p class=muted>{html.escape(ch['id'])}</p>"
                + _line_rows(rows, _money(ch["amount"] - ch["amount_refunded"], ch["currency"])),
            )

    return [Route("/receipts/{charge}", receipt, methods=["GET"])]


def _on_its_clock(
    h: Hosted, handler: Callable[[Request], Awaitable[Response]]
) -> Callable[[Request], Awaitable[Response]]:
    """A page about a clocked customer's object (its session, invoice, intent) lives at the
    clock's time, as API requests about it do: else an open session would look expired."""

    async def run(request: Request) -> Response:
        (object_id,) = request.path_params.values()
        with h.sb.state.lock:
            acct = h.sb.state.owners.get(object_id)
            ts = clocks.time_for(acct, {}, {"object": object_id}) if acct is not None else None
        with at_time(ts):
            return await handler(request)

    return run


def routes(sb: Sandbox) -> list[Route]:
    h = Hosted(sb)
    pages = [*page_checkout.routes(h), *_invoice_routes(h), *_auth_routes(h), *_receipt_routes(h)]
    return [Route(r.path, _on_its_clock(h, r.endpoint), methods=r.methods) for r in pages]
