"""The hosted Checkout page, payment link visits and recovery links.

The page shows what Stripe's shows for the session's options: adjustable quantities, the shipping
address (limited to `allowed_countries`), the billing address when `required`, the phone number,
custom fields, consent checkboxes, a promotion code box, `custom_text` next to the section it is
about, and the button `submit_type` names (docs.stripe.com/payments/checkout/customization).
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ..billing import custom_amounts
from ..checkout import checkout, checkout_complete, checkout_totals, payment_links
from ..checkout.checkout_collection import ADDRESS_KEYS, Collected
from ..core.errors import StripeError
from ..core.ids import new_id
from ..core.router import Ctx
from ..core.store import JSON, Account
from . import page

if TYPE_CHECKING:
    from .page import Hosted

_TITLES = {"payment": "Pay", "subscription": "Subscribe", "setup": "Save your card"}
_SUBMIT = {"book": "Book", "donate": "Donate", "pay": "Pay", "subscribe": "Subscribe"}
_ADDRESS_LABELS = {
    "line1": "Address",
    "line2": "Address line 2",
    "city": "City",
    "state": "State",
    "postal_code": "Postal code",
    "country": "Country",
}


def _e(value: Any) -> str:
    return html.escape(str(value or ""))


def _input(
    name: str, label: str, value: str = "", *, kind: str = "text", required: bool = False, extra: str = ""
) -> str:
    need = " required" if required else ""
    return (
        f"<label for={name}>{_e(label)}</label>"
        f"<input id={name} name={name} type={kind} value='{_e(value)}'{need}{extra}>"
    )


def _note(cs: JSON, which: str) -> str:
    """A `custom_text` message, where Stripe shows it."""
    message = ((cs.get("custom_text") or {}).get(which) or {}).get("message")
    return f"<p class=muted>{_e(message)}</p>" if message else ""


def _address(prefix: str, title: str, countries: list[str] | None, required: bool) -> str:
    fields = []
    for key in ADDRESS_KEYS:
        name = f"{prefix}_{key}"
        needed = required and key in ("line1", "country")
        if key == "country" and countries:
            options = "".join(f"<option value={_e(c)}>{_e(c)}</option>" for c in countries)
            fields.append(
                f"<label for={name}>Country</label><select id={name} name={name} required>{options}</select>"
            )
        else:
            fields.append(_input(name, _ADDRESS_LABELS[key], required=needed))
    return f"<fieldset><legend>{_e(title)}</legend>{''.join(fields)}</fieldset>"


def _custom_fields(cs: JSON) -> str:
    out = []
    for custom in cs.get("custom_fields") or []:
        name, typ = f"custom_{custom['key']}", custom["type"]
        label = custom["label"]["custom"] + ("" if not custom["optional"] else " (optional)")
        spec = custom[typ]
        if typ == "dropdown":
            options = "".join(
                f"<option value='{_e(o['value'])}'{' selected' if o['value'] == spec['default_value'] else ''}>"
                f"{_e(o['label'])}</option>"
                for o in spec["options"]
            )
            blank = "<option value=''></option>" if custom["optional"] else ""
            out.append(
                f"<label for={name}>{_e(label)}</label><select id={name} name={name}>{blank}{options}</select>"
            )
        else:
            bounds = f" maxlength={spec['maximum_length']}" if spec.get("maximum_length") else ""
            mode = " inputmode=numeric" if typ == "numeric" else ""
            out.append(
                _input(
                    name,
                    label,
                    spec.get("default_value") or "",
                    required=not custom["optional"],
                    extra=bounds + mode,
                )
            )
    return "".join(out)


def _consent(cs: JSON) -> str:
    consent = cs.get("consent_collection") or {}
    out = ""
    if consent.get("promotions") == "auto":
        out += "<label><input type=checkbox name=promotions value=opt_in> Keep me updated with news and offers</label>"
    if consent.get("terms_of_service") == "required":
        out += (
            "<label><input type=checkbox name=terms_of_service value=accepted required> "
            "I agree to the Terms of Service</label>" + _note(cs, "terms_of_service_acceptance")
        )
    return out


def _rows(acct: Account, cs: JSON) -> str:
    rows, adjustable = [], acct.priv(cs).get("adjustable", [])
    for index, li_id in enumerate(acct.priv(cs).get("line_item_ids", [])):
        li = acct.objects[li_id]
        price = li["price"]
        suffix = f" / {price['recurring']['interval']}" if price.get("recurring") else ""
        adj = adjustable[index] if index < len(adjustable) else {}
        qty = f"× {li['quantity']}"
        if (adj or {}).get("enabled"):
            low = adj.get("minimum") or (1 if len(adjustable) == 1 else 0)
            high = adj.get("maximum") or checkout_complete.DEFAULT_MAXIMUM
            qty = (
                f"<input aria-label='Quantity' class=qty form=pay name=quantity_{index} type=number "
                f"min={low} max={high} value={li['quantity']}>"
            )
        amount = page._money(li["amount_total"], li["currency"]) + suffix
        rows.append(f"<tr><td>{_e(li['description'])} {qty}</td><td class=amt>{_e(amount)}</td></tr>")
    total = page._money(cs["amount_total"], cs["currency"])
    return f"<table>{''.join(rows)}<tr class=total><td>Total</td><td class=amt>{_e(total)}</td></tr></table>"


def render(
    h: Hosted, acct: Account, cs: JSON, error: str | None = None, request_id: str = "", status: int = 402
) -> HTMLResponse:
    checkout.refresh(acct, cs)
    title = _TITLES[cs["mode"]]
    if cs["status"] != "open":
        done = cs["status"] == "complete"
        msg = "This Checkout Session is complete." if done else "This Checkout Session has expired."
        return page._page(
            title, f"<h1>{title}</h1><p class=muted>{msg}</p>", 200 if done else 410, request_id
        )
    button = _SUBMIT.get(cs.get("submit_type") or "auto", title)
    sac = cs.get("shipping_address_collection")
    body = (
        f"<h1>{title}</h1><p class=muted>Checkout Session {_e(cs['id'])}</p>"
        + (_rows(acct, cs) if cs["mode"] != "setup" else "")
        + "<form id=pay method=post>"
        + _input("email", "Email", cs.get("customer_email") or "", kind="email")
        + (
            _address("shipping", "Shipping address", sac["allowed_countries"], True).replace(
                "<legend>Shipping address</legend>",
                "<legend>Shipping address</legend>"
                + _input("shipping_name", "Name", required=True)
                + _note(cs, "shipping_address"),
            )
            if sac
            else ""
        )
        + (
            _address("billing", "Billing address", None, True)
            if cs.get("billing_address_collection") == "required"
            else ""
        )
        + (
            _input("phone", "Phone number", kind="tel", required=True)
            if (cs.get("phone_number_collection") or {}).get("enabled")
            else ""
        )
        + _custom_fields(cs)
        + _input("name", "Name on card")
        + _input(
            "card_number",
            "Card number",
            required=True,
            extra=" inputmode=numeric autocomplete=cc-number placeholder='4242 4242 4242 4242'",
        )
        + custom_amounts.field(acct, cs)
        + (_input("promotion_code", "Promotion code") if cs.get("allow_promotion_codes") else "")
        + _consent(cs)
        + page._test_cards()
        + (f"<div class=error role=alert>{_e(error)}</div>" if error else "")
        + _note(cs, "submit")
        + f"<button type=submit>{_e(button)}</button>"
        + _note(cs, "after_submit")
        + "</form>"
        + page._link(cs.get("cancel_url"), "Cancel")
    )
    return page._page(title, body, status if error else 200, request_id)


def collected_from(form: Iterable[tuple[str, Any]]) -> Collected:
    """What the customer entered, from the page's form fields."""
    values = {k: str(v) for k, v in form}
    got = Collected(
        email=values.get("email") or None,
        name=values.get("name") or None,
        phone=values.get("phone") or None,
        terms_accepted=values.get("terms_of_service") == "accepted",
        promotions=values.get("promotions") == "opt_in",
    )
    got.shipping = {k: values.get(f"shipping_{k}") for k in (*ADDRESS_KEYS, "name")}
    got.billing = {k: values.get(f"billing_{k}") for k in ADDRESS_KEYS}
    got.fields = {k.removeprefix("custom_"): v for k, v in values.items() if k.startswith("custom_")}
    return got


def _opens(
    h: Hosted, name: str, typ: str, make: Callable[[Ctx, JSON], JSON]
) -> Callable[[Request], Awaitable[Response]]:
    """A page that opens a new Checkout Session from an object (a payment link, an expired
    session's recovery link) and sends the customer to it; why it cannot, instead."""

    async def handler(request: Request) -> Response:
        request_id = new_id("req", 14)
        with h.sb.state.lock:
            found = h.owner(request.path_params[name], typ)
            if found is None:
                return page._not_found("This link")
            acct, obj = found
            try:
                opened = make(h.ctx_for(acct, request, request_id), obj)
            except StripeError as err:
                body = f"<h1>Unavailable</h1><p class=muted>{_e(err.message)}</p>"
                return page._page("Unavailable", body, 410, request_id)
            h.flush(acct)
        return RedirectResponse(str(opened["url"]), status_code=303, headers={"Request-Id": request_id})

    return handler


def routes(h: Hosted) -> list[Route]:
    async def session_get(request: Request) -> Response:
        with h.sb.state.lock:
            found = h.owner(request.path_params["session"], "checkout.session")
            if found is None:
                return page._not_found("This Checkout Session")
            return render(h, *found)

    async def session_post(request: Request) -> Response:
        form = list((await request.form()).multi_items())
        fields = dict(form)
        card = str(fields.get("card_number") or "")
        code = str(fields.get("promotion_code") or "").strip()
        authenticate = str(fields.get("three_d_secure") or "complete") != "fail"
        request_id = new_id("req", 14)
        with h.sb.state.lock:
            found = h.owner(request.path_params["session"], "checkout.session")
            if found is None:
                return page._not_found("This Checkout Session")
            acct, cs = found
            ctx = h.ctx_for(acct, request, request_id)
            try:
                quantities = page._quantities(form)
                checkout_complete.check_quantities(acct, cs, quantities)
            except StripeError as err:
                return render(h, acct, cs, err.message, request_id, status=err.status)
            try:
                if code:
                    checkout_totals.enter_code(ctx, cs, code)
                if "custom_amount" in fields:
                    custom_amounts.enter(acct, cs, str(fields["custom_amount"]))
                checkout_complete.complete(ctx, cs, card, collected_from(form), quantities, authenticate)
            except StripeError as err:
                h.flush(acct)
                if cs["status"] != "open":
                    return page._page(
                        "Checkout", f"<h1>Checkout</h1><p class=error>{_e(err.message)}</p>", 409, request_id
                    )
                return render(h, acct, cs, err.message, request_id)
            h.flush(acct)
            target = cs.get("success_url") or cs.get("return_url")
        if target:
            url = str(target).replace("{CHECKOUT_SESSION_ID}", cs["id"])
            return RedirectResponse(url, status_code=303, headers={"Request-Id": request_id})
        return page._page(
            "Thanks", "<h1>Thanks</h1><p class=ok>Your payment is complete.</p>", 200, request_id
        )

    def _open_link(ctx: Ctx, pl: JSON) -> JSON:
        if not pl["active"]:  # the link's own message, where Stripe shows it
            raise StripeError(410, pl.get("inactive_message") or "This link is no longer active.")
        return payment_links.session_for_link(ctx, pl)

    return [
        Route("/c/pay/{session}", session_get, methods=["GET"]),
        Route("/c/pay/{session}", session_post, methods=["POST"]),
        Route(
            "/c/recover/{session}",
            _opens(h, "session", "checkout.session", checkout.recover),
            methods=["GET"],
        ),
        Route("/pl/{link}", _opens(h, "link", "payment_link", _open_link), methods=["GET"]),
    ]
